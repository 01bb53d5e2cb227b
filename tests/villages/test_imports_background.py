"""Large imports run in the background: a worker thread in the embedded set-up (tasks eager), a real Celery worker on
the full stack; the page's JSON reports the rows checked and written, and the job's result stays afterwards."""

import io
import time
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from grids.models import Grid, Household
from tests.villages.test_worker import Worker
from villages.imports.services import import_job_confirm, import_job_create
from villages.models import ImportJob

Status = ImportJob.Status
pytestmark = pytest.mark.skipif(
    not django_settings.DATABASES["default"]["ENGINE"].endswith("postgresql"),
    reason="a background job reads the test's data from another connection: needs PostgreSQL",
)


def _roll(n):
    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append(["户号", "网格编码", "地址", "户主姓名", "家庭人口"])
    for i in range(n):
        ws.append([f"H{i:06d}", "411103103201001", f"梁庄村{i}号", f"户主{i}", 1 + i % 6])
    buffer = io.BytesIO()
    wb.save(buffer)
    return SimpleUploadedFile("roll.xlsx", buffer.getvalue())


def _wait(job, statuses, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.status in statuses:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job stayed {job.status}")


@pytest.fixture
def setup(transactional_db, tree, settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = str(tmp_path)
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path))
    settings.SHANZHI_IMPORT_BACKGROUND_ROWS = 100
    Grid.objects.create(code="411103103201001", name="第一网格", village=tree.liangzhuang)
    return tree


@pytest.fixture
def import_queue(settings):
    """A queue of this test's own, as tests/villages/test_worker.py's ``queue``."""
    import redis

    from config.celery import app

    name = f"shanzhi-test-{uuid.uuid4().hex[:8]}"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    from config import queues
    from tests.villages.test_worker import one_queue

    app.conf.task_always_eager = False
    with one_queue(app, name, queues.task_routes(queues.queue_names(one_queue=name))):
        yield name
    redis.Redis.from_url(settings.REDIS_URL).delete(name)


def _run(tree, client, rows):
    job = import_job_create(actor=tree.users.county, division=tree.yc, kind="households", file=_roll(rows))
    assert job.background and job.rows_total == rows
    client.force_login(tree.users.county)
    seen = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
    assert seen["rows_total"] == rows and seen["status"] in (Status.CHECKING, Status.READY)
    page = client.get(reverse("villages:import_job", args=[job.pk])).content.decode()
    assert "import_progress.js" in page or "confirm-import" in page
    job = _wait(job, {Status.READY, Status.REFUSED, Status.FAILED})
    assert (job.status, job.rows_checked, job.created_count) == (Status.READY, rows, rows), (job.message, job.errors)
    assert not Household.objects.exists()
    import_job_confirm(actor=tree.users.county, job=job)
    job = _wait(job, {Status.DONE, Status.REFUSED, Status.FAILED})
    assert (job.status, job.rows_written) == (Status.DONE, rows), job.message
    assert Household.objects.count() == rows
    done = client.get(reverse("villages:import_job_progress", args=[job.pk])).json()
    assert done == {"status": "done", "rows_total": rows, "rows_checked": rows, "rows_written": rows}
    assert client.get(reverse("villages:imports", args=[tree.yc.code])).status_code == 200  # the history keeps it


def test_a_large_import_runs_in_a_thread_in_the_embedded_setup(setup, settings, client):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    _run(setup, client, 1200)


@pytest.mark.worker
@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs Redis (REDIS_URL), as in CI")
def test_a_large_import_runs_on_a_real_celery_worker(setup, import_queue, client):
    worker = Worker(import_queue)
    try:
        _run(setup, client, 1200)
    finally:
        worker.stop()
