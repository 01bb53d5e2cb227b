"""The statistics API: every metric for a division and its children, from the snapshots."""

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from villages import stars
from villages.choices import StarStatus
from villages.metrics import RULE_VERSION, Period, campaigns, registry, resolve_periods
from villages.models import Division
from villages.scopes import get_division_or_404
from villages.stats import county_code_of, data_versions, figure_table
from villages.watch import watch_list

from .caching import ConditionalMixin, StatsThrottle, live_versions, tally_versions
from .renderers import CSVRenderer, XLSXRenderer
from .schema import (
    HEADERS,
    MetricTableSerializer,
    PolymorphicStars,
    StatisticSerializer,
    WatchListSerializer,
    format_param,
    param,
    stats_responses,
)


def parse_division(request, param: str = "division") -> Division:
    """The `division=<code>` parameter: required, and within the user's scope (else 404)."""
    code = request.query_params.get(param, "")
    if not code:
        raise ValidationError({param: [_("Give the division's 12-digit code.")]})
    if not (len(code) == 12 and code.isdigit()):
        raise ValidationError({param: [_("A division code is exactly 12 digits.")]})
    # Cached under the county's data versions (a division saved moves them); 404 out of scope or unknown.
    return get_division_or_404(request.user, code, versions=data_versions(county_code_of(code)))


def parse_period(request, division: Division | None = None) -> str:
    """`period=<YYYY|YYYY-Qn|YYYY-MM>` (default this year), a range or relative period that names one period
    (``THIS_MONTH``, ``LAST_YEAR``: ``villages.metrics.resolve_periods``, shared with the series), or
    `campaign=<id>` for a review campaign of the division's county (the period "C<id>")."""
    campaign = request.query_params.get("campaign")
    if campaign:
        key = campaign if campaign.startswith("C") else f"C{campaign}"
        found = campaigns(ids=[int(key[1:])]) if key[1:].isdigit() else []
        if not found or (division is not None and found[0].county_code != county_code_of(division.code)):
            raise ValidationError({"campaign": [_("There is no such review campaign in the division's county.")]})
        return key
    value = request.query_params.get("period") or Period.current_year().key
    try:
        periods = resolve_periods(value)
    except ValueError as exc:
        raise ValidationError({"period": [str(exc)]}) from None
    if len(periods) != 1:
        raise ValidationError({
            "period": [
                _("Here one period is read; %(value)s names %(n)d. The series (/api/v1/stats/series/) reads several.")
                % {"value": value, "n": len(periods)}
            ]
        })  # fmt: skip
    period = periods[0]
    if period.kind == "campaign" and (
        division is None or campaigns(ids=[period.campaign_id])[0].county_code != county_code_of(division.code)
    ):
        raise ValidationError({"period": [_("There is no such review campaign in the division's county.")]})
    return period.key


DIVISION = param("division", OpenApiTypes.STR, "411103000000", "12-digit division code", required=True)


class StatsView(ConditionalMixin, APIView):
    """A statistics endpoint: throttled per token, answered with validators (ETag, Last-Modified) and 304 to a
    client whose copy is current."""

    throttle_classes = [StatsThrottle]
    replica_reads = True  # answered from the streaming replica when one is set (villages/replica.py)


class StatsIndexView(StatsView):
    """The statistics on offer, each with its definition and where to read it."""

    @extend_schema(
        parameters=HEADERS,
        responses=stats_responses(StatisticSerializer(many=True), bad_request=False, not_found=False),
    )
    def get(self, request):
        # What is on offer changes only with a deployment (the registry, the rules).
        if response := self.not_modified(request, [RULE_VERSION, sorted(registry())]):
            return response
        items = [
            {
                "key": spec.key,
                "label": str(spec.label),
                "definition": str(spec.definition),
                "kind": spec.kind,
                "periods": sorted(spec.periods),
                "url": request.build_absolute_uri(reverse("stats-metric", args=[spec.key])),
            }
            for spec in registry().values()
        ]
        for config in apps.get_app_configs():
            for url_name, label, definition in getattr(config, "statistics", ()):
                try:
                    url = request.build_absolute_uri(reverse(url_name))
                except NoReverseMatch:
                    continue
                items.append({"key": url_name, "label": str(label), "definition": str(definition),
                              "kind": "table", "periods": [], "url": url})  # fmt: skip
        return Response(items)


class MetricStatsView(StatsView):
    """One metric for `division=<code>` and each of its children, for `period=<YYYY|YYYY-MM>` (default: this
    year), as numerator, denominator and rate. `format=csv` or `format=xlsx` returns the same table."""

    renderer_classes = [JSONRenderer, CSVRenderer, XLSXRenderer]

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "key",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                enum=sorted(registry()),
                description="the statistic's key (GET /api/v1/stats/)",
            ),
            DIVISION,
            param(
                "period",
                OpenApiTypes.STR,
                "2026",
                "YYYY, YYYY-Qn or YYYY-MM (default this year), C<id> for a campaign, or a relative period naming one "
                "(THIS_MONTH, LAST_YEAR …)",
            ),
            param("campaign", OpenApiTypes.INT, 1, "a review campaign's id, for the statistics that have one"),
            format_param(),
            *HEADERS,
        ],
        responses=stats_responses(MetricTableSerializer, files=True),
    )
    def get(self, request, key):
        if key not in registry():
            raise NotFound(_("There is no statistic called %(key)s.") % {"key": key})
        division = parse_division(request)
        period = parse_period(request, division)
        if period.startswith("C") and "campaign" not in registry()[key].periods:
            raise ValidationError({"campaign": [_("This statistic is not tallied per review campaign.")]})
        parts, modified = tally_versions([division.code], [period])
        if response := self.not_modified(request, [key, period, parts], modified):
            return response
        data = figure_table(metric_key=key, division=division, period=period)
        if division.code[4:6] != "00":
            # The run that last changed the figures, not the latest run (one that changed nothing leaves the
            # answer, and its ETag, as they were).
            data = {**data, "snapshot": parts[0][1][0] or None}
        if request.accepted_renderer.format in ("csv", "xlsx"):
            data = {"table": _flat(data)}
        return Response(data)


def _flat(data):
    columns = ["code", "name", "level", "numerator", "denominator", "rate", "computed_at", "rule_version"]
    figures = ([data["division"]] if data["division"] else []) + data["children"]
    return {"columns": columns, "rows": [[f[c] for c in columns] for f in figures]}


class StarsStatsView(StatsView):
    """Five-star branches for `division=<code>` and each child in `year=<YYYY>`: villages at each star level and
    per star type, awarded and proposed. With `village=<code>`: that village's stars, each awarded or proposed,
    with the reasons."""

    @extend_schema(
        parameters=[
            param("division", OpenApiTypes.STR, "411103000000", "12-digit division code (or give village)"),
            param("village", OpenApiTypes.STR, "411103103201", "12-digit village code (per-star detail)"),
            param("year", OpenApiTypes.INT, 2026, "default: this year"),
            *HEADERS,
        ],
        responses=stats_responses(PolymorphicStars),
    )
    def get(self, request):
        year_text = request.query_params.get("year") or str(Period.current_year().start.year)
        if not (year_text.isdigit() and len(year_text) == 4):
            raise ValidationError({"year": [_("A year is four digits, e.g. 2026.")]})
        year = int(year_text)
        if request.query_params.get("village"):
            village = parse_division(request, param="village")
            if not village.is_village:
                raise ValidationError({"village": [_("This code is not a village or community.")]})
            if response := self.not_modified(request, [year, live_versions(village.code)]):
                return response
            rows = stars.village_stars(village=village, year=year)
            return Response({
                "village": village.code, "name": village.name, "year": year,
                "stars": [
                    {
                        "code": r["star"].code, "name": r["star"].name,
                        "awarded": bool(r["award"] and r["award"].status == StarStatus.AWARDED),
                        "status": r["award"].status if r["award"] else None,
                        "proposed": r["proposal"].earned if r["proposal"] else None,
                        "reasons": r["proposal"].reasons if r["proposal"] else [],
                        "summary": r["proposal"].summary if r["proposal"] else "",
                        "change": r["change"],
                    }
                    for r in rows
                ],
            })  # fmt: skip
        division = parse_division(request)
        if response := self.not_modified(request, [year, live_versions(division.code)]):
            return response
        return Response({"year": year, **stars.star_counts(division=division, year=year)})


class WatchListView(StatsView):
    """Villages under `division=<code>` that need attention in `period=<YYYY|YYYY-MM>`, with the facts."""

    @extend_schema(
        parameters=[
            DIVISION,
            param("period", OpenApiTypes.STR, "2026", "YYYY, YYYY-Qn or YYYY-MM, or relative; default this year"),
            *HEADERS,
        ],
        responses=stats_responses(WatchListSerializer),
    )
    def get(self, request):
        division = parse_division(request)
        period = parse_period(request)
        if response := self.not_modified(request, [period, live_versions(division.code)]):
            return response
        return Response({"division": division.code, "period": period,
                         "villages": watch_list(division=division, period=period)})  # fmt: skip
