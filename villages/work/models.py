"""Tables of the village work records.

``villages.models`` imports this module (``from .work.models import *``), so the models register under the
``villages`` app label and their migrations live in villages/migrations. Every record that belongs to a
division reads through a ``ScopedQuerySet``; money is in yuan with two decimals.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from villages.choices import Level
from villages.models import Cadre, Division, ScopedQuerySet
from villages.scopes import scope_q

from ..validators import TEXT_MAX, event_date, planned_date, text_max
from .choices import (
    AttendanceRole,
    AttendanceStatus,
    FundingSource,
    InfrastructureKind,
    InfrastructureStatus,
    InspectionResult,
    MatterOutcome,
    ProjectKind,
    ProjectStatus,
    StationLevel,
    TrainingKind,
    VolunteerFocus,
)

__all__ = [
    "CollectiveIncome",
    "CollectiveProject",
    "CollectiveProjectReturn",
    "CommonProsperityWorkshop",
    "EnvironmentInspection",
    "InfrastructureProject",
    "MeetingKind",
    "MeetingMatter",
    "PracticeStation",
    "TrainingAttendance",
    "TrainingSession",
    "VillagerMeeting",
    "VolunteerActivity",
    "VolunteerTeam",
]

MONEY = {"max_digits": 14, "decimal_places": 2}
ZERO = Decimal("0")
# The levels a record of each kind may belong to.
VILLAGE_ONLY = {Level.VILLAGE}
STATION_DIVISION_LEVEL = {
    StationLevel.CENTER: Level.COUNTY,
    StationLevel.INSTITUTE: Level.TOWNSHIP,
    StationLevel.STATION: Level.VILLAGE,
}
STATION_PARENT_LEVEL = {StationLevel.INSTITUTE: StationLevel.CENTER, StationLevel.STATION: StationLevel.INSTITUTE}


def _not_future(value: datetime.date | None, field: str, errors: dict) -> None:
    if value and value > timezone.localdate():
        errors[field] = _("This date lies in the future.")


def _record_url(kind: str, pk: int) -> str:
    return reverse("villages:work_record", kwargs={"kind": kind, "pk": pk})


# ─── Collective economy ──────────────────────────────────────────────────────────────────────────────────────


class CollectiveIncome(models.Model):
    """A village collective's income for one year, by source (村集体经济收入), and its assets at year end."""

    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="collective_incomes"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    land_transfer = models.DecimalField(_("land transfer income"), default=ZERO, **MONEY)
    land_transfer_area = models.DecimalField(
        _("land transferred (mu)"), max_digits=10, decimal_places=1, null=True, blank=True
    )
    rent = models.DecimalField(_("rent income"), default=ZERO, **MONEY)
    dividends = models.DecimalField(_("dividends"), default=ZERO, **MONEY)
    services = models.DecimalField(_("service income"), default=ZERO, **MONEY)
    other = models.DecimalField(_("other income"), default=ZERO, **MONEY)
    assets = models.DecimalField(
        _("collective assets at year end"), null=True, blank=True, help_text=_("In yuan."), **MONEY
    )
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "-year"]
        verbose_name = _("collective income")
        verbose_name_plural = _("collective incomes")
        constraints = [
            models.UniqueConstraint(fields=["division", "year"], name="%(app_label)s_%(class)s_one_per_year"),
            models.CheckConstraint(
                condition=Q(land_transfer__gte=0, rent__gte=0, dividends__gte=0, services__gte=0, other__gte=0),
                name="%(app_label)s_%(class)s_not_negative",
                violation_error_message=_("Income cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(assets__isnull=True) | Q(assets__gte=0),
                name="%(app_label)s_%(class)s_assets_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(land_transfer_area__isnull=True) | Q(land_transfer_area__gte=0),
                name="%(app_label)s_%(class)s_area_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(year__gte=1978, year__lte=2100), name="%(app_label)s_%(class)s_year_range"
            ),
        ]

    def __str__(self):
        return f"{self.division} {self.year}"

    def get_absolute_url(self):
        return _record_url("income", self.pk)

    @property
    def total(self) -> Decimal:
        return sum((self.land_transfer, self.rent, self.dividends, self.services, self.other), ZERO)

    def clean(self):
        errors = {}
        for field in ("land_transfer", "rent", "dividends", "services", "other", "assets", "land_transfer_area"):
            value = getattr(self, field)
            if value is not None and value < 0:
                errors[field] = _("This amount cannot be negative.")
        if self.year and self.year > timezone.localdate().year:
            errors["year"] = _("The income of a year still to come cannot be recorded.")
        if errors:
            raise ValidationError(errors)


class CollectiveProject(models.Model):
    """A project of the village collective (cold store, workshop, solar, tourism stake…) and its payback."""

    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="collective_projects"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=ProjectKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    branch_led = models.BooleanField(_("led by the party branch"), default=False)
    investment = models.DecimalField(_("investment"), help_text=_("In yuan."), **MONEY)
    funding_source = models.CharField(_("funding source"), max_length=12, choices=FundingSource.choices)
    funding_note = models.CharField(_("funding details"), max_length=200, blank=True)
    start_date = models.DateField(_("start"), validators=[planned_date])
    payback_years = models.DecimalField(
        _("expected payback (years)"), max_digits=4, decimal_places=1, null=True, blank=True
    )
    payback_date = models.DateField(_("expected payback by"), null=True, blank=True, validators=[planned_date])
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "-start_date", "pk"]
        verbose_name = _("collective economy project")
        verbose_name_plural = _("collective economy projects")
        constraints = [
            models.CheckConstraint(condition=Q(investment__gte=0), name="%(app_label)s_%(class)s_investment"),
            models.CheckConstraint(
                condition=Q(payback_date__isnull=True) | Q(payback_date__gt=F("start_date")),
                name="%(app_label)s_%(class)s_payback_after_start",
                violation_error_message=_("The payback cannot come before the project starts."),
            ),
            models.CheckConstraint(
                condition=Q(payback_years__isnull=True) | Q(payback_years__gt=0),
                name="%(app_label)s_%(class)s_payback_years_positive",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _record_url("project", self.pk)

    def clean(self):
        errors = {}
        if self.investment is not None and self.investment < 0:
            errors["investment"] = _("The investment cannot be negative.")
        if self.payback_years is not None and self.payback_years <= 0:
            errors["payback_years"] = _("The payback takes more than zero years.")
        if self.payback_date and self.start_date and self.payback_date <= self.start_date:
            errors["payback_date"] = _("The payback cannot come before the project starts.")
        if errors:
            raise ValidationError(errors)


class ProjectReturnQuerySet(ScopedQuerySet):
    scope_field = "project__division__code"


class CollectiveProjectReturn(models.Model):
    """What a project brought the collective in one year."""

    project = models.ForeignKey(
        CollectiveProject, verbose_name=_("project"), on_delete=models.CASCADE, related_name="returns"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    amount = models.DecimalField(_("return"), help_text=_("In yuan."), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    history = HistoricalRecords()
    objects = ProjectReturnQuerySet.as_manager()

    class Meta:
        ordering = ["project_id", "year"]
        verbose_name = _("yearly project return")
        verbose_name_plural = _("yearly project returns")
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="%(app_label)s_%(class)s_one_per_year"),
            models.CheckConstraint(
                condition=Q(amount__gte=0),
                name="%(app_label)s_%(class)s_not_negative",
                violation_error_message=_("A return cannot be negative."),
            ),
        ]

    def __str__(self):
        return f"{self.project} {self.year}"

    def clean(self):
        errors = {}
        if self.amount is not None and self.amount < 0:
            errors["amount"] = _("A return cannot be negative.")
        if self.year and self.year > timezone.localdate().year:
            errors["year"] = _("The return of a year still to come cannot be recorded.")
        if self.year and self.project_id and self.project.start_date and self.year < self.project.start_date.year:
            errors["year"] = _("The project had not started in that year.")
        if errors:
            raise ValidationError(errors)


class CommonProsperityWorkshop(models.Model):
    """A common-prosperity workshop (共富工坊): work near home for villagers, rent and income for the village."""

    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="workshops"
    )
    name = models.CharField(_("name"), max_length=100)
    partner = models.CharField(_("partner enterprise"), max_length=100, blank=True)
    opened_on = models.DateField(_("opened"), validators=[event_date])
    closed_on = models.DateField(_("closed"), null=True, blank=True, validators=[event_date])
    jobs = models.PositiveIntegerField(_("jobs provided"))
    annual_rent = models.DecimalField(_("yearly rent to the village"), default=ZERO, **MONEY)
    annual_income = models.DecimalField(_("other yearly income to the village"), default=ZERO, **MONEY)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "name"]
        verbose_name = _("common-prosperity workshop")
        verbose_name_plural = _("common-prosperity workshops")
        constraints = [
            models.CheckConstraint(
                condition=Q(annual_rent__gte=0, annual_income__gte=0),
                name="%(app_label)s_%(class)s_not_negative",
                violation_error_message=_("Rent and income cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _record_url("workshop", self.pk)

    def clean(self):
        errors = {}
        for field in ("annual_rent", "annual_income"):
            if getattr(self, field) is not None and getattr(self, field) < 0:
                errors[field] = _("This amount cannot be negative.")
        if self.closed_on and self.opened_on and self.closed_on < self.opened_on:
            errors["closed_on"] = _("A workshop cannot close before it opens.")
        _not_future(self.opened_on, "opened_on", errors)
        if errors:
            raise ValidationError(errors)


# ─── Meetings with villagers ────────────────────────────────────────────────────────────────────────────────


class MeetingKind(models.Model):
    """A kind of meeting with villagers (屋场会, 有事好商量, 书记下午茶 …): data the county keeps, not code."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["sort_order", "name"]
        verbose_name = _("meeting kind")
        verbose_name_plural = _("meeting kinds")

    def __str__(self):
        return self.name


class VillagerMeeting(models.Model):
    """A meeting with villagers: who came, what they raised, and how satisfied they were with what cadres did."""

    division = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="meetings")
    kind = models.ForeignKey(MeetingKind, verbose_name=_("kind"), on_delete=models.PROTECT, related_name="meetings")
    date = models.DateField(_("date"), validators=[event_date])
    place = models.CharField(_("place"), max_length=100)
    host = models.CharField(_("chaired by"), max_length=50, blank=True)
    topic = models.CharField(_("topic"), max_length=200, blank=True)
    attendance = models.PositiveIntegerField(_("villagers attending"))
    # The villagers' verdict on how cadres handled what they took on (满意度评价).
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basically_satisfied = models.PositiveIntegerField(_("basically satisfied"), default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("meeting with villagers")
        verbose_name_plural = _("meetings with villagers")
        constraints = [
            models.CheckConstraint(condition=Q(attendance__gte=1), name="%(app_label)s_%(class)s_attendance"),
            models.CheckConstraint(
                condition=Q(attendance__gte=F("satisfied") + F("basically_satisfied") + F("dissatisfied")),
                name="%(app_label)s_%(class)s_ratings_within_attendance",
                violation_error_message=_("More villagers rated the meeting than attended it."),
            ),
        ]
        indexes = [
            # The figures per village and year: WHERE division_id IN (…) AND date BETWEEN … GROUP BY division
            models.Index(fields=["division", "date"], name="villages_meeting_div_date"),
        ]

    def __str__(self):
        return f"{self.kind} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("villages:work_meeting", kwargs={"pk": self.pk})

    @property
    def ratings(self) -> int:
        return self.satisfied + self.basically_satisfied + self.dissatisfied

    def clean(self):
        errors = {}
        _not_future(self.date, "date", errors)
        if self.attendance is not None:
            if self.attendance < 1:
                errors["attendance"] = _("At least one villager attends a meeting.")
            elif (
                self.division_id and self.division.population is not None and self.attendance > self.division.population
            ):
                errors["attendance"] = _(
                    "%(n)d villagers cannot attend: %(village)s has %(population)d registered residents."
                ) % {"n": self.attendance, "village": self.division.name, "population": self.division.population}
            ratings = (self.satisfied or 0) + (self.basically_satisfied or 0) + (self.dissatisfied or 0)
            if ratings > self.attendance:
                errors["satisfied"] = _("%(r)d ratings from %(n)d villagers attending: more ratings than people.") % {
                    "r": ratings,
                    "n": self.attendance,
                }
        if errors:
            raise ValidationError(errors)


class MeetingMatterQuerySet(ScopedQuerySet):
    scope_field = "meeting__division__code"


class MeetingMatter(models.Model):
    """A matter villagers raised at a meeting, and what became of it.

    ``reference`` holds the number of the grid request, petition or dispute it became. Those live in the grids
    and petitions apps, which the villages app may not import; they will point back here with a foreign key.
    """

    meeting = models.ForeignKey(
        VillagerMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="matters"
    )
    position = models.PositiveSmallIntegerField(_("number"), default=1)
    description = models.CharField(_("matter raised"), max_length=300)
    outcome = models.CharField(_("outcome"), max_length=14, choices=MatterOutcome.choices)
    reference = models.CharField(
        _("reference"),
        max_length=64,
        blank=True,
        help_text=_("Number of the grid request, petition or dispute it was handed on as."),
    )
    settled_on = models.DateField(_("settled on"), null=True, blank=True, validators=[event_date])

    history = HistoricalRecords()
    objects = MeetingMatterQuerySet.as_manager()

    class Meta:
        ordering = ["meeting_id", "position", "pk"]
        verbose_name = _("matter raised")
        verbose_name_plural = _("matters raised")
        constraints = [
            models.CheckConstraint(
                condition=~Q(outcome=MatterOutcome.RESOLVED) | Q(settled_on__isnull=False),
                name="%(app_label)s_%(class)s_resolved_is_settled",
            ),
        ]

    def __str__(self):
        return self.description

    def clean(self):
        errors = {}
        if self.meeting_id and self.settled_on and self.settled_on < self.meeting.date:
            errors["settled_on"] = _("A matter cannot be settled before the meeting that raised it.")
        _not_future(self.settled_on, "settled_on", errors)
        if errors:
            raise ValidationError(errors)


# ─── Volunteer service and civilization practice ────────────────────────────────────────────────────────────


class PracticeStation(models.Model):
    """A civilization practice centre, institute or station (新时代文明实践中心/所/站)."""

    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="practice_stations"
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=StationLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("belongs to"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    opened_on = models.DateField(_("opened"), null=True, blank=True, validators=[event_date])

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "level", "name"]
        verbose_name = _("civilization practice station")
        verbose_name_plural = _("civilization practice stations")
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _record_url("station", self.pk)

    def clean(self):
        errors = {}
        if self.level and self.division_id:
            wanted = STATION_DIVISION_LEVEL[self.level]
            if self.division.level != wanted:
                errors["level"] = _("A %(level)s belongs to a %(division)s.") % {
                    "level": StationLevel(self.level).label,
                    "division": Level(wanted).label,
                }
        if self.parent_id and self.level:
            if STATION_PARENT_LEVEL.get(self.level) != self.parent.level:
                errors["parent"] = _("A station belongs to the practice unit one level above it.")
            elif self.division_id and not self.division.code.startswith(self.parent.division.prefix):
                errors["parent"] = _("The station and the unit it belongs to must be in the same area.")
        _not_future(self.opened_on, "opened_on", errors)
        if errors:
            raise ValidationError(errors)


def _same_township(division: Division, other: Division) -> bool:
    """Both lie in one township, or one is the township of the other."""
    if division.level == Level.COUNTY or other.level == Level.COUNTY:
        return division.code[:6] == other.code[:6]
    return division.code[:9] == other.code[:9]


class VolunteerTeam(models.Model):
    """A volunteer service team (志愿服务队) of a township or village."""

    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="volunteer_teams"
    )
    name = models.CharField(_("name"), max_length=100)
    focus = models.CharField(_("focus"), max_length=12, choices=VolunteerFocus.choices)
    members = models.PositiveIntegerField(_("members"))
    station = models.ForeignKey(
        PracticeStation,
        verbose_name=_("practice station"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams",
    )
    leader = models.CharField(_("leader"), max_length=50, blank=True)
    founded_on = models.DateField(_("founded"), null=True, blank=True, validators=[event_date])

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "name"]
        verbose_name = _("volunteer team")
        verbose_name_plural = _("volunteer teams")
        constraints = [
            models.CheckConstraint(condition=Q(members__gte=1), name="%(app_label)s_%(class)s_has_members"),
            models.UniqueConstraint(fields=["division", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _record_url("team", self.pk)

    def clean(self):
        errors = {}
        if self.members is not None and self.members < 1:
            errors["members"] = _("A team has at least one member.")
        if self.station_id and self.division_id and not _same_township(self.division, self.station.division):
            errors["station"] = _("The station lies outside this team's township.")
        _not_future(self.founded_on, "founded_on", errors)
        if errors:
            raise ValidationError(errors)


class VolunteerActivity(models.Model):
    """One volunteer activity: when, what kind, how many took part."""

    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="volunteer_activities"
    )
    date = models.DateField(_("date"), validators=[event_date])
    title = models.CharField(_("activity"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=VolunteerFocus.choices)
    participants = models.PositiveIntegerField(_("volunteers taking part"))
    beneficiaries = models.PositiveIntegerField(_("people served"), null=True, blank=True)
    team = models.ForeignKey(
        VolunteerTeam,
        verbose_name=_("team"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )
    station = models.ForeignKey(
        PracticeStation,
        verbose_name=_("practice station"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("volunteer activity")
        verbose_name_plural = _("volunteer activities")
        constraints = [
            models.CheckConstraint(condition=Q(participants__gte=1), name="%(app_label)s_%(class)s_participants"),
        ]
        indexes = [models.Index(fields=["division", "date"], name="villages_volact_div_date")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return _record_url("activity", self.pk)

    def clean(self):
        errors = {}
        if self.participants is not None and self.participants < 1:
            errors["participants"] = _("At least one volunteer takes part.")
        _not_future(self.date, "date", errors)
        if self.division_id:
            if self.team_id and not _same_township(self.division, self.team.division):
                errors["team"] = _("The team lies outside this activity's township.")
            if self.station_id and not _same_township(self.division, self.station.division):
                errors["station"] = _("The station lies outside this activity's township.")
        if errors:
            raise ValidationError(errors)


# ─── Infrastructure and livability ──────────────────────────────────────────────────────────────────────────


class InfrastructureProject(models.Model):
    """An infrastructure project in the village (sewer network, village hall, road…)."""

    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="infrastructure_projects"
    )
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=InfrastructureKind.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=InfrastructureStatus.choices, default=InfrastructureStatus.PLANNED
    )
    start_date = models.DateField(_("start"), null=True, blank=True, validators=[planned_date])
    completed_on = models.DateField(_("completed"), null=True, blank=True, validators=[event_date])
    investment = models.DecimalField(_("investment"), null=True, blank=True, help_text=_("In yuan."), **MONEY)
    funding_source = models.CharField(_("funding source"), max_length=12, choices=FundingSource.choices, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "-start_date", "pk"]
        verbose_name = _("infrastructure project")
        verbose_name_plural = _("infrastructure projects")
        constraints = [
            models.CheckConstraint(
                condition=Q(investment__isnull=True) | Q(investment__gte=0),
                name="%(app_label)s_%(class)s_investment",
            ),
            models.CheckConstraint(
                condition=Q(completed_on__isnull=True)
                | Q(start_date__isnull=True)
                | Q(completed_on__gte=F("start_date")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(status=InfrastructureStatus.COMPLETED) | Q(completed_on__isnull=False),
                name="%(app_label)s_%(class)s_completed_has_date",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return _record_url("infrastructure", self.pk)

    def clean(self):
        errors = {}
        if self.investment is not None and self.investment < 0:
            errors["investment"] = _("The investment cannot be negative.")
        if self.start_date and self.completed_on and self.completed_on < self.start_date:
            errors["completed_on"] = _("A project cannot be completed before it starts.")
        if self.status == InfrastructureStatus.COMPLETED and not self.completed_on:
            errors["completed_on"] = _("Give the date the project was completed.")
        elif self.completed_on and self.status != InfrastructureStatus.COMPLETED:
            errors["status"] = _("A project with a completion date is completed.")
        _not_future(self.completed_on, "completed_on", errors)
        if errors:
            raise ValidationError(errors)


class EnvironmentInspection(models.Model):
    """An inspection of the living environment (人居环境整治检查): result, score and what was found."""

    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="environment_inspections"
    )
    date = models.DateField(_("date"), validators=[event_date])
    inspector = models.CharField(_("inspector"), max_length=100)
    result = models.CharField(_("result"), max_length=8, choices=InspectionResult.choices)
    score = models.DecimalField(
        _("score"), max_digits=4, decimal_places=1, null=True, blank=True, help_text=_("0 to 100.")
    )
    findings = models.TextField(_("findings"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    rectify_by = models.DateField(_("to be put right by"), null=True, blank=True, validators=[planned_date])

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("environment inspection")
        verbose_name_plural = _("environment inspections")
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=100),
                name="%(app_label)s_%(class)s_score_range",
                violation_error_message=_("A score lies between 0 and 100."),
            ),
            models.CheckConstraint(
                condition=~Q(result=InspectionResult.FAILED) | ~Q(findings=""),
                name="%(app_label)s_%(class)s_failure_has_findings",
                violation_error_message=_("A failed inspection must say what was found."),
            ),
        ]
        indexes = [models.Index(fields=["division", "date"], name="villages_envinsp_div_date")]

    def __str__(self):
        return f"{self.division} {self.date:%Y-%m-%d}"

    def get_absolute_url(self):
        return _record_url("inspection", self.pk)

    def clean(self):
        errors = {}
        if self.score is not None and not (0 <= self.score <= 100):
            errors["score"] = _("A score lies between 0 and 100.")
        if self.result == InspectionResult.FAILED and not (self.findings or "").strip():
            errors["findings"] = _("A failed inspection must say what was found.")
        if self.rectify_by and self.date and self.rectify_by < self.date:
            errors["rectify_by"] = _("The deadline cannot come before the inspection.")
        _not_future(self.date, "date", errors)
        if errors:
            raise ValidationError(errors)


# ─── Cadre training ─────────────────────────────────────────────────────────────────────────────────────────


class TrainingSessionQuerySet(ScopedQuerySet):
    def visible_to(self, user, roles=None):
        """Sessions organized within the user's scope, and sessions above it that cadres of the scope attended."""
        attended = TrainingAttendance.objects.filter(scope_q(user, "cadre__division__code", roles))
        return self.filter(scope_q(user, self.scope_field, roles) | Q(pk__in=attended.values("session_id")))


class TrainingSession(models.Model):
    """A course or forum for village cadres, organized by the county or a township (轮训, 支书上讲台 …)."""

    division = models.ForeignKey(
        Division, verbose_name=_("organized by"), on_delete=models.PROTECT, related_name="training_sessions"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TrainingKind.choices)
    title = models.CharField(_("session"), max_length=200)
    series = models.CharField(
        _("series"),
        max_length=100,
        blank=True,
        help_text=_("e.g. 支书上讲台 月月有精彩 or the year's rotation training."),
    )
    date = models.DateField(_("date"), validators=[event_date])
    end_date = models.DateField(_("until"), null=True, blank=True, validators=[planned_date])
    place = models.CharField(_("place"), max_length=100, blank=True)
    hours = models.DecimalField(_("hours"), max_digits=5, decimal_places=1, null=True, blank=True)
    speakers = models.CharField(_("speakers"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))

    history = HistoricalRecords()
    objects = TrainingSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("training session")
        verbose_name_plural = _("training sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("date")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
            models.CheckConstraint(
                condition=Q(hours__isnull=True) | Q(hours__gt=0), name="%(app_label)s_%(class)s_hours"
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return _record_url("training", self.pk)

    def clean(self):
        errors = {}
        if self.division_id and self.division.level not in (Level.COUNTY, Level.TOWNSHIP):
            errors["division"] = _("Training is organized by a county or a township.")
        if self.end_date and self.date and self.end_date < self.date:
            errors["end_date"] = _("A session cannot end before it starts.")
        if self.hours is not None and self.hours <= 0:
            errors["hours"] = _("A session lasts more than zero hours.")
        if errors:
            raise ValidationError(errors)


class TrainingAttendanceQuerySet(ScopedQuerySet):
    scope_field = "cadre__division__code"


class TrainingAttendance(models.Model):
    """Whether a cadre attended a session, and as what."""

    session = models.ForeignKey(
        TrainingSession, verbose_name=_("session"), on_delete=models.CASCADE, related_name="attendance"
    )
    cadre = models.ForeignKey(
        Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="training_attendance"
    )
    role = models.CharField(_("as"), max_length=12, choices=AttendanceRole.choices, default=AttendanceRole.PARTICIPANT)
    status = models.CharField(
        _("attendance"), max_length=8, choices=AttendanceStatus.choices, default=AttendanceStatus.PRESENT
    )

    history = HistoricalRecords()
    objects = TrainingAttendanceQuerySet.as_manager()

    class Meta:
        ordering = ["session_id", "cadre__division__code", "cadre__name"]
        verbose_name = _("training attendance")
        verbose_name_plural = _("training attendance")
        constraints = [
            models.UniqueConstraint(fields=["session", "cadre"], name="%(app_label)s_%(class)s_once_per_session"),
        ]

    def __str__(self):
        return f"{self.cadre} · {self.session}"

    def clean(self):
        if self.session_id and self.cadre_id and not self.cadre.division.code.startswith(self.session.division.prefix):
            raise ValidationError({"cadre": _("This cadre's village lies outside the organizer's area.")})
