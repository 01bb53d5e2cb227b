"""The township's 问诊 and the county's 回诊 in the browser, reached through the home page's to-do list only.

梁庄村 has submitted its self-diagnosis (自诊). The township's clerk opens the diagnosis from the to-do list, a
submit fails and lists every problem at the top of the page (a deduction without a note, the review meeting's
first evaluation, the post-holder ratings), each linking to its field; the clerk fixes them and submits — on a
desktop and on a phone (390×844), where save and submit stay in a bar at the bottom of the screen with the
progress. Then the county opens its re-diagnosis from its to-do list and returns the township's diagnosis with
a reason, which the township's clerk finds as a banner on the scorecard, again from the to-do list.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reviews import services
from reviews.choices import LevelStatus, Stage
from reviews.demo import create_template
from reviews.grading import ScoreInput
from reviews.models import PostRating, Review, ReviewLevel
from tests.e2e.conftest import login
from tests.reviews.conftest import full_marks

LIANGZHUANG = "411103103201"
DEDUCTED = 3
SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def campaign_in_progress(transactional_db, tree):
    """The county's campaign under way, with 梁庄村's self-diagnosis submitted and the sample drawn whole."""
    today = timezone.localdate()
    campaign = services.campaign_create(
        actor=tree.users.county,
        division=tree.yc,
        template=create_template(),
        name="2026年村(社区)“两委”换届“回头看”",
        start_date=today - datetime.timedelta(days=10),
        end_date=today + datetime.timedelta(days=40),
    )
    review = Review.objects.select_related("village", "campaign__template").get(village__code=LIANGZHUANG)
    village = ReviewLevel.objects.select_related("review__village", "review__campaign__template").get(
        review=review, level=Stage.VILLAGE
    )
    template = campaign.template
    village = services.review_level_save_draft(
        actor=tree.users.village, level=village, scores=full_marks(template), expected_version=0
    )
    services.review_level_submit(actor=tree.users.village, level=village, expected_version=village.version)
    services.sample_draw(actor=tree.users.county, campaign=campaign, share=Decimal(1), seed=7)
    return review


def watch(page):
    """Every response that refuses or breaks (403, 404, 500) and every console error on the way."""
    bad, console = [], []
    page.on(
        "response", lambda r: bad.append(f"{r.status} {r.url}") if r.status in (403, 404) or r.status >= 500 else None
    )
    # The refused submit answers 400 by design (the page with its problems); the browser logs that status.
    page.on(
        "console", lambda m: console.append(m.text) if m.type == "error" and "(Bad Request)" not in m.text else None
    )
    return bad, console


def open_todo(page, kind):
    item = page.locator(f'#todo li[data-kind="{kind}"] a').first
    expect(item).to_be_visible()
    with page.expect_navigation():
        item.click()


def accept_next_dialog(page):
    page.once("dialog", lambda dialog: dialog.accept())


def township_prefill(tree, review):
    """The clerk's earlier session: every item scored, one deduction without its note yet."""
    template = review.campaign.template
    item = template.items.get(number=DEDUCTED)
    entries = full_marks(template, {DEDUCTED: ScoreInput(score=item.max_points - Decimal("0.5"))})
    level = ReviewLevel.objects.select_related("review__village", "review__campaign__template").get(
        review=review, level=Stage.TOWNSHIP
    )
    services.review_level_save_draft(actor=tree.users.township, level=level, scores=entries, expected_version=0)
    return item


@pytest.mark.parametrize("size", ["desktop", "phone"])
def test_township_diagnosis_fails_with_a_summary_then_submits(campaign_in_progress, tree, live_server, page, size):
    review = campaign_in_progress
    item = township_prefill(tree, review)
    posts = list(services.current_posts(review).order_by("pk"))
    bad, console = watch(page)
    page.set_viewport_size(SIZES[size])

    login(page, live_server, tree.users.township.username)
    open_todo(page, "reviews.level.township")
    expect(page.locator("h1")).to_contain_text("梁庄村")
    bar = page.locator('[data-testid="action-bar"]')
    expect(bar).to_be_visible()
    expect(page.locator('[data-testid="progress"]')).to_contain_text("71/71")
    box = bar.bounding_box()
    assert box["y"] + box["height"] <= SIZES[size]["height"] + 1, "save and submit are on screen at the top"
    expect(page.locator('[data-testid="post-ratings"]')).to_be_visible()

    # A submit with problems: every one listed at the top, each a link to its field.
    accept_next_dialog(page)
    with page.expect_navigation() as refused:
        page.locator('[data-testid="submit-level"]').click()
    assert refused.value.status == 400
    summary = page.locator('[data-testid="error-summary"]')
    expect(summary).to_be_visible()
    assert summary.bounding_box()["y"] < 600, "the problems are at the top of the page"
    expect(summary.locator(f'a[href="#item-{item.pk}"]')).to_contain_text(f"第{DEDUCTED}项")
    expect(summary.locator('a[href="#id_first_evaluation"]')).to_be_visible()
    for post in posts:
        expect(summary.locator(f'a[href="#rating-{post.pk}"]')).to_be_visible()
    summary.locator(f'a[href="#item-{item.pk}"]').click()
    assert page.url.endswith(f"#item-{item.pk}")
    assert ReviewLevel.objects.get(review=review, level=Stage.TOWNSHIP).status == LevelStatus.DRAFT

    # Fixed field by field, saved, submitted.
    page.locator(f"#id_note_{item.pk}").fill("换届后班子分工台账缺失一处")
    page.locator("#id_first_evaluation").fill("班子运行较好，研判会建议评为“好”。")
    for post in posts:
        page.locator(f"#id_rating_{post.pk}").select_option("good")
    with page.expect_response(lambda r: r.url.endswith("/township/save/")) as saved:
        page.locator('[data-testid="save-draft"]').click()
    assert saved.value.status == 200
    expect(page.locator('[data-testid="saved"]')).to_be_visible()
    expect(page.locator('[data-testid="submit-level"]')).to_be_enabled()
    accept_next_dialog(page)
    with page.expect_navigation():
        page.locator('[data-testid="submit-level"]').click()
    expect(page.locator('[data-testid="locked"]')).to_be_visible()
    expect(page.locator('[data-testid="who-may-change"]')).to_contain_text("如需修改")
    level = ReviewLevel.objects.get(review=review, level=Stage.TOWNSHIP)
    assert level.status == LevelStatus.SUBMITTED
    assert PostRating.objects.filter(review=review, grade="good").count() == len(posts)
    assert bad == [] and console == []


def test_county_returns_the_township_diagnosis_with_a_reason(campaign_in_progress, tree, live_server, page):
    review = campaign_in_progress
    township_prefill(tree, review)
    level = ReviewLevel.objects.select_related("review__village", "review__campaign__template").get(
        review=review, level=Stage.TOWNSHIP
    )
    template = review.campaign.template
    item = template.items.get(number=DEDUCTED)
    entries = full_marks(template, {DEDUCTED: ScoreInput(score=item.max_points - Decimal("0.5"), note="台账缺失")})
    ratings = dict.fromkeys(services.current_posts(review).values_list("pk", flat=True), ("good", ""))
    level = services.review_level_save_draft(
        actor=tree.users.township,
        level=level,
        scores=entries,
        expected_version=level.version,
        onsite={"first_evaluation": "研判会建议评为“好”。"},
        ratings=ratings,
    )
    services.review_level_submit(actor=tree.users.township, level=level, expected_version=level.version)
    bad, console = watch(page)

    # 回诊: the county opens the sampled village's re-diagnosis from its to-do list, then returns the township's.
    login(page, live_server, tree.users.county.username)
    open_todo(page, "reviews.level.county")
    expect(page.locator("h1")).to_contain_text("梁庄村")
    page.locator(".btn-group a", has_text="回头看").first.click()
    card = page.locator('[data-stage="township"]')
    card.locator("summary").click()
    reason = "第3项扣分依据不足，请补充走访记录后重新研判。"
    card.locator("textarea[name=reason]").first.fill(reason)
    accept_next_dialog(page)
    with page.expect_navigation():
        card.locator("form").first.locator("button[type=submit]").click()
    expect(page.locator('[data-testid="status-township"]')).to_contain_text("退回")
    page.context.clear_cookies()

    # The township's clerk, on a phone, finds the return on the to-do list and the reason as a banner.
    page.set_viewport_size(SIZES["phone"])
    login(page, live_server, tree.users.township.username)
    open_todo(page, "reviews.level.township")
    banner = page.locator('[data-testid="banner-returned"]')
    expect(banner).to_be_visible()
    expect(banner).to_contain_text(reason)
    expect(page.locator('[data-testid="action-bar"]')).to_be_visible()
    assert bad == [] and console == []
