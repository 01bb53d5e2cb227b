"""Statistics for systems: several metrics × divisions × periods as one tidy table (JSON paged by cursor, CSV and
.xlsx streamed), and the snapshot's change feed for incremental syncs."""

import base64
import binascii
import csv
import dataclasses
import io
import json
import tempfile

from django.db import connection
from django.db.models import Max, Q
from django.http import FileResponse, StreamingHttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from openpyxl import Workbook
from rest_framework.exceptions import ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from villages.choices import Level
from villages.excel import XLSX_CONTENT_TYPE, safe_cell
from villages.metrics import campaigns, registry, resolve_periods
from villages.models import Division, Snapshot, SnapshotChange
from villages.scopes import can_see, is_unrestricted, scope_q, user_scopes
from villages.stats import iso

from .caching import tally_versions
from .renderers import CSVRenderer, XLSXRenderer
from .schema import (
    HEADERS,
    SERIES_COLUMNS,
    ChangesPageSerializer,
    SeriesPageSerializer,
    format_param,
    param,
    stats_responses,
)
from .stats import StatsView, parse_division

# The most (statistic × period) pairs one call may ask for, and divisions listed by code: a call reads at most
# this many figures per division, and a page of the JSON at most PAGE_MAX rows.
MAX_CELLS = 600
MAX_CODES = 1000
PAGE_SIZE, PAGE_MAX = 1000, 5000
LEVELS = ("children", "villages", "all")
COLUMNS = SERIES_COLUMNS


def _values(request, name: str) -> list[str]:
    """A list parameter, repeated (``metric=a&metric=b``) or comma-separated (``metric=a,b``), in order, once each."""
    items = [item.strip() for value in request.query_params.getlist(name) for item in value.split(",")]
    return list(dict.fromkeys(item for item in items if item))


@dataclasses.dataclass
class SeriesQuery:
    metrics: list[str]
    periods: list[str]
    where: Q  # the divisions asked for
    codes: list[str]  # the divisions the versions are read for (the one asked for, or each listed)


def parse_series(request) -> SeriesQuery:
    """Every parameter of a series call, checked field by field; a division outside the user's scopes is
    answered exactly like an unknown one (404 for ``division``, the same field error for ``codes``)."""
    errors: dict[str, list[str]] = {}
    known = registry()
    metrics = _values(request, "metric")
    if not metrics:
        errors["metric"] = [_("Give at least one statistic: metric=<key>[,<key>…] (the keys are at /api/v1/stats/).")]
    elif unknown := [m for m in metrics if m not in known]:
        errors["metric"] = [_("There is no statistic called %(key)s.") % {"key": key} for key in unknown]

    periods: list[str] = []
    try:
        resolved = resolve_periods(",".join(request.query_params.getlist("period")) or "THIS_YEAR")
    except ValueError as exc:
        errors["period"] = [str(exc)]
    else:
        for period in resolved:
            if period.kind == "campaign" and not _campaign_visible(request.user, period.campaign_id):
                errors["period"] = [_("There is no review campaign %(key)s.") % {"key": period.key}]
                break
            periods.append(period.key)
    if metrics and periods and len(metrics) * len(periods) > MAX_CELLS:
        errors.setdefault("period", []).append(
            _(
                "At most %(max)d statistic × period pairs per call; this asks for %(n)d (%(m)d statistics × %(p)d "
                "periods). Split it into several calls."
            )
            % {"max": MAX_CELLS, "n": len(metrics) * len(periods), "m": len(metrics), "p": len(periods)}
        )

    codes = _values(request, "codes")
    where, asked = None, []
    if codes and request.query_params.get("division"):
        errors["codes"] = [_("Give either division (with level) or codes, not both.")]
    elif codes:
        where, asked = _listed(request.user, codes, errors)
    else:
        level = request.query_params.get("level") or "children"
        if level not in LEVELS:
            errors["level"] = [_("level is one of: %(levels)s.") % {"levels": ", ".join(LEVELS)}]
        if errors:  # the division's 404 comes after the other fields' errors, which it would hide
            raise ValidationError(errors)
        division = parse_division(request)
        where, asked = _below(division, level), [division.code]
    if errors:
        raise ValidationError(errors)
    return SeriesQuery(metrics=metrics, periods=periods, where=where, codes=asked)


def _campaign_visible(user, campaign_id: int) -> bool:
    """A campaign is named only to users who see its county or something in it (else it is "no such campaign")."""
    found = campaigns(ids=[campaign_id])
    if not found:
        return False
    county = found[0].county_code
    if is_unrestricted(user) or can_see(user, county):
        return True
    return any(scope.prefix.startswith(county[:6]) for scope in user_scopes(user))


def _listed(user, codes: list[str], errors: dict) -> tuple[Q | None, list[str]]:
    if len(codes) > MAX_CODES:
        errors["codes"] = [_("At most %(n)d division codes per call.") % {"n": MAX_CODES}]
        return None, []
    malformed = [c for c in codes if not (len(c) == 12 and c.isdigit())]
    if malformed:
        errors["codes"] = [_("A division code is exactly 12 digits: %(code)s.") % {"code": c} for c in malformed]
        return None, []
    visible = [c for c in codes if can_see(user, c)]
    found = set(Division.objects.filter(code__in=visible).values_list("code", flat=True)) if visible else set()
    # Out of scope and unknown are told apart by nobody: the same message for both.
    missing = [c for c in codes if c not in found]
    if missing:
        errors["codes"] = [_("No division has the code %(code)s.") % {"code": c} for c in missing]
        return None, []
    return Q(division_code__in=codes), codes


def _below(division: Division, level: str) -> Q:
    own = Q(division_code=division.code)
    if level == "all":
        return Q(division_code__startswith=division.prefix)
    if level == "villages":
        return own | Q(division_code__startswith=division.prefix, division__level=Level.VILLAGE)
    child = division.child_level
    return own | Q(division_code__startswith=division.prefix, division__level=child) if child else own


def _encode_cursor(row) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(row), ensure_ascii=False).encode()).decode().rstrip("=")


def _decode_cursor(text: str) -> tuple[str, str, str]:
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
        if isinstance(value, list) and len(value) == 3 and all(isinstance(v, str) for v in value):
            return tuple(value)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise ValidationError({"cursor": [_("This cursor is not one this endpoint gave; start again without it.")]})


def _after(code: str, period: str, metric: str) -> Q:
    """Keyset: the rows after (division code, period, metric) in that order."""
    return (
        Q(division_code__gt=code)
        | Q(division_code=code, period__gt=period)
        | Q(division_code=code, period=period, metric__gt=metric)
    )


def _page_size(request) -> int:
    text = request.query_params.get("page_size")
    if not text:
        return PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= PAGE_MAX:
        raise ValidationError({"page_size": [_("page_size is a whole number from 1 to %(max)d.") % {"max": PAGE_MAX}]})
    return int(text)


def changes_cursor() -> int:
    """The change log's last number: a client that pulled the series may follow the change feed from it."""
    return SnapshotChange.objects.aggregate(last=Max("seq"))["last"] or 0


class SeriesView(StatsView):
    """Several statistics for a set of divisions over periods, as one tidy table: a row per division, period and
    statistic that was tallied, with numerator, denominator, rate, when it was computed and under which rules.
    JSON is paged by cursor (``next``); ``format=csv`` and ``format=xlsx`` stream the whole table."""

    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    def finalize_response(self, request, response, *args, **kwargs):
        # An error is told in JSON, field by field, whatever format the table was asked in.
        if isinstance(response, Response) and response.status_code >= 400:
            request.accepted_renderer, request.accepted_media_type = JSONRenderer(), JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[
            param("metric", OpenApiTypes.STR, "villages.one_shoulder,villages.cadres_in_office",
                  "the statistics' keys (GET /api/v1/stats/), a,b,c or repeated", required=True),
            param("division", OpenApiTypes.STR, "411103000000", "12-digit code (or give codes)"),
            param("level", OpenApiTypes.STR, "children", "the divisions under it (default children)",
                  enum=list(LEVELS)),
            param("codes", OpenApiTypes.STR, "411103103201,411103103202",
                  f"12-digit codes, a,b,c (instead of division; at most {MAX_CODES})"),
            param(
                "period",
                OpenApiTypes.STR,
                "LAST_12_MONTHS",
                "periods (2026-01,2026-02), ranges (2026-01..2026-12, 2025-Q3..2026-Q2, 2020..2026) or relative "
                "(THIS_MONTH, LAST_12_MONTHS, THIS_YEAR, LAST_4_QUARTERS, LAST_YEAR …), in Asia/Shanghai; default "
                f"THIS_YEAR; at most {MAX_CELLS} statistics × periods",
            ),
            param("cursor", OpenApiTypes.STR, "WyI0MTExMDMwMDAwMDAiLCIyMDI2IiwidmlsbGFnZXMub25lX3Nob3VsZGVyIl0",
                  "the next page (JSON): from `next`"),
            param("page_size", OpenApiTypes.INT, 1000, f"JSON rows per page, 1 to {PAGE_MAX}"),
            format_param(),
            *HEADERS,
            OpenApiParameter("X-Changes-Cursor", OpenApiTypes.INT, location=OpenApiParameter.HEADER, response=[200],
                             description="CSV and .xlsx: the change feed's position read before the rows"),
        ],
        responses=stats_responses(SeriesPageSerializer, files=True),
    )  # fmt: skip
    def get(self, request):
        query = parse_series(request)
        fmt = request.accepted_renderer.format
        size = _page_size(request) if fmt == "json" else None
        cursor = request.query_params.get("cursor")
        after = _decode_cursor(cursor) if cursor and fmt == "json" else None
        parts, modified = tally_versions(query.codes, query.periods)
        if response := self.not_modified(request, [query.metrics, query.periods, parts], modified):
            return response
        # Read before the rows: changes committed meanwhile are in the feed after it (applied twice, harmlessly).
        since = changes_cursor()
        rows = (
            Snapshot.objects.filter(metric__in=query.metrics, period__in=query.periods)
            .filter(query.where)
            .filter(scope_q(request.user, "division_code"))
            .order_by("division_code", "period", "metric")
            .values_list(
                "division_code",
                "division__name",
                "period",
                "metric",
                "numerator",
                "denominator",
                "run__finished_at",
                "run__rule_version",
            )
        )
        kinds = {key: spec.kind for key, spec in registry().items()}
        if fmt == "csv":
            response = StreamingHttpResponse(_csv_lines(rows, kinds), content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = 'attachment; filename="series.csv"'
        elif fmt == "xlsx":
            response = FileResponse(_xlsx_file(rows, kinds), content_type=XLSX_CONTENT_TYPE)
            response["Content-Disposition"] = 'attachment; filename="series.xlsx"'
        else:
            if after:
                rows = rows.filter(_after(*after))
            page = [_row(r, kinds) for r in rows[: size + 1]]
            more = len(page) > size
            page = page[:size]
            next_url = None
            if more:
                last = page[-1]
                params = request.query_params.copy()
                params["cursor"] = _encode_cursor((last["division"], last["period"], last["metric"]))
                next_url = request.build_absolute_uri(request.path + "?" + params.urlencode())
            return Response({
                "next": next_url, "changes_cursor": since, "periods": query.periods, "columns": COLUMNS,
                "results": page,
            })  # fmt: skip
        response["X-Changes-Cursor"] = str(since)
        return response


def _row(r, kinds) -> dict:
    code, name, period, metric, numerator, denominator, finished, rule = r
    rate = round(numerator / denominator, 4) if denominator and kinds.get(metric) == "rate" else None
    values = (code, name, period, metric, numerator, denominator, rate, iso(finished), rule)
    return dict(zip(COLUMNS, values, strict=True))


def _stream(rows, kinds):
    """The rows one by one, from a server-side cursor on PostgreSQL (``iterator``): memory stays flat."""
    for r in rows.iterator(chunk_size=2000):
        yield _row(r, kinds)


def _csv_lines(rows, kinds):
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")  # so Excel opens UTF-8 Chinese correctly
    writer.writerow(COLUMNS)
    for n, row in enumerate(_stream(rows, kinds), 1):
        writer.writerow([safe_cell(v) for v in row.values()])
        if n % 500 == 0:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def _xlsx_file(rows, kinds):
    """The table as a workbook in openpyxl's write-only mode (rows go to a temporary file as they come), saved to
    a temporary file that the response streams."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="series")
    sheet.append(COLUMNS)
    for row in _stream(rows, kinds):
        sheet.append([safe_cell(v) for v in row.values()])
    file = tempfile.TemporaryFile()  # noqa: SIM115 (the response closes it once sent)
    workbook.save(file)
    file.seek(0)
    return file


class ChangesView(StatsView):
    """The snapshot rows written since a cursor (``since``), in the order the tallies committed them, each as it
    stands now, or ``removed`` if it is gone; ``next`` is the cursor to ask from next time and ``has_more`` says
    whether there is more now. Optional ``division=<code>`` (at or under it) and ``metric=a,b``."""

    @extend_schema(
        parameters=[
            param("since", OpenApiTypes.INT, 0, "the last answer's next (0: from the start)"),
            param("division", OpenApiTypes.STR, "411103000000", "only rows at or under this division"),
            param("metric", OpenApiTypes.STR, "villages.one_shoulder", "only these statistics, a,b,c"),
            param("limit", OpenApiTypes.INT, 1000, f"entries per answer, 1 to {PAGE_MAX}"),
            *HEADERS,
        ],
        responses=stats_responses(ChangesPageSerializer),
    )
    def get(self, request):
        errors = {}
        since_text = request.query_params.get("since") or "0"
        if not since_text.isdigit() or len(since_text) > 18:
            errors["since"] = [_("since is a cursor this feed gave (a whole number; 0 for the start).")]
        limit_text = request.query_params.get("limit") or str(PAGE_SIZE)
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= PAGE_MAX:
            errors["limit"] = [_("limit is a whole number from 1 to %(max)d.") % {"max": PAGE_MAX}]
        metrics = _values(request, "metric")
        known = registry()
        if unknown := [m for m in metrics if m not in known]:
            errors["metric"] = [_("There is no statistic called %(key)s.") % {"key": key} for key in unknown]
        if errors:
            raise ValidationError(errors)
        prefix = parse_division(request).prefix if request.query_params.get("division") else ""
        since, limit = int(since_text), int(limit_text)
        end = changes_cursor()  # before the entries: every entry up to it is in them (or filtered out)
        # The answer after ``since`` moves only when the log grows: a client that is current gets 304.
        if response := self.not_modified(request, [end]):
            return response
        entries = changes_after(request.user, since=since, limit=limit + 1, prefix=prefix, metrics=metrics)
        more = len(entries) > limit
        entries = entries[:limit]
        last = entries[-1]["seq"] if entries else since
        if not more:
            # Current: the cursor moves to the log's end, past entries the filters left out.
            last = max(last, end)
        return Response({"since": since, "next": last, "has_more": more, "results": _latest(entries)})


def _latest(entries: list[dict]) -> list[dict]:
    """Each key once, at its last place in the page (its figure is the one standing now anyway)."""
    last = {}
    for entry in entries:
        last.pop((entry["division"], entry["period"], entry["metric"]), None)
        last[(entry["division"], entry["period"], entry["metric"])] = entry
    return sorted(last.values(), key=lambda e: e["seq"])


def changes_after(user, *, since: int, limit: int, prefix: str = "", metrics=()) -> list[dict]:
    """The change log after ``since`` within the user's scopes, joined to the snapshot as it stands: one statement
    (the log's key, then the snapshot's unique (division, period, metric) through the division's code)."""
    quote = connection.ops.quote_name
    log, snap = quote(SnapshotChange._meta.db_table), quote(Snapshot._meta.db_table)
    division, run = quote(Division._meta.db_table), quote(Snapshot.run.field.related_model._meta.db_table)
    where, params = ["c.seq > %s"], [since]
    if not is_unrestricted(user):
        prefixes = sorted({scope.prefix for scope in user_scopes(user)})
        if not prefixes:
            return []
        where.append("(" + " OR ".join(["c.division_code LIKE %s"] * len(prefixes)) + ")")
        params += [p + "%" for p in prefixes]  # prefixes are digits: nothing to escape
    if prefix:
        where.append("c.division_code LIKE %s")
        params.append(prefix + "%")
    if metrics:
        where.append("c.metric IN (" + ", ".join(["%s"] * len(metrics)) + ")")
        params += list(metrics)
    sql = f"""
        SELECT c.seq, c.division_code, d.name, c.period, c.metric, s.id, s.numerator, s.denominator,
               r.finished_at, r.rule_version
        FROM {log} c
        LEFT JOIN {division} d ON d.code = c.division_code
        LEFT JOIN {snap} s ON s.division_id = d.id AND s.period = c.period AND s.metric = c.metric
        LEFT JOIN {run} r ON r.id = s.run_id
        WHERE {" AND ".join(where)}
        ORDER BY c.seq
        LIMIT %s
    """  # noqa: S608 (names quoted by the backend; values are parameters)
    kinds = {key: spec.kind for key, spec in registry().items()}
    converter = connection.ops.convert_datetimefield_value if connection.vendor == "sqlite" else None
    field = Snapshot.run.field.related_model._meta.get_field("finished_at")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, limit])
        found = cursor.fetchall()
    result = []
    for seq, code, name, period, metric, pk, numerator, denominator, finished, rule in found:
        if converter and finished is not None:
            finished = converter(finished, field, connection)
        entry = {"seq": seq, "division": code, "division_name": name, "period": period, "metric": metric}
        if pk is None:
            entry.update(removed=True, numerator=None, denominator=None, rate=None, computed_at=None,
                         rule_version=None)  # fmt: skip
        else:
            rate = round(numerator / denominator, 4) if denominator and kinds.get(metric) == "rate" else None
            entry.update(removed=False, numerator=numerator, denominator=denominator, rate=rate,
                         computed_at=iso(finished), rule_version=rule)  # fmt: skip
        result.append(entry)
    return result
