"""Real processes for the fault and load tests: a private PostgreSQL cluster, gunicorn, Redis, a Celery worker.

Each runs on its own port (PostgreSQL 5440, gunicorn 8033–8039, Redis 6393–6394) and is stopped by the
context manager that started it, whatever happens in the test.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
VENV_BIN = Path(sys.executable).parent


def wait_for(predicate, timeout=60, what="condition", every=0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if predicate():
                return
        time.sleep(every)
    raise AssertionError(f"timed out waiting for {what}")


def port_open(port):
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex(("127.0.0.1", port)) == 0


def database_url(name=None, *, port=None, host=None):
    s = connection.settings_dict
    auth = (s["USER"] or "postgres") + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{host or s['HOST'] or '127.0.0.1'}:{port or s['PORT'] or 5432}/{name or s['NAME']}"


def _as_postgres(args, **kwargs):
    """PostgreSQL's server tools refuse to run as root: run them as the postgres user when we are root."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, **kwargs)


class PrivateCluster:
    """A throw-away PostgreSQL 15 cluster (initdb in a temporary folder), trust auth on 127.0.0.1:port."""

    def __init__(self, port=5440):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="shanzhi-pg-"))
        self.data = self.dir / "data"
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        result = _as_postgres(
            [str(PG_BIN / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"]
        )
        assert result.returncode == 0, result.stderr

    def start(self):
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        result = _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log"), "-w", "start"]
        )
        assert result.returncode == 0, result.stderr + result.stdout

    def stop(self, mode="fast"):
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"])

    def ready(self):
        result = subprocess.run(
            [str(PG_BIN / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)], capture_output=True, timeout=10
        )
        return result.returncode == 0

    def psql(self, sql, db="postgres"):
        result = subprocess.run(
            [str(PG_BIN / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", db, "-Atc", sql],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    def copy_from(self, source_url, name):
        """Create database `name` here holding what `source_url` holds (pg_dump piped into psql)."""
        self.psql(f'CREATE DATABASE "{name}"')
        dump = subprocess.Popen([str(PG_BIN / "pg_dump"), "--no-owner", source_url], stdout=subprocess.PIPE)
        load = subprocess.run(
            [str(PG_BIN / "psql"), "-q", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d", name,
             "-v", "ON_ERROR_STOP=1"],
            stdin=dump.stdout, capture_output=True, text=True, timeout=300,
        )  # fmt: skip
        dump.wait(timeout=60)
        assert dump.returncode == 0 and load.returncode == 0, load.stderr[-2000:]

    def destroy(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


@contextlib.contextmanager
def private_cluster(port=5440):
    cluster = PrivateCluster(port)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.destroy()


def app_env(database, *, redis_url="", queue="", **extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        DATABASE_URL=database,
        REDIS_URL=redis_url,
        CELERY_QUEUE=queue or "celery",
        DEBUG="false",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SHANZHI_LOGIN_FAILURES="1000",
        SHANZHI_LOGIN_FAILURES_PER_ADDRESS="100000",
        # Recompute runs are coalesced a minute ahead in production; seconds here, so the tests see them answered.
        SHANZHI_RECOMPUTE_DELAY="2",
        # Fifty users share one account and its statistics rate (600 a minute): the load test measures the platform.
        SHANZHI_STATS_RATE="",
        PYTHONPATH=str(ROOT),
    )
    env.update({k: str(v) for k, v in extra.items()})
    return env


@contextlib.contextmanager
def process(args, env, *, ready=None, what="process", log=None):
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        if ready is not None:
            wait_for(lambda: proc.poll() is None and ready(), timeout=90, what=what)
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        if log:
            out.close()


def gunicorn(port, env, *, workers=2, threads=1, log=None):
    args = [str(VENV_BIN / "gunicorn"), "config.wsgi", "-b", f"127.0.0.1:{port}", "-w", str(workers),
            "--threads", str(threads), "--timeout", "60", "--graceful-timeout", "5",
            # Longer than any client's pause between requests: otherwise a kept-alive connection the server
            # closes just as the client reuses it shows up as a connection error (behind nginx, nginx decides).
            "--keep-alive", "30"]  # fmt: skip

    def answers():
        return requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).status_code == 200

    return process(args, env, ready=answers, what=f"gunicorn on {port}", log=log)


def redis_server(port):
    args = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
    return process(args, os.environ.copy(), ready=lambda: port_open(port), what=f"redis on {port}")


def celery_worker(env, queue, *, log=None):
    args = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1", "--without-gossip",
            "--without-mingle", "--without-heartbeat", "-l", "WARNING", "-n", f"{queue}@%h"]  # fmt: skip
    return process(args, env, log=log)
