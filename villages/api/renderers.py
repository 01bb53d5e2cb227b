"""``format=csv`` and ``format=xlsx`` for statistics: the same table as the JSON, as a file."""

import csv
import io

from rest_framework import renderers

from villages.excel import safe_cell, xlsx_bytes


def _table(data):
    """Views put a flat table under "table": {"columns": [...], "rows": [[...], ...]}."""
    if isinstance(data, dict) and "table" in data:
        return data["table"]["columns"], data["table"]["rows"]
    # Errors never come here: they answer JSON (villages.api.errors.exception_handler).
    return ["value"], [[str(data)]]


class CSVRenderer(renderers.BaseRenderer):
    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        columns, rows = _table(data)
        out = io.StringIO()
        out.write("\ufeff")  # so Excel opens UTF-8 Chinese correctly
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([safe_cell(v) for v in row])
        return out.getvalue().encode("utf-8")


class XLSXRenderer(renderers.BaseRenderer):
    media_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    format = "xlsx"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        columns, rows = _table(data)
        return xlsx_bytes([("statistics", columns, rows)])
