"""Fixtures of the village work records: one record of every kind in each village of the ``tree``."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import translation

from villages.models import Cadre, Division
from villages.work import services
from villages.work.choices import (
    AttendanceRole,
    FundingSource,
    InfrastructureKind,
    InspectionResult,
    MatterOutcome,
    ProjectKind,
    TrainingKind,
    VolunteerFocus,
)
from villages.work.models import MeetingKind, PracticeStation

D = datetime.date
YEAR = 2026
VILLAGES = ("411103103201", "411103103202", "411103102201", "340827100201")  # 梁庄村 王庄村 郭栗庄村 江边村


@pytest.fixture(autouse=True)
def _english():
    """Messages are checked in their English source; pages still come in Chinese (the middleware picks it)."""
    with translation.override("en"):
        yield


@pytest.fixture
def kinds(db):
    """The meeting kinds (made here: a transactional test may have flushed the ones the migration adds)."""
    names = ["屋场会", "有事好商量", "书记下午茶"]
    return {name: MeetingKind.objects.get_or_create(name=name)[0] for name in names}


def _records_for(actor, village: Division, kinds) -> SimpleNamespace:
    township = village.parent
    income = services.income_record(
        actor=actor, division=village, year=YEAR, land_transfer=Decimal(120_000), land_transfer_area=Decimal(1000),
        rent=Decimal(20_000),
    )  # fmt: skip
    services.income_record(actor=actor, division=village, year=YEAR - 1, land_transfer=Decimal(100_000))
    project = services.project_create(
        actor=actor, division=village, name=f"{village.name}冷库", kind=ProjectKind.COLD_STORE,
        investment=Decimal(480_000), funding_source=FundingSource.MIXED, start_date=D(2025, 3, 1),
        payback_years=Decimal(4), branch_led=True,
    )  # fmt: skip
    services.project_return_set(actor=actor, project=project, year=YEAR, amount=Decimal(60_000))
    workshop = services.workshop_create(
        actor=actor, division=village, name=f"{village.name}共富工坊", opened_on=D(2024, 5, 1), jobs=70,
        annual_rent=Decimal(300_000),
    )  # fmt: skip
    meeting = services.meeting_record(
        actor=actor, division=village, kind=kinds["屋场会"], date=D(YEAR, 5, 10), place="村头", attendance=40,
        satisfied=30, basically_satisfied=5, dissatisfied=1,
        matters=[
            services.MatterInput(description="路灯损坏", outcome=MatterOutcome.RESOLVED),
            services.MatterInput(description="排水沟堵塞", outcome=MatterOutcome.GRID_REQUEST, reference="WG1"),
        ],
    )  # fmt: skip
    institute = PracticeStation.objects.filter(division=township).first() or services.station_create(
        actor=actor, division=township, name=f"{township.name}新时代文明实践所"
    )
    station = services.station_create(
        actor=actor, division=village, name=f"{village.name}新时代文明实践站", parent=institute
    )
    team = services.team_create(
        actor=actor, division=village, name=f"{village.name}志愿服务队", focus=VolunteerFocus.ENVIRONMENT, members=30,
        station=station,
    )  # fmt: skip
    activity = services.activity_record(
        actor=actor, division=village, date=D(YEAR, 6, 1), title="村庄清洁", kind=VolunteerFocus.ENVIRONMENT,
        participants=20, team=team, station=station,
    )  # fmt: skip
    infrastructure = services.infrastructure_create(
        actor=actor, division=village, name="污水管网", kind=InfrastructureKind.SEWER, start_date=D(2025, 9, 1)
    )
    inspection = services.inspection_record(
        actor=actor, division=village, date=D(YEAR, 6, 15), inspector="镇人居办", result=InspectionResult.PASSED,
        score=Decimal(92),
    )  # fmt: skip
    training = services.training_create(
        actor=actor, division=township, kind=TrainingKind.COURSE, title=f"{township.name}村干部培训",
        date=D(YEAR, 4, 1), hours=Decimal(6),
    )  # fmt: skip
    cadre = Cadre.objects.filter(division=village).order_by("pk").first()
    services.attendance_set(
        actor=actor, session=training, entries=[services.AttendanceInput(cadre=cadre, role=AttendanceRole.SPEAKER)]
    )
    return SimpleNamespace(
        code=village.code, village=village, income=income, project=project, workshop=workshop, meeting=meeting,
        station=station, team=team, activity=activity, infrastructure=infrastructure, inspection=inspection,
        training=training, cadre=cadre,
    )  # fmt: skip


@pytest.fixture
def work(tree, kinds):
    """One record of each kind in 梁庄村, 王庄村, 郭栗庄村 and 江边村, keyed by village code.

    Every village has 1,200 registered residents; each township's course has the village's first cadre as speaker.
    """
    Division.objects.filter(code__in=VILLAGES).update(population=1200)
    actor = tree.users.county
    actor.is_superuser = True  # only to build the records in both counties; never saved
    try:
        records = {}
        for code in VILLAGES:
            village = Division.objects.select_related("parent").get(code=code)
            records[code] = _records_for(actor, village, kinds)
    finally:
        actor.is_superuser = False
    return records
