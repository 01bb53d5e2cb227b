"""Workbooks written by hand (zip and XML), for the sheet bounds: what a spreadsheet program would never write."""

import io
import zipfile

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="xl/workbook.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<workbook xmlns="{MAIN}" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="台账" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Target="worksheets/sheet1.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>'
    '<Relationship Id="rId2" Target="styles.xml" '
    'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    f'<styleSheet xmlns="{MAIN}">'
    '<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs><cellXfs count="1"><xf xfId="0"/></cellXfs>'
    "</styleSheet>"
)


def workbook(sheet_data: str, dimension: str | None = "A1", *, head: str = "") -> bytes:
    """One sheet holding ``sheet_data`` (the <row> elements), with ``<dimension ref=…>`` unless None."""
    declared = f'<dimension ref="{dimension}"/>' if dimension else ""
    sheet = (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>{head}<worksheet xmlns="{MAIN}">'
        f"{declared}<sheetData>{sheet_data}</sheetData></worksheet>"
    )
    data = io.BytesIO()
    # Stored, not deflated, as some generators write: the size is what it is (a few KB).
    with zipfile.ZipFile(data, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/styles.xml", _STYLES)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return data.getvalue()


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def far_cell_workbook(headers=("网格编码", "地址", "户主姓名", "家庭人口"), dimension="A1:XFD1048576") -> bytes:
    """Issue #20, finding 2: a header row at A1 and one cell at XFD1048576. A reader that lays the sheet out as
    a grid asks for 1,048,576 × 16,384 cells (about 550 GB) and the process aborts."""
    header = "".join(text_cell(f"{chr(65 + i)}1", h) for i, h in enumerate(headers))
    return workbook(f'<row r="1">{header}</row><row r="1048576"><c r="XFD1048576"><v>1</v></c></row>', dimension)


def rows_workbook(rows: int, columns: int = 3, *, references: bool = True, dimension: str | None = None) -> bytes:
    """``rows`` rows of ``columns`` numbers, with or without cell references."""
    letters = [chr(65 + i) for i in range(columns)]
    out = []
    for r in range(1, rows + 1):
        if references:
            cells = "".join(f'<c r="{c}{r}"><v>{r}</v></c>' for c in letters)
            out.append(f'<row r="{r}">{cells}</row>')
        else:
            out.append("<row>" + f"<c><v>{r}</v></c>" * columns + "</row>")
    return workbook("".join(out), dimension)
