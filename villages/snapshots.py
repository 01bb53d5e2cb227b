"""Running the tallies: every registered metric for one county and period, written as one snapshot set."""

import logging

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import stars
from .choices import Level
from .metrics import RULE_VERSION, Figure, Period, registry
from .models import Division, Snapshot, TallyRun
from .stats import publish_version

logger = logging.getLogger(__name__)


def tally_county(*, county_code: str, period: str, task_id: str = "") -> TallyRun:
    """Compute every metric for the county, its townships and villages, and replace the period's snapshot.

    Idempotent: the same data gives the same rows. Two runs for one county queue on the county row's lock,
    so they never interleave. If the process dies mid-way the transaction rolls back and the previous snapshot
    stays whole; the run row is left 'running' with no finish time, which the next run's record supersedes.
    """
    county = Division.objects.filter(code=county_code, level=Level.COUNTY).first()
    if county is None:
        raise ValidationError(_("No county has the code %(code)s.") % {"code": county_code})
    parsed = Period.parse(period)
    run = TallyRun.objects.create(county=county, period=parsed.key, rule_version=RULE_VERSION, task_id=task_id)
    try:
        with transaction.atomic():
            # Serialises concurrent runs for this county (PostgreSQL row lock; SQLite serialises writers anyway).
            Division.objects.select_for_update(no_key=True).filter(pk=county.pk).first()
            rows = _compute(county, parsed, run)
            Snapshot.objects.filter(division_code__startswith=county.prefix, period=parsed.key).delete()
            Snapshot.objects.bulk_create(rows, batch_size=2000)
            if parsed.is_year:
                year = parsed.start.year
                stars.replace_proposals(
                    county=county, year=year, proposals=stars.propose(county=county, year=year, rows=rows, run=run)
                )
            run.status = TallyRun.Status.SUCCEEDED
            run.rows_written = len(rows)
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "rows_written", "finished_at"])
    except Exception as exc:
        TallyRun.objects.filter(pk=run.pk).update(
            status=TallyRun.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        logger.exception("tally failed for %s %s", county_code, parsed.key)
        raise
    publish_version(run)
    return run


def _compute(county: Division, period: Period, run: TallyRun) -> list[Snapshot]:
    divisions = dict(
        Division.objects.filter(code__startswith=county.prefix)
        .filter(level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE])
        .current(period.last_day)
        .values_list("code", "pk")
    )
    rows = []
    for key, spec in registry().items():
        computed: dict[str, Figure] = spec.compute(county, period)
        for code, pk in divisions.items():
            # Every division gets a row, zero where nothing happened, so a reader never mistakes "none" for "missing".
            figure = computed.get(code) or Figure(0, 0 if spec.kind == "rate" else None)
            rows.append(
                Snapshot(
                    division_id=pk,
                    division_code=code,
                    period=period.key,
                    metric=key,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    inputs=figure.inputs,
                    run=run,
                )
            )
    return rows


def latest_run(county_code: str, period: str) -> TallyRun | None:
    return (
        TallyRun.objects.filter(county__code=county_code, period=period, status=TallyRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .first()
    )


def request_recompute(*, county_code: str, period: str | None = None) -> None:
    """Ask for a fresh tally of one county once the current transaction commits (never before)."""
    from .tasks import tally_county_task

    period = period or Period.current_year().key
    transaction.on_commit(lambda: tally_county_task.delay(county_code, period))
