"""Running the tallies: every registered metric for one county and period, written as one snapshot set."""

import datetime
import functools
import hashlib
import logging
import operator
import pickle
import socket
from typing import NamedTuple
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, DateTimeField, Exists, OuterRef, Q, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from . import stars
from .bulk import insert_instances, replace_rows
from .choices import Level
from .metrics import RULE_VERSION, Figure, Period, campaigns, registry, run_memo
from .models import Division, Snapshot, SnapshotChange, TallyRequest, TallyRun
from .replica import tally_reads
from .stats import data_version_moves, publish_version

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
    # Requests made before this run started are answered by it.
    answered = list(
        TallyRequest.objects.filter(
            county=county, period=parsed.key, done_at__isnull=True, requested_at__lte=run.started_at
        ).values_list("pk", flat=True)
    )
    try:
        with transaction.atomic():
            # Serialises concurrent runs for this county (PostgreSQL row lock; SQLite serialises writers anyway).
            Division.objects.select_for_update(no_key=True).filter(pk=county.pk).first()
            # The domain reads on the replica once it holds what the primary held now (villages/replica.py).
            with run_memo(), tally_reads():
                rows, spans = _compute(county, parsed)
            # A year's tally also proposes the villages' stars from its figures.
            year = parsed.start.year if parsed.is_year else None
            proposals = stars.propose(county=county, year=year, rows=rows, run=run) if year else []
            snapshot = Snapshot.objects.filter(division_code__startswith=county.prefix, period=parsed.key)
            run.part_digests = figures_digests(rows, spans, proposals)
            run.digest = _combined(run.part_digests)
            stale = _stale_parts(county, parsed.key, run.part_digests, snapshot, len(rows))
            # Read whole (first run of the period, say): the periods a change asks for may now count this one.
            read_whole = stale is None
            written, changes = 0, []
            # Only the figures that changed are written (deleted, then COPYed on PostgreSQL); an unchanged row
            # keeps the id of the run that computed it, unless that run was under other rules. When the last run
            # vouches for the stored rows, only the metrics whose digest moved are compared.
            if stale is None:
                part, changed = snapshot, [r._replace(run_id=run.pk) for r in rows]
            else:
                metrics = sorted(stale - {STARS})
                part = snapshot.filter(metric__in=metrics)
                changed = [r._replace(run_id=run.pk) for m in metrics for r in rows[slice(*spans[m])]]
            if stale is None or stale - {STARS}:
                replaced = replace_rows(
                    part,
                    changed,
                    key=("division", "metric"),
                    compare=("division_code", "numerator", "denominator", "inputs"),
                    keep=Q(run__rule_version=RULE_VERSION),
                )
                written = replaced.written
                changes = [(r.division_code, r.metric) for r in replaced.inserted]
                changes += [(v["division_code"], v["metric"]) for v in replaced.vanished]
            if year and (stale is None or STARS in stale):
                stars.replace_proposals(county=county, year=year, proposals=proposals)
            log_changes(parsed.key, changes)  # last: its lock is held to the commit
            run.status = TallyRun.Status.SUCCEEDED
            run.rows_written = written  # the snapshot rows this run wrote: none when every figure stayed the same
            run.finished_at = timezone.now()
            run.save(update_fields=["status", "rows_written", "finished_at", "digest", "part_digests"])
            TallyRequest.objects.filter(pk__in=answered).update(done_at=run.finished_at)
    except Exception as exc:
        TallyRun.objects.filter(pk=run.pk).update(
            status=TallyRun.Status.FAILED, finished_at=timezone.now(), error=repr(exc)[:2000]
        )
        logger.exception("tally failed for %s %s", county_code, parsed.key)
        raise
    if read_whole and parsed.kind != "campaign":
        cache.delete(_targets_key(county.code))
    publish_version(run)
    return run


# The key of PostgreSQL's transaction-level advisory lock that orders the change log's writers (any constant that
# no other part of the platform uses: "SZ" "CH" as bytes).
CHANGE_LOG_LOCK = 0x535A4348


def log_changes(period: str, keys: list[tuple[str, str]]) -> None:
    """Append the snapshot rows written or deleted by this transaction (division code, metric) to the change log.

    On PostgreSQL the lock taken first is held to the commit: the log's numbers are taken and committed by one
    writer after another, so the feed never sees a number committed after a greater one it already served. Held
    only from here to the commit (the tally's last statements), and only by runs that wrote something."""
    if not keys:
        return
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGE_LOG_LOCK])
    insert_instances(SnapshotChange, [SnapshotChange(division_code=c, period=period, metric=m) for c, m in keys])


def compact_change_log(*, batch: int = 10_000) -> int:
    """Delete log entries that a later entry of the same key supersedes, at most ``batch`` of them (oldest first).
    Safe for every cursor: a client after any cursor still finds the last entry of each key changed since, and the
    feed gives a key's figure as it stands now anyway; a replay from the start still reaches the current snapshot.
    The log then holds about one entry per snapshot row (and per row removed). Returns how many went."""
    later = SnapshotChange.objects.filter(
        division_code=OuterRef("division_code"), period=OuterRef("period"), metric=OuterRef("metric"),
        seq__gt=OuterRef("seq"),
    )  # fmt: skip
    superseded = list(
        SnapshotChange.objects.filter(Exists(later)).order_by("seq").values_list("seq", flat=True)[:batch]
    )
    deleted, _by_model = SnapshotChange.objects.filter(seq__in=superseded).delete()
    return deleted


class SnapshotRow(NamedTuple):
    """A snapshot row as written (its fields are Snapshot's column attributes): a county's rows are many, and a
    model instance each would cost more than computing them."""

    division_id: int
    division_code: str
    period: str
    metric: str
    numerator: int
    denominator: int | None
    inputs: dict
    run_id: int


def _compute(county: Division, period: Period) -> tuple[list[SnapshotRow], dict[str, tuple[int, int]]]:
    """Every metric's rows for the county's divisions, metric by metric, and where each metric's rows are in the
    list (start, end). The rows carry no run yet (``run_id`` None): they are digested without it, and only those
    written are given the run."""
    divisions = dict(
        Division.objects.filter(code__startswith=county.prefix)
        .filter(level__in=[Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE])
        .current(period.last_day)
        .values_list("code", "pk")
    )
    rows: list[SnapshotRow] = []
    spans: dict[str, tuple[int, int]] = {}
    append, period_key = rows.append, period.key
    for key, spec in registry().items():
        if period.kind not in spec.periods:
            continue
        computed: dict[str, Figure] = spec.compute(county, period)
        # Every division gets a row, zero where nothing happened, so a reader never mistakes "none" for "missing".
        zero = Figure(0, 0 if spec.kind == "rate" else None)
        start = len(rows)
        for code, pk in divisions.items():
            figure = computed.get(code) or zero
            append(SnapshotRow(pk, code, period_key, key, figure.numerator, figure.denominator, figure.inputs, None))
        spans[key] = (start, len(rows))
    return rows, spans


STARS = "stars"  # the part of a run's digests that is the year's star proposals


def _digest(value) -> str:
    return hashlib.blake2b(pickle.dumps(value, protocol=5), digest_size=32).hexdigest()


def figures_digests(
    rows: list[SnapshotRow], spans: dict[str, tuple[int, int]], proposals: list[stars.ProposalRow] = ()
) -> dict[str, str]:
    """A digest of each metric's rows (every value of every row, in the order computed: divisions by code; the
    rows carry no run yet), and of the year's star proposals (all but their run) when there are any."""
    # As plain tuples: pickling named tuples costs three times as much (their class, their arguments, each one).
    digests = {key: _digest(list(map(tuple, rows[start:end]))) for key, (start, end) in spans.items()}
    if proposals:
        digests[STARS] = _digest([p[:-1] for p in proposals])
    return digests


def _combined(digests: dict[str, str]) -> str:
    """One digest of the parts' digests, to see at a glance whether two runs found the same."""
    return _digest(sorted(digests.items()))


def _stale_parts(county: Division, period: str, digests: dict[str, str], snapshot, count: int) -> set[str] | None:
    """The parts (metrics, and ``STARS``) whose stored rows may differ from these figures: those whose digest
    differs from the county's last successful run of the period, the one that wrote them (runs of one county
    queue on its lock). None when that run cannot vouch for the stored rows: there is none, it ran under other
    rules or kept no digests, or not every snapshot row is still there (a deleted division takes its rows with
    it; only tallies write them); then every row is compared. Beat re-tallies every county every hour, most of
    them unchanged: those runs then write nothing and read nothing back."""
    last = (
        TallyRun.objects.filter(county=county, period=period, status=TallyRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("rule_version", "part_digests")
        .first()
    )
    if last is None or last[0] != RULE_VERSION or not last[1] or set(last[1]) - set(digests):
        return None
    if snapshot.order_by().count() != count:
        return None
    return {part for part, digest in digests.items() if last[1].get(part) != digest}


def latest_run(county_code: str, period: str) -> TallyRun | None:
    return (
        TallyRun.objects.filter(county__code=county_code, period=period, status=TallyRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .first()
    )


def request_recompute(*, county_code: str, period: str | None = None) -> TallyRequest:
    """Ask for a fresh tally of one county and period, as part of the caller's transaction.

    The request is a row (the outbox), so it commits or rolls back with the change that needs it; after the
    commit it is published to the broker (coalesced, see ``publish_requests``). If the broker is away the row
    waits and the periodic publisher sends it later.
    """
    period = period or Period.current_year().key
    county = Division.objects.only("pk").get(code=county_code[:6].ljust(12, "0"))
    request = TallyRequest.objects.create(county=county, period=period)
    transaction.on_commit(lambda: publish_requests(ids=[request.pk], coalesce=True))
    return request


RECOMPUTE_TARGETS_TTL = 60


def queued_runs_key(county_code: str) -> str:
    return f"tally-queued:{connection.settings_dict['NAME']}:{county_code}"


class RecomputeTargets(NamedTuple):
    county_id: int
    periods: tuple[str, ...]
    queued: dict[str, datetime.datetime]  # period → when a run known to be queued was queued (``_note_queued``)
    campaigns: dict[int, tuple[str, ...]]  # campaign id → the periods that read it (``campaign_periods``)


def _targets_key(county_code: str) -> str:
    # Keyed by database too: ids belong to one database, and a Redis may serve several (test workers, the bench).
    # "v2": the value holds the campaigns' periods too; a value cached by an older release is not read.
    return f"recompute-targets:v2:{connection.settings_dict['NAME']}:{county_code}:{timezone.localdate().isoformat()}"


def campaign_periods(listed: list, tallied: list[str]) -> dict[int, tuple[str, ...]]:
    """Each campaign's id → the periods whose figures read it: its own (``C12``) and, of the calendar periods
    ``tallied`` (those with a snapshot), each whose latest campaign begun by its end is this one (the rule of the
    reviews metrics). ``listed`` is the county's campaigns newest first, as ``campaigns()`` lists them."""
    calendar_periods = [Period.parse(key) for key in tallied if not key.startswith("C")]
    found = {}
    for i, info in enumerate(listed):
        newer = listed[i - 1] if i else None
        reading = sorted(
            p.key for p in calendar_periods if info.start < p.end and (newer is None or newer.start >= p.end)
        )
        found[info.id] = (info.key, *reading)
    return found


def recompute_targets(county_code: str, *, fresh: bool = False) -> RecomputeTargets | None:
    """The county's id, the periods beat keeps fresh and the periods that read each of its review campaigns,
    cached for a minute: a save then adds only its insert to its queries (a campaign opened meanwhile is looked
    up again by the first change that names it, see ``recompute_after_change``). With them, from the same cache
    read, the runs known to be queued for the county. None for no county. ``fresh`` skips the cached value."""
    from .tasks import current_periods  # the tasks module imports this one

    key = _targets_key(county_code)
    marks_key = queued_runs_key(county_code)
    read = cache.get_many([marks_key] if fresh else [key, marks_key])
    found = read.get(key)
    if found is None:
        county_id = Division.objects.filter(code=county_code, level=Level.COUNTY).values_list("pk", flat=True).first()
        found = ()
        if county_id:
            listed = campaigns(county_code=county_code)
            tallied = list(
                Snapshot.objects.filter(division_id=county_id)
                .exclude(period__startswith="C")
                .order_by()
                .values_list("period", flat=True)
                .distinct()
            )
            periods = tuple(current_periods(county_code=county_code, listed=listed))
            found = (county_id, periods, campaign_periods(listed, tallied))
        cache.set(key, found, RECOMPUTE_TARGETS_TTL)
    if not found:
        return None
    county_id, periods, by_campaign = found
    return RecomputeTargets(county_id, tuple(periods), read.get(marks_key) or {}, by_campaign)


def recompute_after_change(*, division_code: str, campaign_id: int | None = None) -> list[TallyRequest]:
    """A change moved the figures of this division's county: ask for the periods beat keeps fresh (this year,
    quarter and month, and the open review campaigns), in the caller's transaction. A change to a review
    campaign's data (``campaign_id``) asks too for every period that reads that campaign, however long ago it
    ended: its own and the calendar periods tallied while it was the county's latest (beat no longer tallies a
    campaign settled for 90 days, so without this its figures would freeze while its levels still change).

    Once per transaction and county: a later call in the same transaction adds only the periods not asked yet
    (an import of a thousand rows asks once). Many changes in a minute give one run per period: the first commit
    queues a run ``SHANZHI_RECOMPUTE_DELAY`` seconds ahead and the later requests ride on it. In the embedded
    set-up (no broker, eager Celery) the commit hands the county to the process's own runner
    (``villages.recompute.runner``), which tallies it a moment later in a thread of its own: a save never waits
    for a tally, and the figures follow the data without a worker.
    """
    county_code = division_code[:6].ljust(12, "0")
    asked = _asked_in_transaction(county_code)
    if asked.periods and campaign_id in asked.campaigns:  # this transaction asked already: nothing to read
        return []
    asked.campaigns.add(campaign_id)
    targets = recompute_targets(county_code)
    if targets is None:
        return []
    periods = targets.periods
    if campaign_id is not None:
        if campaign_id not in targets.campaigns:  # created since the targets were cached
            targets = recompute_targets(county_code, fresh=True) or targets
        reading = targets.campaigns.get(campaign_id, (f"C{campaign_id}",))
        periods = tuple(dict.fromkeys((*targets.periods, *reading)))
    periods = tuple(p for p in periods if p not in asked.periods)
    if not periods:
        return []
    asked.periods.update(periods)
    data_version_moves(county_code)
    if settings.CELERY_TASK_ALWAYS_EAGER:
        queued = {}
    else:
        fresh = timezone.now() - datetime.timedelta(seconds=_mark_ttl())
        queued = {p: at for p, at in targets.queued.items() if at > fresh}
    # A period whose run is known to be queued rides on it at once, as publishing would make it (so a burst of
    # saves publishes once and the later ones pay only this insert); the others are published after the commit.
    requests = TallyRequest.objects.bulk_create(
        [TallyRequest(county_id=targets.county_id, period=p, published_at=queued.get(p)) for p in periods]
    )
    asked.ids += [r.pk for r in requests if r.published_at is None]
    if not connection.in_atomic_block:  # autocommit: the requests are committed already
        asked()
    return requests


class _Asked:
    """What one transaction asked for one county (its periods, and the requests to publish): run after the commit,
    it publishes them at once (the full stack) or hands the county to the embedded runner."""

    def __init__(self, county_code: str):
        self.county_code = county_code
        self.periods: set[str] = set()
        self.ids: list[int] = []
        self.campaigns: set[int | None] = set()
        self.done = False

    def __call__(self):
        self.done = True
        if not self.periods:
            return
        if settings.CELERY_TASK_ALWAYS_EAGER:
            from .recompute import runner

            runner.schedule(self.county_code, self.periods)
        elif self.ids:
            publish_requests(ids=self.ids, coalesce=True)


def _asked_in_transaction(county_code: str) -> _Asked:
    """The county's ``_Asked`` of the current transaction (registered to run after its commit), a new one if this
    is the transaction's first request for the county; outside a transaction, a new one run at once after the
    request's insert commits."""
    if connection.in_atomic_block:
        for _savepoints, func, _robust in connection.run_on_commit:
            if isinstance(func, _Asked) and func.county_code == county_code and not func.done:
                return func
    asked = _Asked(county_code)
    if connection.in_atomic_block:
        transaction.on_commit(asked)
    return asked


def _mark_ttl() -> int:
    """How long a queued run's mark is used: well short of the recompute delay, so a change that reads the mark
    commits before the run starts (and is answered by it)."""
    delay = settings.SHANZHI_RECOMPUTE_DELAY
    return max(0, delay - max(5, delay // 6))


def _note_queued(county_code: str, queued: dict[str, datetime.datetime]) -> None:
    """Remember for a while that runs for these periods are queued (period → when, with the recompute delay),
    so the next changes ride on them without a query (``recompute_after_change``). Losing a mark (Redis away,
    two writers at once) only costs the next change the publishing query, which finds the run in the database."""
    ttl = _mark_ttl()
    if not ttl or not queued:
        return
    key = queued_runs_key(county_code)
    fresh = timezone.now() - datetime.timedelta(seconds=ttl)
    marks = {p: at for p, at in {**(cache.get(key) or {}), **queued}.items() if at > fresh}
    if marks:
        cache.set(key, marks, ttl)


DONE_REQUESTS_KEPT = datetime.timedelta(days=7)
PRUNE_BATCH = 10_000


def prune_done_requests(*, kept: datetime.timedelta = DONE_REQUESTS_KEPT, batch: int = PRUNE_BATCH) -> int:
    """Delete requests answered more than ``kept`` ago (a week: enough to see what the tallies answered
    lately), at most ``batch`` of them, so the outbox does not grow with every save. Returns how many went.
    The publisher's sweep calls it every minute, so a backlog goes in steps that never hold locks for long."""
    cutoff = timezone.now() - kept
    old = TallyRequest.objects.filter(done_at__lt=cutoff).order_by("done_at").values_list("pk", flat=True)[:batch]
    deleted, _by_model = TallyRequest.objects.filter(pk__in=list(old)).delete()
    return deleted


def _broker_reachable() -> bool:
    """A quick TCP check of the broker, because the Redis client's own retries take seconds to give up on a
    server that is down, and a save must not wait that long. In-process brokers (embedded mode) always answer."""
    url = urlsplit(settings.CELERY_BROKER_URL)
    if url.scheme not in ("redis", "rediss"):
        return True
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), timeout=0.3):
            return True
    except OSError:
        return False


def publish_requests(
    *, ids: list[int] | None = None, older_than: datetime.timedelta | None = None, coalesce: bool = False
) -> int:
    """Send pending tally requests to the broker, one task per county and period. Returns how many were sent.

    ``coalesce`` (after a change): the run is queued ``SHANZHI_RECOMPUTE_DELAY`` seconds ahead, and a request
    for a county and period that already has a run queued within that window rides on it (the run starts after
    the request was made, so it answers it). The periodic sweep (``older_than``) sends what was never sent and
    what was sent so long ago that its message must have been lost.
    """
    from .tasks import tally_county_task

    now = timezone.now()
    delay = settings.SHANZHI_RECOMPUTE_DELAY
    pending = TallyRequest.objects.filter(done_at__isnull=True)
    if ids is not None:
        pending = pending.filter(pk__in=ids)
    if older_than is not None:
        lost = now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + delay)
        pending = pending.filter(requested_at__lte=now - older_than).filter(
            Q(published_at__isnull=True) | Q(published_at__lte=lost)
        )
    # One query: the counties and periods asked for, each (when coalescing) with the earliest run already queued
    # within the window, which the new requests then ride on.
    if coalesce:
        queued = (
            TallyRequest.objects.filter(
                county_id=OuterRef("county_id"),
                period=OuterRef("period"),
                done_at__isnull=True,
                published_at__gt=now - datetime.timedelta(seconds=delay),
            )
            .order_by("published_at")
            .values("published_at")[:1]
        )
        pending = pending.annotate(queued_at=Subquery(queued))
    else:
        pending = pending.annotate(queued_at=Value(None, output_field=DateTimeField()))
    groups = sorted(
        set(pending.order_by().values_list("county__code", "period", "county_id", "queued_at").distinct()),
        key=lambda g: (g[0], g[1]),
    )
    if not groups:
        return 0
    if not _broker_reachable():
        logger.warning("broker unreachable; tally requests for %d county periods stay queued", len(groups))
        return 0
    sent = 0
    marks: list[tuple[Q, datetime.datetime]] = []
    queued_runs: dict[str, dict[str, datetime.datetime]] = {}
    for county_code, period, county_id, queued_at in groups:
        if queued_at is not None:
            marks.append((Q(county_id=county_id, period=period, published_at__isnull=True), queued_at))
            queued_runs.setdefault(county_code, {})[period] = queued_at
            continue
        try:
            tally_county_task.apply_async((county_code, period), retry=False, countdown=delay if coalesce else None)
        except Exception as exc:  # the broker is away: the rows stay pending for the next sweep
            logger.warning("broker unavailable (%s); tally request for %s %s stays queued", exc, county_code, period)
            continue
        marks.append((Q(county_id=county_id, period=period), now))
        queued_runs.setdefault(county_code, {})[period] = now
        sent += 1
    if marks:
        # One update for every group: the rows riding on a queued run take its time, the others now.
        TallyRequest.objects.filter(done_at__isnull=True).filter(
            functools.reduce(operator.or_, (q for q, _at in marks))
        ).update(published_at=Case(*(When(q, then=Value(at)) for q, at in marks), output_field=DateTimeField()))
    if coalesce:
        for county_code, queued in queued_runs.items():
            _note_queued(county_code, queued)
    return sent
