"""The three levels of a review, draft → submitted, returned and reopened by the level above: every allowed
and refused transition, by role and by scope."""

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from reviews import services
from reviews.choices import Grade, LevelStatus, Stage
from reviews.grading import ScoreInput
from reviews.models import ItemScore, Review, ReviewLevel
from tests.reviews.conftest import fill, full_marks, level_of

ALL_USERS = ["village", "township", "county", "grid", "api", "petition", "shangqiao", "wangzhuang", "wj_county"]
# Who may write each level of 梁庄村's review; the rest are refused: 403 in scope, 404 outside it.
WRITERS = {Stage.VILLAGE: "village", Stage.TOWNSHIP: "township", Stage.COUNTY: "county"}
OUTSIDE = {"petition", "shangqiao", "wangzhuang", "wj_county"}


def user(tree, more_users, name):
    return getattr(tree.users, name, None) or getattr(more_users, name)


def outcome(call):
    try:
        call()
    except PermissionDenied:
        return 403
    except Http404:
        return 404
    return "ok"


@pytest.fixture
def sampled(tree, reviews):
    """Every village of the campaign in the county's sample, so each review has all three levels."""
    services.sample_draw(actor=tree.users.county, campaign=reviews.liangzhuang.campaign, share=Decimal(1), seed=7)
    return reviews


@pytest.mark.parametrize("stage", [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY])
@pytest.mark.parametrize("who", ALL_USERS)
def test_who_may_save_each_level(tree, more_users, sampled, stage, who):
    if stage == Stage.TOWNSHIP:  # the township's diagnosis opens with the submitted self-diagnosis
        fill(level_of(sampled.liangzhuang, Stage.VILLAGE), tree.users.village)
    level = level_of(sampled.liangzhuang, stage)
    actor = user(tree, more_users, who)
    entries = full_marks(level.review.campaign.template)
    result = outcome(
        lambda: services.review_level_save_draft(actor=actor, level=level, scores=entries, expected_version=0)
    )
    expected = "ok" if WRITERS[stage] == who else 404 if who in OUTSIDE else 403
    assert result == expected
    assert ItemScore.objects.filter(level=level).exists() == (expected == "ok")


@pytest.mark.parametrize("stage", [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY])
@pytest.mark.parametrize("who", ALL_USERS)
def test_who_may_submit_each_level(tree, more_users, sampled, stage, who):
    # Everything below the level is submitted and the level itself is saved complete.
    for lower in [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY]:
        if lower == stage:
            break
        fill(level_of(sampled.liangzhuang, lower), user(tree, more_users, WRITERS[lower]))
    level = fill(level_of(sampled.liangzhuang, stage), user(tree, more_users, WRITERS[stage]), submit=False)
    actor = user(tree, more_users, who)
    result = outcome(lambda: services.review_level_submit(actor=actor, level=level, expected_version=level.version))
    expected = "ok" if WRITERS[stage] == who else 404 if who in OUTSIDE else 403
    assert result == expected
    assert level_of(sampled.liangzhuang, stage).is_submitted == (expected == "ok")


# Who may send back or reopen each level: the level above (the county reopens its own).
SUPERVISORS = {Stage.VILLAGE: "township", Stage.TOWNSHIP: "county", Stage.COUNTY: "county"}


@pytest.mark.parametrize("action", ["return", "reopen"])
@pytest.mark.parametrize("stage", [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY])
@pytest.mark.parametrize("who", ALL_USERS)
def test_who_may_return_or_reopen_each_level(tree, more_users, sampled, action, stage, who):
    for s in [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY]:
        fill(level_of(sampled.liangzhuang, s), user(tree, more_users, WRITERS[s]))
        if s == stage:
            break
    level = level_of(sampled.liangzhuang, stage)
    service = services.review_level_return if action == "return" else services.review_level_reopen
    actor = user(tree, more_users, who)
    try:
        result = outcome(lambda: service(actor=actor, level=level, reason="核实有误"))
    except ValidationError:
        result = "refused"
    if who in OUTSIDE:
        expected = 404
    elif SUPERVISORS[stage] == who:
        # Nothing above the county level returns it; the county reopens it.
        expected = "refused" if action == "return" and stage == Stage.COUNTY else "ok"
    else:
        expected = 403
    assert result == expected
    status = level_of(sampled.liangzhuang, stage).status
    if expected == "ok":
        assert status == (LevelStatus.RETURNED if action == "return" else LevelStatus.DRAFT)
    else:
        assert status == LevelStatus.SUBMITTED


def test_the_whole_path_and_the_final_grade(tree, sampled):
    review = sampled.liangzhuang
    template = review.campaign.template
    village = fill(level_of(review, Stage.VILLAGE), tree.users.village)
    assert village.grade == Grade.GOOD
    review.refresh_from_db()
    assert review.final_grade == ""  # a self-assessment is never the final rating
    deduction = full_marks(template, {1: ScoreInput(score=Decimal(25), note="年龄结构偏大")})
    township = fill(level_of(review, Stage.TOWNSHIP), tree.users.township, deduction)
    assert (township.total_score, township.grade) == (Decimal(85), Grade.FAIRLY_GOOD)
    review.refresh_from_db()
    assert (review.final_grade, review.final_stage) == (Grade.FAIRLY_GOOD, Stage.TOWNSHIP)
    weaker = full_marks(template, {1: ScoreInput(score=Decimal(15), note="回诊发现年龄结构不合理")})
    fill(level_of(review, Stage.COUNTY), tree.users.county, weaker)
    review.refresh_from_db()
    assert (review.final_grade, review.final_stage) == (Grade.AVERAGE, Stage.COUNTY)


def test_each_save_and_the_submission_leave_a_history_row_of_the_level_as_stored(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    actor = tree.users.village
    entries = full_marks(level.review.campaign.template)
    services.review_level_save_draft(actor=actor, level=level, scores=entries, expected_version=0)
    services.review_level_submit(actor=actor, level=level, expected_version=1)
    stored = ReviewLevel.objects.get(pk=level.pk)
    records = list(stored.history.order_by("history_id"))[1:]  # after the level's creation
    assert [(r.history_type, r.version, r.status, r.history_user) for r in records] == [
        ("~", 1, LevelStatus.DRAFT, actor),
        ("~", 2, LevelStatus.SUBMITTED, actor),
    ]
    last = records[-1]
    kept = [f.attname for f in ReviewLevel._meta.concrete_fields]
    assert {name: getattr(last, name) for name in kept} == {name: getattr(stored, name) for name in kept}
    assert last.history_date >= stored.updated_at


def test_township_may_draft_before_the_village_submits_when_the_county_opened_it_but_not_submit(tree, reviews):
    services.review_township_open_early(actor=tree.users.county, review=reviews.liangzhuang, reason="走访在即")
    township = fill(level_of(reviews.liangzhuang, Stage.TOWNSHIP), tree.users.township, submit=False)
    with pytest.raises(ValidationError) as exc:
        services.review_level_submit(actor=tree.users.township, level=township, expected_version=township.version)
    assert "Village self-diagnosis must be submitted first" in str(exc.value)
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    services.review_level_submit(actor=tree.users.township, level=township, expected_version=township.version)
    assert level_of(reviews.liangzhuang, Stage.TOWNSHIP).is_submitted


def test_county_level_needs_the_township_first(tree, sampled):
    county = fill(level_of(sampled.liangzhuang, Stage.COUNTY), tree.users.county, submit=False)
    with pytest.raises(ValidationError, match="Township diagnosis must be submitted first"):
        services.review_level_submit(actor=tree.users.county, level=county, expected_version=county.version)


def test_only_sampled_villages_have_a_county_level(tree, reviews):
    assert not ReviewLevel.objects.filter(level=Stage.COUNTY).exists()
    draw = services.sample_draw(
        actor=tree.users.county, campaign=reviews.liangzhuang.campaign, share=Decimal("0.1"), minimum=1, seed=3
    )
    sampled = set(Review.objects.filter(sampled=True).values_list("village__code", flat=True))
    assert sampled == set(draw.drawn_codes)
    assert (
        set(ReviewLevel.objects.filter(level=Stage.COUNTY).values_list("review__village__code", flat=True)) == sampled
    )


def test_submission_needs_every_item_and_the_notes(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    template = reviews.liangzhuang.campaign.template
    entries = full_marks(template, {1: ScoreInput(score=Decimal(30))})  # a deduction without its note
    del entries[template.items.get(number=4).pk]
    level = services.review_level_save_draft(actor=tree.users.village, level=level, scores=entries, expected_version=0)
    with pytest.raises(ValidationError) as exc:
        services.review_level_submit(actor=tree.users.village, level=level, expected_version=level.version)
    errors = exc.value.message_dict
    assert set(errors) == {f"item_{template.items.get(number=n).pk}" for n in (1, 4)}
    assert "note" in errors[f"item_{template.items.get(number=1).pk}"][0]
    assert "Score this item" in errors[f"item_{template.items.get(number=4).pk}"][0]
    assert level_of(reviews.liangzhuang, Stage.VILLAGE).status == LevelStatus.DRAFT


def test_township_submission_needs_the_first_evaluation(tree, reviews):
    fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    township = fill(level_of(reviews.liangzhuang, Stage.TOWNSHIP), tree.users.township, evaluation="", submit=False)
    with pytest.raises(ValidationError) as exc:
        services.review_level_submit(actor=tree.users.township, level=township, expected_version=township.version)
    assert set(exc.value.message_dict) == {"first_evaluation"}


def test_a_submitted_level_is_locked(tree, reviews):
    level = fill(level_of(reviews.liangzhuang, Stage.VILLAGE), tree.users.village)
    entries = full_marks(reviews.liangzhuang.campaign.template)
    with pytest.raises(ValidationError, match="locked"):
        services.review_level_save_draft(
            actor=tree.users.village, level=level, scores=entries, expected_version=level.version
        )
    with pytest.raises(ValidationError, match="locked"):
        services.review_level_submit(actor=tree.users.village, level=level, expected_version=level.version)


def test_returned_level_is_reworked_and_resubmitted(tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    with pytest.raises(ValidationError) as exc:
        services.review_level_return(actor=tree.users.township, level=level_of(review, Stage.VILLAGE), reason=" ")
    assert set(exc.value.message_dict) == {"reason"}
    returned = services.review_level_return(
        actor=tree.users.township, level=level_of(review, Stage.VILLAGE), reason="自评偏高，请重新核实"
    )
    assert returned.status == LevelStatus.RETURNED and returned.returned_by == tree.users.township
    assert returned.history.first().history_change_reason == "自评偏高，请重新核实"
    again = fill(level_of(review, Stage.VILLAGE), tree.users.village)
    assert again.is_submitted


def test_nothing_is_sent_back_once_the_level_above_is_submitted(tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    fill(level_of(review, Stage.TOWNSHIP), tree.users.township)
    for service in (services.review_level_return, services.review_level_reopen):
        with pytest.raises(ValidationError, match="reopened first"):
            service(actor=tree.users.township, level=level_of(review, Stage.VILLAGE), reason="需修改")
    # The county reopens the township's level; then the township may send the village's back.
    services.review_level_reopen(actor=tree.users.county, level=level_of(review, Stage.TOWNSHIP), reason="问诊有误")
    services.review_level_return(actor=tree.users.township, level=level_of(review, Stage.VILLAGE), reason="需修改")
    assert level_of(review, Stage.VILLAGE).status == LevelStatus.RETURNED


def test_reopening_is_recorded_and_clears_the_final_grade(tree, reviews):
    review = reviews.liangzhuang
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    fill(level_of(review, Stage.TOWNSHIP), tree.users.township)
    review.refresh_from_db()
    assert review.final_grade == Grade.GOOD
    reopened = services.review_level_reopen(
        actor=tree.users.county, level=level_of(review, Stage.TOWNSHIP), reason="抽查发现问诊材料不全"
    )
    assert reopened.status == LevelStatus.DRAFT
    assert (reopened.reopened_by, reopened.reopened_reason) == (tree.users.county, "抽查发现问诊材料不全")
    record = reopened.history.first()
    assert (record.history_user, record.history_change_reason) == (tree.users.county, "抽查发现问诊材料不全")
    review.refresh_from_db()
    assert review.final_grade == ""


def test_only_submitted_levels_are_sent_back(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    with pytest.raises(ValidationError, match="Only a submitted level"):
        services.review_level_return(actor=tree.users.township, level=level, reason="x")


def test_bad_input_saves_nothing(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    template = reviews.liangzhuang.campaign.template
    entries = full_marks(template, {1: ScoreInput(score=Decimal(41))})
    with pytest.raises(ValidationError) as exc:
        services.review_level_save_draft(actor=tree.users.village, level=level, scores=entries, expected_version=0)
    assert list(exc.value.message_dict) == [f"item_{template.items.get(number=1).pk}"]
    level.refresh_from_db()
    assert level.version == 0 and not ItemScore.objects.filter(level=level).exists()
    with pytest.raises(ValidationError, match="not items of this scorecard"):
        services.review_level_save_draft(
            actor=tree.users.village, level=level, scores={999999: ScoreInput(score=1)}, expected_version=0
        )
    with pytest.raises(ValidationError) as exc:
        services.review_level_save_draft(
            actor=tree.users.village, level=level, scores={}, expected_version=0, onsite={"onsite_visits": 3}
        )
    assert "Only the township level" in str(exc.value)
    with pytest.raises(ValidationError) as exc:
        services.review_level_save_draft(
            actor=tree.users.village,
            level=level,
            scores={},
            expected_version=0,
            conditions=[template.vetoes.get(item__isnull=False).pk],
        )
    assert set(exc.value.message_dict) == {"conditions"}
    assert not ItemScore.objects.exists() and ReviewLevel.objects.get(pk=level.pk).version == 0


def test_a_partial_draft_keeps_the_other_items(tree, reviews):
    level = level_of(reviews.liangzhuang, Stage.VILLAGE)
    template = reviews.liangzhuang.campaign.template
    level = services.review_level_save_draft(
        actor=tree.users.village, level=level, scores=full_marks(template), expected_version=0
    )
    first = template.items.get(number=1)
    level = services.review_level_save_draft(
        actor=tree.users.village,
        level=level,
        scores={first.pk: ScoreInput(score=Decimal(35), note="略有不足")},
        expected_version=level.version,
    )
    assert (level.total_score, level.scored_count, level.version) == (Decimal(95), 5, 2)
    assert ItemScore.objects.filter(level=level).count() == 5
