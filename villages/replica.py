"""Reads on a PostgreSQL streaming replica, when ``DATABASE_REPLICA_URL`` names one.

What reads there: the views marked ``@reads_from_replica`` (the dashboards, the statistics API, the exports), and
the domain reads of a tally (``tally_reads``). Everything else, every write, and the reads of a user who wrote in the
last ``SHANZHI_READ_YOUR_WRITES_SECONDS`` (a cookie stamped on each write request) go to the primary. Who may read
what (users, sessions, scopes, tokens) is always read on the primary: a revoked token or scope must stop working at
once, however far behind the replica is.

A replica further behind than ``SHANZHI_REPLICA_MAX_LAG_SECONDS`` or ``…_BYTES`` of WAL (measured against the
primary's position, so a replica that lost its stream counts as behind) is not used: its reads go to the primary
until it catches up. Each process measures at most once every ``SHANZHI_REPLICA_CHECK_SECONDS``.
"""

import contextlib
import threading
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, connections

REPLICA = "replica"
WROTE_COOKIE = "shanzhi_wrote"

_reading: ContextVar[bool] = ContextVar("shanzhi_replica_reads", default=False)

# Read on the primary whatever the view: who the user is and what they may see.
PRIMARY_ONLY_APPS = {"auth", "sessions", "contenttypes", "admin"}
PRIMARY_ONLY_MODELS = {
    "villages.userscope",
    "villages.userauthstate",
    "villages.apitoken",
    "villages.idempotencyrecord",
    "villages.tallyrequest",
}


def configured() -> bool:
    return REPLICA in settings.DATABASES


class ReplicaRouter:
    """Sends a read to the replica while replica reads are on (``_reading``), unless its model is primary-only."""

    def db_for_read(self, model, **hints):
        meta = model._meta
        if _reading.get() and meta.app_label not in PRIMARY_ONLY_APPS and meta.label_lower not in PRIMARY_ONLY_MODELS:
            return REPLICA
        return "default"

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the same rows on both

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == "default"


@dataclass(frozen=True)
class Lag:
    seconds: float  # how old the replica's newest figures are (0 when it has replayed all the primary has written)
    bytes: int  # WAL the primary has written and the replica not yet replayed
    measured: float  # time.time() of the measure

    @property
    def usable(self) -> bool:
        return (
            self.seconds <= settings.SHANZHI_REPLICA_MAX_LAG_SECONDS
            and self.bytes <= settings.SHANZHI_REPLICA_MAX_LAG_BYTES
        )


_last: dict[str, Lag | float | None] = {}
_lock = threading.Lock()


def measure() -> Lag | None:
    """The replica's lag behind the primary now; None when it cannot be reached or is not a standby."""
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            primary_lsn = cursor.fetchone()[0]
        with connections[REPLICA].cursor() as cursor:
            cursor.execute(
                "SELECT pg_is_in_recovery(), GREATEST(pg_wal_lsn_diff(%s::pg_lsn, pg_last_wal_replay_lsn()), 0),"
                " EXTRACT(EPOCH FROM clock_timestamp() - pg_last_xact_replay_timestamp())",
                [primary_lsn],
            )
            standby, behind, since_replay = cursor.fetchone()
    except DatabaseError:
        connections[REPLICA].close()  # a fresh connection next time, when it is back
        return None
    if not standby or behind is None:
        return None
    behind = int(behind)
    return Lag(seconds=0.0 if behind == 0 else float(since_replay or 0), bytes=behind, measured=time.time())


def lag() -> Lag | None:
    """The last measure, taken again when older than SHANZHI_REPLICA_CHECK_SECONDS (each process)."""
    if not configured():
        return None
    now = time.monotonic()
    with _lock:
        if now - _last.get("at", -1e9) < settings.SHANZHI_REPLICA_CHECK_SECONDS:
            return _last.get("lag")
    found = measure()
    with _lock:
        _last.update(at=now, lag=found)
    return found


def forget():
    """Drop the remembered measure (tests; a process that changed its settings)."""
    with _lock:
        _last.clear()


@contextlib.contextmanager
def replica_reads(on: bool = True):
    token = _reading.set(on)
    try:
        yield
    finally:
        _reading.reset(token)


@contextlib.contextmanager
def tally_reads(*, wait: float | None = None):
    """A tally's domain reads on the replica, only once it has replayed everything the primary had written when
    the tally began (waiting at most ``SHANZHI_REPLICA_TALLY_WAIT`` seconds): the change that asked for the tally is
    then in what it reads. Otherwise the primary. Yields the alias read."""
    if not configured():
        yield "default"
        return
    wait = settings.SHANZHI_REPLICA_TALLY_WAIT if wait is None else wait
    caught_up = False
    try:
        with connections["default"].cursor() as cursor:
            cursor.execute("SELECT pg_current_wal_lsn()::text")
            target = cursor.fetchone()[0]
        deadline = time.monotonic() + wait
        with connections[REPLICA].cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_is_in_recovery() AND pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
                caught_up = bool(cursor.fetchone()[0])
                if caught_up or time.monotonic() >= deadline:
                    break
                time.sleep(0.05)
    except DatabaseError:
        connections[REPLICA].close()
    with replica_reads(caught_up):
        yield REPLICA if caught_up else "default"


def reads_from_replica(view):
    """Marks a view whose GET may be answered from the replica (a function view, or a class: an attribute)."""
    view.replica_reads = True
    return view


def _marked(view_func) -> bool:
    target = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None) or view_func
    return bool(getattr(target, "replica_reads", False) or getattr(view_func, "replica_reads", False))


class ReplicaReadMiddleware:
    """Turns replica reads on for a marked view's GET, unless the user wrote lately or the replica lags; stamps
    write requests (a cookie the browser sends back for SHANZHI_READ_YOUR_WRITES_SECONDS) and says in a header
    where the reads went (``X-Shanzhi-Reads: replica; lag=1.2`` or ``primary``)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.replica_lag = None
        response = self.get_response(request)
        token = getattr(request, "_replica_token", None)
        if token is not None:
            _reading.reset(token)
        if getattr(request, "_replica_marked", False):
            lag_now = request.replica_lag
            response["X-Shanzhi-Reads"] = f"replica; lag={lag_now.seconds:.1f}" if lag_now else "primary"
        if request.method not in ("GET", "HEAD", "OPTIONS") and configured():
            seconds = settings.SHANZHI_READ_YOUR_WRITES_SECONDS
            response.set_cookie(
                WROTE_COOKIE, str(int(time.time())), max_age=seconds, httponly=True, samesite="Lax",
                secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not configured() or request.method not in ("GET", "HEAD") or not _marked(view_func):
            return None
        request._replica_marked = True
        if _wrote_lately(request):
            return None
        found = lag()
        if found is None or not found.usable:
            return None
        request.replica_lag = found
        request._replica_token = _reading.set(True)
        return None


def _wrote_lately(request) -> bool:
    try:
        stamp = int(request.COOKIES.get(WROTE_COOKIE, "0"))
    except ValueError:
        return True  # an unreadable stamp: the primary, to be safe
    return time.time() - stamp < settings.SHANZHI_READ_YOUR_WRITES_SECONDS
