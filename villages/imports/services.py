"""An import as a job: the file stored, checked as a whole (the preview), then written in one transaction on
confirmation. A file of more than SHANZHI_IMPORT_BACKGROUND_ROWS rows is checked and written in the background — a
Celery task on the full stack, a worker thread in the embedded set-up (tasks eager, no broker) — while the page polls
its progress; a small one within the request."""

import logging
import threading

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import Division, ImportJob
from ..scopes import has_role
from . import engine, importer_for

logger = logging.getLogger(__name__)
Status = ImportJob.Status
_PROGRESS_TTL = 24 * 3600


def progress_key(job_id: int) -> str:
    return f"import-job:{job_id}:progress"


def import_job_progress(job: ImportJob) -> dict:
    """Rows checked and written so far: the cache while the job runs (the write runs inside one transaction, which
    other connections cannot see into), the job's own counts once it has stopped."""
    live = cache.get(progress_key(job.pk)) if job.running else None
    checked = live.get("checked", job.rows_checked) if live else job.rows_checked
    written = live.get("written", job.rows_written) if live else job.rows_written
    return {"status": job.status, "rows_total": job.rows_total, "rows_checked": checked, "rows_written": written}


def _may_import(actor, division: Division, importer) -> bool:
    return importer is not None and division.level in importer.levels and has_role(actor, division.code, importer.roles)


def import_job_create(*, actor, division: Division, kind: str, file) -> ImportJob:
    """Store the upload and start its check. A file refused as a whole (not an .xlsx, too large) raises
    ValidationError and nothing is stored."""
    importer = importer_for(kind)
    if not _may_import(actor, division, importer):
        raise PermissionDenied
    total, _rows = engine.rows_of(file)  # bounds the file before it is stored
    file.seek(0)
    name = (getattr(file, "name", "") or "").rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        job = ImportJob.objects.create(
            division=division,
            kind=kind,
            user=actor,
            file=file,
            filename=name,
            rows_total=total,
            background=total > settings.SHANZHI_IMPORT_BACKGROUND_ROWS,
        )
        _start(job, "check")
    return job


def import_job_confirm(*, actor, job: ImportJob) -> ImportJob:
    """Write a checked job: everything in one transaction, or nothing. Only a job waiting for confirmation is
    written, by someone who may import it."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().get(pk=job.pk)
        if not _may_import(actor, job.division, importer_for(job.kind)):
            raise PermissionDenied
        if job.status != Status.READY:
            raise ValidationError(_("This import is not waiting for confirmation."), code="state")
        job.status = Status.WRITING
        job.save(update_fields=["status"])
        _start(job, "write")
    job.refresh_from_db()
    return job


def _start(job: ImportJob, phase: str) -> None:
    if not job.background:
        transaction.on_commit(lambda: import_job_run(job_id=job.pk, phase=phase))
    elif settings.CELERY_TASK_ALWAYS_EAGER:
        # The embedded set-up has no worker: a thread of this process runs it, the request returns at once.
        transaction.on_commit(lambda: threading.Thread(target=_in_thread, args=(job.pk, phase), daemon=True).start())
    else:
        from ..tasks import import_job_task

        transaction.on_commit(lambda: import_job_task.delay(job.pk, phase))


def _in_thread(job_id: int, phase: str) -> None:
    close_old_connections()
    try:
        import_job_run(job_id=job_id, phase=phase)
    finally:
        connection.close()


def import_job_run(*, job_id: int, phase: str) -> None:
    """Check the job's file (phase "check": the preview), or check it again and write it (phase "write": what
    changed on the platform since the preview is taken into account). Records the outcome on the job.

    Idempotent, so a run lost with its worker can be run again: only a job still checking (or writing) is checked
    (or written), and a write commits the job's outcome with its rows, so a second run finds the job done and
    leaves it alone; a write that died before its commit left nothing, and the next run does it whole."""
    wanted = Status.CHECKING if phase == "check" else Status.WRITING
    job = ImportJob.objects.select_related("division", "user").get(pk=job_id)
    if job.status != wanted:
        logger.info("import job %s is %s, not %s: nothing to do", job.pk, job.status, wanted)
        return
    importer = importer_for(job.kind)
    key = progress_key(job.pk)
    state = {"checked": 0, "written": 0}

    def checked(n):
        state["checked"] = n
        cache.set(key, state, _PROGRESS_TTL)

    def written(n):
        state["written"] = n
        cache.set(key, state, _PROGRESS_TTL)

    try:
        with job.file.open("rb") as file:
            if phase == "check":
                plan = engine.check(importer, actor=job.user, division=job.division, file=file, keep=False,
                                    progress=checked)  # fmt: skip
                _record(job, plan)
                job.status = Status.REFUSED if plan.error_rows else Status.READY if plan.changes else Status.UNCHANGED
                job.checked_at = timezone.now()
                job.save()
            else:
                with transaction.atomic():
                    # Locked: a redelivered run waits for this one, then finds the job no longer writing.
                    locked = ImportJob.objects.select_for_update().filter(pk=job.pk, status=Status.WRITING)
                    if not list(locked.values_list("pk", flat=True)):
                        return
                    plan = engine.check(importer, actor=job.user, division=job.division, file=file, progress=checked)
                    _record(job, plan)
                    if plan.error_rows:
                        job.status = Status.REFUSED
                    else:
                        ctx = importer.context(actor=job.user, division=job.division)
                        job.rows_written = importer.write(ctx, actor=job.user, plan=plan, progress=written)
                        job.status = Status.DONE
                        job.finished_at = timezone.now()
                    job.save()  # with the rows: the outcome and the write commit together
    except ValidationError as exc:
        job.status, job.message = Status.REFUSED, " ".join(str(m) for m in exc.messages)
        job.save()
    except Exception:
        logger.exception("import job %s failed in phase %s", job.pk, phase)
        job.status = Status.FAILED
        job.message = _("The import stopped on an unexpected error; nothing was written. Try again, or tell the "
                        "administrator the import's number %(id)d.") % {"id": job.pk}  # fmt: skip
        job.save()
    finally:
        cache.delete(key)


def _record(job: ImportJob, plan: engine.Plan) -> None:
    job.rows_checked = plan.rows_checked
    job.created_count, job.updated_count, job.unchanged_count = plan.created, plan.updated, plan.unchanged
    job.error_count, job.errors = plan.error_rows, plan.errors
