"""The reviews metrics of the tallies: grade counts per level and campaign, and the self-vs-township gap, each
numerator and denominator equal to a count made directly from the live rows; the campaign period; the
statistics API serving them from the snapshot (campaign parameter, csv/xlsx, scope)."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from reviews.choices import GRADE_ORDER, LevelStatus, Stage
from reviews.grading import ScoreInput
from reviews.models import Review, ReviewLevel
from reviews.tallies import grade_metric_key
from tests.factories import scoped_user
from villages.choices import Role
from villages.metrics import Period, registry
from villages.models import Snapshot
from villages.snapshots import tally_county
from villages.tasks import current_periods

from .conftest import fill, full_marks, level_of

YC = "411103000000"


@pytest.fixture
def graded(tree, reviews):
    """梁庄村 rates itself 100 (好), the township 85 (较好); 王庄村 itself 70 (一般), the township 80 (较好);
    郭栗庄村 has nothing submitted. So one village above the township, one below; score gaps +15 and −10."""
    campaign = reviews.liangzhuang.campaign
    template = campaign.template
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    fill(
        level_of(reviews.liangzhuang, Stage.TOWNSHIP),
        tree.users.township,
        full_marks(template, {1: ScoreInput(score=Decimal(25), note="不足")}),
    )
    wang = scoped_user("t_wang", tree.wangzhuang, Role.VILLAGE_SECRETARY)
    fill(
        level_of(reviews.wangzhuang, Stage.VILLAGE),
        wang,
        full_marks(template, {1: ScoreInput(score=Decimal(10), note="不足")}),
    )
    fill(
        level_of(reviews.wangzhuang, Stage.TOWNSHIP),
        tree.users.township,
        full_marks(template, {1: ScoreInput(score=Decimal(20), note="不足")}),
    )
    return campaign


def _direct(campaign, prefix, stage, grade):
    """The oracle: walk the rows one by one."""
    if stage == "final":
        rows = [r for r in Review.objects.filter(campaign=campaign).select_related("village") if r.final_grade]
        rows = [r for r in rows if r.village.code.startswith(prefix)]
        return sum(1 for r in rows if r.final_grade == grade), len(rows)
    levels = ReviewLevel.objects.filter(review__campaign=campaign, level=stage).select_related("review__village")
    rows = [
        level
        for level in levels
        if level.status == LevelStatus.SUBMITTED and level.review.village.code.startswith(prefix)
    ]
    return sum(1 for level in rows if level.grade == grade), len(rows)


def _direct_gap(campaign, prefix):
    above = both = 0
    gap = Decimal(0)
    for review in Review.objects.filter(campaign=campaign).select_related("village"):
        if not review.village.code.startswith(prefix):
            continue
        levels = {level.level: level for level in review.levels.all() if level.status == LevelStatus.SUBMITTED}
        if Stage.VILLAGE in levels and Stage.TOWNSHIP in levels:
            both += 1
            own, township = levels[Stage.VILLAGE], levels[Stage.TOWNSHIP]
            above += GRADE_ORDER.index(own.grade) < GRADE_ORDER.index(township.grade)
            gap += own.total_score - township.total_score
    return above, both, gap


def test_campaign_period_is_parsed_and_kept_fresh_by_beat(tree, campaign):
    period = Period.parse(f"C{campaign.pk}")
    assert (period.kind, period.start, period.last_day) == ("campaign", campaign.start_date, campaign.end_date)
    assert period.label == campaign.name
    with pytest.raises(ValueError):
        Period.parse("C999999")
    quarter = Period.parse("2026-Q3")
    assert (quarter.start, quarter.last_day, quarter.previous.key) == (
        datetime.date(2026, 7, 1),
        datetime.date(2026, 9, 30),
        "2026-Q2",
    )
    assert Period.parse("2026-Q1").previous.key == "2025-Q4"
    keys = current_periods(county_code=YC)
    assert Period.current_quarter().key in keys
    # The fixture's campaign ended in 2021: settled, so beat leaves its snapshot alone.
    assert f"C{campaign.pk}" not in keys


@pytest.mark.parametrize("period", ["campaign", "2026"])
def test_grade_counts_per_level_equal_a_direct_count(tree, graded, period):
    key = f"C{graded.pk}" if period == "campaign" else period
    tally_county(county_code=YC, period=key)
    snapshots = {
        (s.division_code, s.metric): s for s in Snapshot.objects.filter(period=key, metric__startswith="reviews.")
    }
    for code, prefix in [(YC, "411103"), (tree.peicheng.code, "411103103"), (tree.liangzhuang.code, "411103103201")]:
        for stage in ["final", *Stage.values]:
            for grade in GRADE_ORDER:
                s = snapshots[(code, grade_metric_key(stage, grade))]
                assert (s.numerator, s.denominator) == _direct(graded, prefix, stage, grade), (code, stage, grade)
    township = snapshots[(YC, grade_metric_key(Stage.TOWNSHIP, "fairly_good"))]
    assert (township.numerator, township.denominator) == (2, 2)


def test_self_above_township_equals_a_direct_count(tree, graded):
    key = f"C{graded.pk}"
    tally_county(county_code=YC, period=key)
    for code, prefix in [(YC, "411103"), (tree.peicheng.code, "411103103"), (tree.shangqiao.code, "411103102")]:
        s = Snapshot.objects.get(division_code=code, period=key, metric="reviews.self_above_township")
        above, both, gap = _direct_gap(graded, prefix)
        assert (s.numerator, s.denominator) == (above, both), code
        if both:
            assert Decimal(s.inputs["score_gap_sum"]) == gap
    county = Snapshot.objects.get(division_code=YC, period=key, metric="reviews.self_above_township")
    assert (county.numerator, county.denominator, county.inputs["below"]) == (1, 2, 1)
    assert Decimal(county.inputs["score_gap_sum"]) == Decimal(5)


def test_a_campaign_period_tallies_only_the_metrics_that_read_it(tree, graded):
    key = f"C{graded.pk}"
    tally_county(county_code=YC, period=key)
    metrics = set(Snapshot.objects.filter(period=key).values_list("metric", flat=True))
    expected = {k for k, spec in registry().items() if "campaign" in spec.periods}
    assert metrics == expected
    assert "villages.village_count" in metrics and not any(m.startswith("petitions.") for m in metrics)


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_serves_a_campaign_statistic_from_its_snapshot(tree, graded, wj_campaign):
    key = f"C{graded.pk}"
    tally_county(county_code=YC, period=key)
    metric = grade_metric_key(Stage.TOWNSHIP, "fairly_good")
    url = reverse("stats-metric", args=[metric])
    api = _api(tree.users.api)
    body = api.get(url, {"division": YC, "campaign": graded.pk}).json()
    own = Snapshot.objects.get(division_code=YC, period=key, metric=metric)
    assert (body["division"]["numerator"], body["division"]["denominator"]) == (own.numerator, own.denominator)
    assert body["period"] == key and body["definition"]
    assert {c["code"]: c["numerator"] for c in body["children"]} == {tree.shangqiao.code: 0, tree.peicheng.code: 2}
    assert api.get(url, {"division": YC, "period": key}).json() == body
    text = api.get(url, {"division": YC, "campaign": graded.pk, "format": "csv"}).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1][:5] == [YC, "郾城区", "county", "2", "2"]
    sheet = load_workbook(io.BytesIO(api.get(url, {"division": YC, "campaign": graded.pk, "format": "xlsx"}).content))
    assert [list(r)[:5] for r in sheet.active.iter_rows(min_row=2, max_row=2, values_only=True)] == [
        [YC, "郾城区", "county", 2, 2]
    ]
    # Another county's campaign, an unknown one, or a statistic with no campaign figure: named errors.
    assert api.get(url, {"division": YC, "campaign": wj_campaign.pk}).status_code == 400
    assert api.get(url, {"division": YC, "campaign": 999999}).status_code == 400
    plain = reverse("stats-metric", args=["petitions.received"])
    assert "campaign" in api.get(plain, {"division": YC, "campaign": graded.pk}).json()
    # Out of scope is 404, whatever the campaign.
    assert api.get(url, {"division": "340827000000", "campaign": wj_campaign.pk}).status_code == 404
    index = {item["key"]: item for item in api.get(reverse("stats-index")).json()}
    assert "campaign" in index[metric]["periods"] and "campaign" not in index["petitions.received"]["periods"]


def _queries(client, url):
    """Queries of the page as first rendered: the cached fragments are dropped first."""
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _grow(tree, campaign, n):
    """n more villages under 裴城镇 and 商桥镇, each with a review whose two levels are submitted."""
    from tests.factories import division
    from villages.choices import DivisionKind, Level

    for i in range(n):
        parent = tree.peicheng if i % 2 else tree.shangqiao
        village = division(f"{parent.code[:9]}{300 + i:03d}", f"新村{i}", Level.VILLAGE, DivisionKind.VILLAGE, parent)
        review = Review.objects.create(
            campaign=campaign, village=village, final_grade=GRADE_ORDER[i % 4], final_stage=Stage.TOWNSHIP
        )
        for stage, grade in [(Stage.VILLAGE, GRADE_ORDER[0]), (Stage.TOWNSHIP, GRADE_ORDER[i % 4])]:
            ReviewLevel.objects.create(
                review=review, level=stage, status=LevelStatus.SUBMITTED, grade=grade, submitted_at=timezone.now()
            )


def test_review_panels_on_the_dashboard_in_constant_queries_with_xlsx(client, tree, graded):
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=[YC]) + f"?period=2026&campaign=C{graded.pk}"
    for period in ("2026", f"C{graded.pk}"):
        tally_county(county_code=YC, period=period)
    small, response = _queries(client, url)
    ids = [p["id"] for p in response.context["panels"]]
    assert "reviews-grades" in ids and "reviews-gap" in ids
    grades = next(p for p in response.context["panels"] if p["id"] == "reviews-grades")
    township = grades["table"]["rows"][2]  # final, village, township, county
    assert township[1:] == [2, "0 (0.0%)", "2 (100.0%)", "0 (0.0%)", "0 (0.0%)"]
    sheet = load_workbook(io.BytesIO(client.get(url + "&format=xlsx&table=reviews-grades").content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == [str(c) for c in grades["table"]["columns"]]
    assert rows[1:] == grades["table"]["rows"]
    assert client.get(url + "&format=xlsx&table=nothing").status_code == 404
    _grow(tree, graded, 12)
    for period in ("2026", f"C{graded.pk}"):
        tally_county(county_code=YC, period=period)
    large, response = _queries(client, url)
    assert small == large, (small, large)
    gap = next(p for p in response.context["panels"] if p["id"] == "reviews-gap")
    assert [r[0] for r in gap["table"]["rows"]] == ["商桥镇", "裴城镇"]


def test_review_section_of_the_portrait_in_constant_queries(client, tree, graded):
    client.force_login(tree.users.county)
    url = reverse("villages:division", args=[tree.liangzhuang.code])
    small, response = _queries(client, url)
    section = next(s for s in response.context["portrait"] if s.get("id") == "portrait-reviews")
    rows = section["table"]["rows"]
    assert len(rows) == 2 and [r[3] for r in rows] == [Decimal(100), Decimal(85)]
    assert rows[1][4] == "+15.0"
    _grow(tree, graded, 6)
    large, _response = _queries(client, url)
    assert small == large, (small, large)


def test_beat_keeps_an_open_campaign_fresh(tree, small_template):
    from reviews import services

    today = timezone.localdate()
    running = services.campaign_create(
        actor=tree.users.county,
        division=tree.yc,
        template=small_template,
        name="本年度回头看",
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=10),
    )
    assert f"C{running.pk}" in current_periods(county_code=YC)
    assert f"C{running.pk}" not in current_periods(county_code="340827000000")


def test_review_grades_are_shown_only_to_the_roles_that_read_reviews(client, tree, graded):
    tally_county(county_code=YC, period=f"C{graded.pk}")
    grid_worker = scoped_user("t_grid_lz", tree.liangzhuang, Role.GRID_WORKER)
    client.force_login(grid_worker)
    response = client.get(reverse("villages:division", args=[tree.liangzhuang.code]))
    assert not [s for s in response.context["portrait"] if s.get("id") == "portrait-reviews"]
    officer = scoped_user("t_yc_officer", tree.yc, Role.PETITION_OFFICER)
    client.force_login(officer)
    response = client.get(reverse("villages:division", args=[YC]))
    assert not [p for p in response.context["panels"] if p["id"].startswith("reviews-")]
    client.force_login(tree.users.village)
    response = client.get(reverse("villages:division", args=[tree.liangzhuang.code]))
    assert [s for s in response.context["portrait"] if s.get("id") == "portrait-reviews"]


def test_a_level_of_a_settled_campaign_still_moves_its_figures(tree, small_template):
    """Issue 20, finding 8: beat leaves a campaign alone 90 days after it ends, yet its levels can still be
    reopened and resubmitted. Each such change asks for the campaign's period and the calendar periods that read
    it; once those tallies ran, the snapshot equals the live data (it used to keep the old figures for good)."""
    from django.core.management import call_command

    from reviews import services
    from tests.villages.test_recompute import forget_asked
    from villages.models import TallyRequest

    today = timezone.localdate()
    old = services.campaign_create(
        actor=tree.users.county,
        division=tree.yc,
        template=small_template,
        name="两年前的回头看",
        start_date=today - datetime.timedelta(days=800),
        end_date=today - datetime.timedelta(days=730),
    )
    key = f"C{old.pk}"
    assert key not in current_periods(county_code=YC)  # settled: beat no longer tallies it
    review = old.reviews.get(village=tree.liangzhuang)
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    fill(level_of(review, Stage.TOWNSHIP), tree.users.township)
    end_year = str(old.end_date.year)  # a calendar period that reads the campaign (the county's latest)
    call_command("tally", division=YC, period=key, stdout=io.StringIO())
    call_command("tally", division=YC, period=end_year, stdout=io.StringIO())
    good = grade_metric_key(Stage.TOWNSHIP, "good")
    assert Snapshot.objects.get(division_code=YC, period=key, metric=good).numerator == 1

    # The county reopens the township's level; the township resubmits it graded lower. (The test's body is one
    # transaction, which asks once per county: forget what the writes above asked, as their commit would.)
    TallyRequest.objects.all().delete()
    forget_asked()
    level = services.review_level_reopen(
        actor=tree.users.county, level=level_of(review, Stage.TOWNSHIP), reason="复核发现问题"
    )
    assert {key, end_year} <= set(TallyRequest.objects.values_list("period", flat=True))
    TallyRequest.objects.all().delete()
    forget_asked()
    fill(
        level_of(review, Stage.TOWNSHIP),
        tree.users.township,
        full_marks(old.template, {1: ScoreInput(score=Decimal(20), note="不足")}),
    )
    requested = set(TallyRequest.objects.filter(done_at__isnull=True).values_list("period", flat=True))
    assert {key, end_year} <= requested
    assert level.review.campaign_id == old.pk

    # The tallies the requests ask for (``manage.py tally`` answers the waiting ones), then the live data.
    call_command("tally", division=YC, stdout=io.StringIO())
    assert not TallyRequest.objects.filter(done_at__isnull=True).exists()
    for period in (key, end_year):
        snapshots = {
            (s.division_code, s.metric): s
            for s in Snapshot.objects.filter(period=period, metric__startswith="reviews.grade.")
        }
        for code, prefix in [(YC, "411103"), (tree.peicheng.code, "411103103")]:
            for stage in ["final", *Stage.values]:
                for grade in GRADE_ORDER:
                    s = snapshots[(code, grade_metric_key(stage, grade))]
                    assert (s.numerator, s.denominator) == _direct(old, prefix, stage, grade), (period, stage, grade)
    assert Snapshot.objects.get(division_code=YC, period=key, metric=good).numerator == 0


def test_the_calendar_periods_that_read_a_campaign(db):
    """A calendar period reads the county's latest campaign begun by its end; only tallied periods are asked for."""
    from villages.metrics import CampaignInfo
    from villages.snapshots import campaign_periods

    older = CampaignInfo(1, "2021", YC, datetime.date(2021, 9, 1), datetime.date(2021, 12, 31))
    newer = CampaignInfo(2, "2024", YC, datetime.date(2024, 3, 15), datetime.date(2024, 6, 30))
    tallied = ["2021", "2021-08", "2021-09", "2021-Q3", "2023", "2024-02", "2024-03", "2024-Q1", "2025", "C1"]
    found = campaign_periods([newer, older], tallied)
    assert found[1] == ("C1", "2021", "2021-09", "2021-Q3", "2023", "2024-02")
    assert found[2] == ("C2", "2024-03", "2024-Q1", "2025")
