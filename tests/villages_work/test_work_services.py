"""The services: validation with clear messages per field, nothing saved on error, scope, history."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone

from villages.history import history_entries
from villages.models import Cadre, Division
from villages.work import services
from villages.work.choices import (
    AttendanceStatus,
    FundingSource,
    InfrastructureKind,
    InfrastructureStatus,
    InspectionResult,
    MatterOutcome,
    ProjectKind,
    StationLevel,
    TrainingKind,
    VolunteerFocus,
)
from villages.work.models import (
    CollectiveIncome,
    CollectiveProject,
    EnvironmentInspection,
    MeetingMatter,
    TrainingAttendance,
    VillagerMeeting,
)

D = datetime.date
MI = services.MatterInput


@pytest.fixture
def populated(tree):
    Division.objects.filter(code=tree.liangzhuang.code).update(population=1200)
    tree.liangzhuang.refresh_from_db()
    return tree


def _meeting(tree, kinds, **changes):
    fields = {
        "division": tree.liangzhuang, "kind": kinds["屋场会"], "date": D(2026, 5, 10), "place": "梁家院坝",
        "attendance": 60, "satisfied": 40, "basically_satisfied": 10, "dissatisfied": 2,
        "matters": [MI("路灯损坏", MatterOutcome.RESOLVED), MI("排水沟堵塞", MatterOutcome.GRID_REQUEST, "WG01")],
    }  # fmt: skip
    fields.update(changes)
    return services.meeting_record(actor=tree.users.village, **fields)


# ─── Collective economy ──────────────────────────────────────────────────────────────────────────────────────


def test_negative_income_is_refused_with_a_message_per_field_and_nothing_saved(tree):
    with pytest.raises(ValidationError) as err:
        services.income_record(
            actor=tree.users.village, division=tree.liangzhuang, year=2026, land_transfer=Decimal(-5), rent=Decimal(-1)
        )
    assert set(err.value.message_dict) == {"land_transfer", "rent"}
    assert "negative" in err.value.message_dict["land_transfer"][0]
    assert not CollectiveIncome.objects.exists()


def test_the_database_refuses_negative_income_too(tree):
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectiveIncome.objects.create(division=tree.liangzhuang, year=2026, rent=Decimal(-1))


def test_income_is_one_record_per_village_and_year(tree):
    services.income_record(actor=tree.users.village, division=tree.liangzhuang, year=2026, rent=Decimal(10))
    with pytest.raises(ValidationError) as err:
        services.income_record(actor=tree.users.township, division=tree.liangzhuang, year=2026, rent=Decimal(20))
    assert "already" in " ".join(err.value.messages)
    assert CollectiveIncome.objects.get().rent == Decimal(10)


def test_income_of_a_future_year_and_of_a_township_are_refused(tree):
    with pytest.raises(ValidationError) as err:
        services.income_record(actor=tree.users.village, division=tree.liangzhuang, year=2099)
    assert "year" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.income_record(actor=tree.users.township, division=tree.peicheng, year=2026)
    assert "division" in err.value.message_dict


def test_income_total_and_history_record_the_actor(tree):
    income = services.income_record(
        actor=tree.users.village, division=tree.liangzhuang, year=2026, land_transfer=Decimal(120_000),
        land_transfer_area=Decimal(1000),
    )  # fmt: skip
    services.income_update(actor=tree.users.township, income=income, rent=Decimal(5_000))
    income.refresh_from_db()
    assert income.total == Decimal(125_000)
    entries = history_entries(income)
    assert [e["user"] for e in entries] == ["t_township", "t_village"]
    assert [(c["field"], c["old"], c["new"]) for c in entries[0]["changes"]] == [("rent", "0.00", "5000.00")]


def test_scope_decides_who_records_income(tree):
    with pytest.raises(Http404):
        services.income_record(actor=tree.users.village, division=tree.wangzhuang, year=2026)
    with pytest.raises(PermissionDenied):
        services.income_record(actor=tree.users.grid, division=tree.liangzhuang, year=2026)
    with pytest.raises(PermissionDenied):
        services.income_record(actor=tree.users.api, division=tree.liangzhuang, year=2026)
    assert not CollectiveIncome.objects.exists()


def _project(tree, **changes):
    fields = {
        "division": tree.liangzhuang, "name": "冷库", "kind": ProjectKind.COLD_STORE, "investment": Decimal(480_000),
        "funding_source": FundingSource.MIXED, "start_date": D(2027, 3, 1),
    }  # fmt: skip
    fields.update(changes)
    return services.project_create(actor=tree.users.village, **fields)


def test_payback_in_years_sets_the_date_from_the_start(tree):
    project = _project(tree, payback_years=Decimal("4"))
    assert project.payback_date == D(2031, 3, 1)
    half = _project(tree, name="光伏", payback_years=Decimal("2.5"), start_date=D(2026, 8, 31))
    assert half.payback_date == D(2029, 2, 28)


def test_payback_before_the_start_is_refused(tree):
    with pytest.raises(ValidationError) as err:
        _project(tree, payback_date=D(2026, 1, 1))
    assert err.value.message_dict == {"payback_date": ["The payback cannot come before the project starts."]}
    with pytest.raises(ValidationError) as err:
        _project(tree, payback_years=Decimal("-1"))
    assert "payback_years" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        _project(tree, payback_years=Decimal(4), payback_date=D(2031, 3, 1))
    assert "payback_date" in err.value.message_dict
    assert not CollectiveProject.objects.exists()


def test_project_update_keeps_the_payback_rule(tree):
    project = _project(tree, payback_years=Decimal(4))
    services.project_update(actor=tree.users.township, project=project, start_date=D(2028, 3, 1))
    project.refresh_from_db()
    assert project.payback_date == D(2032, 3, 1)
    with pytest.raises(ValidationError):
        services.project_update(actor=tree.users.township, project=project, payback_date=D(2027, 1, 1))
    project.refresh_from_db()
    assert project.payback_date == D(2032, 3, 1)


def test_project_returns_are_one_per_year_and_not_negative(tree):
    project = _project(tree, start_date=D(2024, 3, 1))
    services.project_return_set(actor=tree.users.village, project=project, year=2025, amount=Decimal(40_000))
    services.project_return_set(actor=tree.users.village, project=project, year=2025, amount=Decimal(45_000))
    assert list(project.returns.values_list("year", "amount")) == [(2025, Decimal(45_000))]
    with pytest.raises(ValidationError) as err:
        services.project_return_set(actor=tree.users.village, project=project, year=2026, amount=Decimal(-1))
    assert "amount" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.project_return_set(actor=tree.users.village, project=project, year=2023, amount=Decimal(1))
    assert "year" in err.value.message_dict
    assert project.returns.count() == 1


def test_workshop_rent_cannot_be_negative(tree):
    with pytest.raises(ValidationError) as err:
        services.workshop_create(
            actor=tree.users.village, division=tree.liangzhuang, name="工坊", opened_on=D(2025, 1, 1), jobs=70,
            annual_rent=Decimal(-300_000),
        )  # fmt: skip
    assert "annual_rent" in err.value.message_dict


# ─── Meetings ───────────────────────────────────────────────────────────────────────────────────────────────


def test_a_meeting_is_saved_with_its_matters(populated, kinds):
    meeting = _meeting(populated, kinds)
    matters = list(meeting.matters.order_by("position"))
    assert [(m.position, m.outcome, m.reference) for m in matters] == [
        (1, MatterOutcome.RESOLVED, ""),
        (2, MatterOutcome.GRID_REQUEST, "WG01"),
    ]
    # Resolved on the spot: settled the day of the meeting. Handed on: open until settled.
    assert matters[0].settled_on == meeting.date and matters[1].settled_on is None
    assert {m.history.get().history_user.username for m in matters} == {"t_village"}


def test_attendance_above_the_population_is_refused_and_nothing_saved(populated, kinds):
    with pytest.raises(ValidationError) as err:
        _meeting(populated, kinds, attendance=1500, satisfied=0, basically_satisfied=0, dissatisfied=0)
    assert err.value.message_dict["attendance"] == [
        "1500 villagers cannot attend: 梁庄村 has 1200 registered residents."
    ]
    assert not VillagerMeeting.objects.exists() and not MeetingMatter.objects.exists()


def test_more_ratings_than_people_are_refused(populated, kinds):
    with pytest.raises(ValidationError) as err:
        _meeting(populated, kinds, attendance=20, satisfied=15, basically_satisfied=5, dissatisfied=1)
    assert "satisfied" in err.value.message_dict
    assert not VillagerMeeting.objects.exists()


def test_a_bad_matter_rolls_back_the_whole_meeting(populated, kinds):
    matters = [MI("路灯", MatterOutcome.RESOLVED), MI("", MatterOutcome.DISPUTE), MI("纠纷", "nonsense")]
    with pytest.raises(ValidationError) as err:
        _meeting(populated, kinds, matters=matters)
    messages = err.value.message_dict["matters"]
    assert len(messages) == 2 and messages[0].startswith("Matter 2:") and messages[1].startswith("Matter 3:")
    assert not VillagerMeeting.objects.exists() and not MeetingMatter.objects.exists()


def test_a_matter_settled_before_the_meeting_is_refused(populated, kinds):
    with pytest.raises(ValidationError) as err:
        _meeting(populated, kinds, matters=[MI("纠纷", MatterOutcome.DISPUTE, settled_on=D(2026, 1, 1))])
    assert "before the meeting" in err.value.message_dict["matters"][0]


def test_meetings_in_the_future_and_in_townships_are_refused(populated, kinds):
    with pytest.raises(ValidationError) as err:
        _meeting(populated, kinds, date=timezone.localdate() + datetime.timedelta(days=3))
    assert "date" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.meeting_record(
            actor=populated.users.township, division=populated.peicheng, kind=kinds["屋场会"], date=D(2026, 5, 1),
            place="镇政府", attendance=10,
        )  # fmt: skip
    assert "division" in err.value.message_dict


def test_a_retired_meeting_kind_is_refused(populated, kinds):
    kinds["书记下午茶"].active = False
    kinds["书记下午茶"].save()
    with pytest.raises(ValidationError) as err:
        _meeting(populated, kinds, kind=kinds["书记下午茶"])
    assert "kind" in err.value.message_dict


def test_meeting_update_settles_adds_and_drops_matters_with_history(populated, kinds):
    meeting = _meeting(populated, kinds)
    first, second = meeting.matters.order_by("position")
    services.meeting_update(
        actor=populated.users.township,
        meeting=meeting,
        attendance=70,
        matters=[
            MI(first.description, first.outcome, pk=first.pk, delete=True),
            MI(second.description, MatterOutcome.GRID_REQUEST, "WG01", settled_on=D(2026, 5, 20), pk=second.pk),
            MI("宅基地纠纷", MatterOutcome.DISPUTE, "TJ07"),
        ],
    )
    meeting.refresh_from_db()
    assert meeting.attendance == 70
    assert [(m.position, m.description, m.settled_on) for m in meeting.matters.order_by("position")] == [
        (1, "排水沟堵塞", D(2026, 5, 20)),
        (2, "宅基地纠纷", None),
    ]
    history = {(h.id, h.history_type, h.history_user.username) for h in MeetingMatter.history.all()}
    assert (first.pk, "-", "t_township") in history and (second.pk, "~", "t_township") in history


def test_a_matter_of_another_meeting_cannot_be_changed(populated, kinds):
    meeting, other = _meeting(populated, kinds), _meeting(populated, kinds)
    stranger = other.matters.first()
    with pytest.raises(ValidationError):
        services.meeting_update(
            actor=populated.users.village, meeting=meeting, matters=[MI("x", MatterOutcome.RESOLVED, pk=stranger.pk)]
        )


# ─── Volunteer service, livability, training ────────────────────────────────────────────────────────────────


def test_station_level_follows_the_division_and_parent_must_be_one_above(tree):
    institute = services.station_create(actor=tree.users.township, division=tree.peicheng, name="裴城镇实践所")
    assert institute.level == StationLevel.INSTITUTE
    station = services.station_create(
        actor=tree.users.village, division=tree.liangzhuang, name="梁庄村实践站", parent=institute
    )
    assert station.level == StationLevel.STATION
    with pytest.raises(ValidationError) as err:
        services.station_create(actor=tree.users.county, division=tree.wangzhuang, name="王庄村实践站", parent=station)
    assert "parent" in err.value.message_dict
    shangqiao = services.station_create(actor=tree.users.county, division=tree.shangqiao, name="商桥镇实践所")
    with pytest.raises(ValidationError) as err:
        services.station_create(actor=tree.users.county, division=tree.wangzhuang, name="王庄村站", parent=shangqiao)
    assert "same area" in err.value.message_dict["parent"][0]


def test_teams_and_activities_stay_in_their_township(tree):
    shangqiao = services.station_create(actor=tree.users.county, division=tree.shangqiao, name="商桥镇实践所")
    with pytest.raises(ValidationError) as err:
        services.team_create(
            actor=tree.users.county, division=tree.liangzhuang, name="队", focus=VolunteerFocus.LEGAL, members=5,
            station=shangqiao,
        )  # fmt: skip
    assert "station" in err.value.message_dict
    team = services.team_create(
        actor=tree.users.township, division=tree.peicheng, name="巾帼红志愿服务队", focus=VolunteerFocus.WOMEN,
        members=23,
    )  # fmt: skip
    activity = services.activity_record(
        actor=tree.users.village, division=tree.liangzhuang, date=D(2026, 3, 8), title="妇女维权宣讲",
        kind=VolunteerFocus.WOMEN, participants=12, team=team,
    )  # fmt: skip
    assert activity.team == team
    with pytest.raises(ValidationError) as err:
        services.activity_record(
            actor=tree.users.village, division=tree.liangzhuang, date=D(2026, 3, 8), title="x",
            kind=VolunteerFocus.WOMEN, participants=0,
        )  # fmt: skip
    assert "participants" in err.value.message_dict


def test_infrastructure_dates_and_status_agree(tree):
    kwargs = {
        "actor": tree.users.village,
        "division": tree.liangzhuang,
        "name": "大礼堂",
        "kind": InfrastructureKind.HALL,
    }
    with pytest.raises(ValidationError) as err:
        services.infrastructure_create(**kwargs, status=InfrastructureStatus.COMPLETED)
    assert "completed_on" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.infrastructure_create(
            **kwargs, status=InfrastructureStatus.COMPLETED, start_date=D(2026, 5, 1), completed_on=D(2026, 4, 1)
        )
    assert "completed_on" in err.value.message_dict
    with pytest.raises(ValidationError) as err:
        services.infrastructure_create(**kwargs, investment=Decimal(-1))
    assert "investment" in err.value.message_dict


def test_a_failed_inspection_says_what_was_found_and_scores_stay_in_range(tree):
    kwargs = {
        "actor": tree.users.township,
        "division": tree.liangzhuang,
        "date": D(2026, 6, 1),
        "inspector": "镇人居办",
    }
    with pytest.raises(ValidationError) as err:
        services.inspection_record(**kwargs, result=InspectionResult.FAILED, score=Decimal(120))
    assert set(err.value.message_dict) == {"findings", "score"}
    inspection = services.inspection_record(**kwargs, result=InspectionResult.FAILED, findings="柴草乱堆")
    assert EnvironmentInspection.objects.get() == inspection


def test_training_is_organized_by_the_county_or_a_township(tree):
    with pytest.raises(PermissionDenied):
        services.training_create(
            actor=tree.users.village, division=tree.liangzhuang, kind=TrainingKind.FORUM, title="x", date=D(2026, 1, 1)
        )
    with pytest.raises(ValidationError) as err:
        services.training_create(
            actor=tree.users.county, division=tree.liangzhuang, kind=TrainingKind.FORUM, title="x", date=D(2026, 1, 1)
        )
    assert "division" in err.value.message_dict


def test_attendance_is_marked_in_bulk_within_scope(tree, django_assert_max_num_queries):
    session = services.training_create(
        actor=tree.users.county, division=tree.yc, kind=TrainingKind.FORUM, title="支书上讲台 第1期",
        series="支书上讲台 月月有精彩", date=D(2026, 1, 15),
    )  # fmt: skip
    cadres = list(Cadre.objects.filter(division=tree.liangzhuang).select_related("division"))
    entries = [services.AttendanceInput(cadre=c) for c in cadres]
    with django_assert_max_num_queries(6):
        assert services.attendance_set(actor=tree.users.township, session=session, entries=entries) == len(cadres)
    entries[0].status = AttendanceStatus.LEAVE
    entries[1].status = None
    services.attendance_set(actor=tree.users.village, session=session, entries=entries)
    assert dict(TrainingAttendance.objects.values_list("cadre_id", "status")) == {
        cadres[0].pk: AttendanceStatus.LEAVE
    } | {c.pk: AttendanceStatus.PRESENT for c in cadres[2:]}
    outsider = Cadre.objects.select_related("division").get(name="郭中凡")
    with pytest.raises(Http404):
        services.attendance_set(
            actor=tree.users.township, session=session, entries=[services.AttendanceInput(cadre=outsider)]
        )
    township_course = services.training_create(
        actor=tree.users.township, division=tree.peicheng, kind=TrainingKind.COURSE, title="村干部培训",
        date=D(2026, 6, 1),
    )  # fmt: skip
    with pytest.raises(ValidationError) as err:
        services.attendance_set(
            actor=tree.users.county, session=township_course, entries=[services.AttendanceInput(outsider)]
        )
    assert err.value.message_dict["cadres"] == ["郭中凡: This cadre's village lies outside the organizer's area."]
    assert not TrainingAttendance.objects.filter(session=township_course).exists()
