"""The dashboard of a county or township: headline figures with their trend, the same figures for each child
division, panels contributed by the domain apps, and the watch list. Everything is read from the tallies'
snapshots, in a fixed number of queries whatever the size of the county.

Apps contribute panels through their AppConfig: ``dashboard_panels = "<app>.dashboard.panels"``, a function
``panels(division, period, request) -> list[dict]`` where each dict has a ``title`` and a ``chart`` (an ECharts
option) and/or a ``table`` (``{"columns": [...], "rows": [[...]]}``), and ``metrics``: the snapshot metrics it reads
(with ``metrics_period`` when that is not the page's period, e.g. a campaign), which its .xlsx download describes
on a provenance sheet (``provenance_sheet``); an empty list says the panel reads live records.
"""

import functools
import hashlib
from pathlib import Path
from urllib.parse import urlencode

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import Level, Role
from .hooks import app_hooks
from .metrics import Period, campaigns, registry
from .models import Division, Snapshot
from .scopes import division_chain_key, get_division_or_404, is_unrestricted, scopes_cache_key, user_scopes
from .stats import (
    cached_under,
    county_code_of,
    data_versions,
    snapshot_stamps,
    snapshot_version,
    version_keys,
    versions_of,
)
from .watch import watch_list

DASHBOARD_TTL = 24 * 3600

# The headline figures, in order; a metric no app provides is left out.
HEADLINES = [
    "reviews.team_good_or_fair",
    "petitions.dispute_resolution",
    "petitions.on_time_completion",
    "petitions.satisfaction",
    "petitions.received",
    "grids.requests_on_time",
    "grids.visit_coverage",
    "villages.collective_income",
    "villages.cadres_in_office",
    "villages.one_shoulder",
]
# Counts that are fairer per village (or per 100 households) when divisions differ in size.
PER_VILLAGE = {"villages.collective_income", "villages.cadres_in_office", "petitions.received"}
# Counts that depend on how many people live there: also shown per 1,000 registered households.
PER_THOUSAND_HOUSEHOLDS = {"petitions.received"}
# Sums of money, in yuan: shown whole (an average of yuan has no meaningful fen), with separators.
YUAN = {"villages.collective_income"}


def number(value, *, yuan: bool = False) -> str:
    """A figure as a table shows it: yuan and whole counts with thousands separators and no decimals, other
    averages and ratios with one decimal; None as "—"."""
    if value is None:
        return "—"
    if yuan or isinstance(value, int):
        return f"{round(value):,}"
    return f"{value:,.1f}"


def _display(spec, value) -> str:
    if value is None:
        return "—"
    if spec.kind == "rate":
        return f"{value * 100:.1f}%"
    return f"{value:,}"


def _value(spec, numerator, denominator):
    if spec.kind == "rate":
        return round(numerator / denominator, 4) if denominator else None
    return numerator


def dashboard_key(*, division: Division, period: str) -> str | None:
    """The cache key of a county's or township's dashboard: the snapshot versions of the period and of the one
    before (the trend reads both) and the language, so a new tally of either period changes it. None where
    there is no one version (above a county, or nothing tallied yet)."""
    if division.level not in (Level.COUNTY, Level.TOWNSHIP):
        return None
    parsed = Period.parse(period)
    county = county_code_of(division.code)
    now = snapshot_version(county, parsed.key)
    if now is None:
        return None
    before = snapshot_version(county, parsed.previous.key)
    return f"dashboard:{division.code}:{parsed.key}:{now}:{before}:{translation.get_language()}"


def dashboard(*, division: Division, period: str, key: str | None = None) -> dict:
    """The dashboard's figures and watch list, cached under ``dashboard_key``, so a page view after the first
    reads no snapshot row."""
    parsed = Period.parse(period)
    key = key or dashboard_key(division=division, period=parsed.key)
    if key is None:
        data = _dashboard(division, parsed)
    else:
        data = cache.get(key)
        if data is None:
            data = _dashboard(division, parsed)
            cache.set(key, data, DASHBOARD_TTL)
    # The watch list follows the county's thresholds as well as the snapshots: read with them, not kept with the
    # figures (the page that shows both is cached under the county's data versions, which a new threshold moves).
    return {**data, "watch": watch_list(division=division, period=parsed.key)}


def _dashboard(division: Division, parsed: Period) -> dict:
    specs = registry()
    keys = [k for k in HEADLINES if k in specs]
    wanted = [*keys, "villages.village_count", "villages.households"]
    levels = [division.level] + ([division.child_level] if division.child_level else [])
    rows = (
        Snapshot.objects.filter(
            division_code__startswith=division.prefix,
            metric__in=wanted,
            period__in=[parsed.key, parsed.previous.key],
            division__level__in=levels,
        )
        .select_related("division")
        .order_by("division_code")
    )
    now: dict[tuple[str, str], Snapshot] = {}
    before: dict[tuple[str, str], Snapshot] = {}
    names: dict[str, Division] = {}
    for s in rows:
        (now if s.period == parsed.key else before)[(s.division_code, s.metric)] = s
        names[s.division_code] = s.division

    def figure(code, key):
        spec = specs[key]
        current, previous = now.get((code, key)), before.get((code, key))
        if current is None:
            return None
        value = _value(spec, current.numerator, current.denominator)
        last = _value(spec, previous.numerator, previous.denominator) if previous else None
        villages = now.get((code, "villages.village_count"))
        per_village = (
            round(current.numerator / villages.numerator, 1)
            if key in PER_VILLAGE and villages and villages.numerator
            else None
        )
        households = now.get((code, "villages.households"))
        per_households = (
            round(current.numerator * 1000 / households.numerator, 2)
            if key in PER_THOUSAND_HOUSEHOLDS and households and households.numerator
            else None
        )
        return {
            "key": key,
            "label": str(spec.label),
            "definition": str(spec.definition),
            "kind": spec.kind,
            "unit": _("yuan") if key in YUAN else "",
            "numerator": current.numerator,
            "denominator": current.denominator,
            "value": value,
            "previous": last,
            "trend": None if value is None or last is None else (value > last) - (value < last),
            "per_village": per_village,
            "per_1000_households": per_households,
            "per_village_display": number(per_village, yuan=key in YUAN) if per_village is not None else "",
            "per_1000_display": number(per_households) if per_households is not None else "",
            "display": _display(spec, value),
            "detail": f"{current.numerator:,}/{current.denominator:,}" if spec.kind == "rate" else "",
            "previous_display": _display(spec, last) if previous else "",
            "sort": value if value is not None else -1,
        }

    headline = [f for f in (figure(division.code, k) for k in keys) if f is not None]
    children = sorted(
        (d for code, d in names.items() if code != division.code and d.parent_id == division.pk), key=lambda d: d.code
    )
    table = [
        {
            "division": child,
            "villages": getattr(now.get((child.code, "villages.village_count")), "numerator", None),
            "households": getattr(now.get((child.code, "villages.households")), "numerator", None),
            "figures": [figure(child.code, f["key"]) for f in headline],
        }
        for child in children
    ]
    return {
        "period": parsed,
        "headline": headline,
        "children": table,
        "tallied": bool(now),
        "computed_at": computed_at(division, parsed.key),
        "villages": getattr(now.get((division.code, "villages.village_count")), "numerator", None),
    }


def computed_at(division: Division, period: str):
    """When the figures a county's (or a township's, a village's) page shows for the period were computed: the
    finish of the county's latest tally of it (统计于 …), None if never; above a county, None. One cache read."""
    if division.level not in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE):
        return None
    pair = (county_code_of(division.code), period)
    stamp = snapshot_stamps([pair])[pair]
    return stamp[1] if stamp else None


def missing_steps(division: Division) -> list[dict]:
    """What the division's county still lacks (the checklist's steps with nothing loaded), each with the import or
    form that fills it: what an empty dashboard or portrait says instead of empty figures."""
    from .onboarding.selectors import checklist  # the onboarding pages read the dashboard's helpers

    county = Division.objects.filter(code=county_code_of(division.code), level=Level.COUNTY).first()
    return [row for row in checklist(county=county) if not row["done"]] if county else []


def viewer_key(user, code: str) -> str:
    """What decides which panels and rows a user sees on a division's pages: the user's scopes (their roles and
    where), and the user themself for a grid worker (who sees the grids assigned to them)."""
    if is_unrestricted(user):
        return "all"
    scopes = user_scopes(user)
    own = f"u{user.pk}:" if any(s.role == Role.GRID_WORKER for s in scopes) else ""
    # "+u": the scope manages users (the page links to the users and the checklist).
    return own + ",".join(
        sorted(
            f"{s.role}{'+u' if s.manages_users else ''}@{s.code}"
            for s in scopes
            if s.covers(code) or code.startswith(s.prefix)
        )
    )


@functools.cache
def release() -> str:
    """A digest of the code and templates that draw the cached pages, so a new release never serves a fragment
    an older one rendered (computed once per process, from a few hundred small files)."""
    digest = hashlib.blake2b(digest_size=6)
    base = Path(settings.BASE_DIR)
    for pattern in ("templates/**/*.html", "villages/**/*.py", "reviews/**/*.py", "grids/**/*.py", "petitions/**/*.py"):
        for path in sorted(base.glob(pattern)):
            digest.update(path.read_bytes())
    return digest.hexdigest()


def panels_key(*, division: Division, period: str, request) -> str:
    """The cache key of a dashboard's figures and panels: the division, period and chosen campaign, the county's
    data versions (moved by every committed write and every tally of the county), the viewer and the language."""
    campaign = selected_campaign(division=division, request=request)
    viewer = hashlib.blake2b(viewer_key(request.user, division.code).encode(), digest_size=8).hexdigest()
    versions = request_versions(request, division)
    language = translation.get_language()
    today = timezone.localdate().isoformat()  # the page's period choices end with the current month
    campaign_key = campaign.key if campaign else ""
    return f"panels:{release()}:{division.code}:{period}:{campaign_key}:{versions}:{viewer}:{language}:{today}"


def request_versions(request, division: Division | str) -> str:
    """The data versions of the division's county (``data_versions``; a division or its code), read once per
    request."""
    county = county_code_of(division if isinstance(division, str) else division.code)
    cached = getattr(request, "_sz_versions", None)
    if cached is None or cached[0] != county:
        cached = request._sz_versions = (county, data_versions(county))
    return cached[1]


def division_for_page(request, code: str) -> Division:
    """The division of a division page (404 if unknown or out of the user's scope), with what the page reads
    first in one cache round trip: the county's data versions, the viewer's scopes, the division's chain of
    ancestors and the county's review campaigns (``selected_campaign``)."""
    county = county_code_of(code)
    keys = version_keys(county)
    wanted = [*keys, division_chain_key(code), _campaigns_key(county)]
    if scopes_key := scopes_cache_key(request.user):
        wanted.append(scopes_key)
    found = cache.get_many(wanted)
    versions = versions_of(found, keys)
    request._sz_versions = (county, versions)
    request._sz_found = found
    user_scopes(request.user, found=found)
    return get_division_or_404(request.user, code, versions=versions, found=found)


def app_panels(*, division: Division, period: str, request, key: str | None = None) -> list[dict]:
    """The apps' panels (``dashboard_panels`` hooks), cached under ``panels_key``."""
    key = key or panels_key(division=division, period=period, request=request)
    panels = cache.get(key) if key else None
    if panels is None:
        panels = []
        for _config, _path, panels_of in app_hooks("dashboard_panels"):
            panels.extend(panels_of(division, Period.parse(period), request))
        panels = [_with_defaults(p) for p in panels]
        for panel in panels:
            if panel["map"] and panel.get("id"):
                # A map's features (every village's outline) are fetched by the page, not written into it.
                query = {"period": period, "format": "json", "panel": panel["id"]}
                panel["map"]["data_url"] = "?" + urlencode(query)
        if key:
            cache.set(key, panels, DASHBOARD_TTL)
    return panels


def _with_defaults(panel: dict) -> dict:
    # A template looking up panel.items on a dict without that key would get dict.items: give every key.
    return {"items": [], "table": None, "chart": None, "map": None, "url": "", **panel}


def table_rows(data: dict) -> tuple[list[str], list[list]]:
    """The children table as columns and rows, for the .xlsx download (same figures as the page)."""
    columns = ["区划代码", "名称", "村(社区)数", "户数"]
    for f in data["headline"]:
        columns += (
            [f"{f['label']}", f"{f['label']} 分子", f"{f['label']} 分母"] if f["kind"] == "rate" else [f["label"]]
        )
        columns += [f"{f['label']} 村均"] if f["key"] in PER_VILLAGE else []
        columns += [f"{f['label']} 每千户"] if f["key"] in PER_THOUSAND_HOUSEHOLDS else []
    rows = []
    for row in data["children"]:
        line = [row["division"].code, row["division"].name, row["villages"], row["households"]]
        for f, head in zip(row["figures"], data["headline"], strict=True):
            if head["kind"] == "rate":
                line += [f["value"], f["numerator"], f["denominator"]] if f else [None, None, None]
            else:
                line += [f["numerator"] if f else None]
            line += [f["per_village"] if f else None] if head["key"] in PER_VILLAGE else []
            line += [f["per_1000_households"] if f else None] if head["key"] in PER_THOUSAND_HOUSEHOLDS else []
        rows.append(line)
    return columns, rows


def app_portrait(*, village: Division, request) -> list[dict]:
    """Sections of a village's portrait contributed by the apps (``portrait_sections`` on the AppConfig): each a
    dict with a ``title`` and any of ``chart``, ``table``, ``items`` (label, value, url) and ``url``."""
    sections = []
    for _config, _path, sections_of in app_hooks("portrait_sections"):
        sections.extend(sections_of(village, request))
    return [_with_defaults(s) for s in sections]


def figures_over_time(*, division: Division, years: int = 3) -> dict:
    """The headline figures of one division for the last few years, from the snapshots (one query)."""
    specs = registry()
    keys = [k for k in HEADLINES if k in specs]
    this_year = Period.current_year().start.year
    periods = [str(this_year - i) for i in range(years - 1, -1, -1)]
    rows = Snapshot.objects.filter(division=division, metric__in=keys, period__in=periods)
    found = {(s.metric, s.period): s for s in rows}
    table = []
    for key in keys:
        spec = specs[key]
        cells = []
        for period in periods:
            s = found.get((key, period))
            value = _value(spec, s.numerator, s.denominator) if s else None
            cells.append(
                {"display": _display(spec, value) if s else "—",
                 "detail": f"{s.numerator}/{s.denominator}" if s and spec.kind == "rate" else ""}
            )  # fmt: skip
        if any(c["display"] != "—" for c in cells):
            table.append({"label": str(spec.label), "definition": str(spec.definition), "cells": cells})
    return {"periods": periods, "rows": table, "computed_at": computed_at(division, periods[-1])}


# ----------------------------------------------------------------------------- helpers for the apps' panels

# Division names on a chart's category axis: every one shown, slanted, and a long name cut short (the table beside
# the chart has it whole), so one long Chinese name cannot squeeze the plot.
LONG_NAME_LABELS = {"rotate": 40, "interval": 0, "width": 90, "overflow": "truncate"}


def read_snapshots(*, division: Division, metrics, periods, children: bool = True):
    """Snapshot rows of some metrics and periods for a division (and its children): one query.

    Returns ``({(code, metric, period): Snapshot}, [child divisions in code order])``.
    """
    levels = [division.level] + ([division.child_level] if children and division.child_level else [])
    rows = (
        Snapshot.objects.filter(
            division_code__startswith=division.prefix,
            metric__in=list(metrics),
            period__in=list(periods),
            division__level__in=levels,
        )
        .select_related("division")
        .order_by("division_code")
    )
    found, kids = {}, {}
    for s in rows:
        found[(s.division_code, s.metric, s.period)] = s
        if s.division_id != division.pk and s.division.parent_id == division.pk:
            kids[s.division_code] = s.division
    return found, [kids[code] for code in sorted(kids)]


def rate_of(snapshot) -> float | None:
    """numerator ÷ denominator rounded to 4 places, None when there is no snapshot or the denominator is 0."""
    if snapshot is None or not snapshot.denominator:
        return None
    return round(snapshot.numerator / snapshot.denominator, 4)


def percent(value) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def per(count, base, scale=1) -> float | None:
    """A count per village (scale 1) or per 1,000 households (scale 1000), for fair comparison across sizes."""
    if count is None or not base:
        return None
    return round(count * scale / base, 2)


def selected_campaign(*, division: Division, request) -> Period | None:
    """The review campaign chosen with ``?campaign=C<id>`` (one of the division's county), else the county's
    latest. Kept on the request, so the page and every panel agree and it costs one query."""
    cached = getattr(request, "_sz_campaign", None)
    if cached is not None:
        return cached[1]
    # The county's campaigns change only with its data: cached with its data versions.
    county = county_code_of(division.code)
    options = cached_under(
        _campaigns_key(county),
        request_versions(request, division),
        lambda: campaigns(county_code=county),
        timeout=DASHBOARD_TTL,
        found=getattr(request, "_sz_found", None),
    )
    wanted = request.GET.get("campaign", "")
    chosen = next((c for c in options if c.key == wanted), options[0] if options else None)
    period = Period.of_campaign(chosen) if chosen else None
    request._sz_campaign = (options, period)
    return period


def _campaigns_key(county: str) -> str:
    return f"campaigns:{connection.settings_dict['NAME']}:{county}"


def campaign_options(request) -> list:
    cached = getattr(request, "_sz_campaign", None)
    return cached[0] if cached else []


def recent_months(period: Period, n: int = 12) -> list[str]:
    """The n months up to the end of the period (or up to this month, for a campaign), oldest first."""
    last = period.last_day if period.kind != "campaign" else Period.current_year().last_day
    year, month = last.year, last.month
    months = []
    for _i in range(n):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


# ----------------------------------------------------------------------------- provenance of the downloads


def provenance_sheet(*, division: Division, period: str, metrics, note: str = "") -> tuple[str, list[str], list]:
    """The provenance sheet of a dashboard download (a panel's table or the whole dashboard): when the figures
    were computed (统计于, the county tally's finish) and under which rule version, then each metric the download
    reads with its definition and the division's own numerator and denominator for the period. Two queries."""
    from .snapshots import latest_run  # the tallies import the dashboard's helpers
    from .stats import iso

    specs = registry()
    keys = [k for k in dict.fromkeys(metrics) if k in specs]
    tallied = division.level in (Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE)
    run = latest_run(county_code_of(division.code), period) if tallied else None
    found = {
        s.metric: s for s in Snapshot.objects.filter(division=division, period=period, metric__in=keys)
    }  # fmt: skip
    rows: list[list] = [
        [_("Division"), f"{division.name} ({division.code})"],
        [_("Period"), period],
        [_("Computed at"), iso(run.finished_at) if run else _("not tallied yet")],
        [_("Rule version"), run.rule_version if run else "—"],
        [_("Downloaded at"), iso(timezone.now())],
    ]
    if note:
        rows.append([_("Note"), note])
    rows.append([])
    rows.append(
        [_("Metric"), _("Name"), _("Definition"), _("Kind"), _("Numerator"), _("Denominator"), _("Value")]
    )  # fmt: skip
    for key in keys:
        spec, s = specs[key], found.get(key)
        kind = _("rate (numerator ÷ denominator)") if spec.kind == "rate" else _("count (numerator)")
        value = _value(spec, s.numerator, s.denominator) if s else None
        rows.append(
            [key, str(spec.label), str(spec.definition), kind, s.numerator if s else None,
             s.denominator if s else None, value]
        )  # fmt: skip
    return _("Provenance"), [_("Item"), _("Value")], rows
