"""Celery tasks of the reminders: thin wrappers that take codes and ids and call the services."""

import datetime

from celery import shared_task
from django.conf import settings

from . import services
from .choices import DeliveryStatus

# A robot that failed is tried again after 1, 2, 4, 8 and 16 minutes (SHANZHI_WEBHOOK_BACKOFF seconds, doubling),
# then the delivery is recorded as failed.
WEBHOOK_RETRIES = 5


@shared_task(name="villages.remind_due", time_limit=5 * 60, soft_time_limit=4 * 60)
def remind_due() -> int:
    """Beat's daily run: one task per county (and one for the users above the counties), so a large county never
    holds up the others."""
    groups = services.reminder_counties()
    for code in groups:
        remind_county.delay(code)
    return len(groups)


# Idempotent (a notification is unique per user, item and state), so a task lost with its worker runs again safely.
@shared_task(
    name="villages.remind_county",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
)
def remind_county(county_code: str, today: str | None = None) -> dict:
    """``today``: a run as of another day (YYYY-MM-DD), e.g. to make up a day the worker was down."""
    day = datetime.date.fromisoformat(today) if today else None
    return services.reminders_run(county_code=county_code, today=day)


# Not acks_late: a post the robot took but the worker did not acknowledge would show twice in the group.
@shared_task(name="villages.deliver_webhook", bind=True, max_retries=WEBHOOK_RETRIES, time_limit=60, soft_time_limit=50)
def deliver_webhook(self, delivery_id: int) -> str:
    """Post a digest to its county's robot; on failure retry with a growing delay, never holding up the run. In
    the embedded set-up (tasks in-process) there is one attempt: the failure stays on the robot's page."""
    final = self.request.is_eager or self.request.retries >= WEBHOOK_RETRIES
    delivery = services.webhook_delivery_attempt(delivery_id=delivery_id, final=final)
    if delivery.status == DeliveryStatus.RETRYING:
        raise self.retry(countdown=settings.SHANZHI_WEBHOOK_BACKOFF * 2**self.request.retries)
    return delivery.status
