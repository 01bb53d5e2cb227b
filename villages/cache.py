"""The caches: on the full stack a Redis cache that degrades to a miss when Redis is away; in the embedded set-up
a file cache every process shares (``SharedFileCache``).

The cache only ever holds what can be recomputed (statistics by snapshot version, a user's scopes), so while
Redis is down pages and saves carry on with a little more database work instead of failing. Short socket
timeouts keep a request from waiting long on a dead server. Login counters must not read as zero when Redis is
away: villages.throttle reads them ``strictly`` and counts in the process instead.
"""

import contextlib
import fcntl
import logging
import os

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class ReusedClient(RedisCacheClient):
    """Django's Redis cache client builds a new ``redis.Redis`` object for every call (about 0.1 ms, most of a
    cached read): keep one per connection pool instead. A ``redis.Redis`` is safe to share between threads; its
    connections come from the pool."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class TolerantRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = ReusedClient

    def strictly(self, name, *args):
        """The cache operation ``name`` with Redis's errors raised, for counters that must fail closed when Redis
        is away rather than read as zero (villages.throttle)."""
        return getattr(RedisCache, name)(self, *args)

    def _safely(self, default, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except RedisError as exc:
            logger.warning("cache unavailable, carrying on without it: %s", exc)
            return default

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely(False, super().add, key, value, timeout, version)

    def get(self, key, default=None, version=None):
        return self._safely(default, super().get, key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely(None, super().set, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely(False, super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._safely(False, super().delete, key, version)

    def get_many(self, keys, version=None):
        return self._safely({}, super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._safely(False, super().has_key, key, version)

    def incr(self, key, delta=1, version=None):
        # A missing key raises ValueError as usual; only an unreachable Redis is swallowed (counted as 0).
        return self._safely(0, super().incr, key, delta, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._safely(list(data), super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        return self._safely(None, super().delete_many, keys, version)

    def clear(self):
        return self._safely(False, super().clear)


class SharedFileCache(FileBasedCache):
    """The embedded set-up's cache: files in one directory, shared by every process on the machine.

    A per-process cache (``LocMemCache``) cannot serve a platform where figures are computed by one process and
    read by another: ``manage.py tally`` (or any other command) published the new snapshot version into its own
    memory, and the server kept the "never tallied" it had cached for 24 hours. Here every process reads and writes
    the same entries, so a version a tally publishes is what the next page reads, whichever process drew it.

    ``add`` and ``incr`` (the data versions) hold an exclusive lock on a lock file, so two processes moving one
    version never both write the same number. The directory is culled of expired entries (then of random ones)
    only every ``CULL_EVERY`` writes, not on each, since listing it costs more than a write.
    """

    CULL_EVERY = 500

    def __init__(self, dir, params):
        super().__init__(dir, params)
        self._writes = 0
        self._lock_path = os.path.join(self._dir, "locks")

    @contextlib.contextmanager
    def _locked(self):
        self._createdir()
        with open(self._lock_path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        with self._locked():
            return super().add(key, value, timeout, version)

    def incr(self, key, delta=1, version=None):
        with self._locked():
            return super().incr(key, delta, version)

    def _cull(self):
        self._writes += 1
        if self._writes % self.CULL_EVERY:
            return
        for fname in self._list_cache_files():
            try:
                with open(fname, "rb") as f:
                    self._is_expired(f)  # deletes the file when it has expired
            except FileNotFoundError:
                continue
        super()._cull()
