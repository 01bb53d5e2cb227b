"""The pages: entering records through the forms, errors beside their fields, lists and filters, exports, query
counts."""

import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from villages.models import Cadre, Division
from villages.work import services
from villages.work.choices import MatterOutcome
from villages.work.models import (
    CollectiveIncome,
    CollectiveProjectReturn,
    MeetingMatter,
    TrainingAttendance,
    VillagerMeeting,
)

D = datetime.date
LIANGZHUANG = "411103103201"


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def _meeting_post(kind, **changes):
    data = {
        "kind": kind.pk, "date": "2026-05-10", "place": "梁家院坝", "host": "梁绍正", "topic": "人居环境整治",
        "attendance": "60", "satisfied": "40", "basically_satisfied": "10", "dissatisfied": "2", "notes": "",
        "matters-TOTAL_FORMS": "3", "matters-INITIAL_FORMS": "0", "matters-MIN_NUM_FORMS": "0",
        "matters-MAX_NUM_FORMS": "50",
        "matters-0-description": "村口路灯损坏", "matters-0-outcome": MatterOutcome.RESOLVED,
        "matters-1-description": "排水沟堵塞", "matters-1-outcome": MatterOutcome.GRID_REQUEST,
        "matters-1-reference": "WG2026051001",
        "matters-2-description": "", "matters-2-outcome": "",
    }  # fmt: skip
    data.update(changes)
    return data


@pytest.fixture
def populated(tree):
    Division.objects.filter(code=LIANGZHUANG).update(population=1200)
    return tree


def test_income_form_shows_errors_beside_fields_and_saves_nothing(client, tree):
    client.force_login(tree.users.village)
    url = reverse("villages:work_create", kwargs={"code": LIANGZHUANG, "kind": "income"})
    response = client.post(url, {"year": "2026", "land_transfer": "-120000", "rent": "0", "dividends": "0",
                                 "services": "0", "other": "0"})  # fmt: skip
    assert response.status_code == 200
    assert 'id="id_land_transfer_errors"' in response.content.decode()
    assert not CollectiveIncome.objects.exists()
    response = client.post(url, {"year": "2026", "land_transfer": "120000", "land_transfer_area": "1000",
                                 "rent": "0", "dividends": "0", "services": "0", "other": "0"})  # fmt: skip
    income = CollectiveIncome.objects.get()
    assert response.status_code == 302 and response["Location"] == income.get_absolute_url()
    page = client.get(income.get_absolute_url()).content.decode()
    # The total (grouped the Chinese way, which is not at all), and who recorded it in the history.
    assert 'data-testid="income-total">120,000<' in page and "t_village" in page


def test_township_staff_pick_the_village_when_recording_from_the_township_page(client, tree):
    client.force_login(tree.users.township)
    url = reverse("villages:work_create", kwargs={"code": tree.peicheng.code, "kind": "inspection"})
    page = client.get(url).content.decode()
    assert "梁庄村" in page and "王庄村" in page and "郭栗庄村" not in page
    response = client.post(url, {"division": tree.wangzhuang.pk, "date": "2026-06-01", "inspector": "镇人居办",
                                 "result": "failed", "findings": ""})  # fmt: skip
    assert response.status_code == 200 and 'id="id_findings_errors"' in response.content.decode()
    # A village outside the township is not among the choices.
    response = client.post(url, {"division": tree.guolizhuang.pk, "date": "2026-06-01", "inspector": "镇人居办",
                                 "result": "passed"})  # fmt: skip
    assert response.status_code == 200 and 'id="id_division_errors"' in response.content.decode()
    client.post(url, {"division": tree.wangzhuang.pk, "date": "2026-06-01", "inspector": "镇人居办",
                      "result": "failed", "findings": "柴草乱堆"})  # fmt: skip
    assert tree.wangzhuang.environment_inspections.get().findings == "柴草乱堆"


def test_a_meeting_with_two_matters_is_recorded_through_the_form(client, populated, kinds):
    client.force_login(populated.users.village)
    url = reverse("villages:work_meeting_create", kwargs={"code": LIANGZHUANG})
    assert client.get(url).status_code == 200
    response = client.post(url, _meeting_post(kinds["屋场会"]))
    meeting = VillagerMeeting.objects.get()
    assert response.status_code == 302 and response["Location"] == meeting.get_absolute_url()
    assert list(meeting.matters.values_list("description", "outcome", "reference")) == [
        ("村口路灯损坏", MatterOutcome.RESOLVED, ""),
        ("排水沟堵塞", MatterOutcome.GRID_REQUEST, "WG2026051001"),
    ]
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "WG2026051001" in page and zh(MatterOutcome.GRID_REQUEST.label) in page


def test_a_meeting_above_the_population_shows_the_error_and_saves_nothing(client, populated, kinds):
    client.force_login(populated.users.village)
    url = reverse("villages:work_meeting_create", kwargs={"code": LIANGZHUANG})
    response = client.post(url, _meeting_post(kinds["屋场会"], attendance="5000"))
    page = response.content.decode()
    assert response.status_code == 200 and 'id="id_attendance_errors"' in page and "1200" in page
    # A matter without an outcome is named too, and the rows typed so far come back.
    response = client.post(url, _meeting_post(kinds["屋场会"], **{"matters-1-outcome": ""}))
    assert "村口路灯损坏" in response.content.decode()
    assert not VillagerMeeting.objects.exists() and not MeetingMatter.objects.exists()


def test_a_meeting_is_edited_and_a_matter_settled(client, populated, kinds):
    meeting = services.meeting_record(
        actor=populated.users.village, division=populated.liangzhuang, kind=kinds["屋场会"], date=D(2026, 5, 10),
        place="梁家院坝", attendance=60,
        matters=[services.MatterInput("排水沟堵塞", MatterOutcome.GRID_REQUEST, "WG01")],
    )  # fmt: skip
    matter = meeting.matters.get()
    client.force_login(populated.users.township)
    url = reverse("villages:work_meeting_edit", kwargs={"pk": meeting.pk})
    assert "排水沟堵塞" in client.get(url).content.decode()
    data = _meeting_post(kinds["屋场会"], **{
        "matters-TOTAL_FORMS": "2", "matters-INITIAL_FORMS": "1", "matters-0-id": str(matter.pk),
        "matters-0-description": "排水沟堵塞", "matters-0-outcome": MatterOutcome.GRID_REQUEST,
        "matters-0-reference": "WG01", "matters-0-settled_on": "2026-05-15",
        "matters-1-description": "", "matters-1-outcome": "",
    })  # fmt: skip
    assert client.post(url, data).status_code == 302
    matter.refresh_from_db()
    assert matter.settled_on == D(2026, 5, 15)
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert 'data-testid="matter-history"' in page and "t_township" in page


def test_project_returns_and_attendance_are_recorded_from_their_pages(client, tree, work):
    records = work[LIANGZHUANG]
    client.force_login(tree.users.village)
    url = reverse("villages:work_project_return", kwargs={"pk": records.project.pk})
    assert client.post(url, {"year": "2025", "amount": "30000", "note": ""}).status_code == 302
    assert CollectiveProjectReturn.objects.filter(project=records.project, year=2025, amount=30000).exists()
    client.post(url, {"year": "2025", "amount": "-1", "note": ""})
    assert CollectiveProjectReturn.objects.get(project=records.project, year=2025).amount == 30000

    client.force_login(tree.users.township)
    url = reverse("villages:work_attendance", kwargs={"pk": records.training.pk, "code": tree.peicheng.code})
    page = client.get(url).content.decode()
    assert "梁绍正" in page and "王立" in page and "郭中凡" not in page
    cadres = Cadre.objects.filter(division__parent=tree.peicheng)
    data = {f"cadre_{c.pk}": "present" for c in cadres} | {f"role_{c.pk}": "participant" for c in cadres}
    assert client.post(url, data).status_code == 302
    assert TrainingAttendance.objects.filter(session=records.training).count() == cadres.count()


def test_list_filters_narrow_by_year_village_and_kind(client, tree, work, kinds):
    client.force_login(tree.users.township)
    url = reverse("villages:work_meetings", kwargs={"code": tree.peicheng.code})
    page = client.get(url, {"year": 2026}).content.decode()
    assert "梁庄村" in page and "王庄村" in page
    page = client.get(url, {"year": 2026, "village": LIANGZHUANG}).content.decode()
    assert 'data-testid="meetings"' in page and page.count("<td>梁庄村</td>") == 1 and "<td>王庄村</td>" not in page
    page = client.get(url, {"year": 2025}).content.decode()
    assert "<td>梁庄村</td>" not in page
    page = client.get(url, {"year": 2026, "kind": kinds["书记下午茶"].pk}).content.decode()
    assert "<td>梁庄村</td>" not in page
    # A village outside the township cannot be picked: the filter is ignored, not widened.
    page = client.get(url, {"year": 2026, "village": "411103102201"}).content.decode()
    assert "郭栗庄村" not in page


def test_export_is_scoped_filtered_and_guarded_against_formulas(client, tree, work):
    records = work[LIANGZHUANG]
    VillagerMeeting.objects.filter(pk=records.meeting.pk).update(place="=HYPERLINK(1)")
    client.force_login(tree.users.township)
    url = reverse("villages:work_export", kwargs={"code": tree.peicheng.code, "topic": "meetings"})
    response = client.get(url, {"year": 2026})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    meetings = list(book.worksheets[0].iter_rows(values_only=True))
    assert meetings[0][:3] == ("区划代码", "村(社区)", "形式")
    assert {row[1] for row in meetings[1:]} == {"梁庄村", "王庄村"}
    assert "'=HYPERLINK(1)" in {row[4] for row in meetings[1:]}
    matters = list(book.worksheets[1].iter_rows(values_only=True))
    assert len(matters) == 1 + 4
    for topic in ("economy", "volunteers", "livability", "training"):
        response = client.get(reverse("villages:work_export", kwargs={"code": LIANGZHUANG, "topic": topic}))
        book = load_workbook(io.BytesIO(response.content))
        rows = [row for sheet in book.worksheets for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert rows, topic
        assert not any("郭栗庄村" in str(row) or "江边村" in str(row) for row in rows), topic


@pytest.mark.parametrize(
    "name", ["work_overview", "work_economy", "work_meetings", "work_volunteers", "work_livability", "work_training"]
)
def test_lists_cost_the_same_queries_however_many_records(
    client, tree, work, kinds, name, django_assert_max_num_queries
):
    client.force_login(tree.users.county)
    url = reverse(f"villages:{name}", kwargs={"code": tree.yc.code})
    client.get(url)  # warm the session and caches
    with django_assert_max_num_queries(30) as first:
        assert client.get(url).status_code == 200
    actor = tree.users.county
    for i in range(10):
        services.meeting_record(
            actor=actor, division=tree.wangzhuang, kind=kinds["有事好商量"], date=D(2026, 3, 1 + i), place="村委会",
            attendance=30, matters=[services.MatterInput(f"事项{i}", MatterOutcome.RESOLVED)],
        )  # fmt: skip
        services.activity_record(
            actor=actor, division=tree.wangzhuang, date=D(2026, 3, 1 + i), title=f"活动{i}", kind="science",
            participants=5,
        )  # fmt: skip
        services.inspection_record(
            actor=actor, division=tree.guolizhuang, date=D(2026, 4, 1 + i), inspector="区督查组", result="passed"
        )
        services.income_record(actor=actor, division=tree.guolizhuang, year=2010 + i, rent=Decimal(1))
    with django_assert_max_num_queries(len(first)):
        assert client.get(url).status_code == 200


def test_overview_shows_the_figures_of_the_year(client, tree, work):
    client.force_login(tree.users.township)
    page = client.get(reverse("villages:work_overview", kwargs={"code": tree.peicheng.code})).content.decode()
    assert 'data-testid="work-children"' in page
    assert 'data-testid="meetings">2<' in page  # one meeting in each of 梁庄村 and 王庄村
    assert 'data-testid="income">280,000<' in page  # 2 × (120,000 land transfer + 20,000 rent)
    assert 'id="work-income-data"' in page
    village = client.get(reverse("villages:work_overview", kwargs={"code": LIANGZHUANG})).content.decode()
    assert "40.0%" in village  # 140,000 against 100,000 last year
