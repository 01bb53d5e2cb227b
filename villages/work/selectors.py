"""Reads of the village work records: scoped lists with the joins their pages need, and the yearly figures.

The figures are what the five-star rules and the village portrait read: collective income and its growth,
inspections passed, volunteer activities, meetings held, matters settled and the villagers' satisfaction. Each is
one GROUP BY over the village code for every village under a division; ``rollup`` then adds the villages up to
any level by the code prefix, so a county's 183 villages cost the same few queries as one village.
"""

import datetime
from dataclasses import dataclass, fields
from decimal import Decimal

from django.db.models import Count, F, Prefetch, Q, Sum

from villages.choices import LEVEL_PREFIX_LENGTH, Level
from villages.history import ACTIONS
from villages.models import Cadre, Division

from .choices import AttendanceStatus, InfrastructureStatus, InspectionResult, MatterOutcome
from .models import (
    ZERO,
    CollectiveIncome,
    CollectiveProject,
    CollectiveProjectReturn,
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

INCOME_TOTAL = F("land_transfer") + F("rent") + F("dividends") + F("services") + F("other")


def _year_range(year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _under(qs, field: str, division: Division | None):
    return qs if division is None else qs.filter(**{f"{field}__startswith": division.prefix})


# ─── Lists ──────────────────────────────────────────────────────────────────────────────────────────────────


def income_list(*, user, division: Division | None = None, year: int | None = None):
    qs = _under(CollectiveIncome.objects.visible_to(user), "division__code", division).select_related("division")
    if year:
        qs = qs.filter(year=year)
    return qs.annotate(total_income=INCOME_TOTAL).order_by("division__code", "-year")


def project_list(*, user, division: Division | None = None, year: int | None = None):
    """Projects, each with ``year_return``: what it returned in ``year`` (None if nothing was recorded)."""
    qs = _under(CollectiveProject.objects.visible_to(user), "division__code", division).select_related("division")
    if year:
        qs = qs.annotate(year_return=Sum("returns__amount", filter=Q(returns__year=year)))
    return qs.order_by("division__code", "-start_date", "pk")


def project_returns(project: CollectiveProject):
    return CollectiveProjectReturn.objects.filter(project=project).order_by("year")


def workshop_list(*, user, division: Division | None = None):
    qs = CommonProsperityWorkshop.objects.visible_to(user)
    return _under(qs, "division__code", division).select_related("division").order_by("division__code", "name")


def meeting_list(*, user, division: Division | None = None, year: int | None = None):
    qs = _under(VillagerMeeting.objects.visible_to(user), "division__code", division)
    if year:
        qs = qs.filter(date__range=_year_range(year))
    return (
        qs.select_related("division", "kind")
        .prefetch_related(Prefetch("matters", queryset=MeetingMatter.objects.order_by("position", "pk")))
        .order_by("-date", "-pk")
    )


def matter_list(*, user, division: Division | None = None, year: int | None = None):
    qs = _under(MeetingMatter.objects.visible_to(user), "meeting__division__code", division)
    if year:
        qs = qs.filter(meeting__date__range=_year_range(year))
    return qs.select_related("meeting__division", "meeting__kind").order_by("-meeting__date", "meeting_id", "position")


def station_list(*, user, division: Division | None = None):
    qs = _under(PracticeStation.objects.visible_to(user), "division__code", division)
    return qs.select_related("division", "parent").order_by("division__code", "level", "name")


def team_list(*, user, division: Division | None = None):
    qs = _under(VolunteerTeam.objects.visible_to(user), "division__code", division)
    return qs.select_related("division", "station").order_by("division__code", "name")


def activity_list(*, user, division: Division | None = None, year: int | None = None):
    qs = _under(VolunteerActivity.objects.visible_to(user), "division__code", division)
    if year:
        qs = qs.filter(date__range=_year_range(year))
    return qs.select_related("division", "team", "station").order_by("-date", "-pk")


def infrastructure_list(*, user, division: Division | None = None):
    qs = _under(InfrastructureProject.objects.visible_to(user), "division__code", division)
    return qs.select_related("division").order_by("division__code", "-start_date", "pk")


def inspection_list(*, user, division: Division | None = None, year: int | None = None):
    qs = _under(EnvironmentInspection.objects.visible_to(user), "division__code", division)
    if year:
        qs = qs.filter(date__range=_year_range(year))
    return qs.select_related("division").order_by("-date", "-pk")


def training_list(*, user, division: Division | None = None, year: int | None = None):
    """Sessions organized at or under the division, and those above it that its cadres attended.

    Each carries ``attended_here``: how many cadres under the division were present.
    """
    qs = TrainingSession.objects.visible_to(user)
    here = Q()
    if division is not None:
        attended = TrainingAttendance.objects.filter(cadre__division__code__startswith=division.prefix)
        qs = qs.filter(Q(division__code__startswith=division.prefix) | Q(pk__in=attended.values("session_id")))
        here = Q(attendance__cadre__division__code__startswith=division.prefix)
    if year:
        qs = qs.filter(date__range=_year_range(year))
    present = Q(attendance__status=AttendanceStatus.PRESENT) & here
    return (
        qs.select_related("division")
        .annotate(attended_here=Count("attendance", filter=present))
        .order_by("-date", "-pk")
    )


def attendance_list(*, user, session: TrainingSession, division: Division | None = None):
    qs = _under(TrainingAttendance.objects.visible_to(user).filter(session=session), "cadre__division__code", division)
    return qs.select_related("cadre__division").order_by("cadre__division__code", "cadre__name")


def cadres_for_attendance(*, user, session: TrainingSession, division: Division):
    """Cadres in office the user may mark for this session: under both the session's organizer and the division."""
    prefix = max(session.division.prefix, division.prefix, key=len)
    if not (prefix.startswith(session.division.prefix) and prefix.startswith(division.prefix)):
        return Cadre.objects.none()
    return (
        Cadre.objects.visible_to(user)
        .filter(active=True, division__code__startswith=prefix)
        .select_related("division")
        .order_by("division__code", "name")
    )


# ─── Figures ────────────────────────────────────────────────────────────────────────────────────────────────


@dataclass
class WorkFigures:
    """One year's figures of one village, or of the villages under a township or county added up."""

    villages: int = 0
    income: Decimal = ZERO
    income_previous: Decimal = ZERO
    # Villages with a recorded income both this year and last, and those among them whose income grew.
    villages_compared: int = 0
    villages_growing: int = 0
    assets: Decimal = ZERO
    meetings: int = 0
    attendance: int = 0
    matters: int = 0
    matters_settled: int = 0
    # Matters settled for villagers on the spot or through a grid request: the seed's 实事好事 (good deeds).
    good_deeds: int = 0
    disputes_mediated: int = 0
    petitions_resolved: int = 0
    satisfied: int = 0
    basically_satisfied: int = 0
    dissatisfied: int = 0
    volunteer_activities: int = 0
    volunteer_participants: int = 0
    inspections: int = 0
    inspections_passed: int = 0
    infrastructure_projects: int = 0
    infrastructure_completed: int = 0
    training_attended: int = 0

    @property
    def income_growth(self) -> Decimal | None:
        """Growth against last year, as a fraction (0.1 = 10%); None without last year's income."""
        if not self.income_previous:
            return None
        return (self.income - self.income_previous) / self.income_previous

    @property
    def income_growth_percent(self) -> Decimal | None:
        growth = self.income_growth
        return None if growth is None else (growth * 100).quantize(Decimal("0.1"))

    @property
    def ratings(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    @property
    def content(self) -> int:
        """Ratings of satisfied or basically satisfied (the county decides which count as content)."""
        return self.satisfied + self.basically_satisfied

    def add(self, other: "WorkFigures") -> None:
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


def village_figures(*, division: Division, year: int) -> dict[str, WorkFigures]:
    """``{division code: WorkFigures}`` for every current village at or under ``division``, and for any division
    above the villages that keeps records of its own: a fixed number of queries, whatever the number of villages.

    Villages with no records at all still appear (with zeros), so a reader never mistakes "none" for "missing".
    """
    prefix = division.prefix
    start, end = _year_range(year)
    if division.is_village:
        # A village's portrait: the village itself, if current at the year's end (no query needed to know).
        current = (division.valid_from is None or division.valid_from <= end) and (
            division.valid_to is None or division.valid_to > end
        )
        result = {division.code: WorkFigures(villages=1)} if current else {}
    else:
        codes = Division.objects.current(end).filter(level=Level.VILLAGE, code__startswith=prefix)
        result = {code: WorkFigures(villages=1) for code in codes.values_list("code", flat=True)}

    def grouped(qs, code_field: str, **aggregates):
        rows = qs.filter(**{f"{code_field}__startswith": prefix}).values(code_field).annotate(**aggregates).order_by()
        for row in rows:
            # Records kept by a township (its own volunteer activities) count towards it, in no village.
            yield result.setdefault(row.pop(code_field), WorkFigures()), row

    incomes = CollectiveIncome.objects.filter(year__in=[year, year - 1])
    this_year, last_year = Q(year=year), Q(year=year - 1)
    for figures, row in grouped(
        incomes,
        "division__code",
        current=Sum(INCOME_TOTAL, filter=this_year),
        previous=Sum(INCOME_TOTAL, filter=last_year),
        assets=Sum("assets", filter=this_year),
    ):
        figures.income = row["current"] or ZERO
        figures.income_previous = row["previous"] or ZERO
        figures.assets = row["assets"] or ZERO
        if row["current"] is not None and row["previous"] is not None:
            figures.villages_compared = 1
            figures.villages_growing = int(row["current"] > row["previous"])

    meetings = VillagerMeeting.objects.filter(date__range=(start, end))
    for figures, row in grouped(
        meetings,
        "division__code",
        n=Count("pk"),
        attendance=Sum("attendance"),
        satisfied=Sum("satisfied"),
        basically=Sum("basically_satisfied"),
        dissatisfied=Sum("dissatisfied"),
    ):
        figures.meetings = row["n"]
        figures.attendance = row["attendance"] or 0
        figures.satisfied = row["satisfied"] or 0
        figures.basically_satisfied = row["basically"] or 0
        figures.dissatisfied = row["dissatisfied"] or 0

    settled = Q(settled_on__isnull=False)
    matters = MeetingMatter.objects.filter(meeting__date__range=(start, end))
    for figures, row in grouped(
        matters,
        "meeting__division__code",
        n=Count("pk"),
        settled=Count("pk", filter=settled),
        good=Count("pk", filter=settled & Q(outcome__in=[MatterOutcome.RESOLVED, MatterOutcome.GRID_REQUEST])),
        disputes=Count("pk", filter=settled & Q(outcome=MatterOutcome.DISPUTE)),
        petitions=Count("pk", filter=settled & Q(outcome=MatterOutcome.PETITION)),
    ):
        figures.matters = row["n"]
        figures.matters_settled = row["settled"]
        figures.good_deeds = row["good"]
        figures.disputes_mediated = row["disputes"]
        figures.petitions_resolved = row["petitions"]

    activities = VolunteerActivity.objects.filter(date__range=(start, end))
    for figures, row in grouped(activities, "division__code", n=Count("pk"), people=Sum("participants")):
        figures.volunteer_activities = row["n"]
        figures.volunteer_participants = row["people"] or 0

    inspections = EnvironmentInspection.objects.filter(date__range=(start, end))
    for figures, row in grouped(
        inspections, "division__code", n=Count("pk"), passed=Count("pk", filter=Q(result=InspectionResult.PASSED))
    ):
        figures.inspections = row["n"]
        figures.inspections_passed = row["passed"]

    # Infrastructure counts what stood in the village that year: started by its end, not abandoned before it.
    infrastructure = InfrastructureProject.objects.filter(Q(start_date__isnull=True) | Q(start_date__lte=end))
    done = Q(status=InfrastructureStatus.COMPLETED, completed_on__lte=end)
    for figures, row in grouped(infrastructure, "division__code", n=Count("pk"), done=Count("pk", filter=done)):
        figures.infrastructure_projects = row["n"]
        figures.infrastructure_completed = row["done"]

    attendance = TrainingAttendance.objects.filter(status=AttendanceStatus.PRESENT, session__date__range=(start, end))
    for figures, row in grouped(attendance, "cadre__division__code", n=Count("pk")):
        figures.training_attended = row["n"]
    return result


def rollup(per_village: dict[str, WorkFigures], level: str) -> dict[str, WorkFigures]:
    """Add village figures up to the divisions of ``level`` by code prefix: ``{12-digit code: WorkFigures}``."""
    length = LEVEL_PREFIX_LENGTH[level]
    result: dict[str, WorkFigures] = {}
    for code, figures in per_village.items():
        result.setdefault(code[:length].ljust(12, "0"), WorkFigures()).add(figures)
    return result


def division_figures(*, division: Division, year: int) -> tuple[WorkFigures, list[tuple[Division, WorkFigures]]]:
    """The division's own figures for the year, and those of each division directly below it."""
    per_village = village_figures(division=division, year=year)
    total = rollup(per_village, division.level).get(division.code, WorkFigures())
    if division.is_village:
        return total, []
    below = rollup(per_village, division.child_level)
    children = Division.objects.filter(parent=division).current(_year_range(year)[1]).order_by("code")
    return total, [(child, below.get(child.code, WorkFigures())) for child in children]


_MATTER_FIELDS = ("description", "outcome", "reference", "settled_on")


def matter_history(meeting: VillagerMeeting, limit: int = 200) -> list[dict]:
    """Changes to the meeting's matters, deleted ones included, newest first (one query)."""
    records = (
        MeetingMatter.history.filter(meeting_id=meeting.pk)
        .select_related("history_user")
        .order_by("id", "history_date", "history_id")
    )
    outcome_labels = dict(MatterOutcome.choices)
    labels = {name: str(MeetingMatter._meta.get_field(name).verbose_name) for name in _MATTER_FIELDS}

    def shown(name, value):
        if name == "outcome":
            return str(outcome_labels.get(value, value))
        return value if value is None or isinstance(value, str) else str(value)

    entries, previous = [], {}
    for record in records:
        before = previous.get(record.id)
        changes = []
        if record.history_type != "-":
            for name in _MATTER_FIELDS:
                old = getattr(before, name) if before is not None else None
                new = getattr(record, name)
                if before is None or old != new:
                    changes.append(
                        {
                            "field": name,
                            "label": labels[name],
                            "old": shown(name, old) if before is not None else None,
                            "new": shown(name, new),
                        }
                    )
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user.get_username() if record.history_user else None,
                "action": str(ACTIONS.get(record.history_type, record.history_type)),
                "matter": record.description,
                "changes": changes,
            }
        )
        previous[record.id] = record
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries[:limit]
