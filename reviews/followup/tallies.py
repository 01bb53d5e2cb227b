"""The follow-up records' metrics for the snapshot tallies (villages.metrics), set-based via ``rollup``.

Found through ``reviews/tallies.py``, which imports this module (the registry discovers top-level modules only).
``reviews.rectification_overdue`` feeds the county's watch list (villages/watch.py) and
``reviews.rectification_on_time`` the five-star rule on rectification (villages/star_defaults.py).
"""

from django.db.models import Count, F, Q
from django.utils.translation import gettext_lazy as _

from villages.metrics import Source, figures, metric, rollup

from .choices import MeasureStatus, ProblemKind
from .models import Measure, Problem, ProblemVillage

DONE = [MeasureStatus.DONE, MeasureStatus.CLOSED]

# The tables the follow-up metrics read, each with the path from a row to its division (and its campaign).
MEASURES = {Measure: Source("plan.village", campaign="plan.campaign_id")}
PROBLEMS = {ProblemVillage: "village", Problem: "county"}


@metric(
    "reviews.rectification_on_time",
    reads=MEASURES,
    label=_("Rectification measures completed on time"),
    definition=_(
        "Measures completed by their deadline ÷ measures whose deadline falls in the period (completed or not)."
    ),
)
def rectification_on_time(county, period):
    due = Measure.objects.filter(deadline__gte=period.start, deadline__lt=period.end)
    grouped = rollup(
        due,
        "plan__village__code",
        county,
        on_time=Count("pk", filter=Q(status__in=DONE, completed_on__lte=F("deadline"))),
        due=Count("pk"),
    )
    return figures(grouped, "on_time", "due")


@metric(
    "reviews.rectification_overdue",
    reads=MEASURES,
    label=_("Rectification measures overdue"),
    definition=_("Measures past their deadline at the period's end (or today) and not completed by then."),
    kind="count",
)
def rectification_overdue(county, period):
    from django.utils import timezone

    cutoff = min(period.end, timezone.localdate())
    late = Measure.objects.filter(deadline__lt=cutoff).filter(
        Q(status=MeasureStatus.IN_PROGRESS) | Q(completed_on__gte=cutoff)
    )
    return figures(rollup(late, "plan__village__code", county, n=Count("pk")), "n")


@metric(
    "reviews.problems_common",
    reads=PROBLEMS,
    label=_("Common problems"),
    definition=_("Problems common to many villages (共性) touching the division, each counted once."),
    kind="count",
)
def problems_common(county, period):
    links = ProblemVillage.objects.filter(problem__kind=ProblemKind.COMMON, problem__created_at__lt=period.end_at)
    return figures(rollup(links, "village__code", county, n=Count("problem", distinct=True)), "n")


@metric(
    "reviews.problems_particular",
    reads=PROBLEMS,
    label=_("Particular problems"),
    definition=_("Problems particular to one village (个性) in the division."),
    kind="count",
)
def problems_particular(county, period):
    links = ProblemVillage.objects.filter(problem__kind=ProblemKind.PARTICULAR, problem__created_at__lt=period.end_at)
    return figures(rollup(links, "village__code", county, n=Count("problem", distinct=True)), "n")
