"""The reviews app's metrics for the tallies (villages.metrics): the team ratings of the look-back review, read
by the five-star rules (支部过硬星) and the county's watch list.

A team's rating stands until the next review, so a period reads the county's latest campaign that had begun
by the period's end.
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from villages.metrics import figures, metric, rollup

from .choices import Grade
from .models import Campaign, PostRating, Review

GOOD_OR_FAIR = [Grade.GOOD, Grade.FAIRLY_GOOD]
AVERAGE_OR_POOR = [Grade.AVERAGE, Grade.POOR]


def _campaign(county, period) -> Campaign | None:
    return Campaign.objects.filter(division=county, start_date__lt=period.end).order_by("-start_date", "-pk").first()


@metric(
    "reviews.team_good_or_fair",
    label=_("Teams rated Good or Fairly good"),
    definition=_(
        "Villages whose team is rated Good or Fairly good (final grade of the latest look-back review begun by "
        "the end of the period) ÷ villages with a final grade in that review."
    ),
)
def team_good_or_fair(county, period):
    campaign = _campaign(county, period)
    if campaign is None:
        return {}
    graded = Review.objects.filter(campaign=campaign).exclude(final_grade="")
    grouped = rollup(
        graded, "village__code", county, good=Count("pk", filter=Q(final_grade__in=GOOD_OR_FAIR)), graded=Count("pk")
    )
    return figures(grouped, "good", "graded")


@metric(
    "reviews.team_average_or_poor",
    label=_("Teams rated Average or Poor"),
    definition=_("Villages whose team's final grade in the latest look-back review is Average or Poor."),
    kind="count",
)
def team_average_or_poor(county, period):
    campaign = _campaign(county, period)
    if campaign is None:
        return {}
    weak = Review.objects.filter(campaign=campaign, final_grade__in=AVERAGE_OR_POOR)
    return figures(rollup(weak, "village__code", county, n=Count("pk")), "n")


@metric(
    "reviews.poor_post_ratings",
    label=_("Post holders rated Poor"),
    definition=_("Post holders rated Poor in the latest look-back review begun by the end of the period."),
    kind="count",
)
def poor_post_ratings(county, period):
    campaign = _campaign(county, period)
    if campaign is None:
        return {}
    poor = PostRating.objects.filter(review__campaign=campaign, grade=Grade.POOR)
    return figures(rollup(poor, "review__village__code", county, n=Count("pk")), "n")


from .followup import tallies as followup_tallies  # noqa: E402,F401 - the follow-up records' metrics
