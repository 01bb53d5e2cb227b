"""The template of an import: the header row, an example row, drop-down validation on every enumerated column, and
an instructions sheet (each column, required or not, its allowed values)."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from ..excel import safe_cell

_ROWS = 100_000  # how far down the drop-downs reach


def template_bytes(importer) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = str(importer.label)[:31]
    ws.append([c.header for c in importer.columns])
    ws.append([safe_cell(v) for v in importer.example()])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    lists = wb.create_sheet(_("Allowed values")[:31])
    for i, column in enumerate(importer.columns, start=1):
        letter = get_column_letter(i)
        ws.column_dimensions[letter].width = max(12, len(column.header) * 2 + 4)
        # Numbers and codes stay text, so a long code keeps its digits and its leading zeros.
        for row in range(2, 3):
            if isinstance(ws.cell(row, i).value, str):
                ws.cell(row, i).number_format = "@"
        if not column.allowed:
            continue
        # The list lives on a sheet of its own: an inline list is limited to 255 characters.
        lists.cell(1, i, column.header)
        for j, label in enumerate(column.allowed, start=2):
            lists.cell(j, i, label)
        source = f"'{lists.title}'!${letter}$2:${letter}${len(column.allowed) + 1}"
        validation = DataValidation(type="list", formula1=source, allow_blank=not column.required)
        validation.error = _("Choose one of the listed values.")
        validation.errorTitle = column.header
        validation.prompt = str(column.help)
        validation.add(f"{letter}2:{letter}{_ROWS}")
        ws.add_data_validation(validation)
    guide = wb.create_sheet(_("Instructions")[:31])
    guide.append([_("Column"), _("Required"), _("What to write"), _("Allowed values")])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for column in importer.columns:
        guide.append([column.header, _("Yes") if column.required else _("No"), str(column.help),
                      "、".join(column.allowed)])  # fmt: skip
    guide.append([])
    for line in (
        _("Fill the first sheet from row 2; the example row may be overwritten. Do not rename the headers."),
        _("Importing the same file again changes nothing; a row whose key is already on the platform updates it."),
        _("Dates may be written 2021-03-15, 2021/3/15, 2021.3.15 or 2021年3月15日; full-width brackets are fine."),
    ):
        guide.append([line])
    for letter, width in zip("ABCD", (20, 8, 70, 60), strict=True):
        guide.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
