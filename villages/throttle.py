"""Sign-in throttling for the browser form, the admin's login and the API token endpoint, and the client address.

Failures are counted per (account, address) pair: after SHANZHI_LOGIN_FAILURES of them the pair is paused for
SHANZHI_LOGIN_LOCKOUT_MINUTES, and every further failure once the pause is over doubles it (15, 30, 60 min …, at
most a day). While paused, even the right password is refused without being checked. A failure from one address
does not pause the account for another, so nobody can lock an official out by typing wrong passwords in their
name. An address is also paused after SHANZHI_LOGIN_FAILURES_PER_ADDRESS failures for any accounts (much
higher: a township office shares one address). A success clears its pair; ``unlock`` (``manage.py unlock`` and
the user admin's action) clears every pair of an account.

Counters live in the shared cache (Redis in production), so every web process sees them. They fail closed: when
Redis cannot be reached, a bounded per-process counter keeps counting (and is read alongside Redis's once it is
back), so a lockout holds while Redis is away. The DRF throttles use the same store (``ClientRateThrottle``).

The client's address is REMOTE_ADDR unless SHANZHI_TRUSTED_PROXIES proxies stand in front of the application:
then it is the address the outermost trusted proxy saw, the N-th entry from the right of X-Forwarded-For (the
entries further left are whatever the client sent, and are ignored).
"""

import hashlib
import ipaddress
import logging
import math
import time

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from django.utils.translation import gettext_lazy as _
from redis.exceptions import RedisError
from rest_framework.throttling import ScopedRateThrottle

logger = logging.getLogger(__name__)

# A paused pair waits at most this long, however many failures it has; its counter is kept as long.
LONGEST_PAUSE = 24 * 3600
# Entries the per-process fallback keeps at most (LocMemCache culls a third of them when full).
FALLBACK_ENTRIES = 10_000


def client_address(request) -> str:
    """The client's address: REMOTE_ADDR, or with N trusted proxies the N-th X-Forwarded-For entry from the right."""
    if request is None:
        return ""
    meta = getattr(request, "META", {})
    remote = meta.get("REMOTE_ADDR", "")
    proxies = settings.SHANZHI_TRUSTED_PROXIES
    if proxies <= 0:
        return remote
    hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return remote
    seen = hops[-min(proxies, len(hops))]
    try:
        return str(ipaddress.ip_address(seen))
    except ValueError:  # our own proxy wrote it, so this is a misconfiguration: fall back to the socket's peer
        return remote


class FailClosedCache:
    """The default cache for counters that must keep counting when Redis is away: an operation that cannot reach
    Redis goes to a bounded per-process cache instead (``TolerantRedisCache`` would answer a miss, which for a
    counter means "no failures yet")."""

    unreachable = (RedisError, OSError)

    def __init__(self):
        self.local = LocMemCache("shanzhi-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": FALLBACK_ENTRIES}})

    def _shared(self, name, *args):
        shared = caches["default"]
        strictly = getattr(shared, "strictly", None)
        return strictly(name, *args) if strictly else getattr(shared, name)(*args)

    def _either(self, name, *args):
        try:
            return self._shared(name, *args)
        except self.unreachable as exc:
            logger.warning("cache unavailable, counting in this process: %s", exc)
            return getattr(self.local, name)(*args)

    def get(self, key, default=None):
        return self._either("get", key, default)

    def set(self, key, value, timeout=None):
        self._either("set", key, value, timeout)

    def incr(self, key, timeout) -> int:
        """Add one to a counter that lives ``timeout`` seconds from its first count."""
        try:
            return self._count(self._shared, key, timeout)
        except self.unreachable as exc:
            logger.warning("cache unavailable, counting in this process: %s", exc)
            return self._count(lambda name, *args: getattr(self.local, name)(*args), key, timeout)

    @staticmethod
    def _count(call, key, timeout) -> int:
        if call("add", key, 1, timeout):
            return 1
        try:
            return call("incr", key, 1)
        except ValueError:  # expired between add and incr
            call("set", key, 1, timeout)
            return 1

    def get_many(self, keys) -> dict:
        """What Redis holds, and what this process counted while Redis was away: the larger of the two."""
        found = {}
        try:
            found = self._shared("get_many", keys)
        except self.unreachable as exc:
            logger.warning("cache unavailable, reading this process's counters: %s", exc)
        for key, value in self.local.get_many(keys).items():
            found[key] = max(found.get(key, value), value)
        return found

    def delete_many(self, keys) -> None:
        self.local.delete_many(keys)
        try:
            self._shared("delete_many", keys)
        except self.unreachable as exc:
            logger.warning("cache unavailable, cleared this process's counters only: %s", exc)


counters = FailClosedCache()


def _digest(value: str) -> str:
    # Usernames and addresses are hashed: any text is then a valid cache key.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _account(username: str) -> str:
    return _digest((username or "").strip().lower())


def _generation_key(account: str) -> str:
    return f"login:gen:{account}"


def _keys(username: str, address: str) -> tuple[str, str, str]:
    """The pair's failure count, the pair's pause (until when) and the address's failure count."""
    account = _account(username)
    generation = counters.get(_generation_key(account)) or 0  # moved by ``unlock``: older pairs are forgotten
    pair = f"{generation}:{account}:{_digest(address)}"
    return f"login:pair:{pair}", f"login:pause:{pair}", f"login:addr:{_digest(address)}"


def seconds_locked(username: str, address: str) -> int:
    """How long sign-in for this account from this address stays refused (0: not refused)."""
    _pair, pause, per_address = _keys(username, address)
    found = counters.get_many([pause, per_address])
    wait = max(0, math.ceil((found.get(pause) or 0) - time.time()))
    if (found.get(per_address) or 0) >= settings.SHANZHI_LOGIN_FAILURES_PER_ADDRESS:
        wait = max(wait, settings.SHANZHI_LOGIN_LOCKOUT_MINUTES * 60)
    return wait


def is_locked(username: str, address: str) -> bool:
    return seconds_locked(username, address) > 0


def record_failure(username: str, address: str) -> None:
    pair, pause, per_address = _keys(username, address)
    failures = counters.incr(pair, LONGEST_PAUSE)
    beyond = failures - settings.SHANZHI_LOGIN_FAILURES
    if beyond >= 0:
        seconds = min(settings.SHANZHI_LOGIN_LOCKOUT_MINUTES * 60 * 2 ** min(beyond, 20), LONGEST_PAUSE)
        counters.set(pause, time.time() + seconds, seconds)
    counters.incr(per_address, settings.SHANZHI_LOGIN_LOCKOUT_MINUTES * 60)


def record_success(username: str, address: str) -> None:
    pair, pause, _per_address = _keys(username, address)
    counters.delete_many([pair, pause])


def unlock(username: str) -> None:
    """Clear every pause and failure count of the account, from every address."""
    account = _account(username)
    counters.set(_generation_key(account), time.time_ns(), 2 * LONGEST_PAUSE)


LOCKED_MESSAGE = _("Too many failed attempts. Please wait %(minutes)d minutes and try again.")


def locked_message(seconds: int) -> str:
    return LOCKED_MESSAGE % {"minutes": max(1, math.ceil(seconds / 60))}


class LockoutMixin:
    """The lockout for a Django authentication form (the site's and the admin's login)."""

    def clean(self):
        username = self.cleaned_data.get("username", "")
        address = client_address(self.request)
        if wait := seconds_locked(username, address):
            raise forms.ValidationError(locked_message(wait), code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            if self.get_user() is None:  # a wrong password; not a right one refused for another reason
                record_failure(username, address)
            raise
        if self.get_user() is not None:  # nothing is cleared by a form posted without a password
            record_success(username, address)
        return cleaned


class ThrottledAuthenticationForm(LockoutMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LockoutMixin, AdminAuthenticationForm):
    pass


class ClientRateThrottle(ScopedRateThrottle):
    """DRF's scoped throttle, keyed by ``client_address`` and counting in the fail-closed store."""

    cache = counters

    def get_ident(self, request):
        return client_address(request)
