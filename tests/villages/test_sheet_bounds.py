"""Issue #20, findings 2 and 9: a sheet's declared and actual extent are bounded before the reader lays it out.

Every form a cell can be written in is placed as calamine places it: by its reference, or after the previous
cell when it has none; a declared dimension may lie either way or be missing."""

import ast
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from tests.sheets import far_cell_workbook, rows_workbook, text_cell, workbook
from villages import excel
from villages.excel import check_sheet, read_rows

ROOT = Path(__file__).resolve().parents[2]


def _upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("台账.xlsx", data)


def _refused(data: bytes, **bounds) -> list[str]:
    with pytest.raises(ValidationError) as caught, translation.override("zh-hans"):
        check_sheet(_upload(data), **bounds)
    return caught.value.messages


def _rewrite_sheet(data: bytes, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            archive.writestr(info, change(body) if info.filename == "xl/worksheets/sheet1.xml" else body)
    return out.getvalue()


def test_the_far_cell_workbook_is_refused_with_its_rows_and_columns():
    messages = _refused(far_cell_workbook())
    assert messages == [
        "文件有 1,048,575 行数据，超过上限 100,000 行，请拆分后分批导入。",
        "文件有 16,384 列，超过上限 30 列，请删去多余的列后重新上传。",
    ]


@pytest.mark.parametrize("dimension", ["A1", "A1:D1", None], ids=["tiny declared", "header declared", "no dimension"])
def test_far_cells_are_found_whatever_the_sheet_declares(dimension):
    assert len(_refused(far_cell_workbook(dimension=dimension))) == 2


def test_a_declared_range_past_the_bounds_is_refused_though_the_cells_are_few():
    """200,000 × 50 declared (a reader may reserve by it), one cell present."""
    messages = _refused(workbook(f'<row r="1">{text_cell("A1", "地址")}</row>', "A1:AX200000"))
    assert messages == [
        "文件有 199,999 行数据，超过上限 100,000 行，请拆分后分批导入。",
        "文件有 50 列，超过上限 30 列，请删去多余的列后重新上传。",
    ]


def test_a_mid_size_sheet_past_the_row_bound_is_refused():
    data = rows_workbook(12, dimension="A1:C12")
    assert _refused(data, max_rows=10) == ["文件有 11 行数据，超过上限 10 行，请拆分后分批导入。"]
    check_sheet(_upload(data), max_rows=11)  # the header row is not counted


def test_rows_are_counted_by_their_cells_without_a_dimension():
    assert _refused(rows_workbook(12), max_rows=10) == ["文件有 11 行数据，超过上限 10 行，请拆分后分批导入。"]
    check_sheet(_upload(rows_workbook(12)), max_rows=11)


def test_columns_are_bounded():
    assert _refused(rows_workbook(2, columns=5), max_columns=4) == [
        "文件有 5 列，超过上限 4 列，请删去多余的列后重新上传。"
    ]
    check_sheet(_upload(rows_workbook(2, columns=5)), max_columns=5)


def test_cells_without_references_are_placed_after_the_previous_one():
    """<row> without r follows the previous row; <c> without r follows the previous cell (calamine's rule)."""
    assert _refused(rows_workbook(12, references=False), max_rows=10) == [
        "文件有 11 行数据，超过上限 10 行，请拆分后分批导入。"
    ]
    assert _refused(rows_workbook(2, columns=5, references=False), max_columns=4) == [
        "文件有 5 列，超过上限 4 列，请删去多余的列后重新上传。"
    ]
    far = workbook('<row><c><v>1</v></c></row><row r="1048576"><c r="XFC1048576"/><c/></row>', None)
    assert len(_refused(far)) == 2
    check_sheet(_upload(rows_workbook(11, columns=5, references=False)), max_rows=10, max_columns=5)


@pytest.mark.parametrize(
    "sheet_data",
    [
        '<x:row xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" r="1">'
        '<x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>',
        "<row r='1'><c r='XFD1048576'><v>1</v></c></row>",
        '<row r="1"><c s="0" r="XFD1048576"><v>1</v></c></row>',
        '<row r="1"><c\n r = "XFD1048576"><v>1</v></c></row>',
        '<row r="1"><c r="&#88;FD1048576"><v>1</v></c></row>',
        '<row r="1"><c r="xfd1048576"><v>1</v></c></row>',
        '<!-- <c r="A1"> --><row r="1"><c r="XFD1048576"><v>1</v></c></row>',
    ],
    ids=["namespace prefix", "single quotes", "reference not first", "spaces", "character reference", "lower case",
         "comment"],
)  # fmt: skip
def test_far_cells_in_any_form_are_found(sheet_data):
    assert len(_refused(workbook(sheet_data, None))) == 2


def test_a_sheet_in_utf16_is_read_by_the_parser():
    utf16 = _rewrite_sheet(
        far_cell_workbook(dimension=None),
        lambda body: body.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"),
    )
    assert len(_refused(utf16)) == 2


def test_a_document_type_is_refused():
    """No entity can expand: a sheet never has a document type."""
    head = '<!DOCTYPE worksheet [<!ENTITY far "XFD1048576">]>'
    data = workbook('<row r="1"><c r="&far;"><v>1</v></c></row>', None, head=head)
    assert _refused(data) == ["该文件不是有效的 .xlsx 文件，请用 Excel 另存为 .xlsx 格式后重新上传。"]


def test_a_cell_written_many_times_over_is_refused():
    """Cells within the bounds but repeated: the reader keeps each one before laying the sheet out."""
    data = workbook('<row r="1">' + '<c r="A1"><v>1</v></c>' * 61 + "</row>", None)
    assert _refused(data, max_rows=1, max_columns=30) == [
        "文件的单元格超过上限 60 个（2 行 × 30 列），已拒绝导入，请检查文件。"
    ]  # fmt: skip


def test_a_long_sheet_without_a_dimension_is_refused_early_with_an_estimate(monkeypatch):
    monkeypatch.setattr(excel, "_CHUNK", 4096)
    messages = _refused(rows_workbook(5000), max_rows=1000)
    assert len(messages) == 1 and messages[0].startswith("文件约有 ") and "超过上限 1,000 行" in messages[0]


def test_the_first_sheet_is_the_one_checked():
    """The part named by the workbook's first <sheet>, through its relationship (an absolute target here), not
    the part a guess would take."""
    source = zipfile.ZipFile(io.BytesIO(far_cell_workbook()))
    decoy = zipfile.ZipFile(io.BytesIO(rows_workbook(1))).read("xl/worksheets/sheet1.xml")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels":
                body = body.replace(b'Target="worksheets/sheet1.xml"', b'Target="/xl/worksheets/far.xml"')
            name = "xl/worksheets/far.xml" if info.filename == "xl/worksheets/sheet1.xml" else info.filename
            archive.writestr(name, body)
        archive.writestr("xl/worksheets/sheet1.xml", decoy)
    assert len(_refused(out.getvalue())) == 2


def test_a_first_sheet_that_is_not_there_is_not_a_valid_file():
    broken = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(far_cell_workbook())) as source, zipfile.ZipFile(broken, "w") as archive:
        for info in source.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info, source.read(info.filename))
    assert _refused(broken.getvalue()) == ["该文件不是有效的 .xlsx 文件，请用 Excel 另存为 .xlsx 格式后重新上传。"]


def test_a_sheet_within_the_bounds_is_read():
    header = text_cell("A1", "地址") + text_cell("B1", "家庭人口")
    body = "".join(f'<row r="{r}">{text_cell(f"A{r}", f"{r}号")}<c r="B{r}"><v>{r}</v></c></row>' for r in (2, 3))
    data = workbook(f'<row r="1">{header}</row>{body}', "A1:B3")
    rows = list(read_rows(_upload(data), {"地址": "address", "家庭人口": "members"}, ["地址"]))
    assert rows == [(2, {"address": "2号", "members": 2}), (3, {"address": "3号", "members": 3})]


def test_a_reader_panic_is_the_files_error(monkeypatch):
    """pyo3 turns a Rust panic into PanicException, a BaseException: it must fail the request, not the worker."""

    class PanicException(BaseException):
        pass

    class Reader:
        @staticmethod
        def from_filelike(file):
            raise PanicException("index out of bounds")

    monkeypatch.setattr(excel, "CalamineWorkbook", Reader)
    with pytest.raises(ValidationError) as caught:
        list(read_rows(_upload(rows_workbook(2)), {"1": "a"}, []))
    assert caught.value.code == "type"


def test_the_far_cell_workbook_does_not_take_the_process_down():
    """The reproduction, in a child process with 2 GB of address space: read_rows refuses it and the child
    lives. Before the bounds, calamine asked for about 550 GB and the process aborted (SIGABRT, exit -6)."""
    code = (
        "import os, resource, sys, django;"
        "resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30));"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); django.setup();"
        "from django.core.exceptions import ValidationError;"
        "from django.core.files.uploadedfile import SimpleUploadedFile;"
        "from tests.sheets import far_cell_workbook; from villages.excel import read_rows\n"
        "try:\n"
        "    list(read_rows(SimpleUploadedFile('x.xlsx', far_cell_workbook()), {'地址': 'address'}, []))\n"
        "except ValidationError as exc:\n"
        "    print('refused', exc.messages)\n"
    )
    child = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert child.stdout.startswith("refused"), child.stdout


def _calls(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            names.add(func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", ""))
        if isinstance(node, ast.ImportFrom):
            names.update(alias.name for alias in node.names)
    return names


def _production_modules():
    skip = {"tests", "node_modules", "staticfiles", "migrations", "bench_site"}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0].startswith(".") or skip & set(parts):
            continue
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


# Every import reads its spreadsheet through the one import engine (villages.imports.engine.rows_of), which bounds the
# file before the compiled reader lays it out; tests/reliability/test_uploads.py posts the far-cell workbook to every
# import's upload page.
SPREADSHEET_READERS = {"CalamineWorkbook", "load_workbook", "read_excel", "from_filelike", "from_path"}


def test_every_import_reads_through_the_bounds():
    """Only villages/excel.py opens a workbook (after the bounds), and only the import engine and excel.py's own
    read_rows stream a sheet, so a new import cannot skip the check unnoticed."""
    openers, streamers = set(), set()
    for name, tree in _production_modules():
        calls = _calls(tree)
        if calls & SPREADSHEET_READERS:
            openers.add(name)
        if "_calamine_rows" in calls and name != "villages/excel.py":
            streamers.add(name)
    assert openers == {"villages/excel.py"}
    assert streamers == {"villages/imports/engine.py"}
    for path, start in (("villages/excel.py", "def read_rows("), ("villages/imports/engine.py", "def rows_of(")):
        source = (ROOT / path).read_text(encoding="utf-8")
        reader = source[source.index(start) :]
        assert reader.index("check_upload(file)") < reader.index("check_sheet(file)") < reader.index("_calamine_rows(")
