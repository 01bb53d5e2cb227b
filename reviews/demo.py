"""Demo data for the reviews app: the default scorecard and 郾城区's 2021 look-back review.

``manage.py load_demo`` finds ``load`` through ``ReviewsConfig.demo_loader``, after the villages demo. Every
one of the county's 183 villages is reviewed through the township level (36 rated 好 and 92 较好 as in the
seed, the other 55 一般 or 差); the villages rate themselves mostly a little higher than their township does;
the county's sample is drawn with a recorded seed and re-diagnosed, confirming the township's grades. The plan
comes from one seeded generator, and all rows go in with bulk inserts; a second run finds the campaign and
changes nothing.
"""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from villages.models import Division, Post

from . import grading, scorecard_2021
from .choices import Grade, LevelStatus, Stage, TemplateStatus
from .models import (
    Campaign,
    Check,
    Element,
    Item,
    ItemScore,
    PostRating,
    Review,
    ReviewLevel,
    SampleDraw,
    ScorecardTemplate,
    VetoRule,
)
from .sampling import draw_sample, sample_sizes

SEED = 20211101
SAMPLE_SEED = 20211108
SAMPLE_SHARE = Decimal("0.2")
CHANGE_REASON = "演示数据"
COUNTY_CODE = "411103000000"
CAMPAIGN_NAME = "2021年村(社区)“两委”换届“回头看”"
CAMPAIGN_DATES = (datetime.date(2021, 9, 1), datetime.date(2021, 12, 31))
# The seed's county: 36 rated 好 and 92 较好 at the first evaluation; the rest split between 一般 and 差.
GRADE_COUNTS = {Grade.GOOD: 36, Grade.FAIRLY_GOOD: 92, Grade.AVERAGE: 49, Grade.POOR: 6}
# The township's total for each grade, in half points, and the special cases decided by a veto.
TOTAL_RANGES = {
    Grade.GOOD: (90, 97.5),
    Grade.FAIRLY_GOOD: (80, 89.5),
    Grade.AVERAGE: (61, 79.5),
    Grade.POOR: (52, 59.5),
}
VETO_CASES = [
    # (grade, veto name, total range): one village whose discipline case caps it at 差, one with a group visit
    # that made it 差, one branch found weak and lax (软弱涣散) and so 一般 despite its score.
    (Grade.POOR, "村干部发生违纪违法案件", (74, 84)),
    (Grade.POOR, "发生越级集体访或重大群体性事件，造成恶劣影响", (66, 78)),
    (Grade.AVERAGE, "村党组织被确定为软弱涣散党组织", (80, 85)),
]

TOWNSHIP_NOTES = [
    "台账资料不完整，部分记录缺失",
    "制度已建立，但执行不经常",
    "现场查看落实不到位",
    "走访群众反映的情况与台账不一致",
    "资料有补录痕迹，过程性材料不足",
    "整改措施未按时完成",
    "公开内容不全，更新不及时",
    "群众知晓率不高",
]
SELF_NOTES = [
    "自查发现资料不够完善，正在补充",
    "工作有差距，已列入整改清单",
    "部分记录不规范，已整改",
    "落实不够经常，下一步加强",
]
COUNTY_NOTES = ["回诊核实，与乡镇意见一致", "回诊抽查发现资料仍不完整", "回诊走访群众，反映情况属实"]
POST_NOTES = {
    Grade.AVERAGE: ["工作主动性不强，群众反映办事拖沓", "分管工作推进较慢，台账不规范", "坐班值守不够经常"],
    Grade.POOR: ["长期不在岗，分管工作基本停滞", "群众意见较大，履职能力明显不足"],
}
EVALUATIONS = {
    Grade.GOOD: "班子团结有力，运行机制健全，干部履职尽责，群众认可度高，研判会建议评为“好”。",
    Grade.FAIRLY_GOOD: "班子整体运行较好，{weak}方面还有差距，研判会建议评为“较好”，限期补齐短板。",
    Grade.AVERAGE: "班子运行一般，{weak}等方面问题较多，研判会建议评为“一般”，由包村干部督促整改。",
    Grade.POOR: "班子运行差（{veto}），研判会建议评为“差”，提请区委组织部研究组织调整。",
}


def create_template(
    *, division=None, year: int = scorecard_2021.YEAR, version: int = 1, status=TemplateStatus.PUBLISHED, actor=None
) -> ScorecardTemplate:
    """The default scorecard, inserted in bulk (one insert per level of the tree, and one for the vetoes)."""
    good, fairly_good, average = scorecard_2021.CUTOFFS
    template = ScorecardTemplate(
        division=division,
        name=scorecard_2021.NAME,
        year=year,
        version=version,
        status=status,
        good_min=good,
        fairly_good_min=fairly_good,
        average_min=average,
    )
    template._history_user = actor
    template.save()
    checks = bulk_create_with_history(
        [Check(template=template, number=n, name=name) for n, (name, _) in enumerate(scorecard_2021.CHECKS, 1)],
        Check,
        default_user=actor,
        default_change_reason=CHANGE_REASON,
    )
    elements, element_items = [], []
    for check, (_, element_specs) in zip(checks, scorecard_2021.CHECKS, strict=True):
        for n, (name, items) in enumerate(element_specs, 1):
            elements.append(Element(parent_check=check, number=n, name=name))
            element_items.append(items)
    elements = bulk_create_with_history(elements, Element, default_user=actor, default_change_reason=CHANGE_REASON)
    items, number = [], 0
    for element, specs in zip(elements, element_items, strict=True):
        for content, explanation, points, rule, note_required in specs:
            number += 1
            items.append(
                Item(
                    template=template,
                    element=element,
                    number=number,
                    content=content,
                    explanation=explanation,
                    rule=rule,
                    max_points=Decimal(points),
                    note_required=note_required,
                )
            )
    items = bulk_create_with_history(items, Item, default_user=actor, default_change_reason=CHANGE_REASON)
    by_content = {item.content: item for item in items}
    bulk_create_with_history(
        [
            VetoRule(template=template, name=name, item=by_content[content] if content else None, grade=grade)
            for name, content, grade in scorecard_2021.VETOES
        ],
        VetoRule,
        default_user=actor,
        default_change_reason=CHANGE_REASON,
    )
    return template


def default_template() -> ScorecardTemplate:
    """The shared 2021 scorecard, created on first use."""
    template = ScorecardTemplate.objects.filter(division__isnull=True, year=scorecard_2021.YEAR, version=1).first()
    return template or create_template()


class _Planner:
    """Draws every score of the campaign from one generator, using the same grading as the services."""

    def __init__(self, rng: random.Random, template, items, vetoes):
        self.rng = rng
        self.template = template
        self.items = items
        self.vetoes = vetoes
        self.veto_by_name = {v.name: v for v in vetoes}
        self.points_items = [i for i in items if not i.is_pass_fail]
        self.check_max: dict[int, Decimal] = {}
        self.check_names: dict[int, str] = {}
        for item in items:
            check = item.element.parent_check
            self.check_max[check.number] = self.check_max.get(check.number, Decimal(0)) + item.max_points
            self.check_names[check.number] = check.name

    def total(self, bounds) -> Decimal:
        low, high = (int(b * 2) for b in bounds)
        return Decimal(self.rng.randint(low, high)) / 2

    def entries(self, target: Decimal, failed=(), notes=TOWNSHIP_NOTES) -> dict[int, grading.ScoreInput]:
        """Full marks, the failed pass/fail items, then half points taken off items until the total is ``target``."""
        deducted = {item.pk: Decimal(0) for item in self.points_items}
        rest = Decimal(100) - target - sum((i.max_points for i in self.items if i.pk in failed), Decimal(0))
        while rest > 0:
            room = [i for i in self.points_items if deducted[i.pk] < i.max_points]
            item = self.rng.choices(room, weights=[float(i.max_points - deducted[i.pk]) for i in room])[0]
            step = (
                Decimal(1)
                if rest >= 1 and item.max_points - deducted[item.pk] >= 1 and self.rng.random() < 0.4
                else Decimal("0.5")
            )
            deducted[item.pk] += step
            rest -= step
        return {
            item.pk: self._entry(item, deducted.get(item.pk, Decimal(0)), item.pk in failed, notes)
            for item in self.items
        }

    def _entry(self, item, deducted, failed, notes) -> grading.ScoreInput:
        if item.is_pass_fail:
            return grading.ScoreInput(passed=not failed, note=self.rng.choice(notes) if failed else "")
        note = self.rng.choice(notes) if deducted else ""
        return grading.ScoreInput(score=item.max_points - deducted, note=note)

    def shifted(self, entries, half_points: int, notes) -> dict[int, grading.ScoreInput]:
        """``entries`` moved up (restoring deductions) or down by ``half_points`` half points, pass/fail kept."""
        result = dict(entries)
        step = Decimal("0.5")
        for _ in range(abs(half_points)):
            if half_points > 0:
                options = [i for i in self.points_items if result[i.pk].score < i.max_points]
            else:
                options = [i for i in self.points_items if result[i.pk].score > 0]
            if not options:
                break
            item = self.rng.choice(options)
            score = result[item.pk].score + (step if half_points > 0 else -step)
            note = "" if score == item.max_points else (result[item.pk].note or self.rng.choice(notes))
            result[item.pk] = grading.ScoreInput(score=score, note=note)
        return result

    def result(self, entries, conditions=()):
        return grading.level_result(self.template, self.items, entries, self.vetoes, conditions)

    def weakest_check(self, result) -> str:
        """The check that lost the largest share of its points, named without its 查."""
        ratio = {n: result.check_totals.get(n, Decimal(0)) / total for n, total in self.check_max.items()}
        return self.check_names[min(ratio, key=ratio.get)].removeprefix("查")


def _moment(rng, start: datetime.date, days: int) -> datetime.datetime:
    day = start + datetime.timedelta(days=rng.randint(0, days))
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    naive = datetime.datetime.combine(day, datetime.time(rng.randint(9, 17), rng.randint(0, 59)))
    return timezone.make_aware(naive)


def _plan_grades(rng, villages) -> list[tuple[str, str | None]]:
    """(grade, veto case name or None) per village, in village order: the seed's counts, shuffled."""
    grades = [grade for grade, n in GRADE_COUNTS.items() for _ in range(n)]
    rng.shuffle(grades)
    plan = [(g, None) for g in grades]
    # The veto cases replace grades of the same kind, so the counts stay the seed's.
    for grade, name, _ in VETO_CASES:
        i = next(i for i, (g, special) in enumerate(plan) if g == grade and special is None)
        plan[i] = (grade, name)
    assert len(plan) == len(villages), "the demo county must have 183 villages"  # noqa: S101 - a broken plan
    return plan


def _township_entries(planner, grade, special):
    if special is None:
        target = planner.total(TOTAL_RANGES[grade])
        return planner.entries(target), []
    case = next(c for c in VETO_CASES if c[1] == special)
    veto = planner.veto_by_name[special]
    target = planner.total(case[2])
    if veto.item_id:
        return planner.entries(target, failed={veto.item_id}), []
    return planner.entries(target), [veto.pk]


def load(stdout) -> None:
    county = Division.objects.filter(code=COUNTY_CODE).first()
    if county is None:
        stdout.write("  no 郾城区 in the database: load the villages demo first")
        return
    with transaction.atomic():
        template = default_template()
        if Campaign.objects.filter(division=county, name=CAMPAIGN_NAME).exists():
            stdout.write(f"  campaign “{CAMPAIGN_NAME}” already there")
        else:
            counts = _load_campaign(county, template)
            counts["closed"] = _close_finished(county)
            stdout.write(
                f"  scorecard: {template}; campaign: {counts['reviews']} reviews, {counts['levels']} levels, "
                f"{counts['scores']} item scores, {counts['ratings']} post ratings, "
                f"{counts['sampled']} villages sampled, {counts['closed']} reviews closed"
            )
    # The look-back under way comes after the finished one (imported here: it builds on this module's planner).
    from . import demo_current

    demo_current.load(stdout, county=county, template=template)


def _close_finished(county) -> int:
    """The county closed the 2021 look-back's finished reviews (every level submitted) as of their last submission:
    their villages have seen the township's and the county's scores since (``reviews.visibility``)."""
    from django.db.models import Max

    from .selectors import ready_to_close_q

    closer = get_user_model().objects.filter(username="yc_county").first()
    finished = (
        Review.objects.filter(ready_to_close_q(), campaign__division=county, campaign__name=CAMPAIGN_NAME)
        .annotate(last=Max("levels__submitted_at"))
        .order_by("pk")
    )
    closed = 0
    for review in finished:
        closed += Review.objects.filter(pk=review.pk).update(closed_at=review.last, closed_by=closer)
    return closed


def _load_campaign(county, template) -> dict[str, int]:
    rng = random.Random(SEED)  # noqa: S311 - made-up demo scores; they must repeat
    users = {
        u.username: u
        for u in get_user_model().objects.filter(username__in=["yc_county", "yc_peicheng", "yc_liangzhuang"])
    }
    county_user, peicheng_user = users.get("yc_county"), users.get("yc_peicheng")
    liangzhuang_user = users.get("yc_liangzhuang")
    liangzhuang_code = (
        next((s.division.code for s in liangzhuang_user.scopes.select_related("division")), None)
        if liangzhuang_user
        else None
    )
    items = list(Item.objects.filter(template=template).select_related("element__parent_check").order_by("number"))
    vetoes = list(template.vetoes.order_by("pk"))
    planner = _Planner(rng, template, items, vetoes)
    villages = list(Division.objects.current().villages().below(county).order_by("code"))
    campaign = Campaign(
        division=county,
        template=template,
        name=CAMPAIGN_NAME,
        start_date=CAMPAIGN_DATES[0],
        end_date=CAMPAIGN_DATES[1],
        created_by=county_user,
        created_at=_moment(rng, datetime.date(2021, 8, 23), 4),
    )
    campaign._history_user = county_user
    campaign.save()
    drawn = set(draw_sample([v.code for v in villages], share=SAMPLE_SHARE, minimum=1, seed=SAMPLE_SEED))

    # Some townships' villages inflate their self-assessment more than others': the gap page should show it.
    bias = {code[:9]: rng.randint(-2, 6) for code in sorted({v.code for v in villages})}
    reviews, levels, level_entries, level_conditions, township_grades = [], [], [], [], []
    for village, (grade, special) in zip(villages, _plan_grades(rng, villages), strict=True):
        township_actor = peicheng_user if village.code.startswith("411103103") else None
        village_actor = liangzhuang_user if village.code == liangzhuang_code else None
        township, conditions = _township_entries(planner, grade, special)
        township_result = planner.result(township, conditions)
        assert township_result.grade == grade, (village.code, grade, township_result)  # noqa: S101
        # Most villages rate themselves 1 to 6 points above the township, some about the same, a few lower;
        # a village with a veto case does not report it about itself.
        shift = rng.choices([rng.randint(2, 12), 0, -rng.randint(1, 4)], weights=[80, 12, 8])[0]
        shift = max(shift + bias[village.code[:9]], -4) if shift > 0 else shift
        own = {pk: (grading.ScoreInput(passed=True) if e.passed is False else e) for pk, e in township.items()}
        own = planner.shifted(own, shift, SELF_NOTES)
        own_result = planner.result(own)
        self_at = _moment(rng, datetime.date(2021, 9, 6), 20)
        township_at = _moment(rng, datetime.date(2021, 10, 8), 18)
        review = Review(campaign=campaign, village=village, final_grade=grade, final_stage=Stage.TOWNSHIP)
        review._history_date = campaign.created_at
        reviews.append(review)
        levels.append(_level(review, Stage.VILLAGE, own_result, village_actor, self_at, version=3))
        level_entries.append(own)
        level_conditions.append([])
        weak = planner.weakest_check(township_result)
        evaluation = EVALUATIONS[grade].format(weak=weak, veto="；".join(township_result.vetoes) or f"{weak}问题突出")
        visits, talks, documents = rng.randint(10, 30), rng.randint(6, 15), rng.randint(12, 40)
        levels.append(
            _level(
                review,
                Stage.TOWNSHIP,
                township_result,
                township_actor,
                township_at,
                version=4,
                onsite_visits=visits,
                onsite_talks=talks,
                onsite_documents=documents,
                onsite_notes=f"走访群众{visits}户，与“两委”成员及党员群众代表谈话{talks}人次，查阅资料{documents}份。",
                first_evaluation=evaluation,
            )
        )
        level_entries.append(township)
        level_conditions.append(conditions)
        township_grades.append(grade)
        if village.code in drawn:
            review.sampled = True
            county_entries = _county_entries(planner, township, conditions, grade)
            county_result = planner.result(county_entries, conditions)
            county_at = _moment(rng, datetime.date(2021, 11, 8), 14)
            levels.append(_level(review, Stage.COUNTY, county_result, county_user, county_at, version=3))
            level_entries.append(county_entries)
            level_conditions.append(conditions)
            review.final_stage = Stage.COUNTY

    reviews = bulk_create_with_history(reviews, Review, default_user=county_user, default_change_reason=CHANGE_REASON)
    for level in levels:
        level.review_id = level.review.pk
    levels = bulk_create_with_history(
        levels, ReviewLevel, default_user=county_user, default_change_reason=CHANGE_REASON
    )
    scores = [
        ItemScore(level_id=level.pk, item_id=item_id, score=e.score, passed=e.passed, note=e.note)
        for level, entries in zip(levels, level_entries, strict=True)
        for item_id, e in entries.items()
    ]
    ItemScore.objects.bulk_create(scores, batch_size=2000)
    through = ReviewLevel.conditions.through
    through.objects.bulk_create(
        [
            through(reviewlevel_id=level.pk, vetorule_id=veto_id)
            for level, conditions in zip(levels, level_conditions, strict=True)
            for veto_id in conditions
        ]
    )
    draw = SampleDraw(
        campaign=campaign,
        share=SAMPLE_SHARE,
        minimum=1,
        seed=SAMPLE_SEED,
        drawn_codes=sorted(drawn),
        drawn_by=county_user,
        drawn_at=_moment(rng, datetime.date(2021, 11, 1), 3),
        rule=(
            f"各乡镇（街道）按村（社区）数的{SAMPLE_SHARE * 100:g}%向上取整抽取，每个乡镇（街道）至少1个"
            f"（{len(sample_sizes([v.code for v in villages], share=SAMPLE_SHARE, minimum=1))}个乡镇、"
            f"{len(drawn)}个村）：村按区划代码排序，乡镇按代码顺序，"
            f"用 Python random.Random({SAMPLE_SEED}).sample 逐乡镇抽取。"
        ),
    )
    draw._history_user = county_user
    draw.save()
    ratings = _post_ratings(rng, reviews, township_grades, levels, peicheng_user)
    return {
        "reviews": len(reviews),
        "levels": len(levels),
        "scores": len(scores),
        "ratings": len(ratings),
        "sampled": len(drawn),
    }


def _level(review, stage, result, actor, at, *, version, **extra) -> ReviewLevel:
    level = ReviewLevel(
        review=review,
        level=stage,
        status=LevelStatus.SUBMITTED,
        version=version,
        total_score=result.total,
        scored_count=result.scored,
        grade=result.grade,
        veto_reasons="；".join(result.vetoes),
        updated_by=actor,
        updated_at=at,
        submitted_by=actor,
        submitted_at=at,
        **extra,
    )
    # Their history row says who submitted them and when, as if entered at the time.
    level._history_user = actor
    level._history_date = at
    return level


def _county_entries(planner, township, conditions, grade):
    """The county's re-diagnosis: within a point or so of the township, and (in this demo) confirming its grade."""
    for _ in range(5):
        shift = planner.rng.randint(-3, 3)
        entries = planner.shifted(township, shift, COUNTY_NOTES)
        if planner.result(entries, conditions).grade == grade:
            return entries
    return dict(township)


def _post_ratings(rng, reviews, grades, levels, peicheng_user) -> list[PostRating]:
    """Each current post holder rated, mostly in line with the team's grade."""
    by_village = {}
    for post in Post.objects.filter(division_id__in=[r.village_id for r in reviews], end_date__isnull=True).order_by(
        "division_id", "pk"
    ):
        by_village.setdefault(post.division_id, []).append(post)
    rated_at = {lv.review_id: lv.submitted_at for lv in levels if lv.level == Stage.TOWNSHIP}
    weights = {
        Grade.GOOD: [70, 28, 2, 0],
        Grade.FAIRLY_GOOD: [25, 62, 12, 1],
        Grade.AVERAGE: [8, 52, 35, 5],
        Grade.POOR: [2, 30, 45, 23],
    }
    ratings = []
    for review, team in zip(reviews, grades, strict=True):
        actor = peicheng_user if review.village.code.startswith("411103103") else None
        for post in by_village.get(review.village_id, []):
            grade = rng.choices([g.value for g in Grade], weights=weights[team])[0]
            note = rng.choice(POST_NOTES[grade]) if grade in POST_NOTES else ""
            rating = PostRating(
                review=review, post=post, grade=grade, note=note, rated_by=actor, rated_at=rated_at[review.pk]
            )
            rating._history_user, rating._history_date = actor, rating.rated_at
            ratings.append(rating)
    return bulk_create_with_history(ratings, PostRating, default_change_reason=CHANGE_REASON)
