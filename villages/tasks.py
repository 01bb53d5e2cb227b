"""Celery tasks: thin wrappers that take codes and call the tally runner."""

import datetime

from celery import shared_task
from django.utils import timezone

from .choices import Level
from .metrics import Period
from .models import Division
from .snapshots import publish_requests, tally_county


# Idempotent (the snapshot is replaced whole), so a task lost with its worker is safely run again.
@shared_task(
    name="villages.tally_county",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
)
def tally_county_task(self, county_code: str, period: str | None = None) -> int:
    run = tally_county(
        county_code=county_code, period=period or Period.current_year().key, task_id=self.request.id or ""
    )
    return run.rows_written


@shared_task(name="villages.tally_all_counties", time_limit=5 * 60, soft_time_limit=4 * 60)
def tally_all_counties(period: str | None = None, include_month: bool = True) -> int:
    """One task per county and period, so one slow county never holds up the others."""
    today_year = Period.current_year().key
    periods = [period] if period else [today_year]
    if include_month and not period:
        today = timezone.localdate()
        periods.append(f"{today.year}-{today.month:02d}")
    codes = list(Division.objects.filter(level=Level.COUNTY).current().values_list("code", flat=True))
    for code in codes:
        for p in periods:
            tally_county_task.delay(code, p)
    return len(codes) * len(periods)


@shared_task(name="villages.publish_tally_requests", time_limit=60, soft_time_limit=50)
def publish_tally_requests() -> int:
    """Send the recompute requests that could not be published when they were made (Redis was away)."""
    return publish_requests(older_than=datetime.timedelta(seconds=30))
