"""Tables of the reminders.

``villages.models`` imports this module (``from .notifications.models import *``), so the models register under
the ``villages`` app label and their migrations live in villages/migrations.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from villages.choices import Level
from villages.models import Division, ScopedQuerySet

from .choices import DeliveryStatus, NotificationUrgency, WebhookKind

__all__ = ["CountyWebhook", "Notification", "NotificationSettings", "WebhookDelivery"]

URL_MAX = 500


def validate_webhook_url(value: str) -> None:
    """A robot's address: http(s) with a host and no user name or password in it (https only in production, where
    the robot's key would otherwise cross the network in the clear)."""
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        host = None
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not host:
        raise ValidationError(
            _("Enter the robot's full address, starting with https:// (copy it from the group's robot settings)."),
            code="invalid",
        )
    if settings.PRODUCTION and parts.scheme != "https":
        raise ValidationError(_("The robot's address must start with https://."), code="insecure")
    if parts.username or parts.password:
        raise ValidationError(_("The robot's address may not hold a user name or password."), code="credentials")
    if any(c.isspace() for c in value):
        raise ValidationError(_("The robot's address may not hold spaces."), code="spaces")


class Notification(models.Model):
    """One reminder to one user about one to-do item in one state: ``key`` names the item, its urgency and its
    deadline, so the same item in the same state is told once, however often the job runs."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=300)
    kind = models.CharField(_("kind"), max_length=100)
    title = models.CharField(_("title"), max_length=500)
    division_name = models.CharField(_("division"), max_length=200, blank=True)
    url = models.CharField(_("link"), max_length=URL_MAX)
    urgency = models.CharField(_("urgency"), max_length=10, choices=NotificationUrgency.choices)
    due = models.DateField(_("deadline"), null=True, blank=True)
    # The county whose run told it (its robot posts it in the county's digest); empty for users above a county.
    county_code = models.CharField(_("county code"), max_length=12, blank=True)
    # The run that made it: a run reads back the rows it inserted (others were there before).
    batch = models.CharField(_("run"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="villages_notification_once")]
        indexes = [
            # The notifications page: WHERE user_id = … ORDER BY created_at DESC, id DESC
            models.Index(fields=["user", "-created_at", "-id"], name="villages_notification_list"),
            # The bell: SELECT count(*) WHERE user_id = … AND read_at IS NULL
            models.Index(fields=["user"], name="villages_notification_unread", condition=Q(read_at__isnull=True)),
            # A county's digest: the rows its run inserted.
            models.Index(fields=["batch", "county_code"], name="villages_notification_batch"),
        ]

    def __str__(self):
        return f"{self.user_id}: {self.title}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationSettings(models.Model):
    """A user's own choices about reminders (no row: the defaults)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_settings",
        verbose_name=_("user"),
    )
    email_reminders = models.BooleanField(
        _("E-mail reminders"),
        default=True,
        help_text=_("Send me an e-mail when something on my to-do list falls due or is overdue."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification settings")
        verbose_name_plural = _("notification settings")

    def __str__(self):
        return str(self.user)


class CountyWebhookQuerySet(ScopedQuerySet):
    scope_field = "county__code"


class CountyWebhook(models.Model):
    """A county's group robot (企业微信 or 钉钉): each run posts one digest of the reminders it made in the county."""

    county = models.OneToOneField(
        Division,
        on_delete=models.CASCADE,
        related_name="webhook",
        verbose_name=_("county"),
        limit_choices_to={"level": Level.COUNTY},
    )
    kind = models.CharField(_("robot"), max_length=10, choices=WebhookKind.choices, default=WebhookKind.WECOM)
    url = models.CharField(
        _("robot address"),
        max_length=URL_MAX,
        validators=[validate_webhook_url],
        help_text=_("The webhook address shown in the group's robot settings."),
    )
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        blank=True,
        help_text=_("DingTalk only: the secret (starting with SEC) if the robot's security setting is signing."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    # Who changed the robot and when; the secret is not copied into the history.
    history = HistoricalRecords(excluded_fields=["secret"])

    objects = CountyWebhookQuerySet.as_manager()

    class Meta:
        verbose_name = _("county group robot")
        verbose_name_plural = _("county group robots")

    def __str__(self):
        return f"{self.county} · {self.get_kind_display()}"

    def clean(self):
        errors = {}
        if self.county_id and self.county.level != Level.COUNTY:
            errors["county"] = _("A group robot belongs to a county.")
        secret = (self.secret or "").strip()
        if secret and self.kind != WebhookKind.DINGTALK:
            errors["secret"] = _("Only a DingTalk robot signs its messages: leave the secret empty.")
        elif secret and (not secret.startswith("SEC") or any(c.isspace() for c in secret)):
            errors["secret"] = _("A DingTalk signing secret starts with SEC and holds no spaces.")
        if errors:
            raise ValidationError(errors)


class WebhookDeliveryQuerySet(ScopedQuerySet):
    scope_field = "webhook__county__code"


class WebhookDelivery(models.Model):
    """One post to a county's robot (a run's digest, or a test message), with its attempts and last error."""

    webhook = models.ForeignKey(
        CountyWebhook, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("group robot")
    )
    is_test = models.BooleanField(_("test message"), default=False)
    content = models.TextField(_("content"))
    notification_count = models.PositiveIntegerField(_("reminders"), default=0)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by"),
    )

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("group robot delivery")
        verbose_name_plural = _("group robot deliveries")
        constraints = [
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.SENT, sent_at__isnull=False) | ~Q(status=DeliveryStatus.SENT),
                name="villages_webhookdelivery_sent_has_time",
            )
        ]

    def __str__(self):
        return f"{self.webhook} {self.created_at:%Y-%m-%d %H:%M} {self.get_status_display()}"
