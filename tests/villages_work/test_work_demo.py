"""The demo's work records: the seed's figures where it gives them, varied records elsewhere, loaded once."""

import io
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Count, F, Q
from django.urls import reverse
from rest_framework.test import APIClient

from villages import demo as villages_demo
from villages.choices import Level
from villages.models import Division
from villages.work import demo, selectors
from villages.work.choices import InfrastructureKind, ProjectKind, StationLevel, TrainingKind
from villages.work.models import (
    CollectiveIncome,
    CollectiveProject,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    MeetingMatter,
    PracticeStation,
    TrainingAttendance,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)

YANCHENG = "411103"
PEICHENG = "411103103000"
MODELS = [
    CollectiveIncome, CollectiveProject, CommonProsperityWorkshop, VillagerMeeting, MeetingMatter, PracticeStation,
    VolunteerActivity, InfrastructureProject, EnvironmentInspection, TrainingSession, TrainingAttendance,
]  # fmt: skip


@pytest.fixture
def demo_db(db):
    out = io.StringIO()
    villages_demo.load(out)
    demo.load(out)  # a no-op when the villages demo already loaded the work records
    return out.getvalue()


def _counts():
    return {model.__name__: model.objects.count() for model in MODELS}


def _panxi_earns_from_transferred_land_and_plans_a_cold_store():
    panxi = Division.objects.get(name="潘西村", code__startswith="411103101")
    income = CollectiveIncome.objects.get(division=panxi, year=2026)
    assert (income.land_transfer, income.land_transfer_area, income.total) == (
        Decimal(120_000),
        Decimal(1000),
        Decimal(120_000),
    )
    cold_store = CollectiveProject.objects.get(division=panxi, kind=ProjectKind.COLD_STORE)
    assert cold_store.branch_led and cold_store.payback_years == 4
    assert cold_store.payback_date == cold_store.start_date.replace(year=cold_store.start_date.year + 4)


def _qiluo_builds_twenty_odd_infrastructure_projects():
    projects = InfrastructureProject.objects.filter(division__name="齐罗村", division__code__startswith="411103104")
    assert 20 < projects.count() < 30
    names = set(projects.values_list("name", flat=True))
    assert {"污水管网建设", "乡村大礼堂", "二十四节气墙体画"} <= names
    assert projects.filter(kind=InfrastructureKind.SEWER).exists()


def _peicheng_holds_the_seed_townships_meetings_and_volunteering():
    peicheng = Division.objects.get(code=PEICHENG)
    figures, _children = selectors.division_figures(division=peicheng, year=2026)
    assert figures.meetings == 30
    assert (figures.disputes_mediated, figures.petitions_resolved, figures.good_deeds) == (20, 10, 100)
    assert figures.volunteer_activities == 200
    assert set(VillagerMeeting.objects.filter(division__parent=peicheng).values_list("kind__name", flat=True)) == {
        "屋场会"
    }
    stations = PracticeStation.objects.filter(division__code__startswith=PEICHENG[:9])
    assert stations.filter(level=StationLevel.INSTITUTE).count() == 1
    assert stations.filter(level=StationLevel.STATION).count() == 17
    assert (
        VolunteerActivity.objects.filter(division__code__startswith=PEICHENG[:9], station__isnull=False).count() == 40
    )


def _one_workshop_pays_300000_rent_and_employs_70():
    workshop = CommonProsperityWorkshop.objects.get(jobs=70)
    assert workshop.annual_rent == Decimal(300_000)
    assert workshop.division.code.startswith(YANCHENG)


def _the_county_trains_its_cadres():
    forums = TrainingSession.objects.filter(series=demo.FORUM_SERIES)
    assert forums.count() == 11 and set(forums.values_list("kind", flat=True)) == {TrainingKind.FORUM}
    rotation = TrainingSession.objects.filter(kind=TrainingKind.ROTATION)
    assert rotation.count() == 3
    trained = TrainingAttendance.objects.filter(session__in=rotation).values("cadre__division").distinct().count()
    assert trained == Division.objects.filter(level=Level.VILLAGE, code__startswith=YANCHENG).count()


def _every_yancheng_village_has_records_and_they_vary():
    villages = Division.objects.filter(level=Level.VILLAGE, code__startswith=YANCHENG)
    assert CollectiveIncome.objects.filter(year=2026, division__in=villages).count() == villages.count()
    county = Division.objects.get(code="411103000000")
    figures = selectors.village_figures(division=county, year=2026)
    growing = sum(f.villages_growing for f in figures.values())
    assert 0.3 < growing / villages.count() < 0.9
    assert any(f.income >= 100_000 for f in figures.values()) and any(f.income < 100_000 for f in figures.values())
    all_passed = sum(1 for f in figures.values() if f.villages and f.inspections == f.inspections_passed)
    assert 0.2 < all_passed / villages.count() < 0.9
    assert len({f.meetings for f in figures.values()}) > 4
    assert not CollectiveIncome.objects.filter(division__code__startswith="340827").exists()


def test_the_demo_holds_the_seed_figures_and_varied_records(demo_db, client):
    """One load for all the reading checks below (a load takes seconds)."""
    _panxi_earns_from_transferred_land_and_plans_a_cold_store()
    _qiluo_builds_twenty_odd_infrastructure_projects()
    _peicheng_holds_the_seed_townships_meetings_and_volunteering()
    _one_workshop_pays_300000_rent_and_employs_70()
    _the_county_trains_its_cadres()
    _every_yancheng_village_has_records_and_they_vary()
    _demo_records_are_valid()
    _seed_figures_reach_the_pages_and_the_api(client)


def _demo_records_are_valid():
    for model in MODELS:
        for record in model.objects.order_by("?")[:40]:
            record.full_clean()
    assert not VillagerMeeting.objects.filter(attendance__gt=F("division__population")).exists()


def test_demo_loads_once(demo_db, django_assert_max_num_queries):
    before = _counts()
    with django_assert_max_num_queries(3):
        demo.load(io.StringIO())
    assert _counts() == before


def _summary():
    return (
        _counts(),
        list(VillagerMeeting.objects.values_list("division__code").annotate(n=Count("pk")).order_by("division__code")),
        list(CollectiveIncome.objects.order_by("division__code", "year").values_list("division__code", "rent")),
        list(
            VolunteerActivity.objects.order_by("division__code", "date", "title").values_list("division__code", "date")
        ),
    )


def test_demo_plan_is_deterministic(demo_db):
    before = _summary()
    TrainingSession.objects.all().delete()
    for model in (VolunteerActivity, VolunteerTeam, VillagerMeeting, CollectiveProject, CollectiveIncome,
                  CommonProsperityWorkshop, InfrastructureProject, EnvironmentInspection):  # fmt: skip
        model.objects.all().delete()
    for level in (StationLevel.STATION, StationLevel.INSTITUTE, StationLevel.CENTER):
        PracticeStation.objects.filter(level=level).delete()
    demo.load(io.StringIO())
    assert _summary() == before


def _seed_figures_reach_the_pages_and_the_api(client):
    peicheng_user = get_user_model().objects.get(username="yc_peicheng")
    client.force_login(peicheng_user)
    page = client.get(reverse("villages:work_overview", kwargs={"code": PEICHENG})).content.decode()
    assert 'data-testid="meetings">30<' in page and 'data-testid="activities">200<' in page
    api = APIClient()
    api.force_authenticate(get_user_model().objects.get(username="yc_api"))
    panxi = Division.objects.get(name="潘西村", code__startswith="411103101")
    rows = api.get(reverse("work-figures", kwargs={"code": panxi.code}), {"year": 2026}).json()
    assert rows[0]["income"] == "120000.00"
    projects = api.get(reverse("work-project-list"), {"division": panxi.code, "kind": "cold_store"}).json()
    assert projects["results"][0]["payback_years"] == "4.0"
    settled = MeetingMatter.objects.filter(
        Q(outcome="dispute") & Q(settled_on__isnull=False), meeting__division__code__startswith=PEICHENG[:9]
    )
    assert settled.count() == 20
