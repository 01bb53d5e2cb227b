"""Fixtures for the reviews tests: a small scorecard (fast, every rule in it), the default 71-item one, and a
campaign for each county of the ``tree`` fixture."""

import datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest

from reviews import services
from reviews.choices import Grade, ScoringRule, Stage, TemplateStatus
from reviews.demo import create_template
from reviews.grading import ScoreInput
from reviews.models import Check, Element, Item, ReviewLevel, ScorecardTemplate, VetoRule
from tests.factories import scoped_user
from villages.choices import Role

START = datetime.date(2021, 9, 1)
END = datetime.date(2021, 12, 31)

# (check, element, content, points, rule, note required)
SMALL_ITEMS = [
    ("查班子成员", "班子结构", "班子年龄结构合理", "40", ScoringRule.POINTS, True),
    ("查班子成员", "任职资格", "无负面清单情形", "10", ScoringRule.PASS_FAIL, True),
    ("查机制见效", "四议两公开", "重大事项执行四议两公开", "30", ScoringRule.POINTS, False),
    ("查机制见效", "四议两公开", "决议结果公开", "10", ScoringRule.POINTS, True),
    ("查机制见效", "村务监督", "监委会监督到位", "10", ScoringRule.POINTS, True),
]


def make_small_template(*, division=None, status=TemplateStatus.PUBLISHED, year=2021, version=1):
    """Five items, 100 points: 好 ≥ 90, 较好 ≥ 80, 一般 ≥ 60; a failed pass/fail item caps at 差, a ticked
    condition (软弱涣散) at 一般."""
    template = ScorecardTemplate.objects.create(
        division=division, name="测试考察表", year=year, version=version, status=status
    )
    checks, elements = {}, {}
    for number, (check, element, content, points, rule, note) in enumerate(SMALL_ITEMS, 1):
        if check not in checks:
            checks[check] = Check.objects.create(template=template, number=len(checks) + 1, name=check)
        if (check, element) not in elements:
            siblings = sum(1 for c, _ in elements if c == check)
            elements[(check, element)] = Element.objects.create(
                parent_check=checks[check], number=siblings + 1, name=element
            )
        Item.objects.create(
            template=template,
            element=elements[(check, element)],
            number=number,
            content=content,
            explanation="查阅台账",
            rule=rule,
            max_points=Decimal(points),
            note_required=note,
        )
    pass_fail = template.items.get(rule=ScoringRule.PASS_FAIL)
    VetoRule.objects.create(template=template, name="负面清单", item=pass_fail, grade=Grade.POOR)
    VetoRule.objects.create(template=template, name="软弱涣散", grade=Grade.AVERAGE)
    return template


def full_marks(template, overrides=None) -> dict[int, ScoreInput]:
    """Every item at its maximum; ``overrides`` maps item numbers to other entries."""
    overrides = overrides or {}
    entries = {}
    for item in template.items.order_by("number"):
        if item.number in overrides:
            entries[item.pk] = overrides[item.number]
        elif item.is_pass_fail:
            entries[item.pk] = ScoreInput(passed=True)
        else:
            entries[item.pk] = ScoreInput(score=item.max_points)
    return entries


def level_of(review, stage) -> ReviewLevel:
    return ReviewLevel.objects.select_related("review__village", "review__campaign__template").get(
        review=review, level=stage
    )


def fill(level, actor, entries=None, *, evaluation="班子运行较好，建议评为较好。", submit=True):
    """Save the given entries (default: full marks) as a draft of ``level`` and, by default, submit it."""
    level = level_of(level.review, level.level)
    template = level.review.campaign.template
    onsite = {"first_evaluation": evaluation} if level.level == Stage.TOWNSHIP else None
    # The township rates every current post holder (岗位履职评价) with its diagnosis.
    ratings = (
        dict.fromkeys(services.current_posts(level.review).values_list("pk", flat=True), (Grade.GOOD, ""))
        if level.level == Stage.TOWNSHIP
        else None
    )
    level = services.review_level_save_draft(
        actor=actor,
        level=level,
        scores=entries or full_marks(template),
        expected_version=level.version,
        onsite=onsite,
        ratings=ratings,
    )
    if submit:
        level = services.review_level_submit(actor=actor, level=level, expected_version=level.version)
    return level


@pytest.fixture
def more_users(tree):
    """Users beside the tree's: staff of another township, the other county's official, a superuser."""
    from tests.factories import UserFactory

    admin = UserFactory(username="t_admin")
    admin.is_superuser = admin.is_staff = True
    admin.save()
    return SimpleNamespace(
        shangqiao=scoped_user("t_shangqiao", tree.shangqiao, Role.TOWNSHIP_STAFF),
        wj_county=scoped_user("t_wj_county", tree.wj, Role.COUNTY_OFFICIAL),
        wangzhuang=scoped_user("t_wangzhuang", tree.wangzhuang, Role.VILLAGE_SECRETARY),
        admin=admin,
    )


@pytest.fixture
def small_template(db):
    return make_small_template()


@pytest.fixture
def full_template(db):
    return create_template()


def _campaign(tree, template, actor, county, name="2021年村(社区)“两委”换届“回头看”"):
    return services.campaign_create(
        actor=actor, division=county, template=template, name=name, start_date=START, end_date=END
    )


@pytest.fixture
def campaign(tree, small_template):
    """郾城区's campaign on the small scorecard: reviews for 梁庄村, 王庄村 (裴城镇) and 郭栗庄村 (商桥镇)."""
    return _campaign(tree, small_template, tree.users.county, tree.yc)


@pytest.fixture
def wj_campaign(tree, more_users, small_template):
    return _campaign(tree, small_template, more_users.wj_county, tree.wj)


@pytest.fixture
def reviews(tree, campaign):
    by_name = {r.village.name: r for r in campaign.reviews.select_related("village")}
    return SimpleNamespace(liangzhuang=by_name["梁庄村"], wangzhuang=by_name["王庄村"], guolizhuang=by_name["郭栗庄村"])


@pytest.fixture(autouse=True)
def _english():
    """Messages of services called directly come in English source text (pages follow the request's language)."""
    from django.utils import translation

    with translation.override("en"):
        yield
