"""What follows a review (issue 4): democratic evaluations, talks, problems and one-village-one-plan
rectification, three-colour record books, and the basis of cadre adjustments.

Imported at the end of ``reviews/models.py`` so the models belong to the reviews app (and its migrations).
Links to other apps run one way, from here: a talk may cite a petition (``petitions.Petition``), and an
adjustment (``villages.Adjustment``) gets its basis from ``AdjustmentBasis`` here, never the reverse.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from villages.models import Adjustment, Cadre, Division, ScopedQuerySet
from villages.scopes import is_unrestricted, scope_q, user_scopes
from villages.validators import NOTE_MAX, TEXT_MAX, event_date, planned_date, text_max

from .choices import AdjustmentBasisKind, Book, MeasureStatus, ProblemKind, TalkKind

__all__ = [
    "AdjustmentBasis",
    "AdjustmentBasisQuerySet",
    "AppendOnlyError",
    "AppendOnlyQuerySet",
    "CommonMeasure",
    "CommonMeasureQuerySet",
    "Evaluation",
    "EvaluationMeeting",
    "EvaluationMeetingQuerySet",
    "EvaluationQuerySet",
    "EvaluationScale",
    "Evidence",
    "EvidenceQuerySet",
    "Measure",
    "MeasureQuerySet",
    "PlanQuerySet",
    "Problem",
    "ProblemQuerySet",
    "ProblemVillage",
    "ProblemVillageQuerySet",
    "PublicationQuerySet",
    "RecordBookPublication",
    "RecordEntry",
    "RecordEntryQuerySet",
    "RectificationPlan",
    "Talk",
    "TalkQuerySet",
    "evidence_path",
]


class AppendOnlyError(ValidationError):
    pass


# Democratic evaluation (民主评议)


class EvaluationScale(models.Model):
    """The options a meeting votes on, in order from best to worst (称职/基本称职/不称职, 满意/基本满意/不满意).
    Data, not code: a county may use its own wording. ``failing`` is the option that counts as a failed
    evaluation (不称职)."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    options = models.JSONField(_("options"), help_text=_("From best to worst."))
    failing = models.CharField(_("failing option"), max_length=20)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("evaluation scale")
        verbose_name_plural = _("evaluation scales")

    def __str__(self):
        return f"{self.name}（{'/'.join(self.options)}）"

    def clean(self):
        if not isinstance(self.options, list) or len(self.options) < 2 or len(set(self.options)) != len(self.options):
            raise ValidationError({"options": _("A scale has at least two different options.")})
        if self.failing not in self.options:
            raise ValidationError({"failing": _("The failing option must be one of the options.")})


class EvaluationMeetingQuerySet(ScopedQuerySet):
    scope_field = "village__code"


class EvaluationMeeting(models.Model):
    """One village's yearly evaluation meeting (villagers' or their representatives')."""

    village = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="evaluation_meetings"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    date = models.DateField(_("meeting date"), validators=[event_date])
    organizer = models.CharField(_("organized by"), max_length=100)
    expected = models.PositiveIntegerField(_("people entitled to vote"))
    attendance = models.PositiveIntegerField(_("people present"))
    scale = models.ForeignKey(EvaluationScale, verbose_name=_("scale"), on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()
    objects = EvaluationMeetingQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "village_id"]
        verbose_name = _("evaluation meeting")
        verbose_name_plural = _("evaluation meetings")
        constraints = [
            models.UniqueConstraint(fields=["village", "year"], name="%(app_label)s_%(class)s_one_per_year"),
            models.CheckConstraint(
                condition=Q(attendance__lte=F("expected")),
                name="%(app_label)s_%(class)s_attendance_le_expected",
                violation_error_message=_("More people present than entitled to vote."),
            ),
        ]

    def __str__(self):
        return f"{self.village} {self.year}"

    def get_absolute_url(self):
        return reverse("followup:evaluation_meeting", args=[self.pk])


class EvaluationQuerySet(ScopedQuerySet):
    scope_field = "meeting__village__code"


class Evaluation(models.Model):
    """One cadre's result at a meeting: the count per option of the scale, the turnout and the result.
    ``flagged`` says the cadre failed the configured number of consecutive years (default 2) up to this one,
    which puts the cadre on the county's list."""

    meeting = models.ForeignKey(
        EvaluationMeeting, verbose_name=_("meeting"), on_delete=models.CASCADE, related_name="evaluations"
    )
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="evaluations")
    year = models.PositiveSmallIntegerField(_("year"))
    counts = models.JSONField(_("votes per option"))
    ballots = models.PositiveIntegerField(_("votes cast"))
    result = models.CharField(_("result"), max_length=20)
    failing = models.BooleanField(_("failed"), default=False)
    flagged = models.BooleanField(_("flagged for the county"), default=False)

    history = HistoricalRecords()
    objects = EvaluationQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "meeting_id", "cadre_id"]
        verbose_name = _("democratic evaluation")
        verbose_name_plural = _("democratic evaluations")
        constraints = [
            models.UniqueConstraint(fields=["cadre", "year"], name="%(app_label)s_%(class)s_one_per_year"),
        ]
        indexes = [
            # The county's list: WHERE flagged ORDER BY year.
            models.Index(fields=["flagged", "year"], name="reviews_evaluation_flagged"),
        ]

    def __str__(self):
        return f"{self.cadre} {self.year}: {self.result}"

    def get_absolute_url(self):
        return reverse("followup:evaluation_meeting", args=[self.meeting_id])

    @property
    def turnout(self):
        """Votes cast ÷ people entitled to vote, as a fraction (None without a roll)."""
        expected = self.meeting.expected
        return round(self.ballots / expected, 4) if expected else None

    @property
    def count_rows(self) -> list[tuple[str, int]]:
        return [(option, int(self.counts.get(option, 0))) for option in self.meeting.scale.options]


# Talks (约谈)


class TalkQuerySet(ScopedQuerySet):
    scope_field = "village__code"


class Talk(models.Model):
    """A formal talk with a cadre, and its place on the ladder (提醒 → 函询 → 约谈/诫勉 → 调整)."""

    village = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="talks")
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre talked to"), on_delete=models.PROTECT, related_name="talks")
    kind = models.CharField(_("kind"), max_length=12, choices=TalkKind.choices)
    talker = models.CharField(_("talked by"), max_length=100)
    note_taker = models.CharField(_("notes taken by"), max_length=100)
    held_at = models.DateTimeField(_("time"))
    place = models.CharField(_("place"), max_length=200)
    reason = models.TextField(_("reason"), max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    # What the talk answers, where there is one (at most one of the three, see the constraint).
    review = models.ForeignKey(
        "reviews.Review",
        verbose_name=_("review finding"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks",
    )
    evaluation = models.ForeignKey(
        Evaluation,
        verbose_name=_("evaluation"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="talks",
    )
    # One-way link into the petitions app (architecture: a talk that cites a petition).
    petition = models.ForeignKey(
        "petitions.Petition",
        verbose_name=_("petition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    content = models.TextField(_("what was said"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    commitment = models.TextField(
        _("the cadre's commitment"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    correction = models.TextField(
        _("correction demanded"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    correction_deadline = models.DateField(_("correction deadline"), null=True, blank=True, validators=[planned_date])
    follow_up = models.TextField(_("follow-up"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    outcome = models.TextField(_("outcome"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    followed_up_at = models.DateTimeField(_("followed up"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()
    objects = TalkQuerySet.as_manager()

    class Meta:
        ordering = ["-held_at", "-pk"]
        verbose_name = _("talk")
        verbose_name_plural = _("talks")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=TalkKind.values), name="%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(
                condition=Q(correction="") | Q(correction_deadline__isnull=False),
                name="%(app_label)s_%(class)s_correction_has_deadline",
                violation_error_message=_("A demanded correction needs its deadline."),
            ),
            models.CheckConstraint(
                condition=Q(review__isnull=True, evaluation__isnull=True)
                | Q(review__isnull=True, petition__isnull=True)
                | Q(evaluation__isnull=True, petition__isnull=True),
                name="%(app_label)s_%(class)s_one_basis",
                violation_error_message=_("Link a review finding, an evaluation or a petition, not several."),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.cadre} {self.held_at:%Y-%m-%d}"

    def get_absolute_url(self):
        return reverse("followup:talk", args=[self.pk])


# Problems and rectification


class ProblemQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None):
        """A problem is visible where one of its villages is; a county's reader also sees the county's problems
        that name no village yet."""
        if is_unrestricted(user):
            return self
        in_villages = ProblemVillage.objects.filter(scope_q(user, "village__code", roles), problem=OuterRef("pk"))
        county_prefixes = [
            s.prefix for s in user_scopes(user) if len(s.prefix) <= 6 and (roles is None or s.role in roles)
        ]
        q = Q(Exists(in_villages))
        for prefix in county_prefixes:
            q |= Q(county__code__startswith=prefix)
        return self.filter(q)


class Problem(models.Model):
    """A problem found in a review (or elsewhere), filed under one of the checks; particular to one village
    (个性) or common to many (共性)."""

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "reviews.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="problems"
    )
    check_item = models.ForeignKey(
        "reviews.Check", verbose_name=_("check"), on_delete=models.PROTECT, related_name="problems"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=ProblemKind.choices)
    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    source = models.CharField(
        _("found in"), max_length=200, blank=True, help_text=_("Where it was found when not in a review.")
    )
    review = models.ForeignKey(
        "reviews.Review",
        verbose_name=_("review"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problems",
    )
    villages = models.ManyToManyField(
        Division, verbose_name=_("villages"), through="ProblemVillage", related_name="review_problems"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()
    objects = ProblemQuerySet.as_manager()

    class Meta:
        ordering = ["campaign_id", "check_item__number", "pk"]
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        constraints = [
            models.CheckConstraint(condition=Q(kind__in=ProblemKind.values), name="%(app_label)s_%(class)s_kind_valid"),
            models.CheckConstraint(condition=~Q(title=""), name="%(app_label)s_%(class)s_title_given"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("followup:problem", args=[self.pk])


class ProblemVillageQuerySet(ScopedQuerySet):
    scope_field = "village__code"


class ProblemVillage(models.Model):
    problem = models.ForeignKey(Problem, verbose_name=_("problem"), on_delete=models.CASCADE, related_name="links")
    village = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")

    objects = ProblemVillageQuerySet.as_manager()

    class Meta:
        ordering = ["problem_id", "village_id"]
        verbose_name = _("village with the problem")
        verbose_name_plural = _("villages with the problem")
        constraints = [
            models.UniqueConstraint(fields=["problem", "village"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self):
        return f"{self.problem} · {self.village}"


class CommonMeasureQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None):
        from ..models import county_scope_q

        return self.filter(county_scope_q(user, "county__code", roles))


class CommonMeasure(models.Model):
    """A measure the county adopts against problems common to many villages (共性化解措施)."""

    county = models.ForeignKey(Division, verbose_name=_("county"), on_delete=models.PROTECT, related_name="+")
    campaign = models.ForeignKey(
        "reviews.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="common_measures"
    )
    title = models.CharField(_("measure"), max_length=200)
    description = models.TextField(_("description"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    adopted_on = models.DateField(_("adopted on"), validators=[event_date])
    problems = models.ManyToManyField(
        Problem, verbose_name=_("problems it answers"), related_name="common_measures", blank=True
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )

    history = HistoricalRecords(m2m_fields=[])
    objects = CommonMeasureQuerySet.as_manager()

    class Meta:
        ordering = ["campaign_id", "pk"]
        verbose_name = _("common measure")
        verbose_name_plural = _("common measures")
        constraints = [
            models.CheckConstraint(condition=~Q(title=""), name="%(app_label)s_%(class)s_title_given"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("followup:common_measure", args=[self.pk])


class PlanQuerySet(ScopedQuerySet):
    scope_field = "village__code"


class RectificationPlan(models.Model):
    """One village's rectification plan in one campaign (一村一策)."""

    campaign = models.ForeignKey(
        "reviews.Campaign", verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="plans"
    )
    village = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="rectification_plans"
    )
    summary = models.TextField(_("summary"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()
    objects = PlanQuerySet.as_manager()

    class Meta:
        ordering = ["campaign_id", "village__code"]
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "village"], name="%(app_label)s_%(class)s_one_per_village"),
        ]

    def __str__(self):
        return f"{self.village} · {self.campaign}"

    def get_absolute_url(self):
        return reverse("followup:plan", args=[self.pk])


class MeasureQuerySet(ScopedQuerySet):
    scope_field = "plan__village__code"

    def overdue(self, on=None):
        """Past the deadline and not done."""
        on = on or timezone.localdate()
        return self.filter(status=MeasureStatus.IN_PROGRESS, deadline__lt=on)


class Measure(models.Model):
    """One measure of a plan: owner, deadline, status 整改中 → 已完成 → 已销号, evidence, verification."""

    plan = models.ForeignKey(
        RectificationPlan, verbose_name=_("plan"), on_delete=models.CASCADE, related_name="measures"
    )
    problem = models.ForeignKey(
        Problem, verbose_name=_("problem"), on_delete=models.PROTECT, null=True, blank=True, related_name="measures"
    )
    common_measure = models.ForeignKey(
        CommonMeasure,
        verbose_name=_("common measure applied"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="village_measures",
    )
    content = models.TextField(_("measure"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    owner = models.CharField(_("owner"), max_length=100)
    deadline = models.DateField(_("deadline"), validators=[planned_date])
    status = models.CharField(
        _("status"), max_length=12, choices=MeasureStatus.choices, default=MeasureStatus.IN_PROGRESS
    )
    completed_on = models.DateField(_("completed on"), null=True, blank=True, validators=[event_date])
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reported done by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    verification_note = models.TextField(
        _("verification"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()
    objects = MeasureQuerySet.as_manager()

    class Meta:
        ordering = ["plan_id", "deadline", "pk"]
        verbose_name = _("rectification measure")
        verbose_name_plural = _("rectification measures")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=MeasureStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=MeasureStatus.IN_PROGRESS) | Q(completed_on__isnull=False),
                name="%(app_label)s_%(class)s_done_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=MeasureStatus.CLOSED) | Q(closed_at__isnull=False),
                name="%(app_label)s_%(class)s_closed_has_time",
            ),
        ]
        indexes = [
            # The overdue list and tally: WHERE status = 'in_progress' AND deadline < today.
            models.Index(fields=["status", "deadline"], name="reviews_measure_status_due"),
        ]

    def __str__(self):
        return self.content[:60]

    def get_absolute_url(self):
        return reverse("followup:measure", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        return self.status == MeasureStatus.IN_PROGRESS and self.deadline < timezone.localdate()


def evidence_path(instance, filename):
    """A random name under the village's folder: the uploader's file name is kept only as data."""
    return f"rectification/{instance.measure.plan.village.code}/{uuid.uuid4().hex}.{instance.extension}"


class EvidenceQuerySet(ScopedQuerySet):
    scope_field = "measure__plan__village__code"


class Evidence(models.Model):
    """A file proving a measure was carried out. Stored under MEDIA_ROOT with a random name and served only
    through a scoped view, never as public media."""

    measure = models.ForeignKey(Measure, verbose_name=_("measure"), on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    extension = models.CharField(_("extension"), max_length=8)
    size = models.PositiveIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)

    objects = EvidenceQuerySet.as_manager()

    class Meta:
        ordering = ["measure_id", "pk"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")
        constraints = [
            models.CheckConstraint(condition=Q(size__gt=0), name="%(app_label)s_%(class)s_not_empty"),
        ]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("followup:evidence", args=[self.pk])


# Three-colour record books (三色治理)


class AppendOnlyQuerySet(ScopedQuerySet):
    """Rows are added, never changed or removed: the bulk paths are closed too (and the database refuses)."""

    def update(self, **kwargs):
        raise AppendOnlyError(_("Record-book entries are never changed: add a correcting entry."))

    def delete(self):
        raise AppendOnlyError(_("Record-book entries are never deleted: add a correcting entry."))


class RecordEntryQuerySet(AppendOnlyQuerySet):
    scope_field = "village__code"


class RecordEntry(models.Model):
    """One entry in a cadre's red, black or blue book. Append-only: a correction is a new entry that refers to
    the one it corrects."""

    village = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="record_entries"
    )
    cadre = models.ForeignKey(Cadre, verbose_name=_("cadre"), on_delete=models.PROTECT, related_name="record_entries")
    book = models.CharField(_("book"), max_length=6, choices=Book.choices)
    date = models.DateField(_("date"), validators=[event_date])
    content = models.TextField(_("entry"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    corrects = models.ForeignKey(
        "self", verbose_name=_("corrects"), on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("written by"), on_delete=models.PROTECT, related_name="+"
    )
    written_at = models.DateTimeField(_("written"), default=timezone.now)

    objects = RecordEntryQuerySet.as_manager()

    class Meta:
        ordering = ["village_id", "date", "pk"]
        verbose_name = _("record-book entry")
        verbose_name_plural = _("record-book entries")
        constraints = [
            models.CheckConstraint(condition=Q(book__in=Book.values), name="%(app_label)s_%(class)s_book_valid"),
            models.CheckConstraint(condition=~Q(content=""), name="%(app_label)s_%(class)s_content_given"),
        ]
        indexes = [
            # A month's publication: WHERE village_id = ? AND date >= ? AND date < ?.
            models.Index(fields=["village", "date"], name="reviews_recordentry_month"),
        ]

    def __str__(self):
        return f"{self.get_book_display()} {self.cadre} {self.date}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(_("Record-book entries are never changed: add a correcting entry."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("followup:books", args=[self.village.code]) + f"#entry-{self.pk}"

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("Record-book entries are never deleted: add a correcting entry."))


class PublicationQuerySet(AppendOnlyQuerySet):
    scope_field = "village__code"


class RecordBookPublication(models.Model):
    """A month of one village's books as published: the entries are copied in (``entries``), so the page stays
    as it was published whatever is added later."""

    village = models.ForeignKey(
        Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="record_publications"
    )
    period = models.CharField(_("month"), max_length=7)
    entries = models.JSONField(_("entries as published"))
    # Empty when the monthly schedule published it (reviews.publish_record_books).
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    published_at = models.DateTimeField(_("published"), default=timezone.now)

    objects = PublicationQuerySet.as_manager()

    class Meta:
        ordering = ["village_id", "-period"]
        verbose_name = _("record-book publication")
        verbose_name_plural = _("record-book publications")
        constraints = [
            models.UniqueConstraint(fields=["village", "period"], name="%(app_label)s_%(class)s_one_per_month"),
            models.CheckConstraint(
                condition=Q(period__regex=r"^[0-9]{4}-(0[1-9]|1[0-2])$"), name="%(app_label)s_%(class)s_month"
            ),
        ]

    def __str__(self):
        return f"{self.village} {self.period}"

    def save(self, *args, **kwargs):
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError(_("A publication stays as it was published."))
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("followup:publication", args=[self.pk])

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(_("A publication stays as it was published."))


# Cadre adjustments from a review, an evaluation or a talk


class AdjustmentBasisQuerySet(ScopedQuerySet):
    scope_field = "adjustment__division__code"


class AdjustmentBasis(models.Model):
    """What an adjustment (``villages.Adjustment``) acted on. Kept here because villages never imports reviews."""

    adjustment = models.OneToOneField(
        Adjustment, verbose_name=_("adjustment"), on_delete=models.PROTECT, related_name="review_basis"
    )
    kind = models.CharField(_("basis"), max_length=12, choices=AdjustmentBasisKind.choices)
    review = models.ForeignKey(
        "reviews.Review", verbose_name=_("review"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evaluation = models.ForeignKey(
        Evaluation, verbose_name=_("evaluation"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    talk = models.ForeignKey(
        Talk, verbose_name=_("talk"), on_delete=models.PROTECT, null=True, blank=True, related_name="adjustments"
    )

    objects = AdjustmentBasisQuerySet.as_manager()

    class Meta:
        verbose_name = _("basis of an adjustment")
        verbose_name_plural = _("bases of adjustments")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind=AdjustmentBasisKind.REVIEW, review__isnull=False, evaluation__isnull=True, talk__isnull=True
                )
                | Q(
                    kind=AdjustmentBasisKind.EVALUATION,
                    review__isnull=True,
                    evaluation__isnull=False,
                    talk__isnull=True,
                )
                | Q(kind=AdjustmentBasisKind.TALK, review__isnull=True, evaluation__isnull=True, talk__isnull=False),
                name="%(app_label)s_%(class)s_one_source",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.source}"

    @property
    def source(self):
        return self.review or self.evaluation or self.talk
