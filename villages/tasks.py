"""Celery tasks: thin wrappers that take codes and call the tally runner."""

import datetime

from celery import shared_task
from django.utils import timezone

from .choices import Level
from .metrics import Period, campaigns
from .models import Division
from .snapshots import prune_done_requests, publish_requests, tally_county


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


# A campaign's figures keep changing while its reviews are entered, and for a while after it ends (returns,
# reopenings); after that beat leaves it alone, and a change to one of its levels asks for its tally itself.
CAMPAIGN_SETTLES_DAYS = 90


def current_periods(*, county_code: str, include_month: bool = True, listed=None) -> list[str]:
    """The periods beat keeps fresh for a county: this year, this quarter, this month and the review campaigns
    still open (or ended less than CAMPAIGN_SETTLES_DAYS ago); ``listed``: the county's campaigns, if already read.
    An older campaign's figures are recomputed when its data changes (``snapshots.recompute_after_change``)."""
    today = timezone.localdate()
    periods = [Period.current_year().key, Period.current_quarter().key]
    if include_month:
        periods.append(f"{today.year}-{today.month:02d}")
    settled = today - datetime.timedelta(days=CAMPAIGN_SETTLES_DAYS)
    periods += [
        c.key
        for c in (campaigns(county_code=county_code) if listed is None else listed)
        if c.start <= today and c.end >= settled
    ]
    return periods


@shared_task(name="villages.tally_all_counties", time_limit=5 * 60, soft_time_limit=4 * 60)
def tally_all_counties(period: str | None = None, include_month: bool = True) -> int:
    """One task per county and period, so one slow county never holds up the others."""
    codes = list(Division.objects.filter(level=Level.COUNTY).current().values_list("code", flat=True))
    sent = 0
    for code in codes:
        for p in [period] if period else current_periods(county_code=code, include_month=include_month):
            tally_county_task.delay(code, p)
            sent += 1
    return sent


@shared_task(name="villages.purge_idempotency_records", time_limit=300, soft_time_limit=270)
def purge_idempotency_records() -> int:
    """Delete the idempotency records past their expiry (``villages.idempotency.purge_expired``)."""
    from .idempotency import purge_expired

    return purge_expired()


@shared_task(name="villages.compact_change_log", time_limit=300, soft_time_limit=270)
def compact_change_log() -> int:
    """Drop the change log's entries that later ones supersede (``villages.snapshots.compact_change_log``)."""
    from .snapshots import compact_change_log as compact

    return compact()


@shared_task(name="villages.publish_tally_requests", time_limit=60, soft_time_limit=50)
def publish_tally_requests() -> int:
    """Send the recompute requests that could not be published when they were made (Redis was away), and
    delete those answered long ago."""
    prune_done_requests()
    return publish_requests(older_than=datetime.timedelta(seconds=30))


# Idempotent, so a task lost with its worker is run again: a run only acts on a job still in the phase it was sent for
# (checking, or writing), the write re-checks the file against the platform as it is and upserts by natural keys, and
# the job's outcome commits with the rows it wrote — a redelivered write after the commit finds the job done.
@shared_task(
    name="villages.import_job",
    acks_late=True,
    reject_on_worker_lost=True,
    time_limit=30 * 60,
    soft_time_limit=25 * 60,
)
def import_job_task(job_id: int, phase: str) -> None:
    """Check or write an import job in the background (``villages.imports.services.import_job_run``)."""
    from .imports.services import import_job_run

    import_job_run(job_id=job_id, phase=phase)
