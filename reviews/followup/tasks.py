"""Celery tasks of the follow-up records: thin wrappers around services. Registered through ``CELERY_IMPORTS``
(Celery's discovery reads each app's top-level tasks module only)."""

from celery import shared_task

from . import services


@shared_task(name="reviews.publish_record_books", time_limit=600, soft_time_limit=540)
def publish_record_books() -> int:
    """Publish last month's three-colour record books of every village (idempotent: beat may run it daily)."""
    return services.record_books_publish_due()
