"""Conditional requests for the statistics: an ETag and Last-Modified made of the data versions a response read,
checked before anything is computed, so an unchanged answer costs a client only the version lookups (304)."""

import hashlib

from django.conf import settings
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from rest_framework.throttling import SimpleRateThrottle

from villages.stats import county_code_of, data_versions, snapshot_stamps

# What a statistics response depends on besides its URL: the language of its labels, the format it is in and
# who asks (scopes; sessions and tokens are both private to their user).
VARY = ["Accept", "Accept-Language", "Authorization", "Cookie"]
TALLIED_LEVELS = {"county", "township", "village"}


def tally_versions(codes, periods) -> tuple[list, object]:
    """The versions of the snapshot figures of these divisions in these periods, and the latest of their tallies'
    finish times (None if unknown): each county's latest run per period for divisions at or under a county (from
    the cache, one query for what is not cached); for a code above a county (a city's, the province's), the
    version every tally moves, which carries no time."""
    counties, above = set(), []
    for code in codes:
        if code[4:6] == "00":
            above.append(code)
        else:
            counties.add(county_code_of(code))
    stamps = snapshot_stamps((c, p) for c in counties for p in periods)
    parts = sorted((pair, stamp[0] if stamp else 0) for pair, stamp in stamps.items())
    parts += [data_versions(code) for code in sorted(set(above))]
    times = [stamp[1] for stamp in stamps.values() if stamp and stamp[1]]
    return parts, (None if above or not times else max(times))


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
