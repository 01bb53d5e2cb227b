"""Celery's queues by kind (config/queues.py): every task has a queue, every queue has a worker, and a task
published with its route runs on a worker that consumes only that queue."""

import re
import shlex
import uuid
from pathlib import Path

import pytest
import redis
from celery.app import routes as celery_routes
from django.conf import settings

from config import queues
from config.celery import app

ROOT = Path(__file__).resolve().parents[1]


def _registered_tasks():
    app.loader.import_default_modules()  # autodiscovery and CELERY_IMPORTS, as a worker does at start
    return sorted(name for name in app.tasks if not name.startswith("celery."))


def test_every_registered_task_is_routed_to_a_declared_queue():
    declared = {q.name for q in settings.CELERY_TASK_QUEUES}
    router = celery_routes.Router(celery_routes.prepare(settings.CELERY_TASK_ROUTES), app.amqp.queues, app=app)
    tasks = _registered_tasks()
    assert "villages.tally_county" in tasks and "reviews.publish_record_books" in tasks
    unrouted = [name for name in tasks if name not in queues.TASK_KINDS]
    assert not unrouted, f"give these tasks a kind in config/queues.py: {unrouted}"
    for name in tasks:
        # What a producer does when it publishes the task: Celery's router over the settings' routes.
        queue = router.route({}, name)["queue"].name
        assert queue in declared, (name, queue)
    assert not set(queues.TASK_KINDS) - set(tasks), "a route names a task that no longer exists"


def _procfile():
    return dict(line.split(":", 1) for line in (ROOT / "Procfile").read_text().splitlines() if ":" in line)


def test_the_procfile_runs_a_worker_for_every_queue_and_one_beat():
    processes = _procfile()
    consumed = set()
    for command in processes.values():
        argv = shlex.split(command)
        if "worker" in argv:
            consumed |= set(argv[argv.index("-Q") + 1].replace("${CELERY_QUEUE_PREFIX}", "").split(","))
    assert consumed == set(queues.KINDS)
    assert [name for name, command in processes.items() if re.search(r"\bcelery\b.*\bbeat\b", command)] == ["beat"]
    assert not any("-B" in shlex.split(c) for c in processes.values()), "beat runs once, never inside a worker"


def test_one_queue_sends_every_kind_to_it_and_a_prefix_keeps_deployments_apart():
    assert set(queues.queue_names(one_queue="solo").values()) == {"solo"}
    names = queues.queue_names(prefix="county-a.")
    assert names["tallies"] == "county-a.tallies"
    assert {r["queue"] for r in queues.task_routes(names).values()} <= set(names.values())


@pytest.mark.worker
@pytest.mark.skipif(
    not settings.DATABASES["default"]["ENGINE"].endswith("postgresql") or not settings.REDIS_URL,
    reason="needs PostgreSQL and Redis (DATABASE_URL and REDIS_URL), as in CI",
)
def test_a_routed_task_runs_on_the_worker_consuming_its_queue(transactional_db, tree, settings):
    from tests.villages.test_worker import Worker, _wait, one_queue
    from villages.models import TallyRun
    from villages.tasks import purge_idempotency_records, tally_county_task

    prefix = f"t{uuid.uuid4().hex[:8]}."
    names = queues.queue_names(prefix=prefix)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    client = redis.Redis.from_url(settings.REDIS_URL)
    with one_queue(app, names["default"], queues.task_routes(names)):
        assert app.amqp.router.route({}, "villages.tally_county")["queue"].name == names["tallies"]
        worker = Worker(names["tallies"], env={"CELERY_QUEUE_PREFIX": prefix, "CELERY_QUEUE": ""})
        try:
            # Published with no queue named: the route sends them to the tallies and default queues.
            tally_county_task.delay("411103000000", "2026")
            purge_idempotency_records.delay()
            _wait(lambda: TallyRun.objects.filter(status="succeeded").exists(), what="the tally on the tallies worker")
            # The default queue's message waits for its own worker: the tallies worker never took it.
            assert client.llen(names["default"]) == 1
            assert client.llen(names["tallies"]) == 0
        finally:
            worker.stop()
            app.conf.task_always_eager = saved
            client.delete(*names.values())
