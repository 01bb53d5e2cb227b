"""The one import engine every ledger uses: read the file once (streaming), check every row, say what would be created,
updated or left unchanged, then write it all in one transaction.

An importer (``Importer``) names its columns (header, required, allowed values, an example, instructions), loads what
already exists in bulk (``context``), checks one row and finds its natural key (``check_row``), and writes the
planned rows (``write``). The engine does the rest the same way for every ledger: headers matched as a clerk writes
them, every cell parsed with the clerk's spellings accepted, duplicates within the file named by the other row, every
bad row reported with its row number, column and reason.
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..excel import _calamine_rows, _guarded, check_sheet, check_upload
from ..stats import data_changed
from . import clean

# Kept in the job for the page; the count says how many more there were.
MAX_ERRORS_KEPT = 1000
PROGRESS_EVERY = 500


@dataclass(frozen=True)
class Column:
    header: str  # the ledger's header: a file format agreed with the counties (Chinese data, not interface text)
    key: str
    help: object = ""  # what to write, for the instructions sheet (translatable)
    required: bool = False
    parse: Callable = clean.text
    choices: clean.Choices | None = None
    example: object = ""
    aliases: tuple[str, ...] = ()

    def read(self, value):
        if self.choices is not None:
            return self.choices(value)
        return self.parse(value)

    @property
    def allowed(self) -> list[str]:
        return list(self.choices.labels) if self.choices is not None else []


class RowProblem(Exception):
    """A row refused for a reason tied to a column (the header), raised by an importer's ``check_row``."""

    def __init__(self, column: str, message: str):
        super().__init__(message)
        self.column, self.message = column, message


@dataclass
class Checked:
    """What ``check_row`` found: the row's natural key, its values as they would be stored, and the existing record
    it matches (its id and its values as stored), if any."""

    key: object
    values: tuple
    existing_id: int | None = None
    existing_values: tuple | None = None


@dataclass
class Plan:
    rows_checked: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_rows: int = 0
    errors: list = field(default_factory=list)  # [row, column, message]
    creates: list = field(default_factory=list)  # values
    updates: list = field(default_factory=list)  # (id, values, old values)

    @property
    def changes(self) -> int:
        return self.created + self.updated

    def refuse(self, number: int, column: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append([number, column, message])


class Importer:
    """One ledger's import. Subclasses set the class attributes and implement ``context``, ``check_row`` and
    ``write``."""

    kind: str = ""
    label = ""
    filename = ""  # of the template, without the extension (Chinese)
    columns: list[Column] = []
    roles: set = set()  # who may import, at the division the import is run on
    levels: set = set()  # the levels of division an import is run on
    key_label = ""  # names the natural key in a duplicate's message

    def context(self, *, actor, division):
        raise NotImplementedError

    def check_row(self, ctx, values: dict, number: int) -> Checked:
        raise NotImplementedError

    def write(self, ctx, *, actor, plan: Plan, progress: Callable[[int], None]) -> int:
        raise NotImplementedError

    def example(self) -> list:
        return [c.example for c in self.columns]


def _header_index(importer: Importer, header: list) -> dict[str, int]:
    names = [clean.fold(h) for h in header]
    index: dict[str, int] = {}
    missing = []
    for column in importer.columns:
        for name in (column.header, *column.aliases):
            if clean.fold(name) in names:
                index[column.key] = names.index(clean.fold(name))
                break
        else:
            if column.required:
                missing.append(column.header)
    if missing:
        raise ValidationError(
            _("The first row must hold the column headers; missing: %(cols)s. Download the template to see them.")
            % {"cols": "、".join(missing)},
            code="columns",
        )
    return index


def rows_of(file) -> tuple[int, Iterator[list]]:
    """The file bounded (size, zip, rows, columns, cells), then its first sheet's rows, streamed; with the number of
    rows the sheet declares or holds (the header row aside)."""
    check_upload(file)
    rows = check_sheet(file)
    return rows, _guarded(_calamine_rows(file))


def check(
    importer: Importer, *, actor, division, file, keep: bool = True, progress: Callable[[int], None] | None = None
) -> Plan:
    """Every row of the file checked against the platform as it is: the plan of what a write would do. ``keep``:
    hold the rows to write (for ``write``); the preview only counts. Raises ValidationError for a file refused as a
    whole (not a spreadsheet, too large, headers missing)."""
    _total, rows = rows_of(file)
    header = next(rows, None)
    if header is None:
        raise ValidationError(_("The sheet is empty."), code="empty")
    index = _header_index(importer, header)
    ctx = importer.context(actor=actor, division=division)
    plan = Plan()
    seen: dict[object, int] = {}
    for number, row in enumerate(rows, start=2):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue
        plan.rows_checked += 1
        if progress and plan.rows_checked % PROGRESS_EVERY == 0:
            progress(plan.rows_checked)
        values, bad = {}, False
        for column in importer.columns:
            raw = row[index[column.key]] if column.key in index and index[column.key] < len(row) else None
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                values[column.key] = None
                if column.required:
                    plan.refuse(number, column.header, _("This column is required."))
                    bad = True
                continue
            try:
                values[column.key] = column.read(raw)
            except ValidationError as exc:
                plan.refuse(number, column.header, " ".join(str(m) for m in exc.messages))
                bad = True
        if not bad:
            try:
                found = importer.check_row(ctx, values, number)
            except RowProblem as exc:
                plan.refuse(number, exc.column, exc.message)
                bad = True
            else:
                other = seen.get(found.key)
                if other is not None:
                    plan.refuse(
                        number,
                        importer.key_label,
                        _("The same %(key)s as row %(row)d: a record is given once in a file.")
                        % {"key": importer.key_label, "row": other},
                    )
                    bad = True
                else:
                    seen[found.key] = number
        if bad:
            plan.error_rows += 1
            continue
        if found.existing_id is None:
            plan.created += 1
            if keep and not plan.error_rows:
                plan.creates.append(found.values)
        elif found.values == found.existing_values:
            plan.unchanged += 1
        else:
            plan.updated += 1
            if keep and not plan.error_rows:
                plan.updates.append((found.existing_id, found.values, found.existing_values))
    if plan.error_rows:
        plan.creates, plan.updates = [], []
    if progress:
        progress(plan.rows_checked)
    return plan


def batches(items: list, size: int) -> Iterator[list]:
    pending = iter(items)
    while chunk := list(itertools.islice(pending, size)):
        yield chunk


def counties_changed(village_codes) -> None:
    """An import wrote rows of these villages: each of their counties' data version moves and its figures are asked
    for again when the transaction commits (once per county)."""
    for county in sorted({code[:6].ljust(12, "0") for code in village_codes}):
        data_changed(county)
