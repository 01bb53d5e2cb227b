"""Grids, the people and households in them, the service catalogue, service requests and visits.

Every row that belongs to a grid is read through ``visible_to(user)``: the villages prefix rule, and for a
grid worker only the grids they are assigned to (see grids/scopes.py).
"""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from villages.choices import Level
from villages.models import Division, ScopedQuerySet
from villages.people import display_name
from villages.validators import (
    NOTE_MAX,
    TEXT_MAX,
    event_date,
    mask_phone,
    planned_date,
    text_max,
    validate_id_number,
    validate_phone,
)

from .choices import (
    DONE_STATUSES,
    OPEN_STATUSES,
    AssignmentRole,
    Channel,
    DedicatedType,
    GridKind,
    Rating,
    RequestStatus,
    StepAction,
    SupervisionLevel,
    TimeUnit,
    VisitKind,
)
from .geo import validate_boundary
from .scopes import grid_scope_q

grid_code_validator = RegexValidator(
    r"^\d{15}$", _("A grid code is the 12-digit code of its village or community followed by 3 digits.")
)
PHONE_FORMAT = Q(phone="") | Q(phone__regex=r"^1[3-9][0-9]{9}$")


class GridScopedQuerySet(ScopedQuerySet):
    """Rows that hang on a grid: ``scope_field`` leads to the village code, ``grid_field`` to the grid's id."""

    scope_field = "grid__village__code"
    grid_field = "grid_id"

    def visible_to(self, user, roles=None):
        return self.filter(grid_scope_q(user, self.scope_field, self.grid_field, roles))


class GridRulesQuerySet(ScopedQuerySet):
    scope_field = "county__code"


class GridRules(models.Model):
    """A county's grid settings. A county without a row uses the defaults of the fields."""

    county = models.OneToOneField(
        Division,
        verbose_name=_("county"),
        on_delete=models.CASCADE,
        related_name="grid_rules",
        limit_choices_to={"level": Level.COUNTY},
    )
    households_min = models.PositiveIntegerField(
        _("fewest households per comprehensive grid"), default=200, help_text=_("Below this the grid is flagged.")
    )
    households_max = models.PositiveIntegerField(
        _("most households per comprehensive grid"), default=300, help_text=_("Above this the grid is flagged.")
    )
    coverage_days = models.PositiveSmallIntegerField(
        _("visit coverage window (days)"),
        default=30,
        validators=[MinValueValidator(1)],
        help_text=_("A household counts as visited when it was visited within this many days, today included."),
    )

    history = HistoricalRecords()
    objects = GridRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("grid rules")
        verbose_name_plural = _("grid rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(households_min__lte=F("households_max")), name="%(app_label)s_%(class)s_min_below_max"
            ),
            models.CheckConstraint(condition=Q(coverage_days__gte=1), name="%(app_label)s_%(class)s_window_positive"),
        ]

    def __str__(self):
        return str(self.county)

    def clean(self):
        if self.county_id and self.county.level != Level.COUNTY:
            raise ValidationError({"county": _("Grid rules are set per county.")})
        low, high = self.households_min, self.households_max
        if low is not None and high is not None and low > high:
            raise ValidationError({"households_max": _("The most cannot be below the fewest.")})

    @classmethod
    def for_code(cls, code: str) -> "GridRules":
        """The rules of the county the code lies in (one query); the defaults when the county has set none."""
        return cls.objects.filter(county__code=code[:6] + "0" * 6).first() or cls()


class CareTag(models.Model):
    """A tag for people who need care or attention (独居老人, 残疾人, …); the county keeps the list."""

    name = models.CharField(_("name"), max_length=30, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["order", "name"]
        verbose_name = _("care tag")
        verbose_name_plural = _("care tags")

    def __str__(self):
        return self.name


class GridQuerySet(GridScopedQuerySet):
    scope_field = "village__code"
    grid_field = "pk"


class Grid(models.Model):
    village = models.ForeignKey(
        Division,
        verbose_name=_("village or community"),
        on_delete=models.PROTECT,
        related_name="grids",
        limit_choices_to={"level": Level.VILLAGE},
    )
    code = models.CharField(_("grid code"), max_length=15, unique=True, validators=[grid_code_validator])
    name = models.CharField(_("name"), max_length=60)
    kind = models.CharField(_("kind"), max_length=14, choices=GridKind.choices, default=GridKind.COMPREHENSIVE)
    dedicated_type = models.CharField(
        _("covers"),
        max_length=12,
        choices=DedicatedType.choices,
        blank=True,
        help_text=_("For a dedicated grid: what it covers."),
    )
    boundary = models.JSONField(
        _("boundary"),
        null=True,
        blank=True,
        validators=[validate_boundary],
        help_text=_("A GeoJSON Polygon or MultiPolygon, longitude before latitude."),
    )

    history = HistoricalRecords()
    objects = GridQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        verbose_name_plural = _("grids")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^[0-9]{15}$"), name="%(app_label)s_%(class)s_code_format"),
            models.CheckConstraint(
                condition=Q(kind=GridKind.COMPREHENSIVE, dedicated_type="")
                | Q(kind=GridKind.DEDICATED, dedicated_type__in=DedicatedType.values),
                name="%(app_label)s_%(class)s_dedicated_type_fits_kind",
                violation_error_message=_("A dedicated grid says what it covers; a comprehensive grid does not."),
            ),
            models.UniqueConstraint(fields=["village", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("grids:grid", args=[self.pk])

    def clean(self):
        errors = {}
        if self.village_id:
            if self.village.level != Level.VILLAGE:
                errors["village"] = _("Grids belong to a village or community.")
            elif self.code and not self.code.startswith(self.village.code):
                errors["code"] = _("A grid code starts with its village's code %(code)s.") % {"code": self.village.code}
        if self.kind == GridKind.DEDICATED and not self.dedicated_type:
            errors["dedicated_type"] = _("Say what the dedicated grid covers.")
        if self.kind == GridKind.COMPREHENSIVE and self.dedicated_type:
            errors["dedicated_type"] = _("A comprehensive grid covers residents; leave this empty.")
        if errors:
            raise ValidationError(errors)

    @property
    def label(self) -> str:
        """The grid with its village, as units are named in request steps."""
        return f"{self.village.name}{self.name}"


class AssignmentQuerySet(GridScopedQuerySet):
    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(start_date__lte=on).filter(Q(end_date__isnull=True) | Q(end_date__gte=on))


class GridAssignment(models.Model):
    """A role on a grid, held from a date until a date: by a user of the platform or a named person."""

    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="assignments")
    role = models.CharField(_("role"), max_length=16, choices=AssignmentRole.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grid_assignments",
        help_text=_("A user of the platform; grid workers see the grids they are assigned to."),
    )
    person_name = models.CharField(
        _("person"), max_length=50, blank=True, help_text=_("For someone without an account (a police officer, …).")
    )
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[validate_phone])
    start_date = models.DateField(_("from"), validators=[planned_date])
    end_date = models.DateField(_("until"), null=True, blank=True, validators=[planned_date])

    history = HistoricalRecords()
    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "role", "start_date", "pk"]
        verbose_name = _("grid role")
        verbose_name_plural = _("grid roles")
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(person_name=""), name="%(app_label)s_%(class)s_has_holder"
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
            models.CheckConstraint(condition=PHONE_FORMAT, name="%(app_label)s_%(class)s_phone_format"),
        ]
        indexes = [
            # A grid worker's assigned grids, on every scoped read: WHERE user_id = ? AND start_date <= today …
            models.Index(fields=["user", "start_date"], name="grids_assign_user_start"),
        ]

    def __str__(self):
        return f"{self.get_role_display()}: {self.holder}"

    def clean(self):
        if self.user_id is None and not (self.person_name or "").strip():
            raise ValidationError({"person_name": _("Choose a user or give the person's name.")})
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("A role cannot end before it starts.")})

    @property
    def holder(self) -> str:
        if self.user_id:
            return display_name(self.user)
        return self.person_name

    @property
    def is_current(self) -> bool:
        today = timezone.localdate()
        return self.start_date <= today and (self.end_date is None or self.end_date >= today)


class PartyMemberQuerySet(GridScopedQuerySet):
    scope_field = "village__code"


class GridPartyBranch(models.Model):
    """A grid party branch (网格党支部), the community's party organization on one grid."""

    grid = models.OneToOneField(Grid, verbose_name=_("grid"), on_delete=models.CASCADE, related_name="party_branch")
    name = models.CharField(_("name"), max_length=100)
    secretary = models.ForeignKey(
        "PartyMember",
        verbose_name=_("secretary"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = GridScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id"]
        verbose_name = _("grid party branch")
        verbose_name_plural = _("grid party branches")

    def __str__(self):
        return self.name


class PartyGroupQuerySet(GridScopedQuerySet):
    scope_field = "branch__grid__village__code"
    grid_field = "branch__grid_id"


class BuildingPartyGroup(models.Model):
    """A building party group (楼栋党小组) under a grid party branch."""

    branch = models.ForeignKey(
        GridPartyBranch, verbose_name=_("grid party branch"), on_delete=models.CASCADE, related_name="groups"
    )
    name = models.CharField(_("name"), max_length=100)
    building = models.CharField(_("building"), max_length=60, blank=True)
    leader = models.ForeignKey(
        "PartyMember",
        verbose_name=_("group leader"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = PartyGroupQuerySet.as_manager()

    class Meta:
        ordering = ["branch_id", "name"]
        verbose_name = _("building party group")
        verbose_name_plural = _("building party groups")
        constraints = [models.UniqueConstraint(fields=["branch", "name"], name="%(app_label)s_%(class)s_unique_name")]

    def __str__(self):
        return self.name


class PartyMember(models.Model):
    """A party member who links households (党员联户); in a community, a member of a building party group."""

    village = models.ForeignKey(
        Division, verbose_name=_("village or community"), on_delete=models.PROTECT, related_name="party_members"
    )
    grid = models.ForeignKey(
        Grid, verbose_name=_("grid"), on_delete=models.SET_NULL, null=True, blank=True, related_name="party_members"
    )
    party_group = models.ForeignKey(
        BuildingPartyGroup,
        verbose_name=_("building party group"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="members",
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    # The member's natural key in an import (villages.imports) when the roll gives it; else name within the village.
    id_number = models.CharField(
        _("ID number"), max_length=18, blank=True, default="", db_default="", validators=[validate_id_number]
    )
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[validate_phone])
    branch = models.CharField(_("party branch"), max_length=100, blank=True)
    is_central_household = models.BooleanField(
        _("party-member central household"), default=False, help_text=_("党员中心户: the member's home is a hub.")
    )

    history = HistoricalRecords()
    objects = PartyMemberQuerySet.as_manager()

    class Meta:
        ordering = ["village_id", "name", "pk"]
        verbose_name = _("party member")
        verbose_name_plural = _("party members")
        constraints = [
            models.CheckConstraint(condition=PHONE_FORMAT, name="%(app_label)s_%(class)s_phone_format"),
            models.UniqueConstraint(
                fields=["id_number"], condition=~Q(id_number=""), name="%(app_label)s_%(class)s_unique_id_number"
            ),
            models.CheckConstraint(
                condition=Q(id_number="") | Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="%(app_label)s_%(class)s_id_number_format",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("grids:member", args=[self.pk])

    def clean(self):
        if self.grid_id and self.village_id and self.grid.village_id != self.village_id:
            raise ValidationError({"grid": _("The grid must lie in the member's village or community.")})
        if self.party_group_id and self.grid_id and self.party_group.branch.grid_id != self.grid_id:
            raise ValidationError({"party_group": _("The party group must belong to the member's grid.")})

    @property
    def masked_phone(self):
        return mask_phone(self.phone)


class Household(models.Model):
    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="households")
    # The household's natural keys in a county's roll (villages.imports): its number (户号) or its head's ID number;
    # blank for households entered without them. db_default so the import's multi-row INSERTs may leave them out.
    number = models.CharField(_("household number"), max_length=30, blank=True, default="", db_default="")
    head_id_number = models.CharField(
        _("head's ID number"),
        max_length=18,
        blank=True,
        default="",
        db_default="",
        validators=[validate_id_number],
    )
    address = models.CharField(_("address"), max_length=200)
    head_name = models.CharField(_("head of household"), max_length=50)
    members_count = models.PositiveSmallIntegerField(_("members"), default=1, validators=[MinValueValidator(1)])
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[validate_phone])
    care_tags = models.ManyToManyField(CareTag, verbose_name=_("care tags"), blank=True, related_name="households")
    linked_member = models.ForeignKey(
        PartyMember,
        verbose_name=_("linked party member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="linked_households",
    )

    history = HistoricalRecords()
    objects = GridScopedQuerySet.as_manager()

    class Meta:
        ordering = ["grid_id", "address", "pk"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        constraints = [
            models.CheckConstraint(condition=Q(members_count__gte=1), name="%(app_label)s_%(class)s_has_members"),
            models.CheckConstraint(condition=PHONE_FORMAT, name="%(app_label)s_%(class)s_phone_format"),
            models.CheckConstraint(condition=~Q(address=""), name="%(app_label)s_%(class)s_address_given"),
        ]
        indexes = [
            models.Index(fields=["grid", "address"], name="grids_household_grid_addr"),
            # The import's lookups of a roll's households by their natural keys.
            models.Index(fields=["number"], name="grids_household_number", condition=~Q(number="")),
            models.Index(fields=["head_id_number"], name="grids_household_head_id", condition=~Q(head_id_number="")),
        ]

    def __str__(self):
        return f"{self.head_name} · {self.address}"

    def get_absolute_url(self):
        return reverse("grids:household", args=[self.pk])

    def clean(self):
        if self.linked_member_id and self.grid_id and self.linked_member.village_id != self.grid.village_id:
            raise ValidationError({"linked_member": _("The linked party member must be of the same village.")})

    @property
    def masked_phone(self):
        return mask_phone(self.phone)


class VisitQuerySet(GridScopedQuerySet):
    scope_field = "household__grid__village__code"
    grid_field = "household__grid_id"


class Visit(models.Model):
    """A visit to a household by a grid worker or the linked party member (走访). Recorded, never edited."""

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="visits"
    )
    visited_on = models.DateField(_("visited on"), default=timezone.localdate, validators=[event_date])
    kind = models.CharField(_("kind"), max_length=10, choices=VisitKind.choices, default=VisitKind.ROUTINE)
    visitor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("visited by (user)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    visitor_member = models.ForeignKey(
        PartyMember,
        verbose_name=_("visited by (party member)"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
    )
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        ordering = ["-visited_on", "-pk"]
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        constraints = [
            models.CheckConstraint(
                condition=Q(visitor_user__isnull=False) | Q(visitor_member__isnull=False),
                name="%(app_label)s_%(class)s_has_visitor",
            ),
        ]
        indexes = [
            # Coverage: households of a grid visited since a date.
            models.Index(fields=["household", "visited_on"], name="grids_visit_household_date"),
        ]

    def __str__(self):
        return f"{self.household} {self.visited_on}"

    @property
    def visitor(self) -> str:
        if self.visitor_member_id:
            return self.visitor_member.name
        if self.visitor_user_id:
            return display_name(self.visitor_user)
        return ""


class ServiceCategory(models.Model):
    name = models.CharField(_("name"), max_length=40, unique=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")

    def __str__(self):
        return self.name


class ServiceSubcategory(models.Model):
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="subcategories"
    )
    name = models.CharField(_("name"), max_length=40)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["category__order", "order", "pk"]
        verbose_name = _("service subcategory")
        verbose_name_plural = _("service subcategories")
        constraints = [
            models.UniqueConstraint(fields=["category", "name"], name="%(app_label)s_%(class)s_unique_name"),
        ]

    def __str__(self):
        return self.name


class ServiceItem(models.Model):
    subcategory = models.ForeignKey(
        ServiceSubcategory, verbose_name=_("subcategory"), on_delete=models.PROTECT, related_name="items"
    )
    name = models.CharField(_("name"), max_length=60)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    time_limit = models.PositiveIntegerField(_("time limit"), validators=[MinValueValidator(1)])
    time_unit = models.CharField(_("unit"), max_length=5, choices=TimeUnit.choices, default=TimeUnit.DAYS)
    active = models.BooleanField(_("offered"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["subcategory__category__order", "subcategory__order", "order", "pk"]
        verbose_name = _("service item")
        verbose_name_plural = _("service items")
        constraints = [
            models.UniqueConstraint(fields=["subcategory", "name"], name="%(app_label)s_%(class)s_unique_name"),
            models.CheckConstraint(condition=Q(time_limit__gte=1), name="%(app_label)s_%(class)s_limit_positive"),
        ]

    def __str__(self):
        return self.name

    @property
    def time_limit_delta(self) -> datetime.timedelta:
        if self.time_unit == TimeUnit.HOURS:
            return datetime.timedelta(hours=self.time_limit)
        return datetime.timedelta(days=self.time_limit)

    def due_from(self, start: datetime.datetime) -> datetime.datetime:
        """Calendar time: a limit in days runs through weekends and holidays, as the county's list states it."""
        return start + self.time_limit_delta

    @property
    def time_limit_display(self) -> str:
        return f"{self.time_limit} {self.get_time_unit_display()}"


class RequestQuerySet(GridScopedQuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def overdue(self, now: datetime.datetime | None = None):
        return self.open().filter(due_at__lt=now or timezone.now())

    def supervised(self):
        return self.exclude(supervision_level="")


class ServiceRequest(models.Model):
    """A service a villager orders (点单) and a grid worker runs (跑腿), step by step to the rating."""

    grid = models.ForeignKey(Grid, verbose_name=_("grid"), on_delete=models.PROTECT, related_name="requests")
    household = models.ForeignKey(
        Household,
        verbose_name=_("household"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="requests",
    )
    item = models.ForeignKey(ServiceItem, verbose_name=_("service"), on_delete=models.PROTECT, related_name="requests")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.HOUSEHOLD)
    requester_name = models.CharField(_("requester"), max_length=50)
    requester_phone = models.CharField(_("requester's phone"), max_length=11, blank=True, validators=[validate_phone])
    description = models.TextField(_("what is needed"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    status = models.CharField(_("status"), max_length=10, choices=RequestStatus.choices, default=RequestStatus.REPORTED)
    reported_at = models.DateTimeField(_("reported at"), default=timezone.now)
    due_at = models.DateTimeField(_("due"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    current_unit = models.CharField(_("now with"), max_length=120)
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("handler"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating = models.CharField(_("rating"), max_length=12, choices=Rating.choices, blank=True)
    rating_comment = models.TextField(
        _("requester's comment"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    supervision_level = models.CharField(
        _("supervision"), max_length=8, choices=SupervisionLevel.choices, blank=True, help_text=_("The highest so far.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    history = HistoricalRecords()
    objects = RequestQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("service request")
        verbose_name_plural = _("service requests")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RequestStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=RequestStatus.RATED, rating__in=Rating.values)
                | (~Q(status=RequestStatus.RATED) & Q(rating="")),
                name="%(app_label)s_%(class)s_rated_iff_rating",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DONE_STATUSES, closed_at__isnull=False)
                | Q(status__in=OPEN_STATUSES, closed_at__isnull=True),
                name="%(app_label)s_%(class)s_closed_iff_done",
            ),
            models.CheckConstraint(
                condition=Q(due_at__gt=F("reported_at")), name="%(app_label)s_%(class)s_due_after_report"
            ),
            models.CheckConstraint(
                condition=Q(requester_phone="") | Q(requester_phone__regex=r"^1[3-9][0-9]{9}$"),
                name="%(app_label)s_%(class)s_phone_format",
            ),
        ]
        indexes = [
            # Open and overdue requests: WHERE status IN (…) AND due_at < now, and "my open requests" by due date.
            models.Index(fields=["status", "due_at"], name="grids_request_status_due"),
            models.Index(fields=["grid", "status"], name="grids_request_grid_status"),
        ]

    def __str__(self):
        return f"#{self.pk} {self.item}"

    def get_absolute_url(self):
        return reverse("grids:request", args=[self.pk])

    def clean(self):
        if self.household_id and self.grid_id and self.household.grid_id != self.grid_id:
            raise ValidationError({"household": _("The household does not live in this grid.")})

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def is_overdue(self, now: datetime.datetime | None = None) -> bool:
        """Open past its due time; or, once closed, closed after it."""
        if self.is_open:
            return (now or timezone.now()) > self.due_at
        return self.closed_at is not None and self.closed_at > self.due_at

    @property
    def overdue(self) -> bool:
        return self.is_overdue()

    @property
    def masked_phone(self):
        return mask_phone(self.requester_phone)


class StepQuerySet(GridScopedQuerySet):
    scope_field = "request__grid__village__code"
    grid_field = "request__grid_id"


class RequestStep(models.Model):
    """One step of a request: who took it, when, and from which unit to which. Never edited."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="steps"
    )
    action = models.CharField(_("step"), max_length=10, choices=StepAction.choices)
    from_status = models.CharField(_("from status"), max_length=10, choices=RequestStatus.choices, blank=True)
    to_status = models.CharField(_("to status"), max_length=10, choices=RequestStatus.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    from_unit = models.CharField(_("from unit"), max_length=120)
    to_unit = models.CharField(_("to unit"), max_length=120)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("request step")
        verbose_name_plural = _("request steps")
        constraints = [
            models.CheckConstraint(
                condition=~Q(action=StepAction.SEND_BACK) | ~Q(note=""),
                name="%(app_label)s_%(class)s_send_back_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.get_action_display()} {self.at:%Y-%m-%d %H:%M}"

    @property
    def actor_name(self) -> str:
        return display_name(self.actor) if self.actor_id else ""


class SupervisionQuerySet(GridScopedQuerySet):
    scope_field = "request__grid__village__code"
    grid_field = "request__grid_id"


class Supervision(models.Model):
    """督办: an overdue request pressed by the township or the county (ordinary, yellow card, red card)."""

    request = models.ForeignKey(
        ServiceRequest, verbose_name=_("request"), on_delete=models.CASCADE, related_name="supervisions"
    )
    level = models.CharField(_("level"), max_length=8, choices=SupervisionLevel.choices)
    reason = models.TextField(_("reason"), max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    unit = models.CharField(_("supervising unit"), max_length=120)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("at"), default=timezone.now)

    objects = SupervisionQuerySet.as_manager()

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("supervision")
        verbose_name_plural = _("supervisions")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="%(app_label)s_%(class)s_reason_given"),
            models.CheckConstraint(
                condition=Q(level__in=SupervisionLevel.values), name="%(app_label)s_%(class)s_level_valid"
            ),
        ]

    def __str__(self):
        return f"{self.get_level_display()} #{self.request_id}"
