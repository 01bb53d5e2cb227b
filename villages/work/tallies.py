"""The work records' metrics for the snapshot tallies: the figures the five-star rules read (star_defaults.py).

The registry discovers each app's top-level ``tallies`` module only, so villages/tallies.py imports this one.
Each metric is one GROUP BY over the division code of the records in the county; the villages are then added up
to their township and the county by code prefix. Records a township keeps itself (its own volunteer activities)
count for the township and the county, in no village.
"""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _

from villages.metrics import Figure, metric

from .choices import InspectionResult
from .models import CollectiveIncome, EnvironmentInspection, VillagerMeeting, VolunteerActivity
from .selectors import INCOME_TOTAL


def _by_level(queryset, code_field: str, county, **aggregates) -> dict[str, dict]:
    """``{12-digit code: {aggregate: value}}`` for the county, its townships and the divisions keeping records."""
    rows = (
        queryset.filter(**{f"{code_field}__startswith": county.prefix})
        .values(code_field)
        .annotate(**aggregates)
        .order_by()
    )
    totals: dict[str, dict] = defaultdict(lambda: dict.fromkeys(aggregates, 0))
    for row in rows:
        code = row.pop(code_field)
        units = {code, code[:9].ljust(12, "0"), code[:6].ljust(12, "0")}
        for unit in units:
            for name, value in row.items():
                totals[unit][name] += value or 0
    return totals


def _plain(value):
    """JSON-ready, and the same on every database: money with its two decimals, counts as integers."""
    return f"{value:.2f}" if isinstance(value, Decimal) else value


def _figures(grouped: dict[str, dict], numerator: str, denominator: str | None = None, inputs=()) -> dict:
    return {
        code: Figure(
            numerator=int(row[numerator]),
            denominator=int(row[denominator]) if denominator else None,
            inputs={name: _plain(row[name]) for name in inputs},
        )
        for code, row in grouped.items()
    }


@metric(
    "villages.collective_income",
    reads={CollectiveIncome: "division"},
    label=_("Collective income"),
    definition=_("The village collective's income of the period's year from every source, in yuan."),
    kind="count",
)
def collective_income(county, period):
    incomes = CollectiveIncome.objects.filter(year=period.start.year)
    grouped = _by_level(
        incomes,
        "division__code",
        county,
        total=Sum(INCOME_TOTAL),
        land_transfer=Sum("land_transfer"),
        rent=Sum("rent"),
        dividends=Sum("dividends"),
        services=Sum("services"),
        other=Sum("other"),
    )
    return _figures(grouped, "total", inputs=("land_transfer", "rent", "dividends", "services", "other"))


@metric(
    "villages.collective_income_growth",
    reads={CollectiveIncome: "division"},
    label=_("Collective income against last year"),
    definition=_("The collective income of the period's year ÷ that of the year before (1 or more: it grew)."),
)
def collective_income_growth(county, period):
    year = period.start.year
    incomes = CollectiveIncome.objects.filter(year__in=[year, year - 1])
    grouped = _by_level(
        incomes,
        "division__code",
        county,
        current=Sum(INCOME_TOTAL, filter=Q(year=year)),
        previous=Sum(INCOME_TOTAL, filter=Q(year=year - 1)),
    )
    return _figures(grouped, "current", "previous")


@metric(
    "villages.meetings_held",
    reads={VillagerMeeting: "division"},
    label=_("Meetings with villagers held"),
    definition=_("Meetings with villagers (屋场会, 有事好商量, 书记下午茶 …) held in the period."),
    kind="count",
)
def meetings_held(county, period):
    meetings = VillagerMeeting.objects.filter(date__gte=period.start, date__lt=period.end)
    return _figures(_by_level(meetings, "division__code", county, n=Count("pk")), "n")


@metric(
    "villages.meeting_satisfaction",
    reads={VillagerMeeting: "division"},
    label=_("Villagers' satisfaction"),
    definition=_(
        "Villagers satisfied or basically satisfied with how cadres handled what they took on ÷ villagers who "
        "rated it, at the meetings of the period."
    ),
)
def meeting_satisfaction(county, period):
    meetings = VillagerMeeting.objects.filter(date__gte=period.start, date__lt=period.end)
    grouped = _by_level(
        meetings,
        "division__code",
        county,
        content=Sum(F("satisfied") + F("basically_satisfied")),
        rated=Sum(F("satisfied") + F("basically_satisfied") + F("dissatisfied")),
        satisfied=Sum("satisfied"),
        basically_satisfied=Sum("basically_satisfied"),
        dissatisfied=Sum("dissatisfied"),
    )
    return _figures(grouped, "content", "rated", inputs=("satisfied", "basically_satisfied", "dissatisfied"))


@metric(
    "villages.inspections_passed",
    reads={EnvironmentInspection: "division"},
    label=_("Environment inspections passed"),
    definition=_("Living-environment inspections passed ÷ inspections, in the period."),
)
def inspections_passed(county, period):
    inspections = EnvironmentInspection.objects.filter(date__gte=period.start, date__lt=period.end)
    grouped = _by_level(
        inspections,
        "division__code",
        county,
        passed=Count("pk", filter=Q(result=InspectionResult.PASSED)),
        n=Count("pk"),
    )
    return _figures(grouped, "passed", "n")


@metric(
    "villages.volunteer_activities",
    reads={VolunteerActivity: "division"},
    label=_("Volunteer activities"),
    definition=_("Volunteer service activities held in the period."),
    kind="count",
)
def volunteer_activities(county, period):
    activities = VolunteerActivity.objects.filter(date__gte=period.start, date__lt=period.end)
    grouped = _by_level(activities, "division__code", county, n=Count("pk"), people=Sum("participants"))
    return _figures(grouped, "n", inputs=("people",))
