"""The grids app's metrics for the periodic snapshots: visit coverage, service requests done on time, the
requesters' satisfaction and requests overdue. Each is a GROUP BY per level of the county (villages.metrics)."""

import datetime

from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.metrics import figures, metric, rollup

from .choices import DONE_STATUSES, Rating, StepAction
from .models import GridRules, Household, RequestStep, ServiceRequest, Visit


def _end(period) -> datetime.datetime:
    """The end of the period, or now while the period is still running."""
    return min(period.end_at, timezone.now())


@metric(
    "grids.visit_coverage",
    reads={Household: "grid", Visit: "household.grid", GridRules: "county"},
    label=_("Visit coverage"),
    definition=_(
        "Households visited in the county's coverage window (by default the last 30 days) before the end of the "
        "period ÷ households on the grids' rolls."
    ),
)
def visit_coverage(county, period):
    rules = GridRules.for_code(county.code)
    last = min(period.last_day, timezone.localdate())
    since = last - datetime.timedelta(days=rules.coverage_days - 1)
    visited = Q(visits__visited_on__gte=since, visits__visited_on__lte=last)
    grouped = rollup(
        Household.objects.all(),
        "grid__village__code",
        county,
        households=Count("pk", distinct=True),
        visited=Count("pk", filter=visited, distinct=True),
    )
    return figures(grouped, "visited", "households")


@metric(
    "grids.requests_on_time",
    reads={ServiceRequest: "grid"},
    label=_("Service requests closed on time"),
    definition=_("Service requests closed in the period by their due time ÷ service requests closed in the period."),
)
def requests_on_time(county, period):
    closed = ServiceRequest.objects.filter(
        status__in=DONE_STATUSES, closed_at__gte=period.start_at, closed_at__lt=period.end_at
    )
    grouped = rollup(
        closed,
        "grid__village__code",
        county,
        closed=Count("pk"),
        on_time=Count("pk", filter=Q(closed_at__lte=F("due_at"))),
    )
    return figures(grouped, "on_time", "closed")


@metric(
    "grids.request_satisfaction",
    reads={RequestStep: "request.grid"},
    label=_("Requesters satisfied"),
    definition=_(
        "Service requests rated in the period whose requester was satisfied ÷ requests rated in the period "
        "(basically satisfied is kept among the inputs)."
    ),
)
def request_satisfaction(county, period):
    rated = RequestStep.objects.filter(action=StepAction.RATE, at__gte=period.start_at, at__lt=period.end_at)
    grouped = rollup(
        rated,
        "request__grid__village__code",
        county,
        rated=Count("request", distinct=True),
        satisfied=Count("request", filter=Q(request__rating=Rating.SATISFIED), distinct=True),
        basically=Count("request", filter=Q(request__rating=Rating.BASICALLY), distinct=True),
    )
    return figures(grouped, "satisfied", "rated", inputs=["basically"])


@metric(
    "grids.requests_overdue",
    reads={ServiceRequest: "grid"},
    label=_("Service requests overdue"),
    definition=_("Service requests still open at the end of the period (or now) and past their due time."),
    kind="count",
)
def requests_overdue(county, period):
    end = _end(period)
    open_then = ServiceRequest.objects.filter(reported_at__lt=end, due_at__lt=end).filter(
        Q(closed_at__isnull=True) | Q(closed_at__gte=end)
    )
    return figures(rollup(open_then, "grid__village__code", county, n=Count("pk")), "n")
