"""Every write to the village work records: one function per action, one transaction each.

Each checks the actor's role where the record belongs (``require_role``: 404 outside the scope, 403 in scope
without an editing role), validates with ``full_clean`` (field rules, cross-field rules and the named database
constraints) and saves with the actor as the history user. A ValidationError carries a message per field, and
nothing is saved.
"""

import calendar
import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from villages.choices import Level
from villages.models import Cadre, Division
from villages.scopes import require_role
from villages.stats import data_changed

from ..history import audited_save
from .choices import TRAINING_ORGANIZER_ROLES, WORK_EDITOR_ROLES, AttendanceRole, AttendanceStatus, MatterOutcome
from .models import (
    STATION_DIVISION_LEVEL,
    CollectiveIncome,
    CollectiveProject,
    CollectiveProjectReturn,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    MeetingKind,
    MeetingMatter,
    PracticeStation,
    TrainingAttendance,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)

INCOME_FIELDS = (
    "year",
    "land_transfer",
    "land_transfer_area",
    "rent",
    "dividends",
    "services",
    "other",
    "assets",
    "notes",
)
PROJECT_FIELDS = (
    "name", "kind", "status", "branch_led", "investment", "funding_source", "funding_note", "start_date",
    "payback_years", "payback_date", "description",
)  # fmt: skip
WORKSHOP_FIELDS = ("name", "partner", "opened_on", "closed_on", "jobs", "annual_rent", "annual_income", "description")
MEETING_FIELDS = (
    "kind", "date", "place", "host", "topic", "attendance", "satisfied", "basically_satisfied", "dissatisfied", "notes",
)  # fmt: skip
MATTER_FIELDS = ("description", "outcome", "reference", "settled_on")
STATION_FIELDS = ("name", "parent", "address", "opened_on")
TEAM_FIELDS = ("name", "focus", "members", "station", "leader", "founded_on")
ACTIVITY_FIELDS = ("date", "title", "kind", "participants", "beneficiaries", "team", "station")
INFRASTRUCTURE_FIELDS = (
    "name",
    "kind",
    "status",
    "start_date",
    "completed_on",
    "investment",
    "funding_source",
    "notes",
)
INSPECTION_FIELDS = ("date", "inspector", "result", "score", "findings", "rectify_by")
TRAINING_FIELDS = ("kind", "title", "series", "date", "end_date", "place", "hours", "speakers", "notes")

VILLAGE = {Level.VILLAGE}
TOWNSHIP_OR_VILLAGE = {Level.TOWNSHIP, Level.VILLAGE}
COUNTY_OR_TOWNSHIP = {Level.COUNTY, Level.TOWNSHIP}


_save = audited_save  # validated; a save that changes nothing writes no history (villages.history)


def _check_level(division: Division, levels: set[str]) -> None:
    if division.level not in levels:
        names = "、".join(str(Level(level).label) for level in sorted(levels, key=list(Level.values).index))
        raise ValidationError({"division": _("This record belongs to a %(levels)s.") % {"levels": names}})


def _pick(fields: dict, allowed: Iterable[str]) -> dict:
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValidationError(_("These fields cannot be set here: %(f)s") % {"f": ", ".join(sorted(unknown))})
    return fields


def _create(model, *, actor, division: Division, levels: set[str], allowed, roles=WORK_EDITOR_ROLES, **fields):
    require_role(actor, division.code, roles)
    _check_level(division, levels)
    return _save(model(division=division, **_pick(fields, allowed)), actor=actor)


def _update(instance, *, actor, allowed, roles=WORK_EDITOR_ROLES, **changes):
    require_role(actor, instance.division.code, roles)
    locked = type(instance).objects.select_for_update().select_related("division").get(pk=instance.pk)
    for field, value in _pick(changes, allowed).items():
        setattr(locked, field, value)
    return _save(locked, actor=actor)


# ─── Collective economy ──────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def income_record(*, actor, division: Division, **fields) -> CollectiveIncome:
    """A village's collective income for one year; a second record for the same year is refused."""
    return _create(CollectiveIncome, actor=actor, division=division, levels=VILLAGE, allowed=INCOME_FIELDS, **fields)


@transaction.atomic
def income_update(*, actor, income: CollectiveIncome, **changes) -> CollectiveIncome:
    return _update(income, actor=actor, allowed=INCOME_FIELDS, **changes)


def _add_months(day: datetime.date, months: int) -> datetime.date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _apply_payback(project: CollectiveProject, fields: dict) -> None:
    """The payback is given in years or as a date; years set the date, counted from the start."""
    years, date = fields.get("payback_years"), fields.get("payback_date")
    if years is not None and date is not None:
        raise ValidationError({"payback_date": _("Give the payback either in years or as a date, not both.")})
    if "payback_years" in fields or "payback_date" in fields:
        project.payback_years, project.payback_date = years, date
    if project.payback_years is not None and project.payback_years > 0 and project.start_date:
        months = int((project.payback_years * 12).quantize(Decimal("1"), rounding=ROUND_HALF_UP))
        project.payback_date = _add_months(project.start_date, months)


@transaction.atomic
def project_create(*, actor, division: Division, **fields) -> CollectiveProject:
    require_role(actor, division.code, WORK_EDITOR_ROLES)
    _check_level(division, VILLAGE)
    payback = {k: fields.pop(k) for k in ("payback_years", "payback_date") if k in fields}
    project = CollectiveProject(division=division, **_pick(fields, PROJECT_FIELDS))
    _apply_payback(project, payback)
    return _save(project, actor=actor)


@transaction.atomic
def project_update(*, actor, project: CollectiveProject, **changes) -> CollectiveProject:
    require_role(actor, project.division.code, WORK_EDITOR_ROLES)
    locked = CollectiveProject.objects.select_for_update().select_related("division").get(pk=project.pk)
    payback = {k: changes.pop(k) for k in ("payback_years", "payback_date") if k in changes}
    for field, value in _pick(changes, PROJECT_FIELDS).items():
        setattr(locked, field, value)
    _apply_payback(locked, payback)
    return _save(locked, actor=actor)


@transaction.atomic
def project_return_set(
    *, actor, project: CollectiveProject, year: int, amount: Decimal, note: str = ""
) -> CollectiveProjectReturn:
    """Record (or correct) what the project returned in a year."""
    require_role(actor, project.division.code, WORK_EDITOR_ROLES)
    row = CollectiveProjectReturn.objects.select_for_update().filter(project=project, year=year).first()
    if row is None:
        row = CollectiveProjectReturn(project=project, year=year)
    row.amount, row.note = amount, note
    return _save(row, actor=actor)


@transaction.atomic
def workshop_create(*, actor, division: Division, **fields) -> CommonProsperityWorkshop:
    return _create(
        CommonProsperityWorkshop, actor=actor, division=division, levels=VILLAGE, allowed=WORKSHOP_FIELDS, **fields
    )


@transaction.atomic
def workshop_update(*, actor, workshop: CommonProsperityWorkshop, **changes) -> CommonProsperityWorkshop:
    return _update(workshop, actor=actor, allowed=WORKSHOP_FIELDS, **changes)


# ─── Meetings with villagers ────────────────────────────────────────────────────────────────────────────────


@dataclass
class MatterInput:
    """One matter as a form or API client gives it; ``pk`` names an existing matter, ``delete`` drops it."""

    description: str
    outcome: str
    reference: str = ""
    settled_on: datetime.date | None = None
    pk: int | None = None
    delete: bool = False


def _matters_save(meeting: VillagerMeeting, matters: list[MatterInput], *, actor) -> None:
    existing = {m.pk: m for m in meeting.matters.all()} if meeting.pk else {}
    errors, new, changed, dropped = [], [], [], []
    position = 0
    for index, item in enumerate(matters, start=1):
        if item.pk is not None and item.pk not in existing:
            raise ValidationError({"matters": _("Matter %(n)d does not belong to this meeting.") % {"n": index}})
        if item.delete:
            if item.pk is not None:
                dropped.append(existing[item.pk])
            continue
        position += 1
        matter = existing[item.pk] if item.pk is not None else MeetingMatter(meeting=meeting)
        matter.position = position
        matter.description = (item.description or "").strip()
        matter.outcome = item.outcome
        matter.reference = (item.reference or "").strip()
        # Resolved on the spot means settled the day of the meeting, unless a later day is given.
        matter.settled_on = item.settled_on or (meeting.date if item.outcome == MatterOutcome.RESOLVED else None)
        try:
            matter.full_clean(exclude=["meeting"])
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                label = "" if field == "__all__" else f"{MeetingMatter._meta.get_field(field).verbose_name}: "
                errors.extend(
                    _("Matter %(n)d: %(msg)s") % {"n": index, "msg": f"{label}{message}"} for message in messages
                )
        (changed if matter.pk else new).append(matter)
    if errors:
        raise ValidationError({"matters": errors})
    for matter in dropped:
        matter._history_user = actor
        matter.delete()
    if changed:
        bulk_update_with_history(changed, MeetingMatter, [*MATTER_FIELDS, "position"], default_user=actor)
    if new:
        bulk_create_with_history(new, MeetingMatter, default_user=actor)
    data_changed(meeting.division.code)


def _check_kind(fields: dict) -> None:
    kind = fields.get("kind")
    if isinstance(kind, MeetingKind) and not kind.active:
        raise ValidationError({"kind": _("This kind of meeting is no longer in use.")})


@transaction.atomic
def meeting_record(*, actor, division: Division, matters: list[MatterInput] = (), **fields) -> VillagerMeeting:
    """A meeting with villagers and the matters raised at it, saved together or not at all."""
    _check_kind(fields)
    meeting = _create(VillagerMeeting, actor=actor, division=division, levels=VILLAGE, allowed=MEETING_FIELDS, **fields)
    _matters_save(meeting, list(matters), actor=actor)
    return meeting


@transaction.atomic
def meeting_update(
    *, actor, meeting: VillagerMeeting, matters: list[MatterInput] | None = None, **changes
) -> VillagerMeeting:
    """Change the meeting; with ``matters``, the list given becomes its matters (by ``pk``; new ones added)."""
    if "kind" in changes and changes["kind"] != meeting.kind:
        _check_kind(changes)
    meeting = _update(meeting, actor=actor, allowed=MEETING_FIELDS, **changes)
    if matters is not None:
        _matters_save(meeting, list(matters), actor=actor)
    return meeting


# ─── Volunteer service ──────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def station_create(*, actor, division: Division, **fields) -> PracticeStation:
    """A practice centre, institute or station; its level follows from the division it serves."""
    require_role(actor, division.code, WORK_EDITOR_ROLES)
    level = {v: k for k, v in STATION_DIVISION_LEVEL.items()}.get(division.level)
    if level is None:
        raise ValidationError({"division": _("Practice stations belong to a county, township or village.")})
    return _save(PracticeStation(division=division, level=level, **_pick(fields, STATION_FIELDS)), actor=actor)


@transaction.atomic
def station_update(*, actor, station: PracticeStation, **changes) -> PracticeStation:
    return _update(station, actor=actor, allowed=STATION_FIELDS, **changes)


@transaction.atomic
def team_create(*, actor, division: Division, **fields) -> VolunteerTeam:
    return _create(
        VolunteerTeam, actor=actor, division=division, levels=TOWNSHIP_OR_VILLAGE, allowed=TEAM_FIELDS, **fields
    )


@transaction.atomic
def team_update(*, actor, team: VolunteerTeam, **changes) -> VolunteerTeam:
    return _update(team, actor=actor, allowed=TEAM_FIELDS, **changes)


@transaction.atomic
def activity_record(*, actor, division: Division, **fields) -> VolunteerActivity:
    return _create(
        VolunteerActivity, actor=actor, division=division, levels=TOWNSHIP_OR_VILLAGE, allowed=ACTIVITY_FIELDS, **fields
    )


@transaction.atomic
def activity_update(*, actor, activity: VolunteerActivity, **changes) -> VolunteerActivity:
    return _update(activity, actor=actor, allowed=ACTIVITY_FIELDS, **changes)


# ─── Infrastructure and livability ──────────────────────────────────────────────────────────────────────────


@transaction.atomic
def infrastructure_create(*, actor, division: Division, **fields) -> InfrastructureProject:
    return _create(
        InfrastructureProject, actor=actor, division=division, levels=VILLAGE, allowed=INFRASTRUCTURE_FIELDS, **fields
    )


@transaction.atomic
def infrastructure_update(*, actor, project: InfrastructureProject, **changes) -> InfrastructureProject:
    return _update(project, actor=actor, allowed=INFRASTRUCTURE_FIELDS, **changes)


@transaction.atomic
def inspection_record(*, actor, division: Division, **fields) -> EnvironmentInspection:
    return _create(
        EnvironmentInspection, actor=actor, division=division, levels=VILLAGE, allowed=INSPECTION_FIELDS, **fields
    )


@transaction.atomic
def inspection_update(*, actor, inspection: EnvironmentInspection, **changes) -> EnvironmentInspection:
    return _update(inspection, actor=actor, allowed=INSPECTION_FIELDS, **changes)


# ─── Cadre training ─────────────────────────────────────────────────────────────────────────────────────────


@transaction.atomic
def training_create(*, actor, division: Division, **fields) -> TrainingSession:
    return _create(
        TrainingSession,
        actor=actor,
        division=division,
        levels=COUNTY_OR_TOWNSHIP,
        allowed=TRAINING_FIELDS,
        roles=TRAINING_ORGANIZER_ROLES,
        **fields,
    )


@transaction.atomic
def training_update(*, actor, session: TrainingSession, **changes) -> TrainingSession:
    return _update(session, actor=actor, allowed=TRAINING_FIELDS, roles=TRAINING_ORGANIZER_ROLES, **changes)


@dataclass
class AttendanceInput:
    """A cadre's attendance at a session; ``status=None`` removes the cadre from the session."""

    cadre: Cadre
    status: str | None = AttendanceStatus.PRESENT
    role: str = AttendanceRole.PARTICIPANT


@transaction.atomic
def attendance_set(*, actor, session: TrainingSession, entries: list[AttendanceInput]) -> int:
    """Record attendance for the cadres given (each within the actor's editing scope), in bulk.

    Returns how many cadres are now recorded for the session in the entries' villages.
    """
    existing = {a.cadre_id: a for a in TrainingAttendance.objects.select_for_update().filter(session=session)}
    new, changed, dropped, errors = [], [], [], []
    for entry in entries:
        require_role(actor, entry.cadre.division.code, WORK_EDITOR_ROLES)
        row = existing.get(entry.cadre.pk)
        if entry.status is None:
            if row is not None:
                dropped.append(row)
            continue
        if row is None:
            row = TrainingAttendance(session=session, cadre=entry.cadre)
        elif (row.status, row.role) == (entry.status, entry.role):
            continue
        row.status, row.role = entry.status, entry.role
        try:
            # The session and cadres are given as objects: checking that they exist would cost a query per row.
            row.full_clean(exclude=["session", "cadre"], validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            errors.extend(f"{entry.cadre.name}: {message}" for message in exc.messages)
        (changed if row.pk else new).append(row)
    if errors:
        raise ValidationError({"cadres": errors})
    for row in dropped:
        row._history_user = actor
        row.delete()
    if changed:
        bulk_update_with_history(changed, TrainingAttendance, ["status", "role"], default_user=actor)
    if new:
        bulk_create_with_history(new, TrainingAttendance, default_user=actor)
    data_changed(session.division.code)
    return len(new) + len(changed)
