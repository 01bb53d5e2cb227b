"""The work records' part of a village's portrait and of a county's or township's dashboard.

``villages.dashboard`` finds them through the AppConfig (``portrait_sections`` and ``dashboard_panels``). Both
read the year's figures from the selectors: a fixed number of queries whatever the number of villages.
"""

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from ..dashboard import LONG_NAME_LABELS
from . import selectors


def _items(figures, year: int, url: str) -> list[tuple]:
    growth = figures.income_growth_percent
    income = f"{figures.income:,.0f}" + (f"({growth:+}%)" if growth is not None else "")
    items = [
        (_("Collective income %(year)d (yuan)") % {"year": year}, income, url),
        (_("Meetings with villagers"), figures.meetings, None),
        (
            _("Good deeds / disputes mediated / petitions resolved"),
            f"{figures.good_deeds} / {figures.disputes_mediated} / {figures.petitions_resolved}",
            None,
        ),
        (_("Satisfied or basically satisfied"), f"{figures.content} / {figures.ratings}", None),
        (_("Volunteer activities"), figures.volunteer_activities, None),
        (_("Environment inspections passed"), f"{figures.inspections_passed} / {figures.inspections}", None),
        (
            _("Infrastructure projects (completed)"),
            f"{figures.infrastructure_projects} ({figures.infrastructure_completed})",
            None,
        ),
    ]
    if figures.villages > 1:
        grew = f"{figures.villages_growing} / {figures.villages_compared}"
        items.insert(1, (_("Villages whose income grew"), grew, None))
    return items


def sections(village, request) -> list[dict]:
    """The portrait's card of the village's own work this year."""
    year = timezone.localdate().year
    figures, _children = selectors.division_figures(division=village, year=year)
    url = reverse("villages:work_overview", kwargs={"code": village.code})
    return [
        {
            "title": _("Village work records"),
            "items": _items(figures, year, url),
            "url": url,
            "link_label": _("All work records"),
        }
    ]


def panels(division, period, request) -> list[dict]:
    """The dashboard's card: the period's figures and each child division's collective income against last year."""
    year = period.start.year
    figures, children = selectors.division_figures(division=division, year=year)
    url = reverse("villages:work_overview", kwargs={"code": division.code}) + f"?year={year}"
    chart = {
        "tooltip": {"trigger": "axis"},
        "szUnit": " " + _("yuan"),
        "legend": {"top": 0},
        "grid": {"left": 80, "right": 10, "top": 56, "bottom": 80},
        "xAxis": {"type": "category", "data": [c.name for c, _f in children], "axisLabel": LONG_NAME_LABELS},
        "yAxis": {"type": "value", "name": _("Collective income (yuan)")},
        "series": [
            {
                "name": _("Collective income %(year)d") % {"year": year - 1},
                "type": "bar",
                "data": [round(f.income_previous) for _c, f in children],
                "itemStyle": {"color": "#90a4ae"},
            },
            {
                "name": _("Collective income %(year)d") % {"year": year},
                "type": "bar",
                "data": [round(f.income) for _c, f in children],
                "itemStyle": {"color": "#1565c0"},
            },
        ],
    }
    return [
        {
            "id": "work-panel-income",
            "title": _("Village work records %(year)d: collective income by division, this year and last")
            % {"year": year},
            "metrics": [],  # read from the work records themselves, not from the tallies
            "chart": chart if children else None,
            "items": _items(figures, year, url),
            "url": url,
            "link_label": _("All work records"),
        }
    ]
