"""Celery's queues by kind of work and every task's kind: the one place a task is given its queue.

Each kind has workers of its own (``Procfile``: one worker per queue), so an hour's tally cycle never delays a
notification and tallies can be given more machines than the rest. ``tests/test_celery_routes.py`` fails when a
registered task has no kind here, or a queue is consumed by no worker of the Procfile.
"""

KINDS = ("default", "tallies", "imports", "notifications")

TASK_KINDS = {
    "villages.tally_county": "tallies",
    "villages.tally_all_counties": "tallies",
    "villages.publish_tally_requests": "tallies",
    "villages.compact_change_log": "default",
    "villages.purge_idempotency_records": "default",
    "reviews.publish_record_books": "notifications",
    "villages.import_job": "imports",
    "villages.remind_due": "notifications",
    "villages.remind_county": "notifications",
    "villages.deliver_webhook": "notifications",
}


def queue_names(*, prefix: str = "", one_queue: str = "") -> dict[str, str]:
    """Each kind's queue: ``<prefix><kind>``, or ``one_queue`` for every kind when it is given."""
    return {kind: one_queue or f"{prefix}{kind}" for kind in KINDS}


def task_routes(names: dict[str, str]) -> dict[str, dict[str, str]]:
    return {task: {"queue": names[kind]} for task, kind in TASK_KINDS.items()}
