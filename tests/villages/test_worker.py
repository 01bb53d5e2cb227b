"""The tallies under a real Celery worker, real Redis and real PostgreSQL (separate processes).

These need a database other processes can reach, so they run on PostgreSQL (as CI does); on the default
in-memory SQLite test database a worker process could not see the test's data.
"""

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

import psycopg2
import pytest
import redis
from django.conf import settings
from django.db import connection, transaction
from kombu import pools as kombu_pools

from villages.models import Division, Post, Snapshot, TallyRun
from villages.snapshots import tally_county

pytestmark = [
    pytest.mark.skipif(
        not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not settings.REDIS_URL,
        reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL), as in CI",
    ),
    pytest.mark.worker,
]


def _test_database_url():
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


class Worker:
    """A `celery worker` process on its own queue, against the test database."""

    def __init__(self, queue, *, beat=False, schedule_dir=None, redis_url=None, env=None):
        self.queue = queue
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "REDIS_URL": redis_url or settings.REDIS_URL,
            "CELERY_VISIBILITY_TIMEOUT": "3",
            "CELERY_RESTORE_INTERVAL": "1",
            "SHANZHI_TALLY_INTERVAL": "2",
            "CONN_MAX_AGE": "0",
            "CELERY_QUEUE": queue,
            **(env or {}),
        }
        command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue, "-c", "1",
                   "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING",
                   "-n", f"{queue}@%h"]  # fmt: skip
        if beat:
            command += ["-B", "-s", str(schedule_dir / "beat-schedule")]
        self.process = subprocess.Popen(command, env=env, start_new_session=True)

    def kill(self):
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


def _wait(predicate, timeout=40, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _rows():
    return sorted(
        Snapshot.objects.filter(division_code__startswith="411103", period="2026").values_list(
            "division_code", "metric", "numerator", "denominator"
        )
    )


@pytest.fixture
def queue(settings):
    name = f"shanzhi-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config import queues
    from config.celery import app

    app.conf.task_always_eager = False
    # Every kind of task to this test's own queue, as its worker (CELERY_QUEUE) routes them too.
    with one_queue(app, name, queues.task_routes(queues.queue_names(one_queue=name))):
        yield name
    redis.Redis.from_url(settings.REDIS_URL).delete(name)


@contextlib.contextmanager
def one_queue(app, name, routes):
    """Publish to this queue and routes while the block runs, then as before. The app's router is made once with
    the routing table it read then (another test may have published before): read the routes again, make a new
    router, on the way in and on the way out."""

    def new_router():
        app.amqp.flush_routes()
        app.amqp.__dict__.pop("router", None)

    saved = app.conf.task_default_queue, app.conf.task_routes
    app.conf.task_default_queue, app.conf.task_routes = name, routes
    new_router()
    try:
        yield
    finally:
        app.conf.task_default_queue, app.conf.task_routes = saved
        new_router()


@pytest.fixture
def worker_tree(transactional_db, tree):
    return tree


def test_a_task_runs_on_a_real_worker(worker_tree, queue):
    from villages.tasks import tally_county_task

    worker = Worker(queue)
    try:
        tally_county_task.apply_async(("411103000000", "2026"), queue=queue)
        _wait(lambda: TallyRun.objects.filter(status="succeeded").exists(), what="the tally")
    finally:
        worker.stop()
    assert _rows()


def test_beat_triggers_the_tallies(worker_tree, queue, tmp_path):
    worker = Worker(queue, beat=True, schedule_dir=tmp_path)
    try:
        _wait(
            lambda: (
                TallyRun.objects.filter(county__code="411103000000", status="succeeded").exists()
                and TallyRun.objects.filter(county__code="340827000000", status="succeeded").exists()
            ),
            what="beat's tallies for both counties",
        )
    finally:
        worker.stop()


def test_a_worker_killed_mid_tally_leaves_the_old_snapshot_and_the_task_runs_again(worker_tree, queue):
    from villages.tasks import tally_county_task

    tally_county(county_code="411103000000", period="2026")
    before = _rows()
    # Change the data, so the next tally gives different figures.
    Post.objects.filter(pk=worker_tree.member.pk).update(end_date="2024-01-01")

    # Hold the county row's lock from another connection: the worker's tally blocks inside its transaction.
    county = Division.objects.get(code="411103000000")
    s = connection.settings_dict
    blocker = psycopg2.connect(dbname=s["NAME"], user=s["USER"], password=s["PASSWORD"] or None,
                               host=s["HOST"] or "127.0.0.1", port=s["PORT"] or 5432)  # fmt: skip
    cursor = blocker.cursor()
    cursor.execute("SELECT id FROM villages_division WHERE id = %s FOR NO KEY UPDATE", [county.pk])
    worker = Worker(queue)
    try:
        tally_county_task.apply_async(("411103000000", "2026"), queue=queue)
        _wait(lambda: TallyRun.objects.filter(status="running").exists(), what="the tally to start")
        time.sleep(0.5)
        worker.kill()
    finally:
        blocker.rollback()
        blocker.close()
    assert _rows() == before, "a killed tally must leave the previous snapshot whole"

    # The message was never acknowledged: a new worker gets it again after the visibility timeout.
    second = Worker(queue)
    try:
        _wait(
            lambda: TallyRun.objects.filter(status="succeeded").count() == 2,
            timeout=120,
            what="the task to run again",
        )
    finally:
        second.stop()
    after = {(code, metric): (n, d) for code, metric, n, d in _rows()}
    assert after[("411103103201", "villages.cadres_in_office")] == (1, None)


def test_two_concurrent_runs_for_one_county_produce_one_result(worker_tree):
    errors = []

    def run():
        try:
            tally_county(county_code="411103000000", period="2026")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert errors == []
    assert TallyRun.objects.filter(status="succeeded").count() == 3
    rows = _rows()
    assert len(rows) == len({(c, m) for c, m, *_ in rows})
    tally_county(county_code="411103000000", period="2026")
    assert _rows() == rows


class PrivateRedis:
    """A redis-server of the test's own on another port, so it can be stopped without touching the shared one."""

    def __init__(self, port):
        self.port = port
        self.url = f"redis://127.0.0.1:{port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "/usr/bin/redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        _wait(lambda: self._answers(), timeout=10, what="redis to start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def _answers(self):
        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
        except redis.RedisError:
            return False


def _point_at(url, settings):
    """Cache and broker of this process on ``url`` (a real server, up or down)."""
    from config.celery import app

    settings.CACHES = {
        "default": {
            "BACKEND": "villages.cache.TolerantRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    app.conf.broker_url = url
    settings.CELERY_BROKER_URL = url
    # Forget pooled connections to the previous server, as a freshly started process would have none.
    kombu_pools.reset()
    app._after_fork()


def test_redis_stopped_pages_and_saves_go_on_and_requests_wait(worker_tree, queue, settings, client):
    from villages.models import TallyRequest
    from villages.services import cadre_update
    from villages.snapshots import publish_requests, request_recompute

    private = PrivateRedis(6391)
    private.start()
    _point_at(private.url, settings)
    try:
        private.stop()
        client.force_login(worker_tree.users.county)
        client.get("/divisions/411103000000/")  # warm up templates, so the timing below is Redis's alone
        started = time.monotonic()
        page = client.get("/divisions/411103000000/")
        page_seconds = time.monotonic() - started
        assert page.status_code == 200
        TallyRequest.objects.all().delete()  # the fixture's own writes asked too (committed: transactional test)
        started = time.monotonic()
        with transaction.atomic():
            cadre_update(actor=worker_tree.users.county, cadre=worker_tree.member.cadre, party_branch="梁庄村党支部")
            request_recompute(county_code="411103000000", period="2026")
        save_seconds = time.monotonic() - started
        assert page_seconds < 2 and save_seconds < 2, (page_seconds, save_seconds)
        # The save asked for its county's periods (the cadre's model is read by metrics) and the explicit request
        # rode on them: every request waits, none published, none done.
        pending = TallyRequest.objects.all()
        assert pending.filter(period="2026").exists()
        assert not pending.filter(published_at__isnull=False).exists() and not pending.filter(done_at__isnull=False)

        # Redis is back: the sweep publishes the request and a worker on that Redis runs it.
        private.start()
        _point_at(private.url, settings)
        assert publish_requests() >= 1
        worker = Worker(queue, redis_url=private.url)
        try:
            _wait(lambda: TallyRequest.objects.filter(done_at__isnull=False).exists(), what="the queued tally")
        finally:
            worker.stop()
    finally:
        private.stop()
        _point_at(settings.REDIS_URL, settings)
