import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from .choices import (
    KINDS_BY_LEVEL,
    LEVEL_ORDER,
    LEVEL_PREFIX_LENGTH,
    SINGLE_HOLDER_TITLES,
    TITLES_BY_COMMITTEE,
    AdjustmentKind,
    ApprovingLevel,
    Committee,
    Comparison,
    CountyDecision,
    DivisionKind,
    Education,
    Gender,
    Level,
    Measure,
    PostTitle,
    Role,
    StarSet,
    StarStatus,
    UrbanRural,
)
from .scopes import scope_q
from .validators import (
    NOTE_MAX,
    TEXT_MAX,
    birth_date,
    event_date,
    mask_birth_date,
    mask_id_number,
    mask_phone,
    planned_date,
    text_max,
    validate_id_number,
    validate_phone,
)

code_validator = RegexValidator(r"^\d{12}$", _("A division code is exactly 12 digits."))


class ScopedQuerySet(models.QuerySet):
    """Rows keep their division code at ``scope_field``; ``visible_to`` keeps those in the user's scope."""

    scope_field = "division__code"

    def visible_to(self, user, roles=None):
        return self.filter(scope_q(user, self.scope_field, roles))


class DivisionQuerySet(ScopedQuerySet):
    scope_field = "code"

    def current(self, on: datetime.date | None = None):
        on = on or timezone.localdate()
        return self.filter(Q(valid_from__lte=on) | Q(valid_from__isnull=True)).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=on)
        )

    def villages(self):
        return self.filter(level=Level.VILLAGE)

    def below(self, division: "Division"):
        """Every division under ``division`` (not itself)."""
        return self.filter(code__startswith=division.prefix).exclude(pk=division.pk)


class Division(models.Model):
    code = models.CharField(_("division code"), max_length=12, unique=True, validators=[code_validator])
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    kind = models.CharField(_("kind"), max_length=20, choices=DivisionKind.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent division"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True, validators=[planned_date])
    valid_to = models.DateField(
        _("valid to"),
        null=True,
        blank=True,
        help_text=_("Set when the division is merged or split; its history stays."),
        validators=[planned_date],
    )
    successor = models.ForeignKey(
        "self",
        verbose_name=_("successor"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="predecessors",
        help_text=_("The division it was merged into, if any."),
    )
    population = models.PositiveIntegerField(_("registered population"), null=True, blank=True)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    code_year = models.PositiveSmallIntegerField(
        _("official list year"),
        null=True,
        blank=True,
        help_text=_("The year of the official list of statistical division codes it was made from, if any."),
    )
    urban_rural = models.CharField(
        _("urban-rural code"),
        max_length=3,
        choices=UrbanRural.choices,
        blank=True,
        help_text=_("The statistics bureau’s urban-rural code of a village or community (blank: unknown)."),
    )

    history = HistoricalRecords()
    objects = DivisionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        constraints = [
            models.CheckConstraint(condition=Q(code__regex=r"^\d{12}$"), name="%(app_label)s_%(class)s_code_12_digits"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_from__isnull=True) | Q(valid_to__gt=F("valid_from")),
                name="%(app_label)s_%(class)s_valid_range",
            ),
            models.CheckConstraint(condition=Q(level__in=Level.values), name="%(app_label)s_%(class)s_level_valid"),
            models.CheckConstraint(
                condition=Q(urban_rural="") | Q(level=Level.VILLAGE, urban_rural__in=UrbanRural.values),
                name="%(app_label)s_%(class)s_urban_rural_village",
            ),
        ]
        indexes = [
            # The child lists: WHERE parent_id = ? ORDER BY code
            models.Index(fields=["parent", "code"], name="villages_div_parent_code"),
            # Counting villages under a prefix: WHERE level = 'village' AND code LIKE '411103%'
            # (pattern opclasses so PostgreSQL uses the index for the LIKE prefix, not just the equality).
            models.Index(
                fields=["level", "code"],
                name="villages_div_level_code",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            # Every tally and scoped list joins its rows to their division: WHERE code LIKE '411103%' (any level).
            # At province scale this lets PostgreSQL start from the county's few hundred divisions and follow
            # the foreign-key indexes, instead of scanning millions of rows per county.
            models.Index(fields=["code"], name="villages_div_code_prefix", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("villages:division", args=[self.code])

    @property
    def prefix(self) -> str:
        return self.code[: LEVEL_PREFIX_LENGTH[self.level]]

    @property
    def is_village(self) -> bool:
        return self.level == Level.VILLAGE

    @property
    def is_community(self) -> bool:
        return self.kind == DivisionKind.COMMUNITY

    @property
    def child_level(self) -> str | None:
        i = LEVEL_ORDER.index(self.level)
        return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None

    def ancestor_codes(self) -> list[str]:
        """Codes of the divisions above, from the top, derived from the code itself (no queries)."""
        codes = []
        for level in LEVEL_ORDER[: LEVEL_ORDER.index(self.level)]:
            n = LEVEL_PREFIX_LENGTH[level]
            codes.append(self.code[:n].ljust(12, "0"))
        return codes

    def clean(self):
        errors = {}
        if self.level and self.kind and self.kind not in KINDS_BY_LEVEL.get(self.level, set()):
            errors["kind"] = _("This kind does not belong at this level.")
        if self.code and self.level:
            n = LEVEL_PREFIX_LENGTH[self.level]
            if self.code[n:].strip("0"):
                errors["code"] = _("At this level the code ends in %(n)d zeros.") % {"n": 12 - n}
            else:
                i = LEVEL_ORDER.index(self.level)
                start = LEVEL_PREFIX_LENGTH[LEVEL_ORDER[i - 1]] if i else 0
                # A city with no county level (东莞市 441900) is its own county-level unit, with the city's code.
                without_counties = self.level == Level.COUNTY and self.kind == DivisionKind.CITY_WITHOUT_COUNTIES
                if not self.code[start:n].strip("0") and not without_counties:
                    errors["code"] = _("The code's own digits at this level cannot all be zero.")
        if self.parent_id and self.code and self.level:
            parent = self.parent
            if LEVEL_ORDER.index(parent.level) >= LEVEL_ORDER.index(self.level):
                errors["parent"] = _("The parent must be at a higher level.")
            elif not self.code.startswith(parent.prefix):
                errors["parent"] = _("The code %(code)s does not lie under the parent %(parent)s.") % {
                    "code": self.code,
                    "parent": parent.code,
                }
        if errors:
            raise ValidationError(errors)


class CadreQuerySet(ScopedQuerySet):
    def with_current_posts(self):
        return self.prefetch_related(
            models.Prefetch("posts", queryset=Post.objects.filter(end_date__isnull=True), to_attr="current_posts")
        )


class Cadre(models.Model):
    """A village cadre (村干部): a person; the posts they hold are separate records."""

    division = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="cadres")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    gender = models.CharField(_("gender"), max_length=6, choices=Gender.choices)
    birth_date = models.DateField(_("birth date"), null=True, blank=True, validators=[birth_date])
    education = models.CharField(_("education"), max_length=14, choices=Education.choices, blank=True)
    is_party_member = models.BooleanField(_("party member"), default=False)
    party_branch = models.CharField(_("party branch"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[validate_phone])
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    term_start_year = models.PositiveSmallIntegerField(
        _("term starts"), default=2021, help_text=_("Year of the election that began the term.")
    )
    active = models.BooleanField(_("in office"), default=True)

    history = HistoricalRecords()
    objects = CadreQuerySet.as_manager()

    class Meta:
        ordering = ["division_id", "name"]
        verbose_name = _("cadre")
        verbose_name_plural = _("cadres")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=~Q(id_number=""),
                name="%(app_label)s_%(class)s_unique_id_number",
            ),
            # The format at least, so no bulk path stores a malformed number (the check digit is checked on entry).
            models.CheckConstraint(
                condition=Q(id_number="") | Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="%(app_label)s_%(class)s_id_number_format",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^1[3-9][0-9]{9}$"),
                name="%(app_label)s_%(class)s_phone_format",
            ),
            models.CheckConstraint(condition=Q(term_start_year__gte=1949), name="%(app_label)s_%(class)s_term_year"),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("villages:cadre", args=[self.pk])

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)

    @property
    def masked_birth_date(self):
        return mask_birth_date(self.birth_date)

    @property
    def birth_year(self) -> int | None:
        return self.birth_date.year if self.birth_date else None

    @property
    def term_end_year(self):
        return self.term_start_year + 5


class PostQuerySet(ScopedQuerySet):
    def current(self):
        return self.filter(end_date__isnull=True)


class Post(models.Model):
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="posts")
    # Kept beside the cadre's so scope checks and committee lists need no join through the cadre.
    division = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="posts")
    committee = models.CharField(_("committee"), max_length=12, choices=Committee.choices)
    title = models.CharField(_("title"), max_length=20, choices=PostTitle.choices)
    start_date = models.DateField(_("start date"), validators=[event_date])
    end_date = models.DateField(_("end date"), null=True, blank=True, validators=[planned_date])

    history = HistoricalRecords()
    objects = PostQuerySet.as_manager()

    class Meta:
        ordering = ["division_id", "start_date", "pk"]
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
            models.UniqueConstraint(
                fields=["division", "committee", "title"],
                condition=Q(end_date__isnull=True, title__in=SINGLE_HOLDER_TITLES),
                name="%(app_label)s_%(class)s_one_current_holder",
                violation_error_message=_("This post already has a current holder; end their post first."),
            ),
            models.UniqueConstraint(
                fields=["cadre", "committee", "title"],
                condition=Q(end_date__isnull=True),
                name="%(app_label)s_%(class)s_no_duplicate_current",
                violation_error_message=_("The cadre already holds this post."),
            ),
            models.CheckConstraint(
                condition=Q(committee=Committee.PARTY, title__in=sorted(TITLES_BY_COMMITTEE[Committee.PARTY]))
                | Q(committee=Committee.VILLAGERS, title__in=sorted(TITLES_BY_COMMITTEE[Committee.VILLAGERS]))
                | Q(committee=Committee.SUPERVISION, title__in=sorted(TITLES_BY_COMMITTEE[Committee.SUPERVISION])),
                name="%(app_label)s_%(class)s_title_fits_committee",
                violation_error_message=_("This committee has no such post."),
            ),
        ]
        indexes = [models.Index(fields=["division", "end_date"], name="villages_post_div_end")]

    def __str__(self):
        return f"{self.get_committee_display()} {self.get_title_display()}"

    def clean(self):
        if self.committee and self.title and self.title not in TITLES_BY_COMMITTEE[self.committee]:
            raise ValidationError({"title": _("This committee has no such post.")})
        if self.cadre_id and self.division_id and self.cadre.division_id != self.division_id:
            raise ValidationError({"division": _("A post belongs to its cadre's village.")})
        if self.end_date and self.start_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("A post cannot end before it starts.")})

    @property
    def is_current(self):
        return self.end_date is None


class Adjustment(models.Model):
    """A cadre replaced, removed or redeployed (调整). Never edited afterwards."""

    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="adjustments"
    )
    kind = models.CharField(_("kind"), max_length=14, choices=AdjustmentKind.choices)
    post = models.ForeignKey(Post, verbose_name=_("post ended"), on_delete=models.PROTECT, related_name="adjustments")
    outgoing = models.ForeignKey(
        Cadre, verbose_name=_("outgoing cadre"), on_delete=models.PROTECT, related_name="adjustments_out"
    )
    incoming = models.ForeignKey(
        Cadre,
        verbose_name=_("incoming cadre"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments_in",
    )
    new_post = models.ForeignKey(
        Post,
        verbose_name=_("post started"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    date = models.DateField(_("date"), validators=[event_date])
    reason = models.TextField(_("reason"), max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    approved_by = models.CharField(_("approving level"), max_length=10, choices=ApprovingLevel.choices)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind=AdjustmentKind.REPLACEMENT) | Q(incoming__isnull=False),
                name="%(app_label)s_%(class)s_replacement_has_incoming",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="%(app_label)s_%(class)s_reason_given"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.outgoing}"


class UserScope(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="scopes"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="user_scopes"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    manages_users = models.BooleanField(
        _("manages users"),
        default=False,
        help_text=_("May create users and grant scopes at or below this division (a county official's flag)."),
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["user_id", "division_id"]
        verbose_name = _("user scope")
        verbose_name_plural = _("user scopes")
        constraints = [
            models.UniqueConstraint(fields=["user", "division", "role"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self):
        return f"{self.user} · {self.division} · {self.get_role_display()}"


class UserAuthState(models.Model):
    """A user's authentication version: read with the user on every signed-in request (a join, no query of its own)
    and moved whenever something a request relies on is taken away or changed: a session ended, every session
    ended, the password changed, a scope changed. What the cache keeps under an older version (a copy of a session,
    the user's scopes) is checked against the database before it is used again, on every node (villages.sessions).
    A user without a row is at version 0."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="auth_state",
    )
    version = models.PositiveBigIntegerField(_("version"), default=0)

    class Meta:
        verbose_name = _("authentication version")
        verbose_name_plural = _("authentication versions")

    def __str__(self):
        return f"{self.user_id}: {self.version}"


class ApiToken(models.Model):
    """A bearer token for REST clients. Only its SHA-256 digest is stored; it expires and can be revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(
        _("token prefix"), max_length=8, help_text=_("The first characters, to tell tokens apart.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self):
        return f"{self.user} {self.prefix}…"

    @property
    def is_valid(self):
        return self.revoked_at is None and self.expires_at > timezone.now()


class TallyRunQuerySet(ScopedQuerySet):
    scope_field = "county__code"


class TallyRun(models.Model):
    """One computation of every metric for one county and period: when, under which rules, with what result."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT, related_name="tally_runs")
    period = models.CharField(_("period"), max_length=7)
    rule_version = models.CharField(_("rule version"), max_length=20)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(_("started"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    # The digests of the figures it found, per metric and "stars" for the year's star proposals
    # (``villages.snapshots.figures_digests``), and all of them in one: the next run compares and writes only the
    # metrics whose digest moved, and over unchanged data leaves the snapshot as it is, without reading it back.
    digest = models.CharField(_("digest of the figures"), max_length=64, blank=True)
    part_digests = models.JSONField(_("digests by metric"), default=dict, blank=True)

    objects = TallyRunQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("tally run")
        verbose_name_plural = _("tally runs")
        indexes = [models.Index(fields=["county", "period", "-started_at"], name="villages_tally_latest")]

    def __str__(self):
        return f"{self.county} {self.period} {self.get_status_display()}"


class SnapshotQuerySet(ScopedQuerySet):
    scope_field = "division_code"


class Snapshot(models.Model):
    """A figure for one division, period and metric, as numerator and denominator (never a bare percentage).

    A tally replaces all rows of one county and period in one transaction, so readers see the old set or the
    new one, never a mix; it writes only the rows whose figures changed (``villages.bulk.replace_rows``).
    """

    # No index of its own: the unique (division, period, metric) index starts with it.
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="+", db_index=False
    )
    # The code again, so scope filters and drill-downs need no join.
    division_code = models.CharField(_("division code"), max_length=12)
    period = models.CharField(_("period"), max_length=7)
    metric = models.CharField(_("metric"), max_length=64)
    numerator = models.BigIntegerField(_("numerator"))
    denominator = models.BigIntegerField(_("denominator"), null=True, blank=True)
    inputs = models.JSONField(_("inputs"), default=dict, blank=True)
    # The run that computed the figure as it stands: a later tally that finds it unchanged leaves the row alone, so
    # an older run may still own current rows and cannot be deleted.
    run = models.ForeignKey(TallyRun, verbose_name=_("tally run"), on_delete=models.PROTECT, related_name="snapshots")

    objects = SnapshotQuerySet.as_manager()

    class Meta:
        ordering = ["division_code", "metric"]
        verbose_name = _("snapshot")
        verbose_name_plural = _("snapshots")
        constraints = [
            models.UniqueConstraint(fields=["division", "period", "metric"], name="%(app_label)s_%(class)s_unique"),
            models.CheckConstraint(
                condition=Q(numerator__gte=0) & (Q(denominator__isnull=True) | Q(denominator__gte=0)),
                name="%(app_label)s_%(class)s_not_negative",
            ),
        ]
        indexes = [
            # A tally replacing its county's rows: DELETE … WHERE division_code LIKE '411103%' AND period = ?
            models.Index(
                fields=["division_code", "period"],
                name="villages_snapshot_county",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops"],
            ),
            # A statistic for a division and its children: WHERE metric = ? AND period = ? AND division_code LIKE ?
            models.Index(
                fields=["metric", "period", "division_code"],
                name="villages_snapshot_lookup",
                opclasses=["varchar_pattern_ops", "varchar_pattern_ops", "varchar_pattern_ops"],
            ),
        ]

    def __str__(self):
        return f"{self.division_code} {self.period} {self.metric} {self.numerator}/{self.denominator}"

    @property
    def rate(self):
        if not self.denominator:
            return None
        return round(self.numerator / self.denominator, 4)


class SnapshotChange(models.Model):
    """The change log of the snapshot: a row for each snapshot row a tally wrote or deleted (its key only), in
    the order the tallies committed them (``seq``). The change feed (``/api/v1/stats/changes/``) reads it after a
    cursor and joins each key to the snapshot as it stands: a key without a row there now was removed.

    Written by the tally in the snapshot's own transaction, and only for the rows it wrote (most runs write none).
    On PostgreSQL the writers take one advisory lock before they take their numbers and keep it to their commit,
    so numbers are committed in order and a reader that saw ``seq`` N never later finds a smaller one committed
    (SQLite has one writer at a time anyway)."""

    seq = models.BigAutoField(primary_key=True)
    division_code = models.CharField(_("division code"), max_length=12)
    period = models.CharField(_("period"), max_length=7)
    metric = models.CharField(_("metric"), max_length=64)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("snapshot change")
        verbose_name_plural = _("snapshot changes")
        indexes = [
            # Compaction: is there a later entry for this key? WHERE division_code = ? AND period = ? AND metric = ?
            # AND seq > ? (``villages.snapshots.compact_change_log``)
            models.Index(fields=["division_code", "period", "metric", "seq"], name="villages_change_key"),
        ]

    def __str__(self):
        return f"{self.seq} {self.division_code} {self.period} {self.metric}"


class StarType(models.Model):
    """A star of the five-star branch rating (五星支部). Names and rules are the county's data."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    star_set = models.CharField(_("applies to"), max_length=10, choices=StarSet.choices)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    capstone = models.BooleanField(
        _("capstone"), default=False, help_text=_("Awarded only on top of every other star of its set.")
    )
    department = models.CharField(_("department in charge"), max_length=60, blank=True)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    active = models.BooleanField(_("in use"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["star_set", "position"]
        verbose_name = _("star type")
        verbose_name_plural = _("star types")

    def __str__(self):
        return self.name


class StarCondition(models.Model):
    """One test a village must pass for a star: a metric's rate or count compared with a threshold."""

    star_type = models.ForeignKey(StarType, verbose_name=_("star"), on_delete=models.CASCADE, related_name="conditions")
    metric = models.CharField(_("metric"), max_length=64)
    measure = models.CharField(_("measure"), max_length=10, choices=Measure.choices, default=Measure.RATE)
    comparison = models.CharField(_("comparison"), max_length=3, choices=Comparison.choices)
    threshold = models.DecimalField(_("threshold"), max_digits=14, decimal_places=4)
    label = models.CharField(_("label"), max_length=60, help_text=_("How the reason names it, e.g. 按期办结率."))
    unit = models.CharField(_("unit"), max_length=8, blank=True, help_text=_("% for rates, or 件, 元, 次 …"))
    no_data_passes = models.BooleanField(
        _("passes without data"),
        default=True,
        help_text=_("Whether the test holds when there is nothing to measure (e.g. no case was due)."),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["star_type", "position", "pk"]
        verbose_name = _("star condition")
        verbose_name_plural = _("star conditions")

    def __str__(self):
        return f"{self.label} {self.get_comparison_display()} {self.threshold}"


class StarProposalQuerySet(ScopedQuerySet):
    scope_field = "division__code"


class StarProposal(models.Model):
    """What the platform's own data says of one star for one village and year, with the reason for it."""

    # No index of its own: the unique (division, year, star type) index starts with it.
    division = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.CASCADE, related_name="+", db_index=False
    )
    year = models.PositiveSmallIntegerField(_("year"))
    star_type = models.ForeignKey(StarType, verbose_name=_("star"), on_delete=models.PROTECT, related_name="+")
    # None: no verdict, the figures its conditions read hold no data (villages.stars._no_data).
    earned = models.BooleanField(_("earned"), null=True)
    reasons = models.JSONField(_("reasons"), default=list)
    summary = models.TextField(_("summary"))
    rule_version = models.CharField(_("rule version"), max_length=20)
    # The run that proposed it as it stands (an unchanged proposal is not rewritten): see Snapshot.run.
    run = models.ForeignKey(TallyRun, verbose_name=_("tally run"), on_delete=models.PROTECT, related_name="+")

    objects = StarProposalQuerySet.as_manager()

    class Meta:
        ordering = ["division_id", "star_type__position"]
        verbose_name = _("star proposal")
        verbose_name_plural = _("star proposals")
        constraints = [
            models.UniqueConstraint(fields=["division", "year", "star_type"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self):
        return self.summary


class StarAwardQuerySet(ScopedQuerySet):
    scope_field = "division__code"


class StarAward(models.Model):
    """The award flow of one star for one village and year: village applies → township first review → county
    decides → public notice → awarded. A star held last year and not this year is recorded as removed (摘星)."""

    division = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="stars")
    year = models.PositiveSmallIntegerField(_("year"))
    star_type = models.ForeignKey(StarType, verbose_name=_("star"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("status"), max_length=20, choices=StarStatus.choices, default=StarStatus.APPLIED)
    proposed = models.BooleanField(_("proposed by the data"), null=True, blank=True)  # None: no proposal yet
    application_note = models.TextField(
        _("application"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    township_opinion = models.TextField(
        _("township opinion"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    decision = models.CharField(_("county decision"), max_length=10, choices=CountyDecision.choices, blank=True)
    decision_reason = models.TextField(
        _("reason for the decision"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    notice_from = models.DateField(_("notice from"), null=True, blank=True, validators=[planned_date])
    notice_until = models.DateField(_("notice until"), null=True, blank=True, validators=[planned_date])
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+")
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    history = HistoricalRecords()
    objects = StarAwardQuerySet.as_manager()

    class Meta:
        ordering = ["division_id", "year", "star_type__position"]
        verbose_name = _("star award")
        verbose_name_plural = _("star awards")
        constraints = [
            models.UniqueConstraint(fields=["division", "year", "star_type"], name="%(app_label)s_%(class)s_unique"),
            models.CheckConstraint(
                condition=~Q(decision=CountyDecision.CHANGE) | ~Q(decision_reason=""),
                name="%(app_label)s_%(class)s_change_has_reason",
            ),
        ]

    def __str__(self):
        return f"{self.division} {self.year} {self.star_type}"


class WatchRulesQuerySet(ScopedQuerySet):
    scope_field = "county__code"


class WatchRules(models.Model):
    """A county's thresholds for its watch list (villages.watch). A county without a row uses the defaults of the
    fields, which list only villages with evidence from at least two sources."""

    county = models.OneToOneField(
        Division,
        verbose_name=_("county"),
        on_delete=models.CASCADE,
        related_name="watch_rules",
        limit_choices_to={"level": Level.COUNTY},
    )
    min_cases = models.PositiveSmallIntegerField(
        _("fewest cases for a count"),
        default=3,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_(
            "A count (petitions, overdue requests …) is a signal only when the village has at least this many."
        ),
    )
    quantile = models.PositiveSmallIntegerField(
        _("county percentile"),
        default=75,
        validators=[MinValueValidator(50), MaxValueValidator(99)],
        help_text=_(
            "A count per 1,000 households must be above this percentile of the county's villages (75: the upper "
            "quartile); a rate must be below the mirror percentile (25: the lower quartile)."
        ),
    )
    min_denominator = models.PositiveSmallIntegerField(
        _("fewest cases behind a rate"),
        default=10,
        validators=[MinValueValidator(1), MaxValueValidator(10000)],
        help_text=_("A rate is compared only when its denominator is at least this."),
    )
    rate_floor = models.PositiveSmallIntegerField(
        _("rate floor (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("A rate is a signal only when it is also below this percentage."),
    )
    trend_baseline = models.PositiveSmallIntegerField(
        _("fewest cases in the period before"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("A rise is compared only against a period before with at least this many cases."),
    )
    trend_rise = models.PositiveSmallIntegerField(
        _("rise (%)"),
        default=50,
        validators=[MinValueValidator(1), MaxValueValidator(1000)],
        help_text=_("A rise is a signal when the count grew by at least this percentage."),
    )
    min_sources = models.PositiveSmallIntegerField(
        _("fewest sources"),
        default=2,
        validators=[MinValueValidator(1), MaxValueValidator(3)],
        help_text=_(
            "A village is listed when its signals come from at least this many sources (reviews, petitions, grids)."
        ),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    history = HistoricalRecords()
    objects = WatchRulesQuerySet.as_manager()

    class Meta:
        verbose_name = _("watch list thresholds")
        verbose_name_plural = _("watch list thresholds")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantile__gte=50) & Q(quantile__lte=99), name="%(app_label)s_%(class)s_quantile_range"
            ),
            models.CheckConstraint(
                condition=Q(min_sources__gte=1) & Q(min_sources__lte=3), name="%(app_label)s_%(class)s_sources_range"
            ),
            models.CheckConstraint(
                condition=Q(min_cases__gte=1) & Q(min_denominator__gte=1) & Q(trend_baseline__gte=1),
                name="%(app_label)s_%(class)s_minimums_positive",
            ),
            models.CheckConstraint(
                condition=Q(rate_floor__gte=1) & Q(rate_floor__lte=100), name="%(app_label)s_%(class)s_floor_range"
            ),
        ]

    def __str__(self):
        return str(self.county)

    def clean(self):
        if self.county_id and self.county.level != Level.COUNTY:
            raise ValidationError({"county": _("Watch list thresholds are set per county.")})

    @classmethod
    def for_code(cls, code: str) -> "WatchRules":
        """The thresholds of the county the code lies in (one query); the defaults when the county has set none."""
        county = code[:6] + "000000"
        found = cls.objects.filter(county__code=county).first()
        return found if found is not None else cls()


class PersonalDataAccess(models.Model):
    """Who saw full ID or phone numbers, when, of which records, and where (page, API, export). Append-only."""

    class Context(models.TextChoices):
        PAGE = "page", _("Page")
        API = "api", _("API")
        EXPORT = "export", _("Export")
        ADMIN = "admin", _("Admin")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    model = models.CharField(_("record type"), max_length=60)
    object_ids = models.JSONField(_("records"), default=list)
    context = models.CharField(_("where"), max_length=8, choices=Context.choices)
    path = models.CharField(_("address"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self):
        return f"{self.user} {self.at:%Y-%m-%d %H:%M} {self.model} ×{len(self.object_ids)}"


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an idempotency key (API header) or a one-time form token.

    A retry with the same key by the same user gets this answer again instead of a second write. Kept until
    `expires_at`; see villages.idempotency.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True)
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    location = models.CharField(_("location"), max_length=500, blank=True)
    body = models.BinaryField(_("body"), default=b"")
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="villages_idempotency_user_key")]

    def __str__(self):
        return f"{self.user_id} {self.key}"


class TallyRequest(models.Model):
    """An outbox row: a recompute of one county and period, asked for in the same transaction as the change
    that needs it, and done when a tally of that county and period has started after it. If the broker is away
    when it is asked for, the periodic publisher sends it later: nothing is lost."""

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.CASCADE, related_name="+")
    period = models.CharField(_("period"), max_length=7)
    requested_at = models.DateTimeField(_("requested"), default=timezone.now)
    published_at = models.DateTimeField(_("published"), null=True, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        ordering = ["requested_at"]
        verbose_name = _("tally request")
        verbose_name_plural = _("tally requests")
        indexes = [
            # The publisher's sweep: WHERE done_at IS NULL ORDER BY requested_at
            models.Index(fields=["done_at", "requested_at"], name="villages_tallyreq_pending"),
            # Publishing after a save and a tally's answer: a county and period's requests not yet done (and the
            # run queued for them), without reading the backlog of other counties' pending requests.
            models.Index(
                fields=["county", "period", "published_at"],
                name="villages_tallyreq_open",
                condition=Q(done_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.county} {self.period} {self.requested_at:%Y-%m-%d %H:%M}"


from .notifications.models import *  # noqa: E402,F403
from .work.models import *  # noqa: E402,F403


class ImportJobQuerySet(ScopedQuerySet):
    scope_field = "division__code"


class ImportJob(models.Model):
    """One uploaded spreadsheet and what became of it (villages.imports): checked as a whole, previewed, then written
    in one transaction on confirmation, or refused with every bad row. Large files run in the background."""

    class Status(models.TextChoices):
        CHECKING = "checking", _("Checking")
        READY = "ready", _("Checked, waiting for confirmation")
        UNCHANGED = "unchanged", _("Nothing to change")
        REFUSED = "refused", _("Refused")
        WRITING = "writing", _("Writing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="import_jobs"
    )
    kind = models.CharField(_("ledger"), max_length=20)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    filename = models.CharField(_("file name"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CHECKING)
    background = models.BooleanField(_("in the background"), default=False)
    rows_total = models.PositiveIntegerField(_("rows in the file"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    created_count = models.PositiveIntegerField(_("to create"), default=0)
    updated_count = models.PositiveIntegerField(_("to update"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    error_count = models.PositiveIntegerField(_("bad rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)  # [[row, column, message], …], the first 1,000
    message = models.TextField(_("message"), blank=True)  # what refused the file as a whole
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    checked_at = models.DateTimeField(_("checked"), null=True, blank=True)
    finished_at = models.DateTimeField(_("written"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            # A county's import history, newest first: WHERE division_id IN (…) ORDER BY created_at DESC
            models.Index(fields=["division", "-created_at"], name="villages_importjob_history"),
        ]

    def __str__(self):
        return f"{self.filename} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("villages:import_job", args=[self.pk])

    @property
    def running(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.WRITING)
