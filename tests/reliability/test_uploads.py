"""Every upload the application takes: wrong type, oversized, empty, a zip bomb disguised as .xlsx. Each
gives a clear error and stores nothing (no rows, no file on disk)."""

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

import petitions.services as petition_services
from grids.models import Household
from petitions.models import Petition, PetitionAttachment
from tests.sheets import far_cell_workbook, text_cell, workbook
from villages.models import Cadre, Division, ImportJob

CASES = ["wrong type", "oversized", "empty", "zip bomb"]


def _bomb():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("xl/worksheets/sheet1.xml", "0" * (200 * 1024 * 1024))
    return data.getvalue()


def _file(case, name="ledger.xlsx"):
    if case == "wrong type":
        return SimpleUploadedFile("ledger.exe", b"MZ\x90\x00 not a spreadsheet")
    if case == "oversized":
        return SimpleUploadedFile(name, b"PK\x03\x04" + b"\x00" * 4096)
    if case == "empty":
        return SimpleUploadedFile(name, b"")
    return SimpleUploadedFile(name, _bomb())


@pytest.fixture
def small_limits(settings, monkeypatch, tmp_path):
    settings.SHANZHI_IMPORT_MAX_BYTES = 2048
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(petition_services, "ATTACHMENT_MAX_BYTES", 2048)
    return tmp_path


def _counts():
    return (
        Division.objects.count(),
        Cadre.objects.count(),
        Household.objects.count(),
        PetitionAttachment.objects.count(),
    )


def _stored_files(root):
    return [p for p in Path(root).rglob("*") if p.is_file()]


IMPORT_KINDS = ["divisions", "cadres", "grids", "party_members", "households"]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_ledger_import(client, tree, small_limits, kind, case):
    before = _counts()
    client.force_login(tree.users.county)
    url = reverse("villages:import_upload", args=[tree.yc.code, kind])
    response = client.post(url, {"file": _file(case)})
    assert response.status_code == 200 and response.context["form"].errors["file"], case
    assert _counts() == before and not _stored_files(small_limits)
    assert not ImportJob.objects.exists()


def _case(tree):
    from tests.factories import valid_id_number

    return petition_services.petition_register(
        actor=tree.users.petition, registry_unit=tree.wj, division=tree.jiangbian, channel="visit", kind="demand",
        subject="附件测试", content="内容", received_on=__import__("datetime").date(2026, 3, 1),
        petitioners=[{"name": "汪", "id_number": valid_id_number(region="340827"), "phone": ""}],
    )  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_petition_attachment_page(client, tree, small_limits, case):
    petition = _case(tree)
    before = _counts()
    client.force_login(tree.users.petition)
    response = client.post(reverse("petitions:attachment_add", args=[petition.pk]), {"file": _file(case)}, follow=True)
    assert response.status_code == 200
    assert [m for m in response.context["messages"] if m.level_tag == "error"], case
    assert _counts() == before and not _stored_files(small_limits)


@pytest.mark.parametrize("case", CASES)
def test_petition_attachment_api(tree, small_limits, case):
    petition = _case(tree)
    before = _counts()
    api = APIClient()
    api.force_authenticate(tree.users.petition)
    response = api.post(reverse("petition-attachments", args=[petition.pk]), {"file": _file(case)}, format="multipart")
    assert response.status_code == 400 and response.json(), case
    assert _counts() == before and not _stored_files(small_limits)
    assert Petition.objects.count() == 1


def test_a_real_spreadsheet_attachment_is_still_taken(tree, small_limits, monkeypatch):
    monkeypatch.setattr(petition_services, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
    from openpyxl import Workbook

    data = io.BytesIO()
    book = Workbook()
    book.active.append(["姓名", "事项"])
    book.save(data)
    petition = _case(tree)
    api = APIClient()
    api.force_authenticate(tree.users.petition)
    upload = SimpleUploadedFile("清单.xlsx", data.getvalue())
    response = api.post(reverse("petition-attachments", args=[petition.pk]), {"file": upload}, format="multipart")
    assert response.status_code in (200, 201), response.content
    assert PetitionAttachment.objects.count() == 1


# Issue #20, finding 2: a few-KB workbook with cells at A1 and XFD1048576 made the reader ask for about 550 GB
# and the web worker abort, with its other requests. Now refused on the file field, nothing written.
FAR_CASES = {
    "far cell": lambda: far_cell_workbook(),
    "far cell, tiny dimension": lambda: far_cell_workbook(dimension="A1"),
    "declared 200,000 × 50": lambda: workbook(f'<row r="1">{text_cell("A1", "地址")}</row>', "A1:AX200000"),
}


@pytest.mark.parametrize("case", FAR_CASES)
@pytest.mark.parametrize("kind", IMPORT_KINDS)
def test_ledger_import_refuses_a_sheet_past_the_bounds(client, tree, kind, case):
    before = _counts()
    client.force_login(tree.users.county)
    upload = SimpleUploadedFile("台账.xlsx", FAR_CASES[case]())
    response = client.post(reverse("villages:import_upload", args=[tree.yc.code, kind]), {"file": upload})
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert any("超过上限 100,000 行" in e for e in errors), errors
    assert _counts() == before and not ImportJob.objects.exists()
