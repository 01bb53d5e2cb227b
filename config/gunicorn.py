"""gunicorn for the web process (Procfile: ``gunicorn -c config/gunicorn.py config.wsgi:application``).

Each value can be set from the environment; README, Deployment, says why each is what it is.
"""

import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = _int("WEB_CONCURRENCY", 3)
# Threads: a request waiting on PostgreSQL or on a 20-second import does not hold a whole process, and the
# heartbeat is sent by the worker's main thread, so a long import is not mistaken for a hung worker.
worker_class = "gthread"
threads = _int("WEB_THREADS", 4)
# A worker whose main loop has not answered the arbiter for this long is killed and replaced.
timeout = _int("WEB_TIMEOUT", 60)
# On a restart (deploy, HUP, max_requests, memory) the requests in flight get this long to finish: longer than
# the longest legitimate request, an import at SHANZHI_IMPORT_MAX_ROWS.
graceful_timeout = _int("WEB_GRACEFUL_TIMEOUT", 90)
# Behind nginx, which holds the clients' connections: longer than its keep-alive to us, so a kept connection is
# never closed just as nginx reuses it.
keepalive = _int("WEB_KEEPALIVE", 30)
# Recycle each worker after so many requests (spread by the jitter so they do not all restart at once): memory
# Python has freed is not always given back to the system, so a worker that once read a large file keeps it.
max_requests = _int("WEB_MAX_REQUESTS", 1000)
max_requests_jitter = _int("WEB_MAX_REQUESTS_JITTER", 100)
# And sooner, after the request that left it this large (resident MB; 0 turns the check off).
max_worker_rss_mb = _int("WEB_MAX_WORKER_RSS_MB", 768)
# The heartbeat file in memory rather than on a disk that may stall.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108 - tmpfs, gunicorn's advice
accesslog = "-"
# Apart from the Django process settings: requests with huge lines or headers are refused before Django.
limit_request_line = 8190
limit_request_fields = 100


def resident_mb() -> int:
    """The process's resident memory now (not its peak), from /proc; 0 where there is no /proc."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return 0


def post_request(worker, req, environ, resp):
    """A worker left above max_worker_rss_mb stops taking requests, finishes those in flight and is replaced."""
    if max_worker_rss_mb and worker.alive and resident_mb() > max_worker_rss_mb:
        worker.log.warning("worker %s holds %d MB after %s; restarting it", worker.pid, resident_mb(), req.path)
        worker.alive = False
