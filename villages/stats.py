"""Reading statistics from snapshots, for dashboards and the statistics API.

Reads are cached in the Django cache (Redis in production) under the snapshot's version: the id of the
latest successful tally run of the county and period. A finished tally publishes its version, so a new tally
is visible at once and repeated reads cost no database query for the figures.
"""

import datetime
import functools

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone, translation

from .choices import Level
from .metrics import registry
from .models import Division, Snapshot, TallyRun

_VERSION_KEY = "snapshot-version:{county}:{period}"
_TTL = 24 * 3600


def county_code_of(code: str) -> str:
    return code[:6].ljust(12, "0")


def publish_version(run: TallyRun) -> None:
    cache.set(_VERSION_KEY.format(county=run.county.code, period=run.period), run.pk, _TTL)
    cache.set(_stamp_key(run.county.code, run.period), (run.pk, run.finished_at), _TTL)
    bump_data_version(run.county.code)
    # Pages above a county (a city's, the province's) sum their counties' snapshots: they move with any tally.
    bump_data_version(_TALLIES)


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


def _stamp_key(county_code: str, period: str) -> str:
    return f"snapshot-stamp:{connection.settings_dict['NAME']}:{county_code}:{period}"


def snapshot_stamps(pairs) -> dict[tuple[str, str], tuple[int, datetime.datetime] | None]:
    """For each (county code, period): the id and finish time of its latest successful tally, None if it was never
    tallied — what a statistics response's ETag and Last-Modified are made of. One cache read for all of them,
    and one query for those not cached (a finished tally publishes its own)."""
    pairs = sorted(set(pairs))
    keys = {pair: _stamp_key(*pair) for pair in pairs}
    found = cache.get_many(list(keys.values())) if keys else {}
    stamps = {pair: found[key] for pair, key in keys.items() if key in found}
    missing = [pair for pair in pairs if pair not in stamps]
    if missing:
        rows = (
            TallyRun.objects.filter(
                county__code__in={c for c, _p in missing},
                period__in={p for _c, p in missing},
                status=TallyRun.Status.SUCCEEDED,
            )
            .values_list("county__code", "period")
            .annotate(last=Max("pk"), finished=Max("finished_at"))
            .order_by()
        )
        latest = {(code, period): (last, finished) for code, period, last, finished in rows}
        for pair in missing:
            stamps[pair] = latest.get(pair) or 0  # "never" is cached too, until a tally publishes over it
        cache.set_many({keys[pair]: stamps[pair] for pair in missing}, _TTL)
    return {pair: stamp or None for pair, stamp in stamps.items()}


# --- data versions: pages that read live tables as well as snapshots are cached under them ---------------------

# Models whose rows are figures about the data, not the data: writing them changes no page's content.
_NOT_DATA = {
    "snapshot",
    "tallyrun",
    "tallyrequest",
    "idempotencyrecord",
    "personaldataaccess",
    # Reminders and their robots are about the data, not data: telling them moves no figure or list.
    "notification",
    "notificationsettings",
    "countywebhook",
    "webhookdelivery",
}
DATA_APPS = {"villages", "reviews", "grids", "petitions"}
_ALL = "*"  # the version every page depends on: moved by writes whose county is not known
_TALLIES = "tallies"  # moved by every tally: the version of the pages above a county


def _version_key(county_code: str) -> str:
    # Keyed by database: one Redis may serve several (test workers, the benchmark).
    return f"data-version:{connection.settings_dict['NAME']}:{county_code}"


def version_keys(county_code: str) -> list[str]:
    """The cache keys of the county's data version and the all-counties one (``versions_of`` reads them); for
    a code above a county (a city's or the province's, ``xxxx00…``), also the one every tally moves."""
    keys = [_version_key(county_code), _version_key(_ALL)]
    if county_code[4:6] == "00":
        keys.append(_version_key(_TALLIES))
    return keys


def versions_of(found: dict, keys: list[str]) -> str:
    return ".".join(str(found.get(key, 0)) for key in keys)


def data_versions(county_code: str) -> str:
    """The county's data version and the all-counties one, as one string for a cache key (one Redis read). Both
    move when a transaction that wrote the county's data commits, and the county's when it is tallied."""
    keys = version_keys(county_code)
    return versions_of(cache.get_many(keys), keys)


def cached_under(key: str, versions: str, compute, *, timeout: int, found: dict | None = None):
    """A value kept under a fixed key together with the data versions it was computed at: used while they are
    current, recomputed (and kept) when they moved. ``found``: the result of a ``get_many`` that already read the
    key (a page reads several such values in one round trip)."""
    entry = found.get(key) if found is not None else cache.get(key)
    if entry is not None and entry[0] == versions:
        return entry[1]
    value = compute()
    cache.set(key, (versions, value), timeout)
    return value


def bump_data_version(county_code: str | None) -> None:
    key = _version_key(county_code or _ALL)
    cache.add(key, 0, None)
    cache.incr(key)


def _county_of(instance, depth: int = 2) -> str | None:
    """The county code of a saved row, from the division it hangs on where that is already loaded (no query):
    the division itself, a foreign key to one, or one more step along a loaded foreign key. None if unknown."""
    if isinstance(instance, Division):
        return instance.code
    loaded = []
    for field in instance._meta.concrete_fields:
        if not field.many_to_one or not field.is_cached(instance):
            continue
        related = field.get_cached_value(instance)
        if related is None:
            continue
        if isinstance(related, Division):
            return _county_of(related)
        loaded.append(related)
    if depth > 1:
        for related in loaded:
            if found := _county_of(related, depth - 1):
                return found
    return None


def data_changed(county_code: str | None, *, models=None) -> None:
    """The caller's transaction writes data of this county (None: of no one county, or of many) without model
    signals (bulk writes, ``update()``, imports): its data version moves when the transaction commits, and the
    county's figures are asked for again (``villages.recompute.figures_changed``: once per transaction and
    county; only if one of ``models`` is read by a metric, when the caller names them). Nothing if it rolls back.
    Model saves and deletes need no call: the signals do both (``note_change``, ``figures_touched``)."""
    data_version_moves(county_code)
    if county_code and county_code[4:6] != "00":
        from .recompute import figures_changed  # the figures engine reads this module

        figures_changed(county_code=county_code, models=models)


def data_version_moves(county_code: str | None) -> None:
    """The county's data version moves when the caller's transaction commits (once per transaction and county;
    nothing if it rolls back)."""
    # A code above a county (a city's or the province's: ``xxxx00…``) belongs to no one county.
    county = county_code[:6].ljust(12, "0") if county_code and county_code[4:6] != "00" else None
    if connection.in_atomic_block and any(
        getattr(func, "bumps", False) == (county,) for _s, func, _r in connection.run_on_commit
    ):
        return
    bump = functools.partial(bump_data_version, county)
    bump.bumps = (county,)
    transaction.on_commit(bump)


def note_change(sender, instance, **kwargs) -> None:
    """Receiver of ``post_save``/``post_delete``: a write to the platform's data moves its county's data version
    (the all-counties one if the county is not known from what is loaded)."""
    meta = sender._meta
    if meta.app_label not in DATA_APPS or meta.model_name in _NOT_DATA or meta.model_name.startswith("historical"):
        return
    data_version_moves(_county_of(instance))


def iso(moment: datetime.datetime | None) -> str | None:
    """A time as the API gives it: ISO 8601 in Asia/Shanghai (the platform's time zone), with its offset."""
    return timezone.localtime(moment).isoformat() if moment else None


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
        .select_related("division", "run")
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
            "computed_at": iso(s.run.finished_at),
            "rule_version": s.run.rule_version,
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
