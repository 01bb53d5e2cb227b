"""The look-back review in the browser: 梁庄村's secretary assesses the village (自诊), then the township's staff
opens 梁庄村's review, fills all 71 items, saves a draft without leaving the page, reloads, and submits."""

import datetime
import re

from playwright.sync_api import expect

from reviews import services
from reviews.choices import Grade, LevelStatus, Stage
from reviews.demo import create_template
from reviews.models import ItemScore, Review, ReviewLevel
from tests.e2e.conftest import login, open_from_home

PEICHENG = "411103103000"
LIANGZHUANG = "411103103201"
# The township takes half a point off these items, with a note, and fails the pass/fail item 61 (小金库):
# 100 − 5 × 0.5 − 1.5 = 96, capped at 一般 by the item's one-vote veto.
DEDUCTED = [3, 17, 29, 40, 55]
FAILED = 61


def open_level(page, live_server, division_code, village_name, stage):
    """From the user's division page: the review tab, the village's review, the level's scorecard."""
    page.goto(f"{live_server.url}/divisions/{division_code}/")
    page.locator(f'.nav-tabs a[href="/reviews/divisions/{division_code}/"]').click()
    expect(page.locator("h1")).to_contain_text(village_name)  # the board's title names the division
    page.locator("#board-rows a", has_text="梁庄村").first.click()
    expect(page).to_have_url(re.compile(r"/reviews/\d+/$"))
    page.locator(f'[data-testid="open-{stage}"]').click()
    expect(page).to_have_url(re.compile(rf"/reviews/\d+/{stage}/$"))


def fill_items(page, deducted=(), failed=None):
    items = page.locator(".sz-item")
    expect(items).to_have_count(71)
    for i in range(71):
        item = items.nth(i)
        number = i + 1
        select = item.locator("select.sz-score")
        if select.count():
            select.select_option("0" if number == failed else "1")
            if number == failed:
                item.locator("textarea.sz-note").fill("抽查凭证发现白条抵账2笔")
            continue
        maximum = float(item.get_attribute("data-max"))
        value = maximum - 0.5 if number in deducted else maximum
        item.locator("input.sz-score").fill(f"{value:g}")
        if number in deducted:
            item.locator("textarea.sz-note").fill(f"第{number}项：台账不完整")


def test_village_then_township_review_liangzhuang(transactional_db, tree, live_server, page):
    template = create_template()
    services.campaign_create(
        actor=tree.users.county,
        division=tree.yc,
        template=template,
        name="2021年村(社区)“两委”换届“回头看”",
        start_date=datetime.date(2021, 9, 1),
        end_date=datetime.date(2021, 12, 31),
    )
    review = Review.objects.get(village__code=LIANGZHUANG)

    # 自诊: the village secretary scores every item in full and submits.
    login(page, live_server, tree.users.village.username)
    open_level(page, live_server, LIANGZHUANG, "梁庄村", Stage.VILLAGE)
    fill_items(page)
    expect(page.locator("[data-total]")).to_have_text("100")
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_response(lambda r: r.url.endswith("/village/save/")):
        page.locator('[data-testid="save-draft"]').click()
    expect(page.locator('[data-testid="saved"]')).to_be_visible()
    with page.expect_navigation():
        page.locator('[data-testid="submit-level"]').click()
    expect(page.locator('[data-testid="locked"]')).to_be_visible()
    assert ReviewLevel.objects.get(review=review, level=Stage.VILLAGE).status == LevelStatus.SUBMITTED
    page.context.clear_cookies()

    # 问诊: the township's staff opens 梁庄村's review and fills all items.
    login(page, live_server, tree.users.township.username)
    open_from_home(page, live_server, PEICHENG)
    open_level(page, live_server, PEICHENG, "裴城镇", Stage.TOWNSHIP)
    page.evaluate("window.szSamePage = true")
    fill_items(page, DEDUCTED, FAILED)

    # A score out of range is flagged beside its item while typing, and the running total leaves it out.
    first = page.locator(".sz-item").first
    first.locator("input.sz-score").fill("9")
    expect(first.locator(".sz-item-msg")).to_contain_text("1.5")
    expect(page.locator("[data-total]")).to_have_text("94.5")
    first.locator("input.sz-score").fill("1.5")
    expect(first.locator(".sz-item-msg")).to_be_empty()
    expect(page.locator("[data-total]")).to_have_text("96")
    # The veto of item 61 caps the grade the scores would give.
    expect(page.locator("[data-grade]")).to_have_text("一般")
    expect(page.locator("[data-vetoes]")).to_contain_text("小金库")
    # Unsaved changes keep "Submit" off.
    expect(page.locator('[data-testid="submit-level"]')).to_be_disabled()

    page.fill("#id_onsite_visits", "15")
    page.fill("#id_onsite_talks", "8")
    page.fill("#id_onsite_documents", "20")
    page.fill("#id_first_evaluation", "班子整体运行一般，三资管理存在问题，研判会建议评为“一般”。")
    # The post holders are rated on the same scorecard (岗位履职评价).
    for rating in page.locator("select.sz-rating").all():
        rating.select_option("good")

    # Saving the draft: an htmx request, the page itself stays.
    with page.expect_response(lambda r: r.url.endswith("/township/save/")) as saved:
        page.locator('[data-testid="save-draft"]').click()
    assert saved.value.status == 200
    assert saved.value.request.headers.get("hx-request") == "true"
    expect(page.locator('[data-testid="saved"]')).to_be_visible()
    assert page.evaluate("window.szSamePage") is True
    expect(page.locator('[data-testid="submit-level"]')).to_be_enabled()
    level = ReviewLevel.objects.get(review=review, level=Stage.TOWNSHIP)
    assert (level.version, float(level.total_score), level.scored_count) == (1, 96.0, 71)
    assert ItemScore.objects.filter(level=level).count() == 71

    # Reloading shows what was saved.
    page.reload()
    assert page.evaluate("window.szSamePage") is None
    expect(page.locator("[data-total]")).to_have_text("96")
    items = page.locator(".sz-item")
    expect(items.nth(DEDUCTED[0] - 1).locator("input.sz-score")).to_have_value("0.5")
    expect(items.nth(DEDUCTED[0] - 1).locator("textarea.sz-note")).to_have_value(f"第{DEDUCTED[0]}项：台账不完整")
    expect(items.nth(FAILED - 1).locator("select.sz-score")).to_have_value("0")
    expect(page.locator("#id_first_evaluation")).to_contain_text("研判会建议")

    # Submitting asks first; then the level is locked.
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.accept()))
    with page.expect_navigation():
        page.locator('[data-testid="submit-level"]').click()
    assert questions and "提交" in questions[0]
    expect(page.locator('[data-testid="locked"]')).to_be_visible()
    expect(page.locator("input.sz-score")).to_have_count(0)
    level.refresh_from_db()
    assert (level.status, level.grade, level.submitted_by) == (
        LevelStatus.SUBMITTED,
        Grade.AVERAGE,
        tree.users.township,
    )
    review.refresh_from_db()
    assert (review.final_grade, review.final_stage) == (Grade.AVERAGE, Stage.TOWNSHIP)

    # The board shows it.
    page.goto(f"{live_server.url}/reviews/divisions/{PEICHENG}/")
    row = page.locator(f'tr[data-village="{LIANGZHUANG}"]')
    expect(row.locator('[data-testid="final-grade"]')).to_have_text("一般")
    expect(page.locator('[data-testid="submitted-township"]')).to_have_text("1")
