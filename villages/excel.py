"""Spreadsheets: streaming .xlsx export with formula-injection guarding, and a guarded, fast reader.

The column headers of the ledgers are a file format agreed with the counties, so they are Chinese data here,
not translatable interface text.
"""

import contextlib
import datetime
import io
import itertools
import posixpath
import re
import zipfile
from collections.abc import Iterable, Iterator
from urllib.parse import quote
from xml.parsers import expat

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from openpyxl import Workbook
from python_calamine import CalamineWorkbook

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A real ledger compresses maybe 10:1; far more than this is a zip bomb.
_MAX_EXPANSION = 100
_MAX_UNCOMPRESSED = 400 * 1024 * 1024


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def xlsx_bytes(sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]]) -> bytes:
    """One workbook, written row by row (write-only mode keeps memory flat)."""
    wb = Workbook(write_only=True)
    for title, headers, rows in sheets:
        ws = wb.create_sheet(title=title[:31])
        ws.append(headers)
        for row in rows:
            ws.append([safe_cell(v) for v in row])
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def xlsx_response(filename: str, sheets: Iterable[tuple[str, list[str], Iterable[Iterable]]]) -> HttpResponse:
    response = HttpResponse(xlsx_bytes(sheets), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class RowErrors(ValidationError):
    """Every bad row of an import, as (row number, message) pairs; nothing was saved."""

    def __init__(self, rows: list[tuple[int, str]]):
        self.rows = rows
        super().__init__([_("Row %(row)d: %(msg)s") % {"row": n, "msg": m} for n, m in rows])


def check_upload(file) -> None:
    """Refuse what is not a reasonable .xlsx before openpyxl touches it: empty, too large, not a zip, a bomb."""
    size = getattr(file, "size", None)
    if not size:
        raise ValidationError(_("The file is empty."), code="empty")
    if size > settings.SHANZHI_IMPORT_MAX_BYTES:
        raise ValidationError(
            _("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
            % {"size": size // (1024 * 1024), "limit": settings.SHANZHI_IMPORT_MAX_BYTES // (1024 * 1024)},
            code="too_large",
        )
    name = getattr(file, "name", "") or ""
    if not name.lower().endswith(".xlsx"):
        raise ValidationError(_("Upload an Excel .xlsx file."), code="type")
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
            uncompressed = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationError(_("This is not a valid .xlsx file."), code="type") from None
    finally:
        file.seek(0)
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        raise ValidationError(_("This is not a valid .xlsx file."), code="type")
    if uncompressed > _MAX_UNCOMPRESSED or uncompressed > size * _MAX_EXPANSION:
        raise ValidationError(_("The file expands to far more data than a ledger holds; it was refused."), code="bomb")


def refuse_zip_bomb(file) -> None:
    """For any zip container (.xlsx, .docx): refuse one that is not a zip or expands far beyond its size."""
    size = getattr(file, "size", None) or 0
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            uncompressed = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationError(_("This is not a valid .xlsx file."), code="type") from None
    finally:
        file.seek(0)
    if uncompressed > _MAX_UNCOMPRESSED or uncompressed > size * _MAX_EXPANSION:
        raise ValidationError(_("The file expands to far more data than a ledger holds; it was refused."), code="bomb")


_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_CHUNK = 1 << 20
# xl/workbook.xml and its relationships name the sheets: a few KB in a real workbook.
_MAX_WORKBOOK_PART = 4 * 1024 * 1024
# Elements the parser reads per cell (value, inline text and its runs, the row), and besides the cells: past
# that the sheet is mostly something else, which read element by element in Python would hold the request long.
_ELEMENTS_PER_CELL, _OTHER_ELEMENTS = 16, 100_000

# The lexical pass of check_sheet: what Excel, WPS, openpyxl and our own exports write, every cell as
# <c r="B7" …>. Counting and searching are done in C (bytes.count, re.search); Python objects are made only for
# the few matches that are not plain cells or that pass a bound.
_OTHER_C = re.compile(rb"<c[^\s/>]")  # <col, <cfRule, <conditionalFormatting …: other elements, not cells
_PREFIXED_CELL = re.compile(rb":c[\s/>]")  # <x:c …>: a namespace prefix (read by the parser instead)
_PLAIN_CELL = b'<c r="'
_BAD_REF = re.compile(rb'<c r="(?![A-Z]{1,3}[0-9]{1,7}")')
_REF_AT = re.compile(rb'<c r="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb"<(?:[^\s<>/:=!?]+:)?dimension\s[^>]*?\bref\s*=\s*[\"']([^\"']*)[\"']")


def _invalid() -> ValidationError:
    return ValidationError(_("This is not a valid .xlsx file."), code="type")


class _TooLarge(Exception):
    """Raised inside the parser's handler to stop reading at the first cell past a bound."""


class _NotPlain(Exception):
    """The sheet is not written the plain way the lexical pass reads: the parser reads it instead."""


def _cell_ref(ref: str) -> tuple[int, int]:
    """``XFD1048576`` → (1048576, 16384), 1-based; a malformed reference is not a valid file."""
    letters = ref.rstrip("0123456789")
    digits = ref[len(letters) :]
    if not letters or not digits or letters.strip(_LETTERS) or len(digits) > 12:
        raise _invalid()
    return int(digits), _column_number(letters)


def _column_number(letters: str) -> int:
    column = 0
    for ch in letters.upper():
        column = column * 26 + ord(ch) - 64
    return column


def _column_letters(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _above(text: str, alphabet: str) -> str:
    """A regex for the words over ``alphabet`` (in order) that come after ``text`` when words are ordered by
    length, then letter by letter: the order of row numbers and of column letters."""
    any_letter = f"[{alphabet[0]}-{alphabet[-1]}]"
    alternatives = [f"{any_letter}{{{len(text) + 1},}}"]
    for i, ch in enumerate(text):
        higher = alphabet[alphabet.index(ch) + 1 :]
        if higher:
            alternatives.append(f"{text[:i]}[{higher[0]}-{higher[-1]}]{any_letter}{{{len(text) - i - 1}}}")
    return "|".join(alternatives)


def _parser(start) -> expat.XMLParserType:
    """expat with no document type allowed: a sheet never has one, and without it no entity can expand."""
    parser = expat.ParserCreate()

    def refuse(*args):
        raise _invalid()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    return parser


def _parse(parser, stream) -> None:
    try:
        while chunk := stream.read(_CHUNK):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise _invalid() from None


def _first_sheet(archive: zipfile.ZipFile) -> str:
    """The part calamine reads as the first sheet: the first <sheet> of xl/workbook.xml, through its relationship
    in xl/_rels/workbook.xml.rels (both small; parsed the same guarded way)."""
    ids: list[str] = []
    targets: dict[str, str] = {}

    def workbook(name, attrs):
        if name.rpartition(":")[2] == "sheet":
            ids.extend(v for k, v in attrs.items() if k.endswith(":id"))

    def rels(name, attrs):
        if name.rpartition(":")[2] == "Relationship" and "Id" in attrs:
            targets[attrs["Id"]] = attrs.get("Target", "")

    try:
        for part, start in (("xl/workbook.xml", workbook), ("xl/_rels/workbook.xml.rels", rels)):
            if archive.getinfo(part).file_size > _MAX_WORKBOOK_PART:
                raise _invalid()
            with archive.open(part) as stream:
                _parse(_parser(start), stream)
    except KeyError:
        raise _invalid() from None
    target = targets.get(ids[0], "") if ids else ""
    if target.startswith("/"):
        path = target[1:]
    elif target.startswith("xl/"):
        path = target
    else:
        path = "xl/" + target
    path = posixpath.normpath(path)
    if not target or path not in archive.namelist():
        raise _invalid()
    return path


class _Extent:
    """What a sheet declares and holds, against the bounds: rows (the header row included), columns, cells."""

    def __init__(self, max_rows: int, max_columns: int, size: int):
        self.max_rows, self.max_columns = max_rows, max_columns
        self.last_row = max_rows + 1  # the header row, then the data
        self.max_cells = self.last_row * max_columns
        self.size = size  # of the sheet's XML, uncompressed
        self.rows = self.columns = self.cells = self.read = 0
        self.declared = self.estimated = False
        self.over: set[str] = set()

    def chunks(self, stream) -> Iterator[bytes]:
        while chunk := stream.read(_CHUNK):
            self.read += len(chunk)
            yield chunk

    def reach(self, rows: int, columns: int) -> None:
        """Cells (or the declared dimension) reach this far: past a bound, reading stops."""
        self.rows, self.columns = max(self.rows, rows), max(self.columns, columns)
        if self.rows > self.last_row:
            self.over.add("rows")
        if self.columns > self.max_columns:
            self.over.add("columns")
        if self.over:
            raise _TooLarge

    def count(self, cells: int) -> None:
        self.cells += cells
        if self.cells > self.max_cells:
            self.over.add("cells")
            raise _TooLarge

    def stopped(self) -> None:
        """Reading stopped at a cell past the row bound: the rows still unread are estimated from the bytes
        unread, for the message (a sheet's declared dimension, when it is the larger, is taken as it is)."""
        if "rows" in self.over and not self.declared and self.read < self.size:
            self.rows = max(self.rows, int(round(self.rows * self.size / max(self.read, 1), -3)) + 1)
            self.estimated = True

    def refuse(self) -> None:
        if not self.over:
            return
        messages = []
        if "rows" in self.over:
            numbers = {"rows": f"{self.rows - 1:,}", "limit": f"{self.max_rows:,}"}
            if self.estimated:
                messages.append(_("The file has about %(rows)s rows of data; the limit is %(limit)s rows.") % numbers)
            else:
                messages.append(_("The file has %(rows)s rows of data; the limit is %(limit)s rows.") % numbers)
        if "columns" in self.over:
            messages.append(
                _("The file has %(columns)s columns; the limit is %(limit)s columns.")
                % {"columns": f"{self.columns:,}", "limit": f"{self.max_columns:,}"}
            )
        if not messages:
            messages.append(
                _("The file holds more than %(limit)s cells (%(rows)s rows × %(columns)s columns); it was refused.")
                % {"limit": f"{self.max_cells:,}", "rows": f"{self.last_row:,}", "columns": f"{self.max_columns:,}"}
            )
        raise ValidationError(messages, code="too_large")


def check_sheet(file, *, max_rows: int | None = None, max_columns: int | None = None) -> int:
    """Refuse a first sheet whose rows, columns or cells pass the import's bounds, before a reader lays it out.

    calamine keeps every cell, then lays the sheet out as a dense grid from its first to its farthest cell: one
    cell at XFD1048576 asks for 17 billion, and a process that cannot allocate aborts. So both what the sheet
    declares (``<dimension ref="A1:G2001"/>``, which may lie either way or be missing) and what it holds (every
    ``<c>`` cell, placed as calamine places it) are checked, streaming the sheet's XML out of the zip (memory
    stays flat) and stopping at the first cell past a bound. Rows are counted without the header row.

    The sheet is read lexically first, in C (counting and searching bytes): that applies when every cell is
    written ``<c r="B7"`` with a plain reference, as spreadsheet programs write it; comments or text that look
    like cells can only add to what is counted. Any other form (cells without a reference, namespace prefixes,
    other quotes, entities, UTF-16) is read by expat instead, cell by cell, without a document type.
    """
    max_rows = settings.SHANZHI_IMPORT_MAX_ROWS if max_rows is None else max_rows
    max_columns = settings.SHANZHI_IMPORT_MAX_COLUMNS if max_columns is None else max_columns
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            part = _first_sheet(archive)
            size = archive.getinfo(part).file_size
            extent = _Extent(max_rows, max_columns, size)
            try:
                with archive.open(part) as stream:
                    _scan_plain(stream, extent)
            except _NotPlain:
                extent = _Extent(max_rows, max_columns, size)
                with archive.open(part) as stream, contextlib.suppress(_TooLarge):
                    _scan_parsed(stream, extent)
            except _TooLarge:
                pass
    except (zipfile.BadZipFile, OSError, EOFError):
        raise _invalid() from None
    finally:
        file.seek(0)
    extent.stopped()
    extent.refuse()
    return max(extent.rows - 1, 0)


def _declared(extent: _Extent, ref: str) -> None:
    try:
        rows, columns = _cell_ref(ref.rpartition(":")[2])
    except ValidationError:
        return  # a malformed declaration says nothing; the cells are counted anyway
    extent.declared = rows > extent.last_row
    extent.reach(rows, columns)


def _scan_plain(stream, extent: _Extent) -> None:
    rows_over = re.compile(rb'<c r="[A-Z]{1,3}(?:%s)"' % _above(str(extent.last_row), "0123456789").encode())
    columns_over = re.compile(rb'<c r="(%s)[0-9]' % _above(_column_letters(extent.max_columns), _LETTERS[:26]).encode())
    chunks = extent.chunks(stream)
    data = next(chunks, b"")
    if b"\x00" in data[:512] or data.startswith((b"\xfe\xff", b"\xff\xfe")) or b"<!DOCTYPE" in data:
        raise _NotPlain  # UTF-16, or a document type: the parser decides
    declared = _DIMENSION.search(data)
    if declared:
        _declared(extent, declared.group(1).decode("ascii", "replace"))
    while data:
        chunk = next(chunks, b"")
        # A tag never holds "<" (not even in an attribute's value): cut before the last one, keep the rest.
        end = data.rfind(b"<") if chunk else len(data)
        _scan_plain_part(data, end, extent, rows_over, columns_over)
        data = data[end:] + chunk if chunk else b""


def _scan_plain_part(data: bytes, end: int, extent: _Extent, rows_over, columns_over) -> None:
    # Other elements named c…: a few in a real sheet; many, and the parser decides (it bounds them).
    others = sum(1 for _match in itertools.islice(_OTHER_C.finditer(data, 0, end), _OTHER_ELEMENTS))
    if others == _OTHER_ELEMENTS:
        raise _NotPlain
    cells = data.count(b"<c", 0, end) - others
    plain = data.count(_PLAIN_CELL, 0, end)
    if cells != plain or _PREFIXED_CELL.search(data, 0, end) or _BAD_REF.search(data, 0, end):
        raise _NotPlain
    if not cells:
        return
    far_row = far_column = 0
    wide = columns_over.findall(data, 0, end)
    if wide:
        far_column = max(_column_number(letters.decode()) for letters in set(wide))
    far = rows_over.search(data, 0, end)
    if far:
        far_row = int(far.group().decode()[6:-1].lstrip(_LETTERS[:26]))
    last = _REF_AT.match(data, data.rfind(_PLAIN_CELL, 0, end))
    extent.reach(max(far_row, int(last.group(2))), far_column)
    extent.count(cells)


def _scan_parsed(stream, extent: _Extent) -> None:
    # Local variables in the handler: it runs for every element of a sheet of up to millions of cells.
    row = column = top = right = elements = 0

    def start(name, attrs):
        nonlocal row, column, top, right, elements
        elements += 1
        if elements > extent.cells * _ELEMENTS_PER_CELL + _OTHER_ELEMENTS:
            raise _invalid()
        local = name.rpartition(":")[2]
        if local == "c":
            ref = attrs.get("r")
            if ref is None:  # after the previous cell of the row, as calamine places it
                at_row, column = row, column + 1
            else:
                at_row, column = _cell_ref(ref)
            extent.count(1)
            if at_row > top or column > right:
                top, right = max(top, at_row), max(right, column)
                extent.reach(top, right)
        elif local == "row":
            ref = attrs.get("r")
            row, column = (int(ref) if ref and ref.isascii() and ref.isdigit() else row + 1), 0
        elif local == "dimension":
            _declared(extent, attrs.get("ref", ""))

    parser = _parser(start)
    try:
        for chunk in extent.chunks(stream):
            parser.Parse(chunk, False)
        parser.Parse(b"", True)
    except expat.ExpatError:
        raise _invalid() from None


def read_rows(file, columns: dict[str, str], required: Iterable[str]) -> Iterator[tuple[int, dict]]:
    """Yield (row number, {key: value}) from the first sheet; headers are matched by name.

    ``columns`` maps a header to a key; ``required`` lists the headers that must be present. The sheet is read
    with calamine (compiled; several times faster than openpyxl on a roll of 100,000 households), after
    ``check_upload`` has bounded the file's size and ``check_sheet`` the sheet's rows, columns and cells: calamine
    lays the sheet out as a dense grid (rows × columns cells) and a process that cannot allocate it aborts.
    """
    check_upload(file)
    check_sheet(file)
    rows = _guarded(_calamine_rows(file))
    header = next(rows, None)
    if header is None:
        raise ValidationError(_("The sheet is empty."), code="empty")
    names = [str(h).strip() if h is not None else "" for h in header]
    missing = [h for h in required if h not in names]
    if missing:
        raise ValidationError(_("Missing columns: %(cols)s") % {"cols": "、".join(missing)}, code="columns")
    index = {columns[n]: i for i, n in enumerate(names) if n in columns}
    for number, row in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        yield number, {key: _clean(row[i]) if i < len(row) else None for key, i in index.items()}


def _calamine_rows(file) -> Iterator[list]:
    file.seek(0)
    book = CalamineWorkbook.from_filelike(file)
    yield from book.get_sheet_by_index(0).iter_rows()


def _guarded(rows: Iterator[list]) -> Iterator[list]:
    """The reader's failures as the file's error. A panic in the compiled reader reaches Python as pyo3's
    ``PanicException``, a ``BaseException``: it is caught too, so a bad file fails its request, not the worker."""
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except (KeyboardInterrupt, SystemExit, GeneratorExit):
            raise
        except BaseException:  # the reader's panics are BaseExceptions (see the docstring)
            raise ValidationError(_("This is not a valid .xlsx file."), code="type") from None
        yield row


def _clean(value):
    """A cell's value as the forms expect it: text stripped (None if blank), whole numbers as int (the sheet
    stores every number as a float), date-times as dates."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def parse_date(value) -> datetime.date:
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ValidationError(_("“%(v)s” is not a date (use 2021-03-15).") % {"v": value}) from None
