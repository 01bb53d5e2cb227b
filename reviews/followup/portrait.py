"""The follow-up records' part of a village's portrait and of a county's or township's dashboard, found by
``villages.dashboard`` through ``ReviewsConfig.portrait_sections`` / ``dashboard_panels``. Each reads live tables
through the selectors in a fixed number of queries."""

from django.urls import reverse
from django.utils.translation import gettext as _

from villages.dashboard import LONG_NAME_LABELS
from villages.scopes import has_role

from . import selectors
from .choices import FOLLOWUP_READERS, Book


def sections(village, request) -> list[dict]:
    """Each cadre's evaluations, talks and record-book entries; the village's problems and its plan's progress."""
    if not has_role(request.user, village.code, FOLLOWUP_READERS):
        return []
    s = selectors.village_summary(village=village)
    m = s["measures"]
    items = [
        (
            _("Problems (common / particular)"),
            f"{s['problems']['common']} / {s['problems']['particular']}",
            reverse("followup:problems", kwargs={"code": village.code}),
        ),
        (
            _("Plan: measures closed / done / all"),
            f"{m['closed']} / {m['done']} / {m['total']}",
            reverse("followup:plan", args=[s["plan_id"]]) if s["plan_id"] else None,
        ),
        (_("Measures overdue"), m["overdue"], None),
        (
            _("Record books: red / black / blue"),
            " / ".join(str(s["books"].get(b, 0)) for b in (Book.RED, Book.BLACK, Book.BLUE)),
            reverse("followup:books", kwargs={"code": village.code}),
        ),
    ]
    for e in s["evaluations"]:
        flag = " ⚑" if e.flagged else ""
        items.append((f"{e.cadre.name} · {_('evaluation')} {e.year}", f"{e.result}{flag}", e.get_absolute_url()))
    for t in s["talks"]:
        items.append((f"{t.cadre.name} · {t.get_kind_display()}", f"{t.held_at:%Y-%m-%d}", t.get_absolute_url()))
    return [
        {
            "title": _("Acting on the review"),
            "items": items,
            "url": reverse("followup:overview", kwargs={"code": village.code}),
            "link_label": _("Problems, plan, talks and record books"),
        }
    ]


def panels(division, period, request) -> list[dict]:
    """Problems by check and kind, plans by progress, overdue measures (per child division in the chart)."""
    campaign = selectors.latest_campaign(division)
    if campaign is None or not has_role(request.user, division.code, FOLLOWUP_READERS):
        return []
    problems = selectors.problems_by_check(division=division, campaign=campaign)
    progress = selectors.plan_progress(division=division, campaign=campaign)
    children = selectors.overdue_by_child(division=division, campaign=campaign)
    labels = {
        "empty": _("No measures yet"),
        "in_progress": _("In progress"),
        "done": _("Done, awaiting verification"),
        "closed": _("All closed"),
    }
    # Each child division's measures, stacked: closed, still open within their deadline, overdue.
    level = _("Township") if division.child_level == "township" else _("Village")
    names = [c["division"].name for c in children]
    closed = [c["closed"] for c in children]
    overdue = [c["overdue"] for c in children]
    open_on_time = [c["total"] - c["closed"] - c["overdue"] for c in children]
    chart = {
        "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 10, "top": 56, "bottom": 80},
        "xAxis": {"type": "category", "name": level, "data": names, "axisLabel": LONG_NAME_LABELS},
        "yAxis": {"type": "value", "name": _("Measures"), "minInterval": 1},
        "series": [
            {"name": _("Closed"), "type": "bar", "stack": "m", "data": closed, "itemStyle": {"color": "#2e7d32"}},
            {
                "name": _("Open, within deadline"),
                "type": "bar",
                "stack": "m",
                "data": open_on_time,
                "itemStyle": {"color": "#90a4ae"},
            },
            {"name": _("Overdue"), "type": "bar", "stack": "m", "data": overdue, "itemStyle": {"color": "#c62828"}},
        ],
    }
    url = reverse("followup:overview", kwargs={"code": division.code})
    measures = progress["measures"]
    return [
        {
            "id": "followup-panel-problems",
            "metrics": [],  # the follow-up panels read the live records, not the tallies
            "title": _("Problems by check"),
            "items": [],  # the template reads panel.items: without the key it would iterate the dict's items
            "table": {
                "columns": [_("Check"), _("Common"), _("Particular")],
                "rows": [[r["check"].name, r["common"], r["particular"]] for r in problems["rows"]]
                + [[_("Total"), problems["common"], problems["particular"]]],
            },
            "url": url,
            "link_label": _("Problems and rectification"),
        },
        {
            "id": "followup-panel-plans",
            "metrics": [],
            "title": _("Rectification plans and measures"),
            "items": [(_("Plans"), progress["plans"], None)]
            + [(labels[k], v, None) for k, v in progress["progress"].items()]
            + [
                (_("Measures closed / all"), f"{measures['closed']:,} / {measures['total']:,}", None),
                (_("Measures overdue"), measures["overdue"], url + "#overdue"),
            ],
            "url": reverse("followup:ledger", kwargs={"code": division.code}),
            "link_label": _("Ledger (.xlsx)"),
        },
        *(
            [
                {
                    "id": "followup-panel-measures",
                    "metrics": [],
                    "title": _("Rectification measures per township: closed, open and overdue")
                    if division.child_level == "township"
                    else _("Rectification measures per village: closed, open and overdue"),
                    "chart": chart,
                    "table": {
                        "columns": [level, _("Measures"), _("Closed"), _("Open, within deadline"), _("Overdue")],
                        "rows": [
                            [c["division"].name, c["total"], c["closed"], o, c["overdue"]]
                            for c, o in zip(children, open_on_time, strict=True)
                        ],
                    },
                    "url": url + "#overdue",
                    "link_label": _("Overdue measures"),
                }
            ]
            if children
            else []
        ),
    ]


def adjustment_bases(adjustment_ids) -> dict:
    """``{adjustment id: (label, url)}`` of what each adjustment acted on, for the committee history (one query)."""
    from .models import AdjustmentBasis

    rows = AdjustmentBasis.objects.filter(adjustment_id__in=adjustment_ids).select_related(
        "review__village", "review__campaign", "evaluation__cadre", "talk__cadre"
    )
    return {b.adjustment_id: (f"{b.get_kind_display()}: {b.source}", b.source.get_absolute_url()) for b in rows}
