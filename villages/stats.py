"""Reading statistics from snapshots, for dashboards and the statistics API.

Reads are cached in the Django cache (Redis in production) under the snapshot's version: the id of the
latest successful tally run of the county and period. A finished tally publishes its version, so a new tally
is visible at once and repeated reads cost no database query for the figures.
"""

from django.core.cache import cache
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
    key = _VERSION_KEY.format(county=county_code, period=period)
    version = cache.get(key)
    if version is None:
        version = (
            TallyRun.objects.filter(county__code=county_code, period=period, status=TallyRun.Status.SUCCEEDED)
            .order_by("-finished_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if version is not None:
            cache.set(key, version, _TTL)
    return version


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
