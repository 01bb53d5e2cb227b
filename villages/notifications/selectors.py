"""Reads of the reminders: a user's notifications and unread count, a county's robot and its deliveries."""

from django.core.cache import cache
from django.db import connection

from .models import CountyWebhook, Notification, WebhookDelivery

# The bell's count is kept this long at most; every change to a user's notifications drops it at once.
UNREAD_TTL = 600


def _unread_key(user_id) -> str:
    # Keyed by database: one Redis may serve several (test workers, the benchmark).
    return f"notifications-unread:{connection.settings_dict['NAME']}:{user_id}"


def unread_count(user) -> int:
    """The bell's figure: one cache read, or one indexed count on a miss (villages_notification_unread)."""
    key = _unread_key(user.pk)
    count = cache.get(key)
    if count is None:
        count = Notification.objects.filter(user=user, read_at__isnull=True).count()
        cache.set(key, count, UNREAD_TTL)
    return count


def forget_unread_counts(user_ids) -> None:
    if user_ids:
        cache.delete_many([_unread_key(pk) for pk in user_ids])


def notification_list(*, user, unread_only: bool = False):
    """The user's own notifications, newest first; nobody else's is ever in it."""
    qs = Notification.objects.filter(user=user)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-pk")


def own_notification_or_404(*, user, pk: int) -> Notification:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(Notification, pk=pk, user=user)


def county_webhook(*, county) -> CountyWebhook | None:
    return CountyWebhook.objects.filter(county=county).first()


def recent_deliveries(*, webhook: CountyWebhook, limit: int = 20):
    return WebhookDelivery.objects.filter(webhook=webhook).select_related("created_by").order_by("-created_at")[:limit]
