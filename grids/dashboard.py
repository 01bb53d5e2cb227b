"""Grids' panels on a county's or township's dashboard, and their section of a village's portrait.

``villages.dashboard`` finds them through the AppConfig. The service-request panel reads the tallies'
snapshots for the child divisions (one query). The map draws each village as the grids it is divided into
(villages have no outline of their own; the grids have GeoJSON boundaries), coloured by a figure of the
village the reader picks: one query for the boundaries and one for the villages' snapshots.
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from villages.dashboard import LONG_NAME_LABELS, per, percent, rate_of, read_snapshots
from villages.metrics import registry

from .maps import map_data
from .selectors import grids_with_figures

PANEL_METRICS = [
    "grids.requests_on_time",
    "grids.request_satisfaction",
    "grids.requests_overdue",
    "grids.visit_coverage",
    "villages.households",
]
# What the map can be coloured by: (metric, how to read it).
MAP_FIGURES = [
    ("reviews.team_good_or_fair", "rate"),
    ("grids.requests_on_time", "rate"),
    ("grids.visit_coverage", "rate"),
    ("petitions.dispute_resolution", "rate"),
    ("petitions.received", "per_1000_households"),
]


def panels(division, period, request) -> list[dict]:
    if period.kind == "campaign":
        return []
    found, children = read_snapshots(division=division, metrics=PANEL_METRICS, periods=[period.key])
    result = []
    if (division.code, "grids.requests_on_time", period.key) in found:
        result.append(_requests_panel(division, period, found, children))
    result.append(_map_panel(division, period, request))
    return result


def _requests_panel(division, period, found, children) -> dict:
    def get(code, key):
        return found.get((code, key, period.key))

    units = children or [division]
    rows, names, on_time, satisfied = [], [], [], []
    for unit in units:
        s = get(unit.code, "grids.requests_on_time")
        overdue = getattr(get(unit.code, "grids.requests_overdue"), "numerator", None)
        households = getattr(get(unit.code, "villages.households"), "numerator", None)
        names.append(unit.name)
        on_time.append(round(rate_of(s) * 100, 1) if rate_of(s) is not None else None)
        sat = get(unit.code, "grids.request_satisfaction")
        satisfied.append(round(rate_of(sat) * 100, 1) if rate_of(sat) is not None else None)
        rows.append(
            [
                unit.name,
                s.numerator if s else None,
                s.denominator if s else None,
                percent(rate_of(s)),
                overdue,
                per(overdue, households, 1000),
                percent(rate_of(get(unit.code, "grids.visit_coverage"))),
            ]
        )
    return {
        "id": "grids-requests",
        "metrics": PANEL_METRICS,
        "title": _("Service requests on time · %(period)s") % {"period": period.label},
        "chart": {
            "tooltip": {"trigger": "axis"},
            "szUnit": "%",
            "legend": {"top": 0},
            "grid": {"left": 45, "right": 10, "top": 56, "bottom": 80},
            "xAxis": {"type": "category", "data": names, "axisLabel": LONG_NAME_LABELS},
            "yAxis": {
                "type": "value",
                "min": 0,
                "max": 100,
                "name": _("Share of requests (%)"),
                "axisLabel": {"formatter": "{value}%"},
            },
            "series": [
                {"name": _("Closed on time"), "type": "bar", "data": on_time, "itemStyle": {"color": "#1565c0"}},
                {
                    "name": _("Requesters satisfied"),
                    "type": "bar",
                    "data": satisfied,
                    "itemStyle": {"color": "#66bb6a"},
                },
            ],
        },
        "table": {
            "columns": [
                _("Name"),
                _("Closed on time"),
                _("Closed"),
                _("Share on time"),
                _("Overdue"),
                _("Overdue per 1,000 households"),
                _("Visit coverage"),
            ],
            "rows": rows,
        },
        "url": reverse("grids:request_list", kwargs={"code": division.code}),
        "link_label": _("Service requests"),
    }


def _map_panel(division, period, request) -> dict:
    """Villages drawn as their grids (or as a schematic where none is drawn), townships as outlines, each village
    coloured by a figure the reader picks, in classes chosen from the data (``grids.maps``)."""
    data = map_data(division=division, period=period.key, figures=MAP_FIGURES, request=request)
    specs = registry()
    choices = [
        {
            "key": key,
            "label": str(specs[key].label)
            if how == "rate"
            else _("%(figure)s per 1,000 households") % {"figure": specs[key].label},
            "kind": how,
        }
        for key, how in MAP_FIGURES
        if key in specs
    ]
    drawn = len(data["features"]["features"])
    if data["schematic"]:
        note = _(
            "No grid of these villages has a drawn boundary yet: the map is a schematic, each township a "
            "block and each village a cell in it, not their real shapes (%(drawn)d villages)."
        ) % {"drawn": drawn}
    else:
        note = _(
            "A village is drawn as the grids it is divided into and a township as the outline of its villages; "
            "villages without grid boundaries are not drawn (%(drawn)d drawn). Village names show when zoomed in."
        ) % {"drawn": drawn}
    return {
        "id": "grids-map",
        "title": _("Map of the villages · %(period)s") % {"period": period.label},
        "metrics": [key for key, _how in MAP_FIGURES if key in specs] + ["villages.households"],
        "map": {
            "data_id": "grids-map-data",
            "select_id": "grids-map-figure",
            "figures": choices,
            # The map opens on the first figure that colours some village (a review's figure has none in a month).
            "default": next((c["key"] for c in choices if data["bins"].get(c["key"], {}).get("labels")), ""),
            "data": data,
        },
        "note": note,
        "wide": True,
    }


def portrait_sections(village, request) -> list[dict]:
    """The village's grids with households, visits and requests (one query)."""
    grids, _rules, _since = grids_with_figures(user=request.user, division=village)
    rows = [
        [
            g.name,
            g.get_kind_display(),
            g.households_count,
            percent(g.visited_count / g.households_count) if g.households_count else "—",
            g.open_count,
            g.overdue_count,
        ]
        for g in grids
    ]
    households = sum(g.households_count for g in grids)
    return [
        {
            "id": "portrait-grids",
            "title": _("Grids, households and requests"),
            "items": [
                (_("Grids"), len(grids), None),
                (_("Households"), households, None),
                (
                    _("Open requests (overdue)"),
                    f"{sum(g.open_count for g in grids)} ({sum(g.overdue_count for g in grids)})",
                    None,
                ),
            ],
            "table": {
                "columns": [_("Grid"), _("Kind"), _("Households"), _("Visited"), _("Open requests"), _("Overdue")],
                "rows": rows,
            },
            "testid": "portrait-grids",
            "url": reverse("grids:board", kwargs={"code": village.code}),
            "link_label": _("Grids"),
        }
    ]
