"""The rules of the follow-up records (issue 4): the evaluation flag, measure transitions by role and scope,
overdue counting, evidence limits, append-only record books on every path, publication freezing, adjustments on a
basis in the committee history."""

import datetime
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from reviews.followup import services
from reviews.followup.choices import MeasureStatus
from reviews.followup.models import (
    AppendOnlyError,
    Evaluation,
    Evidence,
    Measure,
    RecordBookPublication,
    RecordEntry,
)
from reviews.followup.tallies import rectification_on_time, rectification_overdue
from tests.factories import CadreFactory
from tests.reviews.followup_data import PDF, PNG, make_followup, upload
from villages.choices import AdjustmentKind, ApprovingLevel
from villages.metrics import Period

TODAY = timezone.localdate()


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def f(tree, campaign, media):
    return make_followup(tree, campaign)


def stored_files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


# Democratic evaluation: the flag


def _evaluate(tree, year, bad, cadre=None, scale_name="称职评议"):
    scale = services.default_scales()[scale_name]
    cadre = cadre or tree.member.cadre
    counts = dict(zip(scale.options, [60 - bad, 0, bad], strict=True))
    services.evaluation_record(
        actor=tree.users.township,
        village=tree.liangzhuang,
        year=year,
        date=datetime.date(year, 12, 1),
        organizer="裴城镇党委",
        expected=70,
        attendance=65,
        scale=scale,
        results={cadre.pk: counts},
    )
    return Evaluation.objects.get(cadre=cadre, year=year)


def test_two_consecutive_failed_evaluations_flag_the_cadre(tree):
    first = _evaluate(tree, 2023, bad=30)
    assert first.failing and first.result == "不称职" and not first.flagged
    second = _evaluate(tree, 2024, bad=25)
    assert second.failing and second.flagged
    assert second.turnout == round(60 / 70, 4)
    assert list(Evaluation.objects.filter(flagged=True)) == [second]


def test_a_gap_year_or_a_pass_does_not_flag(tree):
    _evaluate(tree, 2021, bad=30)
    _evaluate(tree, 2022, bad=10)  # 10/60 is under a third: 称职 on the plurality
    third = _evaluate(tree, 2023, bad=30)
    assert not third.flagged
    assert Evaluation.objects.get(year=2022).result == "称职"


def test_the_rule_is_configurable(tree, settings):
    settings.SHANZHI_EVALUATION_FLAG_YEARS = 3
    _evaluate(tree, 2023, bad=30)
    assert not _evaluate(tree, 2024, bad=30).flagged
    assert _evaluate(tree, 2025, bad=30).flagged
    settings.SHANZHI_EVALUATION_FAIL_SHARE = "1/2"
    assert not _evaluate(tree, 2026, bad=25).failing


def test_an_earlier_year_entered_later_flags_the_year_after(tree):
    later = _evaluate(tree, 2024, bad=30)
    assert not later.flagged
    _evaluate(tree, 2023, bad=30)
    later.refresh_from_db()
    assert later.flagged


def test_the_scale_is_data(tree):
    e = _evaluate(tree, 2024, bad=40, scale_name="满意度测评")
    assert e.result == "不满意" and e.failing and set(e.counts) == {"满意", "基本满意", "不满意"}


def test_the_flag_shows_on_the_village_page_and_the_county_list(client, tree):
    _evaluate(tree, 2023, bad=30)
    _evaluate(tree, 2024, bad=30)
    client.force_login(tree.users.county)
    county_list = client.get(reverse("followup:evaluations", kwargs={"code": tree.yc.code}))
    assert "梁明" in county_list.content.decode()
    page = client.get(reverse("villages:division", kwargs={"code": tree.liangzhuang.code})).content.decode()
    assert "梁明" in page and "⚑" in page


def test_bad_votes_are_refused_field_by_field_and_nothing_saved(tree):
    scale = services.default_scales()["称职评议"]
    stranger = tree.other.cadre
    with pytest.raises(ValidationError) as exc:
        services.evaluation_record(
            actor=tree.users.township,
            village=tree.liangzhuang,
            year=2024,
            date=datetime.date(2023, 12, 1),
            organizer="镇党委",
            expected=10,
            attendance=5,
            scale=scale,
            results={tree.member.cadre.pk: {"称职": 9}, stranger.pk: {"称职": 1}},
        )
    assert {"date", "results"} <= set(exc.value.message_dict)
    assert not Evaluation.objects.exists()


def test_only_the_township_or_county_records_evaluations(tree):
    scale = services.default_scales()["称职评议"]
    kwargs = {
        "village": tree.liangzhuang,
        "year": 2024,
        "date": datetime.date(2024, 12, 1),
        "organizer": "x",
        "expected": 5,
        "attendance": 5,
        "scale": scale,
        "results": {tree.member.cadre.pk: {"称职": 5}},
    }
    with pytest.raises(PermissionDenied):
        services.evaluation_record(actor=tree.users.village, **kwargs)
    with pytest.raises(Http404):
        services.evaluation_record(actor=tree.users.petition, **kwargs)


# Measures: transitions by role and scope


def test_measure_life_cycle_by_role(tree, f):
    village, township = tree.users.village, tree.users.township
    with pytest.raises(ValidationError) as exc:
        services.measure_report_done(actor=village, measure=f.measure)
    assert "evidence" in exc.value.message_dict
    services.evidence_upload(actor=village, measure=f.measure, file=upload())
    done = services.measure_report_done(actor=village, measure=f.measure)
    assert done.status == MeasureStatus.DONE and done.completed_on == timezone.localdate()
    with pytest.raises(PermissionDenied):
        services.measure_close(actor=village, measure=done)  # the village cannot verify itself
    back = services.measure_send_back(actor=township, measure=done, reason="照片不清晰")
    assert back.status == MeasureStatus.IN_PROGRESS and back.completed_on is None
    services.measure_report_done(actor=township, measure=back)
    closed = services.measure_close(actor=township, measure=back, note="核查属实")
    assert closed.status == MeasureStatus.CLOSED and closed.closed_by == township
    for call in (services.measure_report_done, services.measure_close):
        with pytest.raises(ValidationError):
            call(actor=township, measure=closed)
    with pytest.raises(ValidationError):
        services.evidence_upload(actor=township, measure=closed, file=upload())
    history = [h.status for h in Measure.history.filter(id=closed.pk).order_by("history_date")]
    assert history == ["in_progress", "done", "in_progress", "done", "closed"]


def test_measure_writes_are_refused_out_of_scope_and_without_the_role(tree, f):
    with pytest.raises(Http404):
        services.measure_close(actor=tree.users.township, measure=f.far_measure)  # 商桥镇 is not 裴城镇's
    with pytest.raises(PermissionDenied):
        services.measure_add(actor=tree.users.village, plan=f.plan, content="x", owner="y", deadline=TODAY)
    with pytest.raises(PermissionDenied):
        services.evidence_upload(actor=tree.users.grid, measure=f.measure, file=upload())
    api = APIClient()
    api.force_authenticate(tree.users.api)
    response = api.post(reverse("followup-measure-done", kwargs={"pk": f.measure.pk}), {}, format="json")
    assert response.status_code == 403


def test_measure_transitions_through_the_api(tree, f, media):
    api = APIClient()
    api.force_authenticate(tree.users.township)
    url = reverse("followup-measure-evidence", kwargs={"pk": f.measure.pk})
    assert api.post(url, {"file": upload()}, format="multipart").status_code == 201
    assert api.post(reverse("followup-measure-done", kwargs={"pk": f.measure.pk}), {}, format="json").status_code == 200
    response = api.post(reverse("followup-measure-close", kwargs={"pk": f.measure.pk}), {"note": "ok"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "closed"
    response = api.post(reverse("followup-measure-close", kwargs={"pk": f.far_measure.pk}), {}, format="json")
    assert response.status_code == 404


# Overdue counting, up the tree


def test_overdue_measures_are_counted_up_the_tree(tree, f):
    late = timezone.localdate() - datetime.timedelta(days=3)
    Measure.objects.filter(pk__in=[f.measure.pk, f.far_measure.pk]).update(deadline=late)
    on_time = services.measure_add(actor=tree.users.township, plan=f.plan, content="按期", owner="x", deadline=late)
    services.evidence_upload(actor=tree.users.township, measure=on_time, file=upload())
    services.measure_report_done(actor=tree.users.township, measure=on_time, completed_on=late)
    period = Period.parse(str(timezone.localdate().year))
    overdue = rectification_overdue(tree.yc, period)
    assert overdue[tree.liangzhuang.code].numerator == 1
    assert overdue[tree.peicheng.code].numerator == 1
    assert overdue[tree.shangqiao.code].numerator == 1
    assert overdue[tree.yc.code].numerator == 2
    rate = rectification_on_time(tree.yc, period)[tree.yc.code]
    assert (rate.numerator, rate.denominator) == (1, 3)
    assert Measure.objects.overdue().count() == 2


def test_the_county_page_and_the_api_show_the_overdue_measures(client, tree, f, django_assert_max_num_queries):
    Measure.objects.filter(pk=f.far_measure.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    client.force_login(tree.users.county)
    with django_assert_max_num_queries(20):
        page = client.get(reverse("followup:overview", kwargs={"code": tree.yc.code}))
    assert page.context["progress"]["measures"]["overdue"] == 1
    assert [c["overdue"] for c in page.context["children"]] == [1, 0]  # 商桥镇 before 裴城镇 by code
    api = APIClient()
    api.force_authenticate(tree.users.county)
    body = api.get(reverse("followup-summary", kwargs={"code": tree.yc.code})).json()
    assert body["measures"]["overdue"] == 1 and body["problems"]["common"] == 1 and body["problems"]["particular"] == 1
    rows = api.get(reverse("followup-measure-list"), {"overdue": "true"}).json()["results"]
    assert [r["id"] for r in rows] == [f.far_measure.pk]


# Evidence uploads


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"just text, not a pdf", "evidence.pdf", "PDF, JPEG or PNG"),
        (PNG, "photo.pdf", "PDF, JPEG or PNG"),  # the content and the name disagree
        (b"", "empty.pdf", "empty"),
        (PDF + b"x" * 2048, "big.pdf", "too large"),
    ],
    ids=["wrong-type", "mismatched-name", "empty", "too-large"],
)
def test_bad_evidence_is_refused_and_nothing_is_stored(tree, f, media, settings, content, name, message):
    settings.SHANZHI_EVIDENCE_MAX_BYTES = 1024
    with pytest.raises(ValidationError) as exc:
        services.evidence_upload(actor=tree.users.township, measure=f.measure, file=upload(content, name))
    assert message in " ".join(exc.value.message_dict["file"])
    assert not Evidence.objects.exists() and stored_files(media) == []


def test_bad_evidence_through_the_page_gives_the_error_beside_the_field(client, tree, f, media):
    client.force_login(tree.users.township)
    url = reverse("followup:evidence_upload", kwargs={"pk": f.measure.pk})
    response = client.post(url, {"file": upload(b"MZ\x90\x00 an exe", "virus.pdf")})
    assert response.status_code == 400
    assert "PDF、JPEG 或 PNG" in str(response.context["evidence_form"].errors["file"])  # in the page's language
    assert stored_files(media) == []
    response = client.post(url, {"file": upload(b"", "empty.png")})
    assert response.status_code == 400 and stored_files(media) == []


def test_evidence_is_stored_under_a_random_name_and_served_only_in_scope(client, tree, f, media):
    evidence = services.evidence_upload(actor=tree.users.township, measure=f.measure, file=upload(name="../../x.pdf"))
    path = Path(evidence.file.path)
    assert path.is_relative_to(media / "rectification" / tree.liangzhuang.code)
    assert path.name != "x.pdf" and path.suffix == ".pdf" and evidence.content_type == "application/pdf"
    url = reverse("followup:evidence", kwargs={"pk": evidence.pk})
    client.force_login(tree.users.village)
    response = client.get(url)
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Disposition"].startswith("attachment") and response["X-Content-Type-Options"] == "nosniff"
    client.force_login(tree.users.petition)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


# Record books: append-only, through every path


def test_entries_cannot_be_changed_or_deleted_through_the_orm(tree, f):
    entry = RecordEntry.objects.get(pk=f.entry.pk)
    entry.content = "改写"
    with pytest.raises(AppendOnlyError):
        entry.save()
    with pytest.raises(AppendOnlyError):
        entry.delete()
    with pytest.raises(AppendOnlyError):
        RecordEntry.objects.filter(pk=entry.pk).update(content="改写")
    with pytest.raises(AppendOnlyError):
        RecordEntry.objects.all().delete()
    assert RecordEntry.objects.get(pk=entry.pk).content == "主持召开村民代表会议"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the database trigger is PostgreSQL's")
def test_the_database_refuses_raw_updates_and_deletes(tree, f):
    from django.db import DatabaseError

    for sql in ("UPDATE reviews_recordentry SET content = 'x'", "DELETE FROM reviews_recordentry"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert RecordEntry.objects.count() == 2


def test_entries_cannot_be_changed_or_deleted_through_the_api(tree, f):
    api = APIClient()
    api.force_authenticate(tree.users.township)
    url = reverse("followup-record-entry-detail", kwargs={"pk": f.entry.pk})
    assert api.get(url).status_code == 200
    for method in ("put", "patch", "delete"):
        assert getattr(api, method)(url, {"content": "改写"}, format="json").status_code == 405, method
    assert RecordEntry.objects.get(pk=f.entry.pk).content == "主持召开村民代表会议"


def test_entries_cannot_be_changed_or_deleted_in_the_admin(client, tree, f, more_users):
    client.force_login(more_users.admin)
    change = reverse("admin:reviews_recordentry_change", args=[f.entry.pk])
    response = client.post(change, {"content": "改写", "book": "red"})
    assert response.status_code in (200, 403)  # shown read-only, never saved
    assert (
        client.post(reverse("admin:reviews_recordentry_delete", args=[f.entry.pk]), {"post": "yes"}).status_code == 403
    )
    changelist = client.get(reverse("admin:reviews_recordentry_changelist"))
    assert "delete_selected" not in changelist.content.decode()
    assert RecordEntry.objects.get(pk=f.entry.pk).content == "主持召开村民代表会议"


def test_a_correction_is_a_new_entry_referring_to_the_old(client, tree, f):
    api = APIClient()
    api.force_authenticate(f.recorder)
    body = {
        "cadre": tree.secretary.cadre.pk,
        "book": "blue",
        "date": str(TODAY),
        "content": "更正：会议日期",
        "corrects": f.entry.pk,
    }
    response = api.post(reverse("followup-record-entry-list"), body, format="json")
    assert response.status_code == 201 and response.json()["corrects"] == f.entry.pk
    assert RecordEntry.objects.count() == 3
    body["cadre"] = tree.other.cadre.pk  # another township's village
    assert api.post(reverse("followup-record-entry-list"), body, format="json").status_code == 404
    api.force_authenticate(tree.users.village)  # a secretary who is not the recorder
    body["cadre"] = tree.secretary.cadre.pk
    assert api.post(reverse("followup-record-entry-list"), body, format="json").status_code == 403


# Publication


def test_a_publication_stays_as_published(client, tree, f):
    month = f.entry.date.strftime("%Y-%m")
    with pytest.raises(ValidationError):
        services.record_books_publish(
            actor=tree.users.township, village=tree.liangzhuang, period=TODAY.strftime("%Y-%m")
        )  # the month is not over
    publication = services.record_books_publish(actor=tree.users.township, village=tree.liangzhuang, period=month)
    assert [e["content"] for e in publication.entries] == ["主持召开村民代表会议"]
    services.record_entry_add(
        actor=f.recorder,
        cadre=tree.secretary.cadre,
        book="red",
        date=f.entry.date,
        content="后补的一条",
        corrects=f.entry,
    )
    with pytest.raises(ValidationError):
        services.record_books_publish(actor=tree.users.township, village=tree.liangzhuang, period=month)
    publication.refresh_from_db()
    assert len(publication.entries) == 1
    with pytest.raises(AppendOnlyError):
        publication.save()
    with pytest.raises(AppendOnlyError):
        RecordBookPublication.objects.filter(pk=publication.pk).update(entries=[])
    client.force_login(tree.users.village)
    page = client.get(reverse("followup:publication", kwargs={"pk": publication.pk})).content.decode()
    assert "主持召开村民代表会议" in page and "后补的一条" not in page and "data-print" in page


# Adjustments on a basis


def test_an_adjustment_from_a_talk_shows_its_basis_in_the_committee_history(client, tree, reviews):
    talk = services.talk_record(
        actor=tree.users.township,
        cadre=tree.member.cadre,
        kind="admonition",
        talker="镇党委书记",
        note_taker="组织委员",
        held_at=timezone.now() - datetime.timedelta(days=1),
        place="镇会议室",
        reason="回头看发现问题",
        content="谈话内容",
        review=reviews.liangzhuang,
    )
    incoming = CadreFactory(division=tree.liangzhuang, name="梁新")
    with pytest.raises(ValidationError):
        services.cadre_adjust_on_basis(
            actor=tree.users.township,
            post=tree.member,
            kind=AdjustmentKind.REPLACEMENT,
            date=TODAY,
            reason="x",
            approved_by=ApprovingLevel.TOWNSHIP,
            incoming=incoming,
            talk=talk,
            review=reviews.liangzhuang,
        )
    adjustment = services.cadre_adjust_on_basis(
        actor=tree.users.township,
        post=tree.member,
        kind=AdjustmentKind.REPLACEMENT,
        date=TODAY,
        reason="诫勉后未改",
        approved_by=ApprovingLevel.TOWNSHIP,
        incoming=incoming,
        talk=talk,
    )
    assert adjustment.review_basis.talk == talk
    client.force_login(tree.users.county)
    page = client.get(reverse("villages:division", kwargs={"code": tree.liangzhuang.code})).content.decode()
    assert "诫勉后未改" in page and talk.get_absolute_url() in page


def test_villages_never_imports_reviews():
    root = Path(__file__).resolve().parents[2] / "villages"
    offenders = [p for p in root.rglob("*.py") if "import reviews" in p.read_text() or "from reviews" in p.read_text()]
    assert offenders == []


def test_the_monthly_schedule_publishes_last_month_once(tree, f):
    from reviews.followup.tasks import publish_record_books

    last_month = (TODAY.replace(day=1) - datetime.timedelta(days=1)).replace(day=5)
    services.record_entry_add(
        actor=f.recorder, cadre=tree.secretary.cadre, book="blue", date=last_month, content="上月值班"
    )
    month = last_month.strftime("%Y-%m")
    writers = set(
        RecordEntry.objects.filter(date__year=last_month.year, date__month=last_month.month).values_list(
            "village_id", flat=True
        )
    )
    assert publish_record_books() == len(writers) >= 1
    assert publish_record_books() == 0
    publication = RecordBookPublication.objects.get(village=tree.liangzhuang)
    assert publication.period == month and publication.published_by is None
    assert "上月值班" in [e["content"] for e in publication.entries]


def test_lists_and_pages_keep_their_query_budget(client, tree, f, django_assert_max_num_queries):
    for i in range(6):  # more measures with evidence, more entries: the counts must not grow with them
        m = services.measure_add(actor=tree.users.township, plan=f.plan, content=f"措施{i}", owner="x", deadline=TODAY)
        services.evidence_upload(actor=tree.users.township, measure=m, file=upload())
        services.record_entry_add(actor=f.recorder, cadre=tree.member.cadre, book="blue", date=TODAY, content=f"{i}")
    api = APIClient()
    api.force_authenticate(tree.users.county)
    for name in (
        "followup-measure-list",
        "followup-plan-list",
        "followup-problem-list",
        "followup-record-entry-list",
        "followup-talk-list",
        "followup-evaluation-list",
    ):
        with django_assert_max_num_queries(8):
            assert api.get(reverse(name)).status_code == 200, name
    client.force_login(tree.users.township)
    pages = [
        reverse("followup:plan", args=[f.plan.pk]),
        reverse("followup:books", args=[tree.liangzhuang.code]),
        reverse("followup:overview", args=[tree.peicheng.code]),
    ]
    for url in pages:
        with django_assert_max_num_queries(22):
            assert client.get(url).status_code == 200, url
