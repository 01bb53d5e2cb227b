"""The reviews demo: 郾城区's 2021 look-back review, 183 villages through the township level, 36 好 and 92 较好
as in the seed, self-assessments a little above the township's, the county's sample drawn and checked."""

import io
from statistics import mean

import pytest
from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.urls import reverse
from rest_framework.test import APIClient

from reviews import demo as reviews_demo
from reviews import services
from reviews.choices import Grade, LevelStatus, Stage
from reviews.models import Campaign, ItemScore, PostRating, Review, ReviewLevel, SampleDraw, ScorecardTemplate
from villages import demo as villages_demo
from villages.models import Post


def load() -> str:
    """What ``manage.py load_demo`` runs for these two apps, in its order."""
    out = io.StringIO()
    villages_demo.load(out)
    reviews_demo.load(out)
    return out.getvalue()


@pytest.fixture
def demo(demo_db):
    return Campaign.objects.get(name=reviews_demo.CAMPAIGN_NAME)


def test_the_api_gives_the_seeds_36_good_and_92_fairly_good(demo):
    client = APIClient()
    response = client.post(reverse("auth-token"), {"username": "yc_api", "password": "shanzhi-demo"}, format="json")
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    body = client.get(reverse("stats-reviews"), {"division": "411103000000", "campaign": demo.pk}).json()
    final = body["division"]["final"]
    assert (final["good"], final["fairly_good"]) == (36, 92)
    assert final["average"] + final["poor"] == 55 and final["pending"] == 0 and final["total"] == 183
    assert body["division"]["levels"]["township"]["pending"] == 0
    assert body["division"]["levels"]["village"]["total"] == 183
    assert sum(child["final"]["total"] for child in body["children"]) == 183
    peicheng = next(child for child in body["children"] if child["name"] == "裴城镇")
    assert peicheng["final"]["total"] == 25


def test_every_review_is_complete_through_the_township(demo):
    assert demo.reviews.count() == 183
    assert demo.template.items.count() == 71 and demo.template.checks.count() == 5
    township = ReviewLevel.objects.filter(review__campaign=demo, level=Stage.TOWNSHIP)
    assert township.filter(status=LevelStatus.SUBMITTED).count() == 183
    assert not township.filter(first_evaluation="").exists()
    assert not township.filter(onsite_visits__isnull=True).exists()
    submitted = ReviewLevel.objects.filter(review__campaign=demo, status=LevelStatus.SUBMITTED)
    assert ItemScore.objects.filter(level__in=submitted).count() == submitted.count() * 71
    # Every deduction that needs a note has one, as the services demand of a submitted level.
    deductions = ItemScore.objects.filter(level__in=submitted, score__lt=F("item__max_points"))
    assert deductions.exists() and not deductions.filter(item__note_required=True, note="").exists()
    assert not ItemScore.objects.filter(passed=False, note="").exists()
    assert set(Review.objects.filter(campaign=demo).values_list("final_grade", flat=True)) <= set(Grade.values)


def test_the_levels_grades_follow_from_their_scores(demo):
    """The stored grades are what the grading rules give for the stored scores."""
    from reviews import grading

    template = demo.template
    items = list(template.items.select_related("element__parent_check"))
    vetoes = list(template.vetoes.all())
    levels = ReviewLevel.objects.filter(review__campaign=demo).prefetch_related("scores", "conditions")
    for level in levels[:60]:
        entries = {
            s.item_id: grading.ScoreInput(score=s.score, passed=s.passed, note=s.note) for s in level.scores.all()
        }
        result = grading.level_result(template, items, entries, vetoes, [c.pk for c in level.conditions.all()])
        assert (result.total, result.grade) == (level.total_score, level.grade), level


def test_villages_rate_themselves_a_little_higher(demo):
    totals = {}
    for review_id, stage, total in ReviewLevel.objects.filter(review__campaign=demo).values_list(
        "review_id", "level", "total_score"
    ):
        totals.setdefault(review_id, {})[stage] = float(total)
    gaps = [t[Stage.VILLAGE] - t[Stage.TOWNSHIP] for t in totals.values()]
    assert sum(g > 0 for g in gaps) / len(gaps) > 0.75
    assert 1 < mean(gaps) < 6


def test_the_county_sample_is_drawn_checked_and_reproducible(demo):
    draw = SampleDraw.objects.get(campaign=demo)
    assert draw.seed == reviews_demo.SAMPLE_SEED and services.sample_verify(draw)
    sampled = Review.objects.filter(campaign=demo, sampled=True)
    assert sampled.count() == len(draw.drawn_codes) > 0
    county = ReviewLevel.objects.filter(review__in=sampled, level=Stage.COUNTY)
    assert county.filter(status=LevelStatus.SUBMITTED).count() == sampled.count()
    assert set(sampled.values_list("final_stage", flat=True)) == {Stage.COUNTY}
    townships = {code[:9] for code in draw.drawn_codes}
    assert len(townships) == 10  # at least one village from each township


def test_post_holders_are_rated(demo):
    # The posts held when the campaign ended (the demo's adjustments after it end some of them).
    held = Q(end_date__isnull=True) | Q(end_date__gt=demo.end_date)
    current = Post.objects.filter(held, division__code__startswith="411103", start_date__lte=demo.end_date).count()
    assert PostRating.objects.filter(review__campaign=demo).count() == current
    assert not PostRating.objects.filter(grade__in=[Grade.AVERAGE, Grade.POOR], note="").exists()


def test_a_second_run_changes_nothing(demo):
    before = (
        ScorecardTemplate.objects.count(),
        Review.objects.count(),
        ItemScore.objects.count(),
        ReviewLevel.history.count(),
    )
    output = load()
    assert "already there" in output
    assert before == (
        ScorecardTemplate.objects.count(),
        Review.objects.count(),
        ItemScore.objects.count(),
        ReviewLevel.history.count(),
    )


def test_the_demo_accounts_act_in_the_demo(demo, client):
    peicheng = get_user_model().objects.get(username="yc_peicheng")
    assert ReviewLevel.objects.filter(review__campaign=demo, level=Stage.TOWNSHIP, submitted_by=peicheng).count() == 25
    client.force_login(peicheng)
    assert client.get(reverse("reviews:board", args=["411103103000"])).status_code == 200


def test_the_tallies_read_the_latest_review(demo):
    from villages.metrics import Period, registry

    metrics = registry()
    county = demo.division
    period = Period.parse("2022")
    good = metrics["reviews.team_good_or_fair"].compute(county, period)
    assert (good[county.code].numerator, good[county.code].denominator) == (128, 183)
    weak = metrics["reviews.team_average_or_poor"].compute(county, period)
    assert weak[county.code].numerator == 55
    assert sum(f.numerator for code, f in weak.items() if code[9:] != "000") == 55  # the villages' own rows
    poor = metrics["reviews.poor_post_ratings"].compute(county, period)
    assert poor[county.code].numerator == PostRating.objects.filter(review__campaign=demo, grade=Grade.POOR).count()
    assert metrics["reviews.team_good_or_fair"].compute(county, Period.parse("2020")) == {}
