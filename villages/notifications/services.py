"""Every write of the reminders, one transaction each: a run's reminders for a county's users (with the robot's
digest), a user marking what they read, their settings, a county's robot and its deliveries."""

import datetime
import hashlib
import logging
import uuid

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F, Min
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ..models import Division
from ..people import display_name
from ..todo import Urgency, todo_items
from . import webhooks
from .choices import DeliveryStatus, NotificationUrgency
from .models import CountyWebhook, Notification, NotificationSettings, WebhookDelivery
from .selectors import forget_unread_counts

logger = logging.getLogger(__name__)
User = get_user_model()

TOLD = {Urgency.OVERDUE: NotificationUrgency.OVERDUE, Urgency.SOON: NotificationUrgency.SOON}
# The group whose users hold no scope at or under a county (a city's or a province's officials): they are told in
# the platform and by e-mail; no county's robot posts their reminders.
ABOVE_COUNTIES = ""
KEY_MAX = 300
# A digest lists so many reminders at most (the robot's message is bounded anyway); the rest are counted.
DIGEST_LINES = 30


def absolute(url: str) -> str:
    return settings.SHANZHI_BASE_URL.rstrip("/") + url


def notification_key(row: dict) -> str:
    """The item and its state: the same item told again only when its urgency or deadline moves (due soon, then
    overdue; a deadline extended). An item without a key of its own is named by what it shows."""
    item = row["key"] or hashlib.sha256(f"{row['title']}|{row['division']}|{row['url']}".encode()).hexdigest()[:24]
    due = row["due"].isoformat() if row["due"] else "-"
    key = f"{row['kind']}:{item}:{row['urgency']}:{due}"
    if len(key) > KEY_MAX:
        key = key[: KEY_MAX - 25] + "#" + hashlib.sha256(key.encode()).hexdigest()[:24]
    return key


def due_items(user, *, today: datetime.date) -> list[dict]:
    """What the user must act on that is due soon or overdue: their to-do list less what waits on others and
    what has no deadline near."""
    return [row for row in todo_items(user, today=today) if row["urgency"] in TOLD and not row["waiting_on"]]


def reminder_users(county_code: str):
    """The active users a county's run tells: those whose first scope (by code) lies in the county, so a user with
    scopes in several counties is told once, by the first. ``ABOVE_COUNTIES``: those whose first scope is above any
    county (a city or a province)."""
    users = User.objects.filter(is_active=True).annotate(first_code=Min("scopes__division__code"))
    if county_code == ABOVE_COUNTIES:
        users = users.filter(first_code__regex=r"^[0-9]{4}00")
    else:
        users = users.filter(first_code__startswith=county_code[:6])
    return users.select_related("notification_settings").order_by("pk")


def reminders_run(*, county_code: str, today: datetime.date | None = None, send: bool = True) -> dict:
    """One run for a county: every user's items due soon or overdue become notifications, each once (the unique
    key makes a rerun add nothing for the same state); then one e-mail per user told something new (if they have an
    address and want it) and one digest for the county's robot (delivered by its own task, retried on failure).
    The notifications and the robot's delivery are written in one transaction; mail goes after it commits."""
    today = today or timezone.localdate()
    batch = uuid.uuid4().hex
    now = timezone.now()
    users = list(reminder_users(county_code))
    rows = []
    with translation.override(settings.LANGUAGE_CODE):
        for user in users:
            for row in due_items(user, today=today):
                rows.append(
                    Notification(
                        user=user,
                        key=notification_key(row),
                        kind=row["kind"][:100],
                        title=str(row["title"])[:500],
                        division_name=str(row["division"])[:200],
                        url=row["url"][:500],
                        urgency=TOLD[row["urgency"]],
                        due=row["due"],
                        county_code=county_code,
                        batch=batch,
                        created_at=now,
                    )
                )
        with transaction.atomic():
            Notification.objects.bulk_create(rows, ignore_conflicts=True, batch_size=500)
            created = list(
                Notification.objects.filter(batch=batch, county_code=county_code)
                .select_related("user")
                .order_by("user_id", "due", "pk")
            )
            delivery = _digest_delivery(county_code=county_code, created=created, today=today) if created else None
            told = sorted({n.user_id for n in created})
            transaction.on_commit(lambda: forget_unread_counts(told))
            if delivery is not None and send:
                from .tasks import deliver_webhook

                transaction.on_commit(lambda: deliver_webhook.delay(delivery.pk))
        mailed = _mail(created, users) if send else 0
    return {
        "county": county_code,
        "users": len(users),
        "due": len(rows),
        "created": len(created),
        "mailed": mailed,
        "delivery": delivery.pk if delivery else None,
    }


def _wants_mail(user) -> bool:
    try:
        return bool(user.email) and user.notification_settings.email_reminders
    except NotificationSettings.DoesNotExist:
        return bool(user.email)


def _mail(created: list[Notification], users: list) -> int:
    """One e-mail per user told something new. A failed send is logged and leaves ``emailed_at`` empty: it never
    stops the run, and the reminders stay in the platform."""
    by_user: dict[int, list[Notification]] = {}
    for n in created:
        by_user.setdefault(n.user_id, []).append(n)
    people = {u.pk: u for u in users}
    messages = []
    for user_id, notes in by_user.items():
        user = people[user_id]
        if not _wants_mail(user):
            continue
        context = {
            "name": display_name(user),
            "notifications": [
                {"n": n, "link": absolute(reverse("villages:notification_open", args=[n.pk]))} for n in notes
            ],
            "home": absolute(reverse("home")),
            "settings_url": absolute(reverse("villages:notification_settings")),
        }
        subject = _("Shanzhi reminder: %(n)d thing(s) on your to-do list due or overdue") % {"n": len(notes)}
        body = render_to_string("villages/notifications/email.txt", context)
        messages.append((user_id, EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])))
    sent_to = []
    if messages:
        try:
            connection = get_connection()
            connection.open()
        except Exception:
            logger.exception("reminders: the mail server could not be reached")
            return 0
        try:
            for user_id, message in messages:
                try:
                    connection.send_messages([message])
                except Exception:
                    logger.exception("reminders: the e-mail to user %s failed", user_id)
                else:
                    sent_to.append(user_id)
        finally:
            connection.close()
    if sent_to:
        ids = [n.pk for n in created if n.user_id in set(sent_to)]
        with transaction.atomic():
            Notification.objects.filter(pk__in=ids).update(emailed_at=timezone.now())
    return len(sent_to)


def digest_text(*, county: Division, created: list[Notification], today: datetime.date) -> tuple[str, str]:
    """The robot's message: a title and markdown lines, most urgent first, each with its division, deadline,
    person and link; beyond ``DIGEST_LINES`` the rest are counted."""
    title = _("Shanzhi reminders · %(county)s · %(date)s") % {"county": county.name, "date": today.isoformat()}
    ordered = sorted(created, key=lambda n: (n.urgency != NotificationUrgency.OVERDUE, n.due or today, n.pk))
    overdue = sum(1 for n in created if n.urgency == NotificationUrgency.OVERDUE)
    lines = [
        f"### {title}",
        _("%(n)d new reminder(s), %(overdue)d overdue:") % {"n": len(created), "overdue": overdue},
        "",
    ]
    for n in ordered[:DIGEST_LINES]:
        label = NotificationUrgency(n.urgency).label
        due = _("due %(date)s") % {"date": n.due.isoformat()} if n.due else ""
        parts = [f"**{label}** [{_markdown_text(n.title)}]({absolute(n.url)})", n.division_name, due]
        parts.append(_markdown_text(display_name(n.user)))
        lines.append("- " + " · ".join(p for p in parts if p))
    if len(ordered) > DIGEST_LINES:
        lines.append(_("… and %(n)d more.") % {"n": len(ordered) - DIGEST_LINES})
    lines += ["", f"[{_('Open Shanzhi: my to-do list')}]({absolute(reverse('home'))})"]
    return title, "\n".join(lines)


def _markdown_text(text: str) -> str:
    # A title is the user's data: brackets would break the link syntax of both robots.
    return str(text).replace("[", "【").replace("]", "】").replace("\n", " ")


def _digest_delivery(*, county_code: str, created: list[Notification], today: datetime.date):
    if county_code == ABOVE_COUNTIES:
        return None
    webhook = CountyWebhook.objects.filter(county__code=county_code, active=True).select_related("county").first()
    if webhook is None:
        return None
    title, content = digest_text(county=webhook.county, created=created, today=today)
    return WebhookDelivery.objects.create(
        webhook=webhook, content=f"{title}\n\n{content}", notification_count=len(created)
    )


def _title_and_text(delivery: WebhookDelivery) -> tuple[str, str]:
    title, _sep, text = delivery.content.partition("\n\n")
    return title, text


def webhook_delivery_attempt(*, delivery_id: int, final: bool = False) -> WebhookDelivery:
    """Post a delivery to its robot once (outside any transaction: a slow robot holds no lock), then record the
    outcome in one transaction: sent, or failed with the reason — to retry, or for good when ``final``. A delivery
    already sent is never posted again."""
    delivery = WebhookDelivery.objects.select_related("webhook").get(pk=delivery_id)
    if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.FAILED):
        return delivery
    webhook = delivery.webhook
    error = ""
    if not webhook.active:
        error, final = _("The group robot is turned off."), True
    else:
        title, text = _title_and_text(delivery)
        try:
            webhooks.post(kind=webhook.kind, url=webhook.url, secret=webhook.secret, title=title, content=text)
        except webhooks.DeliveryError as exc:
            error = str(exc)[:500] or _("The robot did not answer.")
    with transaction.atomic():
        changes = {"attempts": F("attempts") + 1, "last_error": error}
        if error:
            changes["status"] = DeliveryStatus.FAILED if final else DeliveryStatus.RETRYING
        else:
            changes.update(status=DeliveryStatus.SENT, sent_at=timezone.now())
        WebhookDelivery.objects.filter(pk=delivery.pk).exclude(status=DeliveryStatus.SENT).update(**changes)
    delivery.refresh_from_db()
    if error:
        logger.warning("reminders: delivery %s to %s failed: %s", delivery.pk, webhook.county_id, error)
    return delivery


def webhook_send_test(*, actor, webhook: CountyWebhook) -> WebhookDelivery:
    """A test message to the county's robot, sent at once (one attempt, the result shown to the administrator)."""
    title = _("Shanzhi test message · %(county)s") % {"county": webhook.county.name}
    text = "\n".join(
        [
            f"### {title}",
            _("This group will receive the county's daily digest of reminders from Shanzhi (善治)."),
            _("Sent by %(name)s at %(time)s.")
            % {"name": display_name(actor), "time": timezone.localtime().strftime("%Y-%m-%d %H:%M")},
        ]
    )
    with transaction.atomic():
        delivery = WebhookDelivery.objects.create(
            webhook=webhook, is_test=True, content=f"{title}\n\n{text}", created_by=actor
        )
    return webhook_delivery_attempt(delivery_id=delivery.pk, final=True)


@transaction.atomic
def county_webhook_save(
    *, actor, county: Division, kind: str, url: str, secret: str = "", active: bool = True
) -> CountyWebhook:
    """Create or change the county's robot (validated: the address, the secret for its kind)."""
    webhook = CountyWebhook.objects.select_for_update().filter(county=county).first() or CountyWebhook(county=county)
    webhook.kind = kind
    webhook.url = url.strip()
    webhook.secret = (secret or "").strip()
    webhook.active = active
    webhook.updated_by = actor
    webhook.full_clean()
    webhook.save()
    return webhook


@transaction.atomic
def county_webhook_delete(*, actor, webhook: CountyWebhook) -> None:
    webhook._history_user = actor
    webhook.delete()


@transaction.atomic
def notification_mark_read(*, user, notification: Notification) -> Notification:
    if notification.user_id != user.pk:
        raise ValidationError(_("This notification is not yours."))
    if notification.read_at is None:
        notification.read_at = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=notification.read_at)
        transaction.on_commit(lambda: forget_unread_counts([user.pk]))
    return notification


@transaction.atomic
def notifications_mark_all_read(*, user) -> int:
    count = Notification.objects.filter(user=user, read_at__isnull=True).update(read_at=timezone.now())
    if count:
        transaction.on_commit(lambda: forget_unread_counts([user.pk]))
    return count


@transaction.atomic
def notification_settings_save(*, user, email_reminders: bool, email: str) -> NotificationSettings:
    """A user's own reminder settings, and the address their e-mail goes to."""
    email = (email or "").strip()
    if email_reminders and not email:
        raise ValidationError({"email": _("Enter an e-mail address to receive e-mail reminders.")})
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise ValidationError({"email": _("Enter a valid e-mail address, such as name@example.gov.cn.")}) from exc
    if email != user.email:
        user.email = email
        user.save(update_fields=["email"])
    prefs, _created = NotificationSettings.objects.get_or_create(user=user)
    if prefs.email_reminders != email_reminders:
        prefs.email_reminders = email_reminders
        prefs.save(update_fields=["email_reminders", "updated_at"])
    return prefs


def reminder_counties() -> list[str]:
    """The groups a daily run covers: every current county, then the users above the counties."""
    from ..choices import Level

    codes = list(Division.objects.filter(level=Level.COUNTY).current().order_by("code").values_list("code", flat=True))
    return [*codes, ABOVE_COUNTIES]


__all__ = [
    "county_webhook_delete",
    "county_webhook_save",
    "notification_mark_read",
    "notification_settings_save",
    "notifications_mark_all_read",
    "reminder_counties",
    "reminders_run",
    "webhook_delivery_attempt",
    "webhook_send_test",
]
