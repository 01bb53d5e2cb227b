"""The five-star branches' panel on a county's or township's dashboard: villages by number of stars and stars
by type, awarded and proposed by the tally, for the period's year (``stars.star_counts``: a fixed number of
GROUP BY queries), with the share of villages beside each count."""

from django.urls import reverse
from django.utils.translation import gettext as _

from .choices import StarSet
from .dashboard import percent
from .models import StarType
from .stars import star_counts


def panels(division, period, request) -> list[dict]:
    if period.kind == "campaign" or not division.child_level:
        return []
    year = period.start.year
    counts = star_counts(division=division, year=year)["division"]
    villages = counts["villages"] or 0
    if not villages:
        return []
    # Rural villages and communities have sets of their own, some with the same star names: say which set.
    names = {
        code: (name if star_set == StarSet.VILLAGE else _("%(name)s (communities)") % {"name": name})
        for code, name, star_set in StarType.objects.filter(active=True)
        .order_by("-star_set", "position")
        .values_list("code", "name", "star_set")
    }
    levels = [str(k) for k in range(6)]
    level_names = [_("%(n)s stars") % {"n": k} for k in levels]
    types = [code for code in names if code in counts["awarded"]["by_type"] or code in counts["proposed"]["by_type"]]
    # Levels above, star types below as horizontal bars: the types' names stay readable at a phone's width.
    chart = {
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": [
            {"left": 40, "right": 10, "top": 36, "height": "30%"},
            {"left": 90, "right": 10, "top": "52%", "bottom": 10},
        ],
        "xAxis": [
            {"type": "category", "data": level_names, "gridIndex": 0},
            {"type": "value", "gridIndex": 1, "name": _("Villages"), "minInterval": 1},
        ],
        "yAxis": [
            {"type": "value", "gridIndex": 0, "name": _("Villages"), "minInterval": 1},
            {"type": "category", "data": [names[c] for c in types], "gridIndex": 1, "inverse": True},
        ],
        "series": [
            {
                "name": _("Awarded"),
                "type": "bar",
                "xAxisIndex": 0,
                "yAxisIndex": 0,
                "data": [counts["awarded"]["by_level"][k] for k in levels],
                "itemStyle": {"color": "#f9a825"},
            },
            {
                "name": _("Proposed"),
                "type": "bar",
                "xAxisIndex": 0,
                "yAxisIndex": 0,
                "data": [counts["proposed"]["by_level"][k] for k in levels],
                "itemStyle": {"color": "#90a4ae"},
            },
            {
                "name": _("Awarded"),
                "type": "bar",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": [counts["awarded"]["by_type"].get(c, 0) for c in types],
                "itemStyle": {"color": "#f9a825"},
            },
            {
                "name": _("Proposed"),
                "type": "bar",
                "xAxisIndex": 1,
                "yAxisIndex": 1,
                "data": [counts["proposed"]["by_type"].get(c, 0) for c in types],
                "itemStyle": {"color": "#90a4ae"},
            },
        ],
    }
    rows = [
        [
            name,
            counts["awarded"]["by_level"][k],
            percent(counts["awarded"]["by_level"][k] / villages),
            counts["proposed"]["by_level"][k],
            percent(counts["proposed"]["by_level"][k] / villages),
        ]
        for k, name in zip(levels, level_names, strict=True)
    ] + [
        [
            names[c],
            counts["awarded"]["by_type"].get(c, 0),
            percent(counts["awarded"]["by_type"].get(c, 0) / villages),
            counts["proposed"]["by_type"].get(c, 0),
            percent(counts["proposed"]["by_type"].get(c, 0) / villages),
        ]
        for c in types
    ]
    return [
        {
            "id": "stars-distribution",
            "metrics": [],  # read from the star ratings themselves (stars.star_counts)
            "chart_class": "sz-chart-tall",
            "title": _("Five-star branches %(year)d: stars per village and by type") % {"year": year},
            "chart": chart,
            "table": {
                "columns": [
                    _("Stars / star"),
                    _("Awarded"),
                    _("Share of villages"),
                    _("Proposed"),
                    _("Share of villages"),
                ],
                "rows": rows,
            },
            "url": reverse("villages:stars", kwargs={"code": division.code}) + f"?year={year}",
            "link_label": _("Five-star branches"),
        }
    ]
