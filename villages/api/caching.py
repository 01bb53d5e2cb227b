"""Conditional requests for the statistics: an ETag and Last-Modified made of the data versions a response read,
checked before anything is computed, so an unchanged answer costs a client only the version lookups (304)."""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, Max, Q
from django.db.models.functions import Substr
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from rest_framework.throttling import SimpleRateThrottle

from villages.choices import Level
from villages.models import Division, Snapshot
from villages.stats import county_code_of, data_versions, snapshot_stamps

# What a statistics response depends on besides its URL: the language of its labels, the format it is in and
# who asks (scopes; sessions and tokens are both private to their user).
VARY = ["Accept", "Accept-Language", "Authorization", "Cookie"]
TALLIED_LEVELS = {"county", "township", "village"}
CONTENT_TTL = 24 * 3600


def tally_versions(codes, periods) -> tuple[list, object]:
    """The versions of the snapshot figures of these divisions in these periods, and the time they last changed
    (None if never tallied): per county and period, ``content_versions`` (which a tally that changed nothing
    leaves as they were). A code above a county (a city's, the province's) stands for every county under it."""
    counties, above = set(), []
    for code in codes:
        if code[4:6] == "00":
            above.append(code)
        else:
            counties.add(county_code_of(code))
    if above:
        counties |= counties_under(above)
    found = content_versions([(c, p) for c in sorted(counties) for p in periods])
    parts = sorted((pair, version[:2]) for pair, version in found.items())
    times = [version[2] for version in found.values() if version[2]]
    return parts, (max(times) if times else None)


def counties_under(codes) -> set[str]:
    """The counties under codes above a county (one query)."""
    where = Q()
    for code in codes:
        where |= Q(code__startswith=code[: 2 if code[2:4] == "00" else 4])
    return set(Division.objects.filter(where, level=Level.COUNTY).values_list("code", flat=True))


def _content_key(county: str, period: str) -> str:
    return f"stats-content:{connection.settings_dict['NAME']}:{county}:{period}"


def content_versions(pairs) -> dict[tuple[str, str], tuple[int, int, object]]:
    """For each (county code, period): (the latest tally run that wrote any of its snapshot rows, how many rows
    there are, when that run finished), or (0, 0, None) if never tallied. A tally writes only the rows whose
    figures changed (each with its own run) and deletes those gone, so the pair moves exactly when the rows do:
    a tally that found every figure the same leaves it, and the ETag made of it, where it was.

    Kept in the cache under the county's latest run (``snapshot_stamps``, one cache read for every pair): only
    the pairs whose latest run moved since are read again, in one query."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    stamps = snapshot_stamps(pairs)
    keys = {pair: _content_key(*pair) for pair in pairs}
    cached = cache.get_many(list(keys.values()))
    result, stale = {}, []
    for pair in pairs:
        stamp = stamps.get(pair)
        if stamp is None:
            result[pair] = (0, 0, None)
            continue
        entry = cached.get(keys[pair])
        if entry is not None and entry[0] == stamp[0]:
            result[pair] = entry[1]
        else:
            stale.append(pair)
    if stale:
        where = Q()
        for county in {c for c, _p in stale}:
            where |= Q(division_code__startswith=county[:6])
        rows = (
            Snapshot.objects.filter(where, period__in={p for _c, p in stale})
            .annotate(county=Substr("division_code", 1, 6))
            .values_list("county", "period")
            .annotate(last=Max("run_id"), rows=Count("id"), finished=Max("run__finished_at"))
            .order_by()
        )
        read = {(county.ljust(12, "0"), period): (last, n, at) for county, period, last, n, at in rows}
        fresh = {}
        for pair in stale:
            result[pair] = read.get(pair, (0, 0, None))
            fresh[keys[pair]] = (stamps[pair][0], result[pair])
        cache.set_many(fresh, CONTENT_TTL)
    return result


def live_versions(code: str) -> list:
    """The versions of a division's county data (moved by every write there and by its tallies)."""
    return [data_versions(county_code_of(code) if code[4:6] != "00" else code)]


class ConditionalMixin:
    """For APIViews: ``not_modified(request, parts, last_modified)`` makes the response's validators and answers
    304 when the client's copy is current; every answer then carries ETag, Last-Modified, Cache-Control and Vary."""

    def not_modified(self, request, parts, last_modified=None):
        renderer = getattr(request, "accepted_renderer", None)
        seed = repr((
            request._request.get_full_path(), parts, translation.get_language(), getattr(renderer, "format", ""),
            request.user.pk,
        ))  # fmt: skip
        etag = '"' + hashlib.blake2b(seed.encode(), digest_size=16).hexdigest() + '"'
        stamp = int(last_modified.timestamp()) if last_modified else None
        request._validators = (etag, stamp)
        return get_conditional_response(request._request, etag=etag, last_modified=stamp)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        validators = getattr(request, "_validators", None)
        if validators and response.status_code in (200, 304):
            etag, stamp = validators
            response["ETag"] = etag
            if stamp is not None:
                response["Last-Modified"] = http_date(stamp)
        # Figures move at most a recompute delay after the change that moves them.
        patch_cache_control(response, private=True, max_age=max(0, settings.SHANZHI_RECOMPUTE_DELAY))
        patch_vary_headers(response, VARY)
        return response


class StatsThrottle(SimpleRateThrottle):
    """Statistics calls per API token (per user for a browser session): ``SHANZHI_STATS_RATE``. A refused call is
    429 with Retry-After (DRF's Throttled)."""

    scope = "stats"

    def get_rate(self):
        return settings.SHANZHI_STATS_RATE

    def get_cache_key(self, request, view):
        token = getattr(request, "auth", None)
        if getattr(token, "pk", None) is not None:
            ident = f"token-{token.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
