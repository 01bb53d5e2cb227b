"""Demo data for the reviews app: 郾城区's 2026 look-back review, under way.

The two committees were elected again in 2026, and the county has begun its new look-back: the campaign began a
few weeks before the demo is loaded and ends some weeks after it, so it is in progress whenever the demo is
loaded. Across the county's 183 villages some have not started their self-diagnosis (自诊), some hold a draft,
some have submitted it and wait for their township's diagnosis (问诊), a few were returned by the township with
a reason, a few townships have diagnosed and the county has drawn its sample, so that the re-diagnosis (回诊) of
some sampled villages is open. Every demo account has work on its to-do list when it first signs in.

What the demo's accounts do goes through the services, as in the product: the county (``yc_county``) creates
the campaign and draws the sample, 裴城镇's staff (``yc_peicheng``) diagnose, rate post holders, submit and
return, 梁庄村's secretary (``yc_liangzhuang``) fills and submits its self-diagnosis. The other villages have no
demo account; their levels are written in bulk as if entered on paper and typed in later (no author), like the
2021 campaign's.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

from villages.models import Post

from . import services
from .choices import Grade, LevelStatus, Stage
from .demo import (
    CHANGE_REASON,
    EVALUATIONS,
    POST_NOTES,
    SELF_NOTES,
    TOTAL_RANGES,
    _Planner,
)
from .models import Campaign, Item, ItemScore, PostRating, Review, ReviewLevel

SEED = 20261116
SAMPLE_SEED = 20261207
SAMPLE_SHARE = Decimal("0.2")
CAMPAIGN_NAME = "2026年村(社区)“两委”换届“回头看”"
# The campaign runs from four weeks before the demo is loaded to eight weeks after it: always under way.
STARTED_DAYS_AGO, ENDS_IN_DAYS = 28, 56
PEICHENG = "411103103"
LIANGZHUANG_RETURN = "第3项“班子结构”扣分未写明原因，集体经济收入与台账不一致，请核实后重新提交。"
RETURN_REASONS = [
    "“四议两公开”记录与会议台账对不上，请补充会议记录后重新提交。",
    "自评分明显高于实际，多项扣分未说明原因，请重新自评。",
]


class State:
    """Where each village's review stands in the demo."""

    NOT_STARTED = "not_started"  # nothing entered yet
    DRAFT = "draft"  # the village has saved part of its self-diagnosis
    SUBMITTED = "submitted"  # self-diagnosis submitted, waiting for the township
    RETURNED = "returned"  # the township returned the self-diagnosis with a reason
    DIAGNOSING = "diagnosing"  # the township has saved part of its diagnosis
    DIAGNOSED = "diagnosed"  # the township's diagnosis is submitted


# Share of each state among the villages of the townships without a demo account (weights).
OTHER_STATES = {
    State.NOT_STARTED: 24,
    State.DRAFT: 26,
    State.SUBMITTED: 30,
    State.RETURNED: 4,
    State.DIAGNOSING: 6,
    State.DIAGNOSED: 10,
}
# 裴城镇, whose staff and one village have demo accounts: a few of each, so that both have work.
PEICHENG_STATES = [State.NOT_STARTED] * 4 + [State.DRAFT] * 5 + [State.SUBMITTED] * 8 + [State.RETURNED] * 1
PEICHENG_STATES += [State.DIAGNOSING] * 2 + [State.DIAGNOSED] * 4


def campaign_dates(today: datetime.date | None = None) -> tuple[datetime.date, datetime.date]:
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=STARTED_DAYS_AGO), today + datetime.timedelta(days=ENDS_IN_DAYS)


def load(stdout, *, county, template) -> None:
    if Campaign.objects.filter(division=county, name=CAMPAIGN_NAME).exists():
        stdout.write(f"  campaign “{CAMPAIGN_NAME}” already there")
        return
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["yc_county", "yc_peicheng", "yc_liangzhuang"])
    }
    if set(users) != {"yc_county", "yc_peicheng", "yc_liangzhuang"}:
        stdout.write("  the demo accounts are missing: load the villages demo first")
        return
    with transaction.atomic():
        counts = _load(county, template, users)
    stdout.write(
        f"  campaign under way: {CAMPAIGN_NAME}, "
        + ", ".join(f"{counts.get(state, 0)} {state.replace('_', ' ')}" for state in OTHER_STATES)
        + f"; {counts['sampled']} villages sampled"
    )


def _load(county, template, users) -> dict[str, int]:
    rng = random.Random(SEED)  # noqa: S311 - made-up demo scores; they must repeat
    county_user, township_user, village_user = users["yc_county"], users["yc_peicheng"], users["yc_liangzhuang"]
    start, end = campaign_dates()
    campaign = services.campaign_create(
        actor=county_user, division=county, template=template, name=CAMPAIGN_NAME, start_date=start, end_date=end
    )
    draw = services.sample_draw(actor=county_user, campaign=campaign, share=SAMPLE_SHARE, seed=SAMPLE_SEED)
    drawn = set(draw.drawn_codes)
    items = list(Item.objects.filter(template=template).select_related("element__parent_check").order_by("number"))
    planner = _Planner(rng, template, items, list(template.vetoes.order_by("pk")))
    reviews = list(
        Review.objects.filter(campaign=campaign).select_related("village", "campaign__template").order_by("village")
    )
    reviews.sort(key=lambda r: r.village.code)
    liangzhuang = next(s.division.code for s in village_user.scopes.select_related("division"))
    states = _plan_states(rng, reviews, drawn, liangzhuang)
    levels = {
        (lv.review_id, lv.level): lv
        for lv in ReviewLevel.objects.filter(review__campaign=campaign).select_related("review__village")
    }
    posts = {}
    for post in Post.objects.filter(division__in=[r.village_id for r in reviews], end_date__isnull=True).order_by(
        "division_id", "pk"
    ):
        posts.setdefault(post.division_id, []).append(post)

    paper = _PaperEntries()
    counts: dict[str, int] = {"sampled": len(drawn)}
    for review in reviews:
        state = states[review.village.code]
        counts[state] = counts.get(state, 0) + 1
        if state == State.NOT_STARTED:
            continue
        grade = rng.choices(list(TOTAL_RANGES), weights=[22, 50, 25, 3])[0]
        township = planner.entries(planner.total(TOTAL_RANGES[grade]))
        shift = rng.choices([rng.randint(2, 12), 0, -rng.randint(1, 4)], weights=[80, 12, 8])[0]
        own = planner.shifted(township, shift, SELF_NOTES)
        village_level = levels[review.pk, Stage.VILLAGE]
        township_level = levels[review.pk, Stage.TOWNSHIP]
        by_account = review.village.code.startswith(PEICHENG)
        village_actor = village_user if review.village.code == liangzhuang else None
        if state == State.DRAFT:
            part = dict(rng.sample(sorted(own.items()), rng.randint(12, 60)))
            _village_draft(paper, village_level, part, village_actor, planner)
            continue
        _village_submit(paper, village_level, own, village_actor, planner)
        if by_account:
            paper.flush()  # 裴城镇's staff act on it through the services next, which read what is stored
        if state == State.SUBMITTED:
            continue
        if state == State.RETURNED:
            reason = LIANGZHUANG_RETURN if village_actor else rng.choice(RETURN_REASONS)
            if by_account:
                services.review_level_return(actor=township_user, level=village_level, reason=reason)
            else:
                paper.returned(village_level, reason)
            continue
        result = planner.result(township)
        weak = planner.weakest_check(result)
        visits, talks, documents = rng.randint(10, 30), rng.randint(6, 15), rng.randint(12, 40)
        onsite = {
            "onsite_visits": visits,
            "onsite_talks": talks,
            "onsite_documents": documents,
            "onsite_notes": f"走访群众{visits}户，与“两委”成员及党员群众代表谈话{talks}人次，查阅资料{documents}份。",
            "first_evaluation": EVALUATIONS[result.grade].format(weak=weak, veto=f"{weak}问题突出"),
        }
        ratings = _ratings(rng, posts.get(review.village_id, []), result.grade)
        if state == State.DIAGNOSING:
            part = dict(rng.sample(sorted(township.items()), rng.randint(20, 50)))
            if by_account:
                services.review_level_save_draft(
                    actor=township_user, level=township_level, scores=part, expected_version=township_level.version
                )
            else:
                paper.draft(township_level, part, planner)
            continue
        if by_account:
            level = services.review_level_save_draft(
                actor=township_user,
                level=township_level,
                scores=township,
                expected_version=township_level.version,
                onsite=onsite,
            )
            for post, (grade_of_post, note) in ratings:
                services.post_rating_set(actor=township_user, review=review, post=post, grade=grade_of_post, note=note)
            services.review_level_submit(actor=township_user, level=level, expected_version=level.version)
        else:
            paper.submitted(township_level, township, planner, **onsite)
            paper.ratings(review, ratings)
    paper.flush()
    return counts


def _plan_states(rng, reviews, drawn, liangzhuang) -> dict[str, str]:
    """Each village's state. 梁庄村's self-diagnosis was returned (its secretary redoes it); the villages the
    county drew are among those the townships have diagnosed where a township has diagnosed any, so that the
    county's re-diagnosis has work."""
    states = {}
    peicheng = [r.village.code for r in reviews if r.village.code.startswith(PEICHENG)]
    peicheng.remove(liangzhuang)
    order = list(PEICHENG_STATES)
    rng.shuffle(order)
    # The sampled villages of 裴城镇 first take the diagnosed states, so the county has 回诊 to do there.
    sampled = [c for c in peicheng if c in drawn]
    rest = [c for c in peicheng if c not in drawn]
    diagnosed = [s for s in order if s == State.DIAGNOSED]
    others = [s for s in order if s != State.DIAGNOSED]
    plan = diagnosed[: len(sampled)] + others + diagnosed[len(sampled) :]
    for code, state in zip(sampled + rest, plan, strict=False):
        states[code] = state
    states[liangzhuang] = State.RETURNED
    for review in reviews:
        code = review.village.code
        if code not in states:
            states[code] = rng.choices(list(OTHER_STATES), weights=list(OTHER_STATES.values()))[0]
    return states


def _ratings(rng, posts, team_grade):
    weights = {
        Grade.GOOD: [70, 28, 2, 0],
        Grade.FAIRLY_GOOD: [25, 62, 12, 1],
        Grade.AVERAGE: [8, 52, 35, 5],
        Grade.POOR: [2, 30, 45, 23],
    }
    ratings = []
    for post in posts:
        grade = rng.choices([g.value for g in Grade], weights=weights[team_grade])[0]
        ratings.append((post, (grade, rng.choice(POST_NOTES[grade]) if grade in POST_NOTES else "")))
    return ratings


def _village_draft(paper, level, entries, actor, planner) -> None:
    if actor is None:
        paper.draft(level, entries, planner)
    else:
        services.review_level_save_draft(actor=actor, level=level, scores=entries, expected_version=level.version)


def _village_submit(paper, level, entries, actor, planner) -> None:
    if actor is None:
        paper.submitted(level, entries, planner)
        return
    level = services.review_level_save_draft(actor=actor, level=level, scores=entries, expected_version=level.version)
    services.review_level_submit(actor=actor, level=level, expected_version=level.version)


class _PaperEntries:
    """The levels of villages without a demo account, written in bulk at the end: their scores, their results as
    the services grade them, their history rows (no author: entered from paper)."""

    def __init__(self):
        self.scores: list[ItemScore] = []
        self.levels: list[ReviewLevel] = []
        self.post_ratings: list[PostRating] = []
        self.now = timezone.now()

    def _level(self, level, entries, planner, status, **extra) -> None:
        result = planner.result(entries)
        self.scores += [
            ItemScore(level_id=level.pk, item_id=item_id, score=e.score, passed=e.passed, note=e.note)
            for item_id, e in entries.items()
        ]
        level.status = status
        level.version += 1
        level.total_score = result.total
        level.scored_count = result.scored
        level.grade = result.grade
        level.veto_reasons = "；".join(result.vetoes)
        level.updated_at = self.now
        if status == LevelStatus.SUBMITTED:
            level.submitted_at = self.now
        for field, value in extra.items():
            setattr(level, field, value)
        self.levels.append(level)

    def draft(self, level, entries, planner) -> None:
        self._level(level, entries, planner, LevelStatus.DRAFT)

    def submitted(self, level, entries, planner, **onsite) -> None:
        self._level(level, entries, planner, LevelStatus.SUBMITTED, **onsite)

    def returned(self, level, reason) -> None:
        level.status = LevelStatus.RETURNED
        level.returned_reason = reason
        level.returned_at = self.now

    def ratings(self, review, ratings) -> None:
        self.post_ratings += [
            PostRating(review=review, post=post, grade=grade, note=note, rated_at=self.now)
            for post, (grade, note) in ratings
        ]

    def flush(self) -> None:
        ItemScore.objects.bulk_create(self.scores, batch_size=2000)
        fields = [
            "status", "version", "total_score", "scored_count", "grade", "veto_reasons", "updated_at", "submitted_at",
            "returned_reason", "returned_at", "onsite_visits", "onsite_talks", "onsite_documents", "onsite_notes",
            "first_evaluation",
        ]  # fmt: skip
        if not self.levels:
            return
        bulk_update_with_history(self.levels, ReviewLevel, fields, batch_size=500, default_change_reason=CHANGE_REASON)
        PostRating.objects.bulk_create(self.post_ratings, batch_size=2000)
        levels, self.levels, self.scores, self.post_ratings = self.levels, [], [], []
        # The final grade of a review follows its highest submitted level (the village's own excepted).
        graded = {
            lv.review_id: lv.grade for lv in levels if lv.level == Stage.TOWNSHIP and lv.status == LevelStatus.SUBMITTED
        }
        for review_id, grade in graded.items():
            Review.objects.filter(pk=review_id).update(final_grade=grade, final_stage=Stage.TOWNSHIP)
