"""The look-back review's panels on a county's or township's dashboard and its section of a village's portrait.

``villages.dashboard`` finds them through the AppConfig (``dashboard_panels``, ``portrait_sections``). The panels
read the tallies' snapshots of the campaign chosen on the page (``?campaign=C<id>``, default the county's latest):
one query each, whatever the size of the county. The portrait reads the village's own reviews (two queries).
"""

from django.urls import reverse
from django.utils.translation import gettext as _

from villages.dashboard import LONG_NAME_LABELS, percent, rate_of, read_snapshots, selected_campaign
from villages.scopes import has_role

from .choices import GRADE_ORDER, READER_ROLES, STAGE_ORDER, LevelStatus, Stage
from .models import Review, ReviewLevel
from .tallies import GRADE_LABELS, GRADE_STAGES, grade_metric_key

# Colours a reader of the county's paper reports knows: good green to poor red.
GRADE_COLOURS = {"good": "#2e7d32", "fairly_good": "#7cb342", "average": "#f9a825", "poor": "#c62828"}
STAGES = ["final", *STAGE_ORDER]


def panels(division, period, request) -> list[dict]:
    # Evaluations are read only by the roles that read reviews (not grid workers or petition officers).
    if not has_role(request.user, division.code, READER_ROLES):
        return []
    campaign = selected_campaign(division=division, request=request)
    if campaign is None:
        return []
    metrics = [grade_metric_key(s, g) for s in STAGES for g in GRADE_ORDER] + ["reviews.self_above_township"]
    found, children = read_snapshots(division=division, metrics=metrics, periods=[campaign.key])
    if not found:
        return []
    return [_grades_panel(division, campaign, found), _gap_panel(division, campaign, found, children)]


def _grades_panel(division, campaign, found) -> dict:
    def get(stage, grade):
        return found.get((division.code, grade_metric_key(stage, grade), campaign.key))

    stage_names = [str(GRADE_STAGES[s]) for s in STAGES]
    series = [
        {
            "name": str(GRADE_LABELS[g]),
            "type": "bar",
            "stack": "grades",
            "itemStyle": {"color": GRADE_COLOURS[g]},
            "label": {"show": True},
            "labelLayout": {"hideOverlap": True},  # small segments on a phone: no labels on top of each other
            # A zero is left out (null), so the stacked bar shows no stray "0" label.
            "data": [getattr(get(s, g), "numerator", 0) or None for s in STAGES],
        }
        for g in GRADE_ORDER
    ]
    rows = []
    for s in STAGES:
        cells = [get(s, g) for g in GRADE_ORDER]
        graded = next((c.denominator for c in cells if c is not None), 0)
        rows.append(
            [str(GRADE_STAGES[s]), graded] + [f"{c.numerator} ({percent(rate_of(c))})" if c else "—" for c in cells]
        )
    # The split of the final grades as the county reports it (好 36 / 较好 92 / 一般 49 / 差 6), beside the chart.
    final = []
    for g in GRADE_ORDER:
        cell = get("final", g)
        if cell is not None:
            final.append(
                (
                    _("Final grade: %(grade)s") % {"grade": GRADE_LABELS[g]},
                    f"{cell.numerator:,} / {cell.denominator:,} ({percent(rate_of(cell))})",
                    None,
                )
            )
    return {
        "id": "reviews-grades",
        "metrics": [grade_metric_key(s, g) for s in STAGES for g in GRADE_ORDER],
        "metrics_period": campaign.key,
        "items": final,
        "title": _("Review grades per level · %(campaign)s") % {"campaign": campaign.label},
        "chart": {
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "legend": {"top": 0},
            "grid": {"left": 110, "right": 20, "top": 36, "bottom": 40},
            "xAxis": {
                "type": "value",
                "name": _("Villages"),
                "nameLocation": "middle",
                "nameGap": 24,
                "minInterval": 1,
            },
            "yAxis": {"type": "category", "data": stage_names, "inverse": True},
            "series": series,
        },
        "table": {
            "columns": [_("Level"), _("Graded")] + [str(GRADE_LABELS[g]) for g in GRADE_ORDER],
            "rows": rows,
        },
        "testid": "reviews-grades",
        "url": reverse("reviews:board", kwargs={"code": division.code}),
        "link_label": _("Look-back review"),
    }


def _gap_panel(division, campaign, found, children) -> dict:
    key = "reviews.self_above_township"
    units = children or [division]
    rows, names, values = [], [], []
    for unit in units:
        s = found.get((unit.code, key, campaign.key))
        value = rate_of(s)
        gap_sum = float((s.inputs or {}).get("score_gap_sum") or 0) if s else 0
        mean_gap = round(gap_sum / s.denominator, 1) if s and s.denominator else None
        names.append(unit.name)
        values.append(round(value * 100, 1) if value is not None else None)
        rows.append(
            [
                unit.name,
                s.numerator if s else None,
                s.denominator if s else None,
                percent(value),
                (s.inputs or {}).get("same") if s else None,
                (s.inputs or {}).get("below") if s else None,
                mean_gap,
            ]
        )
    return {
        "id": "reviews-gap",
        "metrics": [key],
        "metrics_period": campaign.key,
        "title": _("Self-assessment vs township, by %(level)s")
        % {"level": _("township") if children and division.child_level == "township" else _("village")},
        "definition": _(
            "Villages whose own grade is better than the township's ÷ villages with both levels submitted; the "
            "mean score gap is the village's score minus the township's, averaged."
        ),
        "chart": {
            "tooltip": {"trigger": "axis"},
            "szUnit": "%",
            "legend": {"top": 0},
            "grid": {"left": 50, "right": 10, "top": 56, "bottom": 80},
            "xAxis": {"type": "category", "data": names, "axisLabel": LONG_NAME_LABELS},
            "yAxis": {
                "type": "value",
                "max": 100,
                "name": _("Share of villages (%)"),
                "axisLabel": {"formatter": "{value}%"},
            },
            "series": [
                {"name": _("Self above township"), "type": "bar", "data": values, "itemStyle": {"color": "#ef6c00"}}
            ],
        },
        "table": {
            "columns": [
                _("Name"),
                _("Self above township"),
                _("Both levels submitted"),
                _("Share"),
                _("Same grade"),
                _("Self below township"),
                _("Mean score gap (points)"),
            ],
            "rows": rows,
        },
        "url": reverse("reviews:gaps", kwargs={"code": division.code}),
        "link_label": _("Self vs township vs county"),
    }


def portrait_sections(village, request) -> list[dict]:
    """The village's reviews, newest campaign first: each level's grade and score, and how they compare."""
    if not has_role(request.user, village.code, READER_ROLES):
        return []
    reviews = list(
        Review.objects.filter(village=village).select_related("campaign").order_by("-campaign__start_date")[:3]
    )
    levels = {}
    for level in ReviewLevel.objects.filter(review__in=reviews):
        levels[(level.review_id, level.level)] = level
    rows = []
    for review in reviews:
        own = levels.get((review.pk, Stage.VILLAGE))
        first = True
        for stage in STAGE_ORDER:
            level = levels.get((review.pk, stage))
            if level is None:
                continue
            submitted = level.status == LevelStatus.SUBMITTED
            versus = ""
            if stage != Stage.VILLAGE and submitted and own is not None and own.status == LevelStatus.SUBMITTED:
                versus = f"{own.total_score - level.total_score:+}"
            rows.append(
                [
                    review.campaign.name if first else "",
                    str(GRADE_STAGES[stage]),
                    level.get_grade_display() if submitted and level.grade else str(level.get_status_display()),
                    level.total_score if submitted else None,
                    versus or None,
                ]
            )
            first = False
    final = reviews[0] if reviews else None
    items = []
    if final is not None:
        items.append((_("Final grade"), final.get_final_grade_display() or _("pending"), final.get_absolute_url()))
    return [
        {
            "id": "portrait-reviews",
            "title": _("Look-back review"),
            "items": items,
            "table": {
                "columns": [_("Campaign"), _("Level"), _("Grade"), _("Score"), _("Self score minus this level's")],
                "rows": rows,
            },
            "testid": "portrait-reviews",
            "url": reverse("reviews:board", kwargs={"code": village.code}),
            "link_label": _("Look-back review"),
        }
    ]
