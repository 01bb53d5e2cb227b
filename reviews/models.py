"""Look-back reviews (换届"回头看"): versioned scorecards, campaigns, reviews with three levels, ratings."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from villages.models import Division, Post, ScopedQuerySet
from villages.scopes import is_unrestricted, refusal, require_role, roles_for, user_scopes
from villages.validators import NOTE_MAX, TEXT_MAX, planned_date, text_max

from .choices import EDITABLE_STATUSES, Grade, LevelStatus, ScoringRule, Stage, TemplateStatus


def county_scope_q(user, field: str, roles=None) -> Q:
    """Rows belonging to a county (``field`` is its code) that the user works in, at, above or below it.

    A township's staff and a village's secretary work under a county's campaign and template, so they see
    them, although the county itself lies outside their own scope.
    """
    if is_unrestricted(user):
        return Q()
    scopes = [s for s in user_scopes(user) if roles is None or s.role in roles]
    if not scopes:
        return Q(pk__in=[])
    q = Q()
    for scope in scopes:
        q |= Q(**{f"{field}__startswith": scope.prefix})
        if len(scope.prefix) > 6:
            q |= Q(**{field: scope.code[:6].ljust(12, "0")})
    return q


def require_county_role(user, code: str, roles) -> None:
    """``require_role`` for what belongs to a county (its campaign, sample, template): users working below the
    county see those, so they are refused with 403 like anyone else in scope, not 404."""
    if not roles_for(user, code) and any(s.prefix.startswith(code[:6]) for s in user_scopes(user)):
        raise refusal(roles)
    require_role(user, code, roles)


class TemplateQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None):
        """The shared templates (no county) for anyone with a scope, and the templates of the user's county."""
        if is_unrestricted(user):
            return self
        if not user_scopes(user):
            return self.none()
        return self.filter(Q(division__isnull=True) | county_scope_q(user, "division__code", roles))


class ScorecardTemplate(models.Model):
    """A scorecard (考察表): checks → elements → items, with its grade cut-offs and one-vote vetoes."""

    division = models.ForeignKey(
        Division,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="scorecard_templates",
        help_text=_("Empty for the platform's shared template; otherwise the county that owns this version."),
    )
    name = models.CharField(_("name"), max_length=100)
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=10, choices=TemplateStatus.choices, default=TemplateStatus.DRAFT)
    good_min = models.DecimalField(_("minimum score for Good"), max_digits=5, decimal_places=1, default=Decimal(90))
    fairly_good_min = models.DecimalField(
        _("minimum score for Fairly good"), max_digits=5, decimal_places=1, default=Decimal(80)
    )
    average_min = models.DecimalField(
        _("minimum score for Average"), max_digits=5, decimal_places=1, default=Decimal(60)
    )
    copied_from = models.ForeignKey(
        "self",
        verbose_name=_("copied from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="copies",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Not the edition (``version``): a counter moved by every change to the template's parts, which keys their
    # cached copy (reviews.rules). Not history either: it says nothing the parts' own history does not.
    revision = models.PositiveIntegerField(_("revision"), default=0, editable=False)

    history = HistoricalRecords(excluded_fields=["revision"])
    objects = TemplateQuerySet.as_manager()

    class Meta:
        ordering = ["-year", "-version", "pk"]
        verbose_name = _("scorecard template")
        verbose_name_plural = _("scorecard templates")
        constraints = [
            models.UniqueConstraint(
                fields=["year", "version"],
                condition=Q(division__isnull=True),
                name="%(app_label)s_%(class)s_shared_version_unique",
            ),
            models.UniqueConstraint(
                fields=["division", "year", "version"],
                condition=Q(division__isnull=False),
                name="%(app_label)s_%(class)s_county_version_unique",
            ),
            models.CheckConstraint(
                condition=Q(good_min__gt=F("fairly_good_min"))
                & Q(fairly_good_min__gt=F("average_min"))
                & Q(average_min__gte=0),
                name="%(app_label)s_%(class)s_cutoffs_ordered",
                violation_error_message=_(
                    "The cut-offs must fall: Good above Fairly good above Average, none below 0."
                ),
            ),
            models.CheckConstraint(
                condition=Q(status__in=TemplateStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.year} v{self.version})"

    def get_absolute_url(self):
        return reverse("reviews:template", args=[self.pk])

    @property
    def in_use(self) -> bool:
        """A template that a campaign scores against is frozen: change it by copying it into a new version."""
        if hasattr(self, "campaign_count"):
            return self.campaign_count > 0
        return self.campaigns.exists()

    def grade_for(self, total: Decimal) -> str:
        if total >= self.good_min:
            return Grade.GOOD
        if total >= self.fairly_good_min:
            return Grade.FAIRLY_GOOD
        if total >= self.average_min:
            return Grade.AVERAGE
        return Grade.POOR


class Check(models.Model):
    """One of the checks (查) of a scorecard, e.g. 查班子成员."""

    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="checks"
    )
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=50)

    history = HistoricalRecords()

    class Meta:
        ordering = ["template_id", "number"]
        verbose_name = _("check")
        verbose_name_plural = _("checks")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="%(app_label)s_%(class)s_number_unique"),
        ]

    def __str__(self):
        return self.name


class Element(models.Model):
    """A review element (考察要素) under a check."""

    # Not "check": that name belongs to Django's model system checks.
    parent_check = models.ForeignKey(Check, verbose_name=_("check"), on_delete=models.CASCADE, related_name="elements")
    number = models.PositiveSmallIntegerField(_("number"))
    name = models.CharField(_("name"), max_length=100)

    history = HistoricalRecords()

    class Meta:
        ordering = ["parent_check_id", "number"]
        verbose_name = _("review element")
        verbose_name_plural = _("review elements")
        constraints = [
            models.UniqueConstraint(fields=["parent_check", "number"], name="%(app_label)s_%(class)s_number_unique"),
        ]

    def __str__(self):
        return self.name


class Item(models.Model):
    """A specific item (具体内容) and how it is scored."""

    # Kept beside the element's so a whole template's items load, and are numbered, without joins.
    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="items"
    )
    element = models.ForeignKey(Element, verbose_name=_("element"), on_delete=models.CASCADE, related_name="items")
    number = models.PositiveSmallIntegerField(_("number"), help_text=_("Numbered through the whole template."))
    content = models.TextField(_("item"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    explanation = models.TextField(_("what to look at"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    rule = models.CharField(_("scoring rule"), max_length=10, choices=ScoringRule.choices, default=ScoringRule.POINTS)
    max_points = models.DecimalField(
        _("points"),
        max_digits=4,
        decimal_places=1,
        help_text=_("The most an item can earn; a pass/fail item earns all of it or nothing."),
    )
    note_required = models.BooleanField(_("a deduction needs a note"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["template_id", "number"]
        verbose_name = _("item")
        verbose_name_plural = _("items")
        constraints = [
            models.UniqueConstraint(fields=["template", "number"], name="%(app_label)s_%(class)s_number_unique"),
            models.CheckConstraint(condition=Q(max_points__gt=0), name="%(app_label)s_%(class)s_points_positive"),
            models.CheckConstraint(condition=Q(rule__in=ScoringRule.values), name="%(app_label)s_%(class)s_rule_valid"),
        ]

    def __str__(self):
        return f"{self.number}. {self.content}"

    @property
    def is_pass_fail(self) -> bool:
        return self.rule == ScoringRule.PASS_FAIL

    def clean(self):
        if self.element_id and self.template_id and self.element.parent_check.template_id != self.template_id:
            raise ValidationError({"element": _("The element belongs to another template.")})


class VetoRule(models.Model):
    """A one-vote veto (一票否决): an item that earns nothing, or a named condition, caps the grade."""

    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("template"), on_delete=models.CASCADE, related_name="vetoes"
    )
    name = models.CharField(_("name"), max_length=200)
    item = models.ForeignKey(
        Item,
        verbose_name=_("item"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="vetoes",
        help_text=_("Applies when this item earns no points. Leave empty for a condition the reviewer ticks."),
    )
    grade = models.CharField(_("grade at best"), max_length=12, choices=Grade.choices, default=Grade.POOR)

    history = HistoricalRecords()

    class Meta:
        ordering = ["template_id", "pk"]
        verbose_name = _("one-vote veto")
        verbose_name_plural = _("one-vote vetoes")
        constraints = [
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="%(app_label)s_%(class)s_grade_valid"),
            models.CheckConstraint(condition=~Q(name=""), name="%(app_label)s_%(class)s_name_given"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if self.item_id and self.template_id and self.item.template_id != self.template_id:
            raise ValidationError({"item": _("The item belongs to another template.")})


class CampaignQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None):
        return self.filter(county_scope_q(user, "division__code", roles))


class Campaign(models.Model):
    """One county's look-back review round, scored against one template version."""

    division = models.ForeignKey(
        Division, verbose_name=_("county"), on_delete=models.PROTECT, related_name="review_campaigns"
    )
    template = models.ForeignKey(
        ScorecardTemplate, verbose_name=_("scorecard"), on_delete=models.PROTECT, related_name="campaigns"
    )
    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("starts"), validators=[planned_date])
    end_date = models.DateField(_("ends"), validators=[planned_date])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()
    objects = CampaignQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date", "-pk"]
        verbose_name = _("review campaign")
        verbose_name_plural = _("review campaigns")
        constraints = [
            models.UniqueConstraint(fields=["division", "name"], name="%(app_label)s_%(class)s_name_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_dates_ordered",
                violation_error_message=_("A campaign cannot end before it starts."),
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("reviews:campaign", args=[self.pk])


class ReviewQuerySet(ScopedQuerySet):
    scope_field = "village__code"


class Review(models.Model):
    """One village's review in a campaign. Its final grade is that of its highest submitted level above the
    village's own (a self-assessment is never a final rating)."""

    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), on_delete=models.PROTECT, related_name="reviews")
    village = models.ForeignKey(Division, verbose_name=_("village"), on_delete=models.PROTECT, related_name="reviews")
    sampled = models.BooleanField(_("in the county's sample"), default=False)
    final_grade = models.CharField(_("final grade"), max_length=12, choices=Grade.choices, blank=True)
    final_stage = models.CharField(_("graded at"), max_length=10, choices=Stage.choices, blank=True)
    # The township's diagnosis (问诊) opens when the village's self-diagnosis is submitted; the county may open
    # it earlier (an on-site visit that cannot wait), and that exception is recorded: who, when, why.
    township_opened_early_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("township diagnosis opened early by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    township_opened_early_at = models.DateTimeField(_("township diagnosis opened early"), null=True, blank=True)
    township_opened_early_reason = models.TextField(
        _("reason for opening the township diagnosis early"),
        blank=True,
        max_length=NOTE_MAX,
        validators=text_max(NOTE_MAX),
    )
    # The county closes (signs off) a review once its levels are done: the village sees the township's and the
    # county's scores only from then on, and no level is returned or reopened after it.
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("closed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    history = HistoricalRecords()
    objects = ReviewQuerySet.as_manager()

    class Meta:
        ordering = ["campaign_id", "village_id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "village"], name="%(app_label)s_%(class)s_one_per_village"),
            models.CheckConstraint(
                condition=Q(final_grade="", final_stage="")
                | (Q(final_grade__in=Grade.values) & Q(final_stage__in=[Stage.TOWNSHIP, Stage.COUNTY])),
                name="%(app_label)s_%(class)s_final_grade_has_stage",
            ),
            models.CheckConstraint(
                condition=Q(township_opened_early_at__isnull=True) | ~Q(township_opened_early_reason=""),
                name="%(app_label)s_%(class)s_early_opening_has_reason",
            ),
        ]
        indexes = [
            # The statistics: WHERE campaign_id = ? GROUP BY final_grade (joined to the village's code).
            models.Index(fields=["campaign", "final_grade"], name="reviews_review_campaign_grade"),
        ]

    def __str__(self):
        return f"{self.village} · {self.campaign}"

    def get_absolute_url(self):
        return reverse("reviews:review", args=[self.pk])

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


class ReviewLevelQuerySet(ScopedQuerySet):
    scope_field = "review__village__code"


class ReviewLevel(models.Model):
    """One level of a review: the village's self-diagnosis (自诊), the township's diagnosis (问诊) or the
    county's re-diagnosis (回诊). ``version`` grows with every write, so two people editing the same level
    cannot overwrite each other unknowingly (optimistic locking)."""

    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="levels")
    level = models.CharField(_("level"), max_length=10, choices=Stage.choices)
    status = models.CharField(_("status"), max_length=10, choices=LevelStatus.choices, default=LevelStatus.DRAFT)
    version = models.PositiveIntegerField(_("version"), default=0)
    total_score = models.DecimalField(_("total score"), max_digits=5, decimal_places=1, default=Decimal(0))
    scored_count = models.PositiveSmallIntegerField(_("items scored"), default=0)
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices, blank=True)
    veto_reasons = models.TextField(_("vetoes applied"), blank=True)
    conditions = models.ManyToManyField(
        VetoRule, verbose_name=_("veto conditions found"), blank=True, related_name="levels"
    )
    # The township's on-site verification and its review meeting (研判会).
    onsite_visits = models.PositiveSmallIntegerField(_("households visited"), null=True, blank=True)
    onsite_talks = models.PositiveSmallIntegerField(_("people talked to"), null=True, blank=True)
    onsite_documents = models.PositiveSmallIntegerField(_("documents checked"), null=True, blank=True)
    onsite_notes = models.TextField(
        _("on-site findings"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX)
    )
    first_evaluation = models.TextField(
        _("first evaluation of the review meeting"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX)
    )

    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("last changed by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("last changed"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    returned_reason = models.TextField(
        _("reason for returning"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("returned by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    reopened_reason = models.TextField(
        _("reason for reopening"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    reopened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reopened by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reopened_at = models.DateTimeField(_("reopened"), null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["conditions"])
    objects = ReviewLevelQuerySet.as_manager()

    class Meta:
        ordering = ["review_id", "level"]
        verbose_name = _("review level")
        verbose_name_plural = _("review levels")
        constraints = [
            models.UniqueConstraint(fields=["review", "level"], name="%(app_label)s_%(class)s_one_per_stage"),
            models.CheckConstraint(condition=Q(level__in=Stage.values), name="%(app_label)s_%(class)s_level_valid"),
            models.CheckConstraint(
                condition=Q(status__in=LevelStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(grade="") | Q(grade__in=Grade.values), name="%(app_label)s_%(class)s_grade_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status=LevelStatus.SUBMITTED) | (Q(submitted_at__isnull=False) & ~Q(grade="")),
                name="%(app_label)s_%(class)s_submitted_is_graded",
            ),
            models.CheckConstraint(
                condition=~Q(status=LevelStatus.RETURNED) | ~Q(returned_reason=""),
                name="%(app_label)s_%(class)s_return_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(level=Stage.TOWNSHIP)
                | Q(
                    onsite_visits__isnull=True,
                    onsite_talks__isnull=True,
                    onsite_documents__isnull=True,
                    onsite_notes="",
                    first_evaluation="",
                ),
                name="%(app_label)s_%(class)s_onsite_only_township",
            ),
            models.CheckConstraint(condition=Q(total_score__gte=0), name="%(app_label)s_%(class)s_total_positive"),
        ]
        indexes = [
            # The statistics per level: WHERE level = ? AND status = ? GROUP BY grade.
            models.Index(fields=["level", "status", "grade"], name="reviews_level_stage_status"),
        ]

    def __str__(self):
        return f"{self.review.village} · {self.get_level_display()}"

    def get_absolute_url(self):
        return reverse("reviews:level", args=[self.review_id, self.level])

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    @property
    def is_submitted(self) -> bool:
        return self.status == LevelStatus.SUBMITTED

    @property
    def is_township(self) -> bool:
        return self.level == Stage.TOWNSHIP


class ItemScoreQuerySet(ScopedQuerySet):
    scope_field = "level__review__village__code"


class ItemScore(models.Model):
    """What one level gave one item. Written in bulk, so no per-row history: the level's own history records
    each save (who, when, version, total) and a submitted level is locked."""

    level = models.ForeignKey(ReviewLevel, verbose_name=_("level"), on_delete=models.CASCADE, related_name="scores")
    item = models.ForeignKey(Item, verbose_name=_("item"), on_delete=models.PROTECT, related_name="scores")
    score = models.DecimalField(_("score"), max_digits=4, decimal_places=1, null=True, blank=True)
    passed = models.BooleanField(_("passed"), null=True, blank=True)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))

    objects = ItemScoreQuerySet.as_manager()

    class Meta:
        ordering = ["level_id", "item_id"]
        verbose_name = _("item score")
        verbose_name_plural = _("item scores")
        constraints = [
            models.UniqueConstraint(fields=["level", "item"], name="%(app_label)s_%(class)s_one_per_item"),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0), name="%(app_label)s_%(class)s_score_positive"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(passed__isnull=True),
                name="%(app_label)s_%(class)s_score_or_pass",
            ),
        ]

    def __str__(self):
        return f"{self.item.number}: {self.points}"

    @property
    def points(self) -> Decimal | None:
        """What the item contributes to the total: its score, or all or nothing for a pass/fail item."""
        if self.passed is not None:
            return self.item.max_points if self.passed else Decimal(0)
        return self.score


class PostRatingQuerySet(ScopedQuerySet):
    scope_field = "review__village__code"


class PostRating(models.Model):
    """The rating of one post holder's performance (岗位履职) in a review."""

    review = models.ForeignKey(Review, verbose_name=_("review"), on_delete=models.CASCADE, related_name="post_ratings")
    post = models.ForeignKey(Post, verbose_name=_("post"), on_delete=models.PROTECT, related_name="review_ratings")
    grade = models.CharField(_("grade"), max_length=12, choices=Grade.choices)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rated_at = models.DateTimeField(_("rated"), default=timezone.now)

    history = HistoricalRecords()
    objects = PostRatingQuerySet.as_manager()

    class Meta:
        ordering = ["review_id", "post_id"]
        verbose_name = _("post rating")
        verbose_name_plural = _("post ratings")
        constraints = [
            models.UniqueConstraint(fields=["review", "post"], name="%(app_label)s_%(class)s_one_per_post"),
            models.CheckConstraint(condition=Q(grade__in=Grade.values), name="%(app_label)s_%(class)s_grade_valid"),
            models.CheckConstraint(
                condition=Q(grade__in=[Grade.GOOD, Grade.FAIRLY_GOOD]) | ~Q(note=""),
                name="%(app_label)s_%(class)s_low_grade_has_note",
                violation_error_message=_("Say why when rating a post Average or Poor."),
            ),
        ]

    def __str__(self):
        return f"{self.post}: {self.get_grade_display()}"


class SampleDrawQuerySet(models.QuerySet):
    def visible_to(self, user, roles=None):
        return self.filter(county_scope_q(user, "campaign__division__code", roles))


class SampleDraw(models.Model):
    """The county's random sample for its re-diagnosis (回诊): the rule and the seed, so anyone can re-run it."""

    campaign = models.OneToOneField(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="sample_draw"
    )
    rule = models.TextField(_("rule"))
    share = models.DecimalField(
        _("share per township"), max_digits=4, decimal_places=3, help_text=_("For example 0.2 for one in five.")
    )
    minimum = models.PositiveSmallIntegerField(_("at least, per township"), default=1)
    seed = models.BigIntegerField(_("random seed"))
    drawn_codes = models.JSONField(_("villages drawn"), default=list)
    drawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drawn by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    drawn_at = models.DateTimeField(_("drawn"), default=timezone.now)

    history = HistoricalRecords()
    objects = SampleDrawQuerySet.as_manager()

    class Meta:
        verbose_name = _("sample draw")
        verbose_name_plural = _("sample draws")
        constraints = [
            models.CheckConstraint(
                condition=Q(share__gt=0) & Q(share__lte=1), name="%(app_label)s_%(class)s_share_range"
            ),
        ]

    def __str__(self):
        return f"{self.campaign} · {self.seed}"

    def get_absolute_url(self):
        return self.campaign.get_absolute_url()


from .followup.models import *  # noqa: E402,F403
