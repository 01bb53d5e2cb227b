"""How a write asks for its county's figures to be computed again.

One mechanism for every app: each metric declares the models it reads (``reads=`` on ``villages.metrics.metric``,
with the path from a row to its division), and a write to one of those models asks for the county's recompute
in the write's own transaction:

* a save, delete or many-to-many change sends a model signal, received here (``figures_touched``);
* a bulk write (``bulk_create``, ``update()``, an import) sends none: its service calls ``figures_changed`` with
  the county and the models it wrote, once for the whole write.

Either way ``villages.snapshots.recompute_after_change`` is called at most once per county and transaction (a
thousand rows of an import give one request per county), writes the outbox rows in the transaction and hands
them on after the commit: to Celery on the full stack, to the in-process runner below in the embedded set-up.

The runner (``EmbeddedRunner``): no broker and no worker there, so a daemon thread of the server's own process
tallies the counties asked for, a moment (``SHANZHI_RECOMPUTE_DELAY`` seconds in the embedded set-up too, capped
at a few) after the first request, so that a burst of saves gives one run per county; never in the request that
made the change.
"""

import logging
import threading
import time

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import close_old_connections, connections

from .metrics import Source, read_models

logger = logging.getLogger(__name__)


def embedded() -> bool:
    """The embedded set-up: no broker, Celery tasks run in-process (``CELERY_TASK_ALWAYS_EAGER``)."""
    return bool(settings.CELERY_TASK_ALWAYS_EAGER)


# --- the signals ----------------------------------------------------------------------------------------------


def _follow(obj, path: str):
    for name in [p for p in path.split(".") if p]:
        if obj is None:
            return None
        obj = getattr(obj, name)
    return obj


def source_of(instance, source: Source) -> tuple[str | None, int | None]:
    """The county code of a row of a declared model (through its declared path to a division, or to anything with
    a ``code`` that starts with the division's) and its review campaign's id if the model declares one. None
    for a row whose division is gone or above any county."""
    try:
        division = _follow(instance, source.division)
        campaign = _follow(instance, source.campaign) if source.campaign else None
    except ObjectDoesNotExist:  # deleted with its parent (a cascade)
        return None, None
    code = getattr(division, "code", None)
    if not code or len(code) < 6 or code[4:6] == "00":
        return None, None
    return code[:6].ljust(12, "0"), campaign


def figures_touched(sender, instance, **kwargs) -> None:
    """Receiver of ``post_save``, ``post_delete`` and ``m2m_changed``: a row of a model some metric reads was
    written, so its county's figures are asked for again (once per transaction)."""
    if kwargs.get("action", "post_").startswith("pre_"):  # m2m_changed sends pre_ and post_ actions
        return
    if kwargs.get("raw"):  # loaddata writes fixtures as they are
        return
    sources = read_models()
    model = type(instance)
    source = sources.get(model)
    if source is None or (sender is not model and not _is_through(sender, model)):
        return
    county, campaign = source_of(instance, source)
    if county:
        figures_changed(county_code=county, campaign_id=campaign)


def _is_through(sender, model) -> bool:
    return any(getattr(f.remote_field, "through", None) is sender for f in model._meta.many_to_many)


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete, post_save

    post_save.connect(figures_touched, dispatch_uid="villages.recompute.save")
    post_delete.connect(figures_touched, dispatch_uid="villages.recompute.delete")
    m2m_changed.connect(figures_touched, dispatch_uid="villages.recompute.m2m")


def figures_changed(*, county_code: str, campaign_id: int | None = None, models=None) -> None:
    """The caller's transaction wrote rows of this county that metrics may read: ask for its recompute (once per
    transaction and county; published after the commit). ``models``: the models a bulk write wrote; nothing is
    asked when none of them is read by a metric."""
    if models is not None and not any(m in read_models() for m in models):
        return
    from .snapshots import recompute_after_change  # snapshots imports the metrics, which the tallies extend

    recompute_after_change(division_code=county_code, campaign_id=campaign_id)


# --- the embedded runner --------------------------------------------------------------------------------------

# The longest the embedded runner waits after a change before it tallies (the full stack waits the whole
# SHANZHI_RECOMPUTE_DELAY; a clerk at the only machine should not wait a minute for the dashboard).
EMBEDDED_DELAY_CAP = 3.0


class EmbeddedRunner:
    """One daemon thread per process that tallies the counties asked for, each county's periods coalesced: the
    requests that come while a county waits (or while it is being tallied) join its next run. Thread-safe."""

    def __init__(self):
        self._lock = threading.Condition()
        self._pending: dict[str, set[str]] = {}
        self._due: dict[str, float] = {}
        self._running = 0
        self._thread: threading.Thread | None = None
        self.runs = 0  # tallies run, for tests and the logs

    def schedule(self, county_code: str, periods, *, delay: float | None = None) -> None:
        if delay is None:
            delay = min(float(settings.SHANZHI_RECOMPUTE_DELAY), EMBEDDED_DELAY_CAP)
        with self._lock:
            self._pending.setdefault(county_code, set()).update(periods)
            due = time.monotonic() + delay
            self._due[county_code] = min(self._due.get(county_code, due), due)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="shanzhi-recompute", daemon=True)
                self._thread.start()
            self._lock.notify_all()

    def pending(self) -> dict[str, set[str]]:
        with self._lock:
            return {county: set(periods) for county, periods in self._pending.items()}

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """Wait until nothing is pending or running (tests, and ``manage.py`` commands that end the process)."""
        end = time.monotonic() + timeout
        with self._lock:
            while self._pending or self._running:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                self._lock.wait(left)
        return True

    def _take(self) -> list[tuple[str, set[str]]]:
        with self._lock:
            while True:
                now = time.monotonic()
                ready = [county for county, due in self._due.items() if due <= now]
                if ready:
                    self._running += 1
                    taken = [(county, self._pending.pop(county)) for county in sorted(ready)]
                    for county in ready:
                        del self._due[county]
                    return taken
                self._lock.wait(min(self._due.values()) - now if self._due else None)

    def _loop(self) -> None:
        from . import snapshots  # imports this module's callers

        while True:
            taken = self._take()
            try:
                close_old_connections()
                for county, periods in taken:
                    for period in sorted(periods):
                        try:
                            snapshots.tally_county(county_code=county, period=period, task_id="embedded")
                            self.runs += 1
                        except Exception:  # logged by tally_county; the requests stay pending for the next run
                            logger.warning("embedded recompute of %s %s failed", county, period)
            finally:
                connections.close_all()  # this thread's connections: nothing stays open between runs
                with self._lock:
                    self._running -= 1
                    self._lock.notify_all()


runner = EmbeddedRunner()
