"""Petitions (信访件) under their legal deadlines, their steps and attachments; disputes (矛盾纠纷) and mediation.

A case's deadlines are computed when a step sets them and stored on the case, so a county changing its rules
later does not move the deadlines of cases already running. ``due_on`` is always the next deadline of the
case's current stage (none once the decision is written), so the overdue and due-soon lists are one indexed
comparison.
"""

import datetime
import os
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from villages.choices import Level
from villages.models import Division, ScopedQuerySet
from villages.validators import (
    NOTE_MAX,
    TEXT_MAX,
    event_date,
    mask_id_number,
    mask_phone,
    planned_date,
    text_max,
    validate_id_number,
    validate_phone,
)

from .choices import (
    DISPUTE_READER_ROLES,
    PETITION_READER_ROLES,
    TAKEN_ON,
    Channel,
    Decision,
    Delivery,
    DisputeCategory,
    DisputeSource,
    DisputeStatus,
    Intake,
    Kind,
    MediationKind,
    MediationMethod,
    ReviewResult,
    RiskLevel,
    Satisfaction,
    Status,
    StepAction,
)


class DeadlineRules(models.Model):
    """A county's petition rules. Without a row, the defaults of the 《信访工作条例》 apply."""

    division = models.OneToOneField(
        Division,
        verbose_name=_("county"),
        on_delete=models.PROTECT,
        related_name="petition_rules",
        limit_choices_to={"level": Level.COUNTY},
    )
    acceptance_days = models.PositiveSmallIntegerField(
        _("days to accept"), default=15, help_text=_("Calendar days from receipt to accept, route or refuse.")
    )
    handling_days = models.PositiveSmallIntegerField(
        _("days to handle"), default=60, help_text=_("Calendar days from acceptance to the written decision.")
    )
    max_extension_days = models.PositiveSmallIntegerField(
        _("longest extension (days)"), default=30, help_text=_("One extension at most, of at most this many days.")
    )
    review_request_days = models.PositiveSmallIntegerField(
        _("days to ask for a review"),
        default=30,
        help_text=_("Calendar days after the decision (or the review's answer) within which a review may be asked."),
    )
    review_answer_days = models.PositiveSmallIntegerField(
        _("days to answer a review"), default=30, help_text=_("Calendar days to answer a review or re-review.")
    )
    max_representatives = models.PositiveSmallIntegerField(
        _("representatives of a group visit"), default=5, help_text=_("A group visit elects at most this many.")
    )
    satisfaction_counts_basic = models.BooleanField(
        _("“basically satisfied” counts as satisfied"),
        default=True,
        help_text=_("Whether 基本满意 counts in the numerator of the satisfaction rate."),
    )

    history = HistoricalRecords()
    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("petition rules")
        verbose_name_plural = _("petition rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    acceptance_days__gt=0,
                    handling_days__gt=0,
                    review_request_days__gt=0,
                    review_answer_days__gt=0,
                    max_representatives__gt=0,
                ),
                name="%(app_label)s_%(class)s_positive_days",
            ),
        ]

    def __str__(self):
        return str(self.division)

    @classmethod
    def for_code(cls, code: str) -> "DeadlineRules":
        """The rules of the county the code lies in; the defaults (unsaved) where the county has set none."""
        county_code = code[:6] + "0" * 6
        return cls.objects.filter(division__code=county_code).first() or cls()

    def due(self, start: datetime.date, days: int) -> datetime.date:
        """Calendar days: the start day does not count, the last day does (received on 1 Jan → 16 Jan)."""
        return start + datetime.timedelta(days=days)


class CaseCounter(models.Model):
    """The running number of cases of one kind in one county and year; locked while a number is drawn."""

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=10)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["division", "year", "kind"], name="%(app_label)s_%(class)s_unique"),
        ]

    def __str__(self):
        return f"{self.division_id} {self.year} {self.kind}: {self.last}"


class PetitionQuerySet(ScopedQuerySet):
    def visible_to(self, user, roles=None):
        return super().visible_to(user, roles or PETITION_READER_ROLES)

    def with_list_data(self):
        return self.select_related("division", "responsible_unit").prefetch_related("petitioners")

    def overdue(self, today: datetime.date):
        return self.filter(due_on__lt=today)

    def due_within(self, today: datetime.date, days: int):
        return self.filter(due_on__gte=today, due_on__lte=today + datetime.timedelta(days=days))


class Petition(models.Model):
    number = models.CharField(_("case number"), max_length=20, unique=True)
    registry_unit = models.ForeignKey(
        Division,
        verbose_name=_("registered by"),
        on_delete=models.PROTECT,
        related_name="petitions_registered",
        help_text=_("The petition office that registered the case."),
    )
    division = models.ForeignKey(
        Division,
        verbose_name=_("place concerned"),
        on_delete=models.PROTECT,
        related_name="petitions",
        help_text=_("The county, township, village or community the matter concerns."),
    )
    # The grids app keeps grids; until cases link to them, the grid is named as the petitioner gave it.
    grid_reference = models.CharField(_("grid"), max_length=100, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    content = models.TextField(_("content"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    received_on = models.DateField(_("received on"), validators=[event_date])

    is_group = models.BooleanField(_("group visit"), default=False)
    group_size = models.PositiveIntegerField(_("people in the group"), null=True, blank=True)
    is_repeat = models.BooleanField(_("repeat petition"), default=False)
    previous = models.ForeignKey(
        "self",
        verbose_name=_("earlier case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeats",
    )
    is_level_skipping = models.BooleanField(_("level-skipping"), default=False)
    is_leader_owned = models.BooleanField(_("leader-owned case"), default=False)
    leader_name = models.CharField(_("leader in charge"), max_length=50, blank=True)

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.REGISTERED)
    due_on = models.DateField(_("next deadline"), null=True, blank=True, validators=[planned_date])
    acceptance_due = models.DateField(_("acceptance deadline"), validators=[planned_date])
    intake = models.CharField(_("intake decision"), max_length=10, choices=Intake.choices, blank=True)
    decided_on = models.DateField(_("intake decided on"), null=True, blank=True, validators=[event_date])
    refusal_reason = models.TextField(
        _("reason for not accepting"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    responsible_unit = models.ForeignKey(
        Division,
        verbose_name=_("responsible unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="petitions_handled",
    )
    first_unit = models.ForeignKey(
        Division,
        verbose_name=_("first handling unit"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="petitions_first_handled",
        help_text=_("The unit the petitioner's satisfaction is credited to."),
    )
    accepted_on = models.DateField(_("taken on"), null=True, blank=True, validators=[event_date])
    handling_due = models.DateField(_("handling deadline"), null=True, blank=True, validators=[planned_date])
    extension_days = models.PositiveSmallIntegerField(_("extension (days)"), default=0)
    extension_approved_by = models.CharField(_("extension approved by"), max_length=50, blank=True)
    extension_reason = models.TextField(
        _("reason for the extension"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )
    extension_notified_on = models.DateField(
        _("petitioner told of the extension on"), null=True, blank=True, validators=[event_date]
    )

    concluded_on = models.DateField(_("concluded on"), null=True, blank=True, validators=[event_date])
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decision_text = models.TextField(
        _("written decision"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX)
    )
    delivered_on = models.DateField(_("decision delivered on"), null=True, blank=True, validators=[event_date])
    delivery_method = models.CharField(_("delivered"), max_length=10, choices=Delivery.choices, blank=True)
    appeal_until = models.DateField(
        _("review may be asked until"),
        null=True,
        blank=True,
        help_text=_("Last day to ask for a review of the decision, or a re-review of the review."),
        validators=[planned_date],
    )
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    rated_on = models.DateField(_("rated on"), null=True, blank=True, validators=[event_date])
    return_visited_on = models.DateField(_("return visit on"), null=True, blank=True, validators=[event_date])
    return_visit_note = models.TextField(
        _("return visit notes"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX)
    )

    review_requested_on = models.DateField(_("review requested on"), null=True, blank=True, validators=[event_date])
    review_due = models.DateField(_("review deadline"), null=True, blank=True, validators=[planned_date])
    review_answered_on = models.DateField(_("review answered on"), null=True, blank=True, validators=[event_date])
    review_by = models.CharField(_("reviewing body"), max_length=100, blank=True)
    review_result = models.CharField(_("review result"), max_length=10, choices=ReviewResult.choices, blank=True)
    review_text = models.TextField(_("review answer"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    rereview_requested_on = models.DateField(
        _("re-review requested on"), null=True, blank=True, validators=[event_date]
    )
    rereview_due = models.DateField(_("re-review deadline"), null=True, blank=True, validators=[planned_date])
    rereview_answered_on = models.DateField(_("re-review answered on"), null=True, blank=True, validators=[event_date])
    rereview_by = models.CharField(_("re-reviewing body"), max_length=100, blank=True)
    rereview_result = models.CharField(_("re-review result"), max_length=10, choices=ReviewResult.choices, blank=True)
    rereview_text = models.TextField(
        _("re-review answer"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX)
    )

    supervised_on = models.DateField(_("last supervised on"), null=True, blank=True, validators=[event_date])
    supervision_count = models.PositiveSmallIntegerField(_("times supervised"), default=0)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("registered at"), default=timezone.now)

    history = HistoricalRecords()
    objects = PetitionQuerySet.as_manager()

    class Meta:
        ordering = ["-received_on", "-pk"]
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        constraints = [
            models.CheckConstraint(condition=Q(status__in=Status.values), name="%(app_label)s_%(class)s_status_valid"),
            models.CheckConstraint(
                # The NULL test is spelled out: a CHECK whose value is NULL passes.
                condition=Q(is_group=False, group_size__isnull=True)
                | Q(is_group=True, group_size__isnull=False, group_size__gte=2),
                name="%(app_label)s_%(class)s_group_has_size",
            ),
            models.CheckConstraint(
                condition=Q(is_leader_owned=False) | ~Q(leader_name=""),
                name="%(app_label)s_%(class)s_leader_named",
            ),
            models.CheckConstraint(
                condition=Q(previous__isnull=True) | Q(is_repeat=True),
                name="%(app_label)s_%(class)s_linked_is_repeat",
            ),
            models.CheckConstraint(
                condition=Q(satisfaction="") | Q(is_repeat=False, intake__in=TAKEN_ON),
                name="%(app_label)s_%(class)s_only_first_time_rated",
            ),
            models.CheckConstraint(
                condition=~Q(intake=Intake.REFUSED) | ~Q(refusal_reason=""),
                name="%(app_label)s_%(class)s_refusal_has_reason",
            ),
            models.CheckConstraint(
                condition=Q(accepted_on__isnull=True) | Q(handling_due__isnull=False, responsible_unit__isnull=False),
                name="%(app_label)s_%(class)s_taken_on_has_unit_and_due",
            ),
            models.CheckConstraint(
                condition=Q(extension_days=0) | (~Q(extension_approved_by="") & ~Q(extension_reason="")),
                name="%(app_label)s_%(class)s_extension_approved",
            ),
            models.CheckConstraint(
                condition=Q(concluded_on__isnull=True) | (~Q(decision="") & ~Q(decision_text="")),
                name="%(app_label)s_%(class)s_conclusion_has_decision",
            ),
            models.CheckConstraint(
                condition=(Q(decided_on__isnull=True) | Q(decided_on__gte=F("received_on")))
                & (Q(concluded_on__isnull=True) | Q(concluded_on__gte=F("accepted_on")))
                & (Q(delivered_on__isnull=True) | Q(delivered_on__gte=F("concluded_on"))),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
        ]
        indexes = [
            # The overdue and due-soon lists: WHERE due_on < today (or BETWEEN today AND today + N).
            models.Index(fields=["due_on", "status"], name="petitions_due_status"),
            # The case list's order (ORDER BY received_on DESC, id DESC): its pages walk this index alone (ids and
            # the division for the scope filter), however deep the page.
            models.Index(fields=["-received_on", "-id"], include=["division"], name="petitions_list_order"),
            # The rates: WHERE received_on / concluded_on BETWEEN period start AND end.
            models.Index(fields=["received_on"], name="petitions_received"),
            models.Index(fields=["concluded_on"], name="petitions_concluded"),
        ]

    def __str__(self):
        return f"{self.number} {self.subject}"

    def get_absolute_url(self):
        return reverse("petitions:case", args=[self.pk])

    @property
    def is_first_time(self) -> bool:
        return not self.is_repeat

    @property
    def rating_eligible(self) -> bool:
        return not self.is_repeat and self.intake in TAKEN_ON

    @property
    def is_taken_on(self) -> bool:
        return self.intake in TAKEN_ON

    def is_overdue(self, today: datetime.date | None = None) -> bool:
        return self.due_on is not None and self.due_on < (today or timezone.localdate())


class Petitioner(models.Model):
    """One petitioner, or one of the at most five representatives of a group visit."""

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="petitioners"
    )
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[validate_phone])
    address = models.CharField(_("address"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["petition_id", "position", "pk"]
        verbose_name = _("petitioner")
        verbose_name_plural = _("petitioners")
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number="") | Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="%(app_label)s_%(class)s_id_number_format",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^1[3-9][0-9]{9}$"),
                name="%(app_label)s_%(class)s_phone_format",
            ),
        ]
        indexes = [
            # Finding a petitioner's earlier cases: WHERE id_number IN (...) / name IN (...).
            models.Index(fields=["id_number"], name="petitions_petitioner_id"),
            models.Index(fields=["name"], name="petitions_petitioner_name"),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)


class StepQuerySet(ScopedQuerySet):
    scope_field = "petition__division__code"

    def visible_to(self, user, roles=None):
        return super().visible_to(user, roles or PETITION_READER_ROLES)


class PetitionStep(models.Model):
    """One step of a case: who did what, on which day, from which unit to which. Never changed afterwards."""

    petition = models.ForeignKey(Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(_("action"), max_length=20, choices=StepAction.choices)
    on = models.DateField(_("date"), validators=[event_date])
    at = models.DateTimeField(_("recorded at"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    from_unit = models.ForeignKey(
        Division, verbose_name=_("from"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    to_unit = models.ForeignKey(
        Division, verbose_name=_("to"), on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["petition_id", "on", "at", "pk"]
        verbose_name = _("step")
        verbose_name_plural = _("steps")

    def __str__(self):
        return f"{self.get_action_display()} {self.on}"


def attachment_path(instance, filename: str) -> str:
    """A generated name: the uploader's file name is kept as data, never used as a path."""
    ext = os.path.splitext(filename)[1].lower()
    today = timezone.localdate()
    return f"petitions/{today:%Y/%m}/{uuid.uuid4().hex}{ext}"


class AttachmentQuerySet(ScopedQuerySet):
    scope_field = "petition__division__code"

    def visible_to(self, user, roles=None):
        return super().visible_to(user, roles or PETITION_READER_ROLES)


class PetitionAttachment(models.Model):
    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.PROTECT, related_name="attachments"
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("uploaded by"), on_delete=models.PROTECT, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = AttachmentQuerySet.as_manager()

    class Meta:
        ordering = ["petition_id", "uploaded_at", "pk"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("petitions:attachment", args=[self.pk])


class DisputeQuerySet(ScopedQuerySet):
    def visible_to(self, user, roles=None):
        return super().visible_to(user, roles or DISPUTE_READER_ROLES)

    def with_list_data(self):
        return self.select_related("division", "petition").prefetch_related("parties")


class Dispute(models.Model):
    """A dispute found by screening (排查) where it arose."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    division = models.ForeignKey(
        Division, verbose_name=_("where it arose"), on_delete=models.PROTECT, related_name="disputes"
    )
    source = models.CharField(_("screened by"), max_length=10, choices=DisputeSource.choices)
    grid_reference = models.CharField(_("grid"), max_length=100, blank=True)
    screened_on = models.DateField(_("screened on"), validators=[event_date])
    category = models.CharField(_("type"), max_length=14, choices=DisputeCategory.choices)
    risk_level = models.CharField(_("risk level"), max_length=8, choices=RiskLevel.choices)
    summary = models.TextField(_("what it is about"), max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.SCREENED)
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True, validators=[event_date])
    petition = models.ForeignKey(
        Petition,
        verbose_name=_("escalated into petition"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="disputes",
    )
    # The grids app keeps service requests; until disputes link to them, the request is named in words.
    grid_request_ref = models.CharField(_("escalated into grid request"), max_length=100, blank=True)
    escalated_on = models.DateField(_("escalated on"), null=True, blank=True, validators=[event_date])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()
    objects = DisputeQuerySet.as_manager()

    class Meta:
        ordering = ["-screened_on", "-pk"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=DisputeStatus.values), name="%(app_label)s_%(class)s_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status=DisputeStatus.RESOLVED, resolved_on__isnull=False)
                | (~Q(status=DisputeStatus.RESOLVED) & Q(resolved_on__isnull=True)),
                name="%(app_label)s_%(class)s_resolved_has_date",
            ),
            models.CheckConstraint(
                condition=~Q(status=DisputeStatus.ESCALATED)
                | (Q(escalated_on__isnull=False) & (Q(petition__isnull=False) | ~Q(grid_request_ref=""))),
                name="%(app_label)s_%(class)s_escalation_has_target",
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True) | Q(resolved_on__gte=F("screened_on")),
                name="%(app_label)s_%(class)s_dates_ordered",
            ),
        ]
        indexes = [
            # The resolution rate: WHERE screened_on BETWEEN period start AND end.
            models.Index(fields=["screened_on"], name="petitions_dispute_screened"),
        ]

    def __str__(self):
        return f"{self.number} {self.get_category_display()}"

    def get_absolute_url(self):
        return reverse("petitions:dispute", args=[self.pk])

    @property
    def is_resolved(self) -> bool:
        return self.status == DisputeStatus.RESOLVED


class DisputeParty(models.Model):
    dispute = models.ForeignKey(Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="parties")
    position = models.PositiveSmallIntegerField(_("order"), default=0)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_number = models.CharField(_("ID number"), max_length=18, blank=True, validators=[validate_id_number])
    phone = models.CharField(_("phone"), max_length=11, blank=True, validators=[validate_phone])

    history = HistoricalRecords()

    class Meta:
        ordering = ["dispute_id", "position", "pk"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        constraints = [
            models.CheckConstraint(
                condition=Q(id_number="") | Q(id_number__regex=r"^[0-9]{17}[0-9X]$"),
                name="%(app_label)s_%(class)s_id_number_format",
            ),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^1[3-9][0-9]{9}$"),
                name="%(app_label)s_%(class)s_phone_format",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def masked_phone(self):
        return mask_phone(self.phone)

    @property
    def masked_id_number(self):
        return mask_id_number(self.id_number)


class Mediation(models.Model):
    """One round of mediation (调处) of a dispute: who mediated, how, and what came of it."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("dispute"), on_delete=models.CASCADE, related_name="mediations")
    kind = models.CharField(_("kind"), max_length=16, choices=MediationKind.choices)
    mediator = models.CharField(_("mediator"), max_length=100)
    method = models.CharField(_("method"), max_length=14, choices=MediationMethod.choices)
    sessions = models.PositiveSmallIntegerField(_("sessions"), default=1)
    started_on = models.DateField(_("started on"), validators=[event_date])
    ended_on = models.DateField(_("ended on"), validators=[event_date])
    agreement = models.TextField(_("agreement"), blank=True, max_length=TEXT_MAX, validators=text_max(TEXT_MAX))
    resolved = models.BooleanField(_("resolved"), default=False)
    follow_up = models.TextField(_("follow-up"), blank=True, max_length=NOTE_MAX, validators=text_max(NOTE_MAX))
    followed_up_on = models.DateField(_("followed up on"), null=True, blank=True, validators=[event_date])
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["dispute_id", "started_on", "pk"]
        verbose_name = _("mediation")
        verbose_name_plural = _("mediations")
        constraints = [
            models.CheckConstraint(condition=Q(sessions__gte=1), name="%(app_label)s_%(class)s_sessions_positive"),
            models.CheckConstraint(
                condition=Q(ended_on__gte=F("started_on")), name="%(app_label)s_%(class)s_dates_ordered"
            ),
            models.CheckConstraint(
                condition=Q(resolved=False) | ~Q(agreement=""), name="%(app_label)s_%(class)s_resolved_has_agreement"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.mediator}"
