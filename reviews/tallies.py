"""The reviews app's metrics for the tallies (villages.metrics): the team ratings of the look-back review, read
by the five-star rules (支部过硬星), the county's watch list and the dashboards.

A team's rating stands until the next review, so a calendar period reads the county's latest campaign that had
begun by the period's end; a campaign period ("C12") reads that campaign. This module also tells the base app
which campaigns exist (``villages.metrics.campaign_source``), so it can tally campaign periods without
importing this app.
"""

from django.db.models import Case, Count, DecimalField, F, IntegerField, OuterRef, Q, Subquery, Sum, Value, When
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from villages.metrics import ALL_PERIODS, CampaignInfo, Source, campaign_source, figures, memo, metric, rollup

from .choices import GRADE_ORDER, Grade, LevelStatus, Stage
from .models import Campaign, PostRating, Review, ReviewLevel

GOOD_OR_FAIR = [Grade.GOOD, Grade.FAIRLY_GOOD]
AVERAGE_OR_POOR = [Grade.AVERAGE, Grade.POOR]


@campaign_source
def campaign_list(*, county_code=None, ids=None) -> list[CampaignInfo]:
    qs = Campaign.objects.select_related("division").order_by("-start_date", "-pk")
    if county_code is not None:
        qs = qs.filter(division__code=county_code)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    return [
        CampaignInfo(id=c.pk, name=c.name, county_code=c.division.code, start=c.start_date, end=c.end_date) for c in qs
    ]


def _campaign(county, period) -> Campaign | None:
    """The campaign a period reads; looked up once per tally run (the run's memo), not once per metric."""
    key = ("reviews.campaign", county.pk, period.key)
    cache = memo()
    if key not in cache:
        if period.kind == "campaign":
            found = Campaign.objects.filter(division=county, pk=period.campaign_id).first()
        else:
            found = (
                Campaign.objects.filter(division=county, start_date__lt=period.end)
                .order_by("-start_date", "-pk")
                .first()
            )
        cache[key] = found
    return cache[key]


# The tables the review metrics read, each with the path from a row to its division and to its campaign.
REVIEWS = {
    Campaign: Source("division", campaign="pk"),
    Review: Source("village", campaign="campaign_id"),
    ReviewLevel: Source("review.village", campaign="review.campaign_id"),
    PostRating: Source("review.village", campaign="review.campaign_id"),
}


@metric(
    "reviews.team_good_or_fair",
    reads=REVIEWS,
    label=_("Teams rated Good or Fairly good"),
    definition=_(
        "Villages whose team is rated Good or Fairly good (final grade of the latest look-back review begun by "
        "the end of the period) ÷ villages with a final grade in that review."
    ),
    periods=ALL_PERIODS,
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
    reads=REVIEWS,
    label=_("Teams rated Average or Poor"),
    definition=_("Villages whose team's final grade in the latest look-back review is Average or Poor."),
    kind="count",
    periods=ALL_PERIODS,
)
def team_average_or_poor(county, period):
    campaign = _campaign(county, period)
    if campaign is None:
        return {}
    weak = Review.objects.filter(campaign=campaign, final_grade__in=AVERAGE_OR_POOR)
    return figures(rollup(weak, "village__code", county, n=Count("pk")), "n")


@metric(
    "reviews.poor_post_ratings",
    reads=REVIEWS,
    label=_("Post holders rated Poor"),
    definition=_("Post holders rated Poor in the latest look-back review begun by the end of the period."),
    kind="count",
    periods=ALL_PERIODS,
)
def poor_post_ratings(county, period):
    campaign = _campaign(county, period)
    if campaign is None:
        return {}
    poor = PostRating.objects.filter(review__campaign=campaign, grade=Grade.POOR)
    return figures(rollup(poor, "review__village__code", county, n=Count("pk")), "n")


# ------------------------------------------------------------------ grade counts per level, and the level gap

# "final" is the review's own grade (the highest submitted level above the self-diagnosis); the others are the
# grades each level gave once submitted.
GRADE_STAGES = {
    "final": _("Final grade"),
    Stage.VILLAGE: _("Village self-diagnosis"),
    Stage.TOWNSHIP: _("Township diagnosis"),
    Stage.COUNTY: _("County re-diagnosis"),
}
GRADE_LABELS = {
    Grade.GOOD: _("Good"),
    Grade.FAIRLY_GOOD: _("Fairly good"),
    Grade.AVERAGE: _("Average"),
    Grade.POOR: _("Poor"),
}


def grade_metric_key(stage: str, grade: str) -> str:
    return f"reviews.grade.{stage}.{grade}"


def _grades_of_stage(county, campaign, stage) -> dict[str, dict]:
    """Every grade's count and the graded total for one level: one rollup, shared by the four metrics of the
    level within a tally run."""
    key = ("reviews.grades", county.pk, campaign.pk, stage)
    cache = memo()
    if key not in cache:
        if stage == "final":
            rows, field, code = (
                Review.objects.filter(campaign=campaign).exclude(final_grade=""),
                "final_grade",
                "village",
            )
        else:
            rows = ReviewLevel.objects.filter(review__campaign=campaign, level=stage, status=LevelStatus.SUBMITTED)
            field, code = "grade", "review__village"
        counts = {g: Count("pk", filter=Q(**{field: g})) for g in GRADE_ORDER}
        cache[key] = rollup(rows, f"{code}__code", county, d=Count("pk"), **counts)
    return cache[key]


def _grade_metric(stage: str, grade: str):
    def compute(county, period):
        campaign = _campaign(county, period)
        if campaign is None:
            return {}
        return figures(_grades_of_stage(county, campaign, stage), grade, "d")

    compute.__name__ = f"grade_{stage}_{grade}"
    return compute


for _stage, _stage_label in GRADE_STAGES.items():
    for _grade in GRADE_ORDER:
        if _stage == "final":
            _definition = _(
                "Reviews whose final grade is {grade} ÷ reviews with a final grade, in the campaign (a calendar "
                "period reads the latest campaign begun by its end)."
            )
        else:
            _definition = _(
                "{level} levels submitted with the grade {grade} ÷ {level} levels submitted, in the campaign "
                "(a calendar period reads the latest campaign begun by its end)."
            )
        metric(
            grade_metric_key(_stage, _grade),
            label=format_lazy("{}: {}", _stage_label, GRADE_LABELS[_grade]),
            definition=format_lazy(_definition, level=_stage_label, grade=GRADE_LABELS[_grade]),
            periods=ALL_PERIODS,
            reads=REVIEWS,
        )(_grade_metric(_stage, _grade))


def _rank(field: str):
    """A grade as a number, 1 (Good) to 4 (Poor), so two levels' grades can be compared in SQL."""
    return Case(
        *[When(**{field: g}, then=Value(i)) for i, g in enumerate(GRADE_ORDER, start=1)],
        output_field=IntegerField(),
    )


def with_level_grades(reviews):
    """Annotate each review with the rank of its submitted village and township grades and their scores."""

    def submitted(stage):
        return ReviewLevel.objects.filter(review=OuterRef("pk"), level=stage, status=LevelStatus.SUBMITTED)

    score = DecimalField(max_digits=5, decimal_places=1)
    return reviews.annotate(
        self_rank=Subquery(submitted(Stage.VILLAGE).annotate(r=_rank("grade")).values("r")[:1]),
        township_rank=Subquery(submitted(Stage.TOWNSHIP).annotate(r=_rank("grade")).values("r")[:1]),
        self_score=Subquery(submitted(Stage.VILLAGE).values("total_score")[:1], output_field=score),
        township_score=Subquery(submitted(Stage.TOWNSHIP).values("total_score")[:1], output_field=score),
    )


@metric(
    "reviews.self_above_township",
    reads=REVIEWS,
    label=_("Self-assessment above the township's grade"),
    definition=_(
        "Villages whose self-diagnosis grade is better than the township's grade ÷ villages with both levels "
        "submitted, in the campaign (a calendar period reads the latest campaign begun by its end). Inputs: "
        "how many rated themselves the same and lower, and the sum of (self score − township score) over "
        "those villages, so the mean score gap is that sum ÷ the denominator."
    ),
    periods=ALL_PERIODS,
)
def self_above_township(county, period):
    campaign = _campaign(county, period)
    if campaign is None:
        return {}
    reviews = with_level_grades(Review.objects.filter(campaign=campaign)).filter(
        self_rank__isnull=False, township_rank__isnull=False
    )
    grouped = rollup(
        reviews,
        "village__code",
        county,
        above=Count("pk", filter=Q(self_rank__lt=F("township_rank"))),
        same=Count("pk", filter=Q(self_rank=F("township_rank"))),
        below=Count("pk", filter=Q(self_rank__gt=F("township_rank"))),
        both=Count("pk"),
        score_gap_sum=Sum(F("self_score") - F("township_score")),
    )
    return figures(grouped, "above", "both", inputs=("same", "below", "score_gap_sum"))


from .followup import tallies as followup_tallies  # noqa: E402,F401 - the follow-up records' metrics
