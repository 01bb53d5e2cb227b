"""Petitions' panels on a county's or township's dashboard and their section of a village's portrait.

``villages.dashboard`` finds them through the AppConfig. The panels read the tallies' snapshots: the monthly
rates over the last twelve months (one query) and the period's petitions by channel and kind per child
division (one query), with figures per village and per 1,000 households beside the raw counts.
"""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from villages.dashboard import per, percent, rate_of, read_snapshots, recent_months
from villages.metrics import Period
from villages.scopes import has_role

from .choices import DISPUTE_READER_ROLES, PETITION_READER_ROLES, Channel, Kind
from .selectors import dispute_list, petition_list

MONTHLY_RATES = [
    "petitions.timely_acceptance",
    "petitions.on_time_completion",
    "petitions.dispute_resolution",
    "petitions.satisfaction",
]
RATE_LABELS = {
    "petitions.timely_acceptance": gettext_lazy("Timely acceptance"),
    "petitions.on_time_completion": gettext_lazy("On-time completion"),
    "petitions.dispute_resolution": gettext_lazy("Dispute resolution"),
    "petitions.satisfaction": gettext_lazy("Satisfaction"),
}


def panels(division, period, request) -> list[dict]:
    if period.kind == "campaign":
        return []
    months = recent_months(period)
    found, _children = read_snapshots(division=division, metrics=MONTHLY_RATES, periods=months, children=False)
    result = []
    if found:
        result.append(_rates_panel(division, months, found))
    counts, children = read_snapshots(
        division=division,
        metrics=["petitions.received", "villages.village_count", "villages.households"],
        periods=[period.key],
    )
    if (division.code, "petitions.received", period.key) in counts:
        result.append(_channels_panel(division, period, counts, children))
    return result


def _rates_panel(division, months, found) -> dict:
    series, rows = [], []
    for key in MONTHLY_RATES:
        cells = [found.get((division.code, key, m)) for m in months]
        series.append(
            {
                "name": str(RATE_LABELS[key]),
                "type": "line",
                "connectNulls": True,
                "data": [round(rate_of(c) * 100, 1) if rate_of(c) is not None else None for c in cells],
            }
        )
        rows.append(
            [str(RATE_LABELS[key])]
            + [f"{percent(rate_of(c))} ({c.numerator}/{c.denominator})" if c else "—" for c in cells]
        )
    return {
        "id": "petitions-rates",
        "metrics": MONTHLY_RATES,
        "title": _("Petition rates over the last 12 months"),
        "chart": {
            "tooltip": {"trigger": "axis"},
            "szUnit": "%",
            "legend": {"top": 0},
            "grid": {"left": 45, "right": 15, "top": 70, "bottom": 30},
            "xAxis": {"type": "category", "data": months},
            "yAxis": {
                "type": "value",
                "min": 0,
                "max": 100,
                "name": _("Share of cases (%)"),
                "axisLabel": {"formatter": "{value}%"},
            },
            "series": series,
        },
        "table": {"columns": [_("Rate"), *months], "rows": rows},
        "testid": "petitions-rates",
    }


def _channels_panel(division, period, counts, children) -> dict:
    def get(code, key):
        return counts.get((code, key, period.key))

    own = get(division.code, "petitions.received")
    inputs = own.inputs or {}
    channels = [(c.value, str(c.label)) for c in Channel]
    kinds = [(k.value, str(k.label)) for k in Kind]
    # Two doughnuts, each titled; a slice's name and count wrap rather than being cut ("网…"), small slices keep
    # their label off (the legend and the table name every one), and an empty slice is left out.
    label = {"formatter": "{b}\n{c}", "overflow": "break", "width": 64, "minMargin": 2, "fontSize": 11}

    def doughnut(name, centre, data):
        return {
            "name": name,
            "type": "pie",
            "radius": ["22%", "42%"],
            "center": [centre, "52%"],
            "minShowLabelAngle": 12,
            "avoidLabelOverlap": True,
            "label": label,
            "labelLine": {"length": 6, "length2": 6},
            "data": [d for d in data if d["value"]],
        }

    chart = {
        "tooltip": {"trigger": "item", "formatter": "{a}<br/>{b}: {c} ({d}%)"},
        "title": [
            {"text": _("By channel"), "left": "25%", "top": 0, "textAlign": "center", "textStyle": {"fontSize": 13}},
            {"text": _("By kind"), "left": "75%", "top": 0, "textAlign": "center", "textStyle": {"fontSize": 13}},
        ],
        "legend": {"bottom": 0, "type": "scroll"},
        "series": [
            doughnut(_("Channel"), "25%", [{"name": n, "value": inputs.get(f"channel_{v}", 0)} for v, n in channels]),
            doughnut(_("Kind"), "75%", [{"name": n, "value": inputs.get(f"kind_{v}", 0)} for v, n in kinds]),
        ],
    }
    rows = []
    for unit in children or [division]:
        s = get(unit.code, "petitions.received")
        villages = getattr(get(unit.code, "villages.village_count"), "numerator", None)
        households = getattr(get(unit.code, "villages.households"), "numerator", None)
        n = s.numerator if s else 0
        parts = (s.inputs or {}) if s else {}
        rows.append(
            [unit.name, n, per(n, villages), per(n, households, 1000)]
            + [parts.get(f"channel_{v}", 0) for v, _label in channels]
            + [parts.get(f"kind_{v}", 0) for v, _label in kinds]
        )
    return {
        "id": "petitions-channels",
        "metrics": ["petitions.received", "villages.village_count", "villages.households"],
        "title": _("Petitions by channel and kind · %(period)s") % {"period": period.label},
        "chart": chart,
        "table": {
            "columns": [_("Name"), pgettext("count column", "Received"), _("Per village"), _("Per 1,000 households")]
            + [label for _v, label in channels]
            + [label for _v, label in kinds],
            "rows": rows,
        },
        "testid": "petitions-channels",
    }


def portrait_sections(village, request) -> list[dict]:
    """The village's petitions and disputes: the year's figures from the snapshots and the latest cases."""
    year = Period.current_year().key
    keys = ["petitions.received", "petitions.on_time_completion", "petitions.dispute_resolution", "petitions.overdue"]
    found, _children = read_snapshots(division=village, metrics=keys, periods=[year], children=False)

    def get(key):
        return found.get((village.code, key, year))

    items = [
        (_("Petitions received %(year)s") % {"year": year}, getattr(get("petitions.received"), "numerator", "—"), None),
        (_("On-time completion"), _fraction(get("petitions.on_time_completion")), None),
        (_("Dispute resolution"), _fraction(get("petitions.dispute_resolution")), None),
        (_("Overdue cases"), getattr(get("petitions.overdue"), "numerator", "—"), None),
    ]
    rows = []
    if has_role(request.user, village.code, PETITION_READER_ROLES):
        for p in petition_list(user=request.user, division=village).order_by("-received_on", "-pk")[:5]:
            rows.append([_("Petition"), p.number, p.received_on, p.get_kind_display(), p.get_status_display()])
    if has_role(request.user, village.code, DISPUTE_READER_ROLES):
        for d in dispute_list(user=request.user, division=village)[:5]:
            rows.append([_("Dispute"), d.number, d.screened_on, d.get_category_display(), d.get_status_display()])
    section = {
        "id": "portrait-petitions",
        "title": _("Petitions and disputes"),
        "items": items,
        "table": {"columns": [_("What"), _("Number"), _("Date"), _("Kind"), _("Status")], "rows": rows},
        "testid": "portrait-petitions",
    }
    if has_role(request.user, village.code, DISPUTE_READER_ROLES):
        section["url"] = reverse("petitions:disputes", kwargs={"code": village.code})
        section["link_label"] = _("Disputes")
    return [section]


def _fraction(snapshot) -> str:
    if snapshot is None:
        return "—"
    return f"{percent(rate_of(snapshot))} ({snapshot.numerator}/{snapshot.denominator})"
