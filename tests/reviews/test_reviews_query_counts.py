"""Query budgets: a level's save and submission cost the same whatever the number of items; the board, the
statistics and the comparison cost the same whatever the number of villages."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reviews import selectors, services
from reviews.choices import Stage
from reviews.grading import ScoreInput
from reviews.rules import template_rules
from tests.factories import DivisionFactory, scoped_user
from tests.reviews.conftest import END, START, fill, full_marks, level_of
from villages.choices import DivisionKind, Level, Role
from villages.scopes import user_scopes
from villages.snapshots import recompute_targets

SAVE_BUDGET = 8
SUBMIT_BUDGET = 11


def count(callable_) -> int:
    with CaptureQueriesContext(connection) as ctx:
        callable_()
    return len(ctx.captured_queries)


@pytest.fixture
def full_campaign(tree, full_template):
    return services.campaign_create(
        actor=tree.users.county,
        division=tree.yc,
        template=full_template,
        name="全项考察",
        start_date=START,
        end_date=END,
    )


def test_saving_71_items_costs_what_saving_5_costs(tree, full_campaign, django_assert_max_num_queries):
    review = full_campaign.reviews.get(village=tree.liangzhuang)
    template = full_campaign.template
    everything = full_marks(template)
    assert len(everything) == 71
    few = dict(list(everything.items())[:5])
    level = level_of(review, Stage.VILLAGE)
    user_scopes(tree.users.village)  # read once per request and cached on the user; kept out of the comparison
    recompute_targets(tree.yc.code)  # the county and its periods, cached for a minute; likewise kept out
    template_rules(template)  # the items and vetoes, cached per process; likewise kept out
    small = count(
        lambda: services.review_level_save_draft(actor=tree.users.village, level=level, scores=few, expected_version=0)
    )
    level = level_of(review, Stage.VILLAGE)
    with django_assert_max_num_queries(SAVE_BUDGET):
        large = count(
            lambda: services.review_level_save_draft(
                actor=tree.users.village, level=level, scores=everything, expected_version=1
            )
        )
    assert large == small - 1  # the whole scorecard, as the page posts it: what was saved need not be read
    changed = {pk: ScoreInput(score=e.score - Decimal("0.5"), note="扣分") for pk, e in everything.items() if e.score}
    level = level_of(review, Stage.VILLAGE)
    again = count(
        lambda: services.review_level_save_draft(
            actor=tree.users.village, level=level, scores=changed, expected_version=2
        )
    )
    assert again == small


def test_submitting_71_items_is_constant(tree, full_campaign, django_assert_max_num_queries):
    review = full_campaign.reviews.get(village=tree.liangzhuang)
    level = fill(level_of(review, Stage.VILLAGE), tree.users.village, submit=False)
    with django_assert_max_num_queries(SUBMIT_BUDGET):
        services.review_level_submit(actor=tree.users.village, level=level, expected_version=level.version)


def _more_villages(tree, n):
    for i in range(n):
        DivisionFactory(
            code=f"411103103{300 + i:03d}",
            name=f"新村{i}",
            level=Level.VILLAGE,
            kind=DivisionKind.VILLAGE,
            parent=tree.peicheng,
        )


@pytest.mark.parametrize("villages", [0, 20])
def test_board_and_stats_are_constant(client, tree, small_template, villages, django_assert_max_num_queries):
    _more_villages(tree, villages)
    campaign = services.campaign_create(
        actor=tree.users.county, division=tree.yc, template=small_template, name="批次", start_date=START, end_date=END
    )
    for review in campaign.reviews.filter(village__parent=tree.peicheng)[:3]:
        fill(level_of(review, Stage.VILLAGE), _village_user(tree, review))
    client.force_login(tree.users.county)
    with django_assert_max_num_queries(16):
        assert client.get(reverse("reviews:board", args=[tree.yc.code])).status_code == 200
    with django_assert_max_num_queries(16):
        assert client.get(reverse("reviews:board", args=[tree.peicheng.code])).status_code == 200
    with django_assert_max_num_queries(4):
        selectors.review_stats(campaign=campaign, division=tree.yc)
    with django_assert_max_num_queries(8):
        selectors.level_gaps(campaign=campaign, division=tree.yc)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("reviews:ledger", args=[tree.yc.code])).status_code == 200


def _village_user(tree, review):
    return scoped_user(f"sec_{review.village.code}", review.village, Role.VILLAGE_SECRETARY)


def test_scorecard_page_is_constant(client, tree, full_campaign, django_assert_max_num_queries):
    review = full_campaign.reviews.get(village=tree.liangzhuang)
    fill(level_of(review, Stage.VILLAGE), tree.users.village)
    client.force_login(tree.users.township)
    with django_assert_max_num_queries(20):
        assert client.get(reverse("reviews:level", args=[review.pk, Stage.VILLAGE])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("reviews:compare", args=[review.pk])).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get(reverse("reviews:review", args=[review.pk])).status_code == 200


PAGE_SAVE_BUDGET = 15


def test_saving_the_scorecard_form_stays_within_budget(client, tree, full_campaign, django_assert_max_num_queries):
    """The page's save of all 71 items, posted as the page posts it (urlencoded): the session, the user and their
    scopes, the level in one query, the saved scores, the level's update, one upsert of the changed scores, the
    conditions, the history row and the tally requests. Within budget even with the template's rules not yet
    cached in this process; two queries fewer once they are."""
    from urllib.parse import urlencode

    from reviews import rules

    review = full_campaign.reviews.get(village=tree.liangzhuang)
    template = full_campaign.template
    entries = full_marks(template)
    client.force_login(tree.users.village)
    url = reverse("reviews:level_save", args=[review.pk, Stage.VILLAGE])
    recompute_targets(tree.yc.code)  # cached for a minute, as in a running server

    def post(version, off=Decimal(0)):
        data = {"version": str(version)}
        for item_id, entry in entries.items():
            if entry.passed is not None:
                data[f"passed_{item_id}"] = "1"
                data[f"note_{item_id}"] = ""
            else:
                data[f"score_{item_id}"] = str(entry.score - off)
                data[f"note_{item_id}"] = "扣分" if off else ""
        body = urlencode(data)
        return client.post(url, body, content_type="application/x-www-form-urlencoded")

    rules.clear()
    with django_assert_max_num_queries(PAGE_SAVE_BUDGET) as cold:
        assert post(0).status_code == 302
    with django_assert_max_num_queries(PAGE_SAVE_BUDGET) as warm:
        assert post(1, off=Decimal("0.5")).status_code == 302
    # Warm: the template's rules (two queries) and the user's scopes (one) come from the caches.
    assert len(warm.captured_queries) == len(cold.captured_queries) - 3
    level = level_of(review, Stage.VILLAGE)
    assert level.version == 2
    # The second save changed the scored items only; the pass/fail items kept their row as it was.
    points = {pk for pk, e in entries.items() if e.score is not None}
    assert set(level.scores.filter(note="扣分").values_list("item_id", flat=True)) == points
    assert level.scores.count() == len(entries)
