"""The yearly figures the star rules read: set-based per village, rolled up by code prefix, served by the API."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from villages.metrics import Period
from villages.work import selectors, services, tallies
from villages.work.choices import InspectionResult, MatterOutcome

D = datetime.date
LIANGZHUANG, WANGZHUANG, GUOLIZHUANG = "411103103201", "411103103202", "411103102201"


@pytest.fixture
def more(tree, work, kinds):
    """王庄村's income falls this year; 梁庄村 fails an inspection and settles a dispute; 裴城镇 itself runs an
    activity."""
    actor = tree.users.county
    services.income_update(actor=actor, income=work[WANGZHUANG].income, land_transfer=Decimal(50_000), rent=Decimal(0))
    services.inspection_record(
        actor=actor, division=tree.liangzhuang, date=D(2026, 9, 1), inspector="区督查组",
        result=InspectionResult.FAILED, findings="柴草乱堆",
    )  # fmt: skip
    services.meeting_record(
        actor=actor, division=tree.liangzhuang, kind=kinds["有事好商量"], date=D(2026, 7, 1), place="村委会",
        attendance=30, satisfied=10, basically_satisfied=10, dissatisfied=10,
        matters=[services.MatterInput("宅基地纠纷", MatterOutcome.DISPUTE, "TJ1", settled_on=D(2026, 7, 20)),
                 services.MatterInput("反映低保", MatterOutcome.PETITION, "XF1")],
    )  # fmt: skip
    services.activity_record(
        actor=actor, division=tree.peicheng, date=D(2026, 3, 5), title="学雷锋", kind="culture", participants=40
    )
    return tree


def test_village_figures_count_each_village(more, django_assert_max_num_queries):
    with django_assert_max_num_queries(9):
        figures = selectors.village_figures(division=more.yc, year=2026)
    lz, wz, gl = figures[LIANGZHUANG], figures[WANGZHUANG], figures[GUOLIZHUANG]
    assert (lz.income, lz.income_previous, lz.income_growth_percent) == (Decimal(140_000), Decimal(100_000), 40)
    assert (wz.income, wz.villages_growing, wz.villages_compared) == (Decimal(50_000), 0, 1)
    assert (lz.meetings, lz.matters, lz.matters_settled) == (2, 4, 2)
    assert (lz.good_deeds, lz.disputes_mediated, lz.petitions_resolved) == (1, 1, 0)
    assert (lz.satisfied, lz.basically_satisfied, lz.dissatisfied, lz.content, lz.ratings) == (40, 15, 11, 55, 66)
    assert (lz.inspections, lz.inspections_passed) == (2, 1)
    assert (gl.volunteer_activities, gl.training_attended) == (1, 1)
    assert "340827100201" not in figures  # another county
    assert figures["411103103000"].volunteer_activities == 1  # 裴城镇's own activity, in no village
    assert figures["411103103000"].villages == 0


def test_rollup_adds_villages_up_by_code_prefix(more):
    per_village = selectors.village_figures(division=more.yc, year=2026)
    townships = selectors.rollup(per_village, "township")
    peicheng = townships["411103103000"]
    assert peicheng.villages == 2
    assert peicheng.income == Decimal(190_000) and peicheng.income_previous == Decimal(200_000)
    assert (peicheng.villages_growing, peicheng.villages_compared) == (1, 2)
    assert peicheng.volunteer_activities == 3
    county = selectors.rollup(per_village, "county")["411103000000"]
    assert county.villages == 3 and county.meetings == 4 and county.inspections_passed == 3


def test_division_figures_give_the_total_and_each_child(more):
    total, children = selectors.division_figures(division=more.peicheng, year=2026)
    assert [c.name for c, _f in children] == ["梁庄村", "王庄村"]
    assert total.volunteer_activities == sum(f.volunteer_activities for _c, f in children) + 1
    total, children = selectors.division_figures(division=more.liangzhuang, year=2026)
    assert children == [] and total.villages == 1


def test_a_year_without_records_gives_zeros_for_every_village(tree, work):
    figures = selectors.village_figures(division=tree.peicheng, year=2022)
    assert set(figures) == {LIANGZHUANG, WANGZHUANG}
    assert all(f.meetings == 0 and f.income_growth is None for f in figures.values())


def test_the_star_metrics_give_numerator_and_denominator_per_level(more):
    period = Period.parse("2026")
    income = tallies.collective_income(more.yc, period)
    assert income[LIANGZHUANG].numerator == 140_000
    assert income["411103103000"].numerator == 190_000 and income["411103000000"].numerator == 330_000
    assert income[LIANGZHUANG].inputs["land_transfer"] == "120000.00"
    growth = tallies.collective_income_growth(more.yc, period)
    assert (growth[WANGZHUANG].numerator, growth[WANGZHUANG].denominator) == (50_000, 100_000)
    assert tallies.meetings_held(more.yc, period)[LIANGZHUANG].numerator == 2
    satisfaction = tallies.meeting_satisfaction(more.yc, period)[LIANGZHUANG]
    assert (satisfaction.numerator, satisfaction.denominator) == (55, 66)
    passed = tallies.inspections_passed(more.yc, period)[LIANGZHUANG]
    assert (passed.numerator, passed.denominator) == (1, 2)
    activities = tallies.volunteer_activities(more.yc, period)
    assert activities["411103103000"].numerator == 3 and activities[LIANGZHUANG].numerator == 1
    assert "340827100201" not in activities
    month = tallies.meetings_held(more.yc, Period.parse("2026-07"))
    assert month[LIANGZHUANG].numerator == 1 and WANGZHUANG not in month


def test_figures_endpoint_serves_the_division_and_its_children(tree, more):
    api = APIClient()
    api.force_authenticate(tree.users.township)
    response = api.get(reverse("work-figures", kwargs={"code": tree.peicheng.code}), {"year": 2026})
    assert response.status_code == 200
    rows = response.json()
    assert [r["name"] for r in rows] == ["裴城镇", "梁庄村", "王庄村"]
    assert rows[1]["income_growth"] == {"numerator": "40000.00", "denominator": "100000.00"}
    assert rows[1]["petitions_resolved"] == 0 and rows[0]["volunteer_activities"] == 3
    assert api.get(reverse("work-figures", kwargs={"code": tree.peicheng.code}), {"year": "soon"}).status_code == 400
    assert api.get(reverse("work-figures", kwargs={"code": GUOLIZHUANG})).status_code == 404


def test_api_lists_filter_by_division_year_and_outcome(tree, more):
    api = APIClient()
    api.force_authenticate(tree.users.county)
    meetings = api.get(reverse("work-meeting-list"), {"division": tree.peicheng.code, "outcome": "dispute"}).json()
    assert meetings["count"] == 1 and meetings["results"][0]["matters"][0]["reference"] == "TJ1"
    incomes = api.get(reverse("work-income-list"), {"division": LIANGZHUANG, "year": 2026}).json()
    assert incomes["count"] == 1 and incomes["results"][0]["total"] == "140000.00"
    assert api.get(reverse("work-income-list"), {"division": "999999999999"}).json()["count"] == 0
    history = api.get(reverse("work-income-history", kwargs={"pk": incomes["results"][0]["id"]})).json()
    assert history[0]["user"] == "t_county"


def test_api_lists_cost_the_same_queries_however_many_rows(tree, work, kinds, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(tree.users.county)
    url = reverse("work-meeting-list")
    with django_assert_max_num_queries(10) as first:
        api.get(url)
    for i in range(5):
        services.meeting_record(
            actor=tree.users.county, division=tree.wangzhuang, kind=kinds["屋场会"], date=D(2026, 2, 1 + i),
            place="村委会", attendance=20, matters=[services.MatterInput("x", MatterOutcome.RESOLVED)],
        )  # fmt: skip
    with django_assert_max_num_queries(len(first)):
        assert api.get(url).json()["count"] == 3 + 5  # one in each of the county's three villages, and five more


def test_portrait_and_dashboard_cards_show_the_years_work(tree, more, django_assert_max_num_queries):
    from django.template.loader import render_to_string

    from villages.work import portrait

    with django_assert_max_num_queries(10):
        (card,) = portrait.sections(tree.liangzhuang, None)
    assert card["url"] == reverse("villages:work_overview", kwargs={"code": LIANGZHUANG})
    values = [value for _label, value, _url in card["items"]]
    assert "140,000(+40.0%)" in values and 2 in values
    with django_assert_max_num_queries(10):
        (panel,) = portrait.panels(tree.peicheng, Period.parse("2026"), None)
    assert panel["chart"]["xAxis"]["data"] == ["梁庄村", "王庄村"]
    assert panel["chart"]["series"][1]["data"] == [140_000.0, 50_000.0]
    assert "1 / 2" in [value for _label, value, _url in panel["items"]]  # villages whose income grew
    html = render_to_string("includes/panel_body.html", {"panel": panel})
    assert 'data-chart="work-panel-income"' in html


def test_a_year_filter_out_of_range_is_a_400_not_a_server_error(tree):
    # Found by schemathesis (tests/reliability/test_api_schemathesis.py): ?year=0.0 and ?year=3e16 were 500s.
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(tree.users.county)
    for year in ("0.0", "0", "3.132232717307552e+16", "2024.5", "10000"):
        response = api.get("/api/v1/work/inspections/", {"year": year})
        assert response.status_code == 400 and "year" in response.json(), year
    assert api.get("/api/v1/work/inspections/", {"year": "2024"}).status_code == 200
