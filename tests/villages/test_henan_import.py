"""The whole of Henan's official list (villages/reference, NBS 2023) loaded as a county-less province would load it
through the division import (villages.imports): 18 city-level, 181 county-level and 2,586 township-level units under
province 41, with the official kinds; the same file again changes nothing."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from tests.factories import UserFactory
from villages import reference
from villages.choices import DivisionKind, Level
from villages.imports.ledgers import KINDS, LEVELS
from villages.imports.services import import_job_confirm, import_job_create
from villages.models import Division, ImportJob

HENAN = "410000000000"


def _henan_ledger() -> SimpleUploadedFile:
    rows = sorted(
        (r for r in reference.all_rows() if r.code.startswith("41") and r.code != HENAN), key=lambda r: r.code
    )
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["区划代码", "名称", "层级", "类型"])
    for r in rows:
        sheet.append([r.code, r.name, LEVELS.label(r.level), KINDS.label(r.kind)])
    buffer = io.BytesIO()
    book.save(buffer)
    return SimpleUploadedFile("河南省区划.xlsx", buffer.getvalue())


def _run(capture, actor, province):
    with capture(execute=True):
        job = import_job_create(actor=actor, division=province, kind="divisions", file=_henan_ledger())
    job.refresh_from_db()
    if job.status == ImportJob.Status.READY:
        with capture(execute=True):
            import_job_confirm(actor=actor, job=job)
        job.refresh_from_db()
    return job


def test_henan_township_list_imports_whole_then_unchanged(db, settings, tmp_path, django_capture_on_commit_callbacks):
    settings.MEDIA_ROOT = str(tmp_path)
    settings.SHANZHI_IMPORT_BACKGROUND_ROWS = 10_000  # within the request here; the background is tested elsewhere
    Division.objects.filter(code__startswith="41").delete()
    province = Division.objects.create(code=HENAN, name="河南省", level=Level.PROVINCE, kind=DivisionKind.PROVINCE)
    root = UserFactory(username="root", is_superuser=True, is_staff=True)

    job = _run(django_capture_on_commit_callbacks, root, province)
    assert (job.status, job.error_count, job.created_count) == (ImportJob.Status.DONE, 0, 18 + 181 + 2586), job.errors
    under = Division.objects.filter(code__startswith="41")
    assert under.filter(level=Level.CITY).count() == 18
    assert under.filter(level=Level.COUNTY).count() == 181
    assert under.filter(level=Level.TOWNSHIP).count() == 2586
    official = {r.code: r.kind for r in reference.all_rows() if r.code.startswith("41")}
    assert dict(under.values_list("code", "kind")) == official
    assert under.get(code="410181000000").kind == DivisionKind.COUNTY_CITY  # 巩义市, a county-level city
    assert under.get(code="411103103000").parent.code == "411103000000"

    again = _run(django_capture_on_commit_callbacks, root, province)
    assert (again.status, again.unchanged_count, again.created_count) == (ImportJob.Status.UNCHANGED, 2785, 0)
