"""Reading statistics from snapshots, for dashboards and the statistics API.

Reads are cached in the Django cache (Redis in production) under the snapshot's version: the id of the
latest successful tally run of the county and period. A finished tally publishes its version, so a new tally
is visible at once and repeated reads cost no database query for the figures.
"""

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import translation

from .choices import Level
from .metrics import registry
from .models import Snapshot, TallyRun

_VERSION_KEY = "snapshot-version:{county}:{period}"
_TTL = 24 * 3600


def county_code_of(code: str) -> str:
    return code[:6].ljust(12, "0")


def publish_version(run: TallyRun) -> None:
    cache.set(_VERSION_KEY.format(county=run.county.code, period=run.period), run.pk, _TTL)


def snapshot_version(county_code: str, period: str) -> int | None:
    """The id of the county's latest successful tally of the period, None if it was never tallied. "Never" is
    cached too (as 0): a finished tally publishes its version over it."""
    key = _VERSION_KEY.format(county=county_code, period=period)
    version = cache.get(key)
    if version is None:
        version = (
            TallyRun.objects.filter(county__code=county_code, period=period, status=TallyRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        cache.set(key, version or 0, _TTL)
    return version or None


# --- the live version: pages that also read live tables (not only snapshots) cache under it -------------------

# Models whose rows are figures about the data, not the data: writing them changes no live panel.
_NOT_LIVE = {"snapshot", "tallyrun", "tallyrequest", "idempotencyrecord"}
LIVE_APPS = {"villages", "reviews", "grids", "petitions"}


def _live_key() -> str:
    # Keyed by database: one Redis may serve several (test workers, the benchmark).
    return f"live-version:{connection.settings_dict['NAME']}"


def live_version() -> int:
    """A number that changes whenever a committed transaction wrote a row of the platform's data."""
    return cache.get(_live_key()) or 0


def _bump_live_version() -> None:
    key = _live_key()
    cache.add(key, 0, None)
    cache.incr(key)


def note_change(sender, **kwargs) -> None:
    """Receiver of ``post_save``/``post_delete``: a write to the platform's data moves the live version when
    its transaction commits (once per transaction, whatever the number of rows; nothing if it rolls back)."""
    meta = sender._meta
    if meta.app_label not in LIVE_APPS or meta.model_name in _NOT_LIVE:
        return
    if connection.in_atomic_block and any(func is _bump_live_version for _s, func, _r in connection.run_on_commit):
        return
    transaction.on_commit(_bump_live_version)


def _rate(numerator, denominator):
    if not denominator:
        return None
    return round(numerator / denominator, 4)


def figure_table(*, metric_key: str, division, period: str) -> dict:
    """The figure for a division and each of its children, from the snapshot (cached by snapshot version)."""
    spec = registry()[metric_key]
    county = county_code_of(division.code)
    tallied = division.level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)
    version = snapshot_version(county, period) if tallied else None
    key = f"stats:{metric_key}:{division.code}:{period}:{version}:{translation.get_language()}"
    cached = cache.get(key) if version is not None else None
    if cached is not None:
        return cached
    child_level = division.child_level
    rows = (
        Snapshot.objects.filter(metric=metric_key, period=period, division_code__startswith=division.prefix)
        .filter(division__level__in=[division.level, child_level] if child_level else [division.level])
        .select_related("division")
        .order_by("division_code")
    )

    def entry(s):
        return {
            "code": s.division_code,
            "name": s.division.name,
            "level": s.division.level,
            "numerator": s.numerator,
            "denominator": s.denominator,
            "rate": _rate(s.numerator, s.denominator) if spec.kind == "rate" else None,
            "inputs": s.inputs,
        }

    own, children = None, []
    for s in rows:
        if s.division_id == division.pk:
            own = entry(s)
        elif s.division.parent_id == division.pk:
            children.append(entry(s))
    result = {
        "metric": spec.key,
        "label": str(spec.label),
        "definition": str(spec.definition),
        "kind": spec.kind,
        "period": period,
        "snapshot": version,
        "division": own,
        "children": children,
    }
    if version is not None:
        cache.set(key, result, _TTL)
    return result
