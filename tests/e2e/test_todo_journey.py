"""Each role lands on what it works on: the township's staff and the petition officer sign in (demo accounts,
demo data), land on their to-do list (我的待办) — on a phone too, where it is the first thing under a one-line
navigation — and follow an item's link to the page that does it, without a refusal or a console error."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import login
from villages.demo import DEMO_PASSWORD

SIZES = [{"width": 1366, "height": 768}, {"width": 390, "height": 844}]


@pytest.fixture
def demo(transactional_db, demo_db):
    """The run's shared demo build (tests/demo_db.py)."""


@pytest.mark.parametrize("username", ["yc_peicheng", "wj_petition"])
def test_each_role_lands_on_its_todo_list_and_follows_an_item(demo, live_server, page, username):
    console_errors = []
    page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
    for size in SIZES:
        page.set_viewport_size(size)
        login(page, live_server, username, DEMO_PASSWORD)
        expect(page).to_have_url(live_server.url + "/")
        expect(page.locator("h1")).to_contain_text("我的待办")
        items = page.locator("#todo li")
        expect(items.first).to_be_visible()
        # The navigation's badge is in the page (the home page counts its own list).
        expect(page.locator("#nav-todo .badge")).to_have_count(1)
        navbar = page.locator("nav.sz-navbar").bounding_box()
        if size["width"] < 992:
            assert navbar["height"] < 70, "the navigation collapses to one line on a phone"
            assert page.locator("#todo").bounding_box()["y"] < navbar["height"] + 120, "the to-do list comes first"
        if username == "wj_petition":
            board = page.locator("main a[href='/petitions/']")
            expect(board).to_be_visible()
            assert board.bounding_box()["y"] <= page.locator("#todo").bounding_box()["y"]
        link = items.first.locator("a").first
        href = link.get_attribute("href")
        with page.expect_navigation() as navigation:
            link.click()
        assert navigation.value.status == 200, href
        expect(page.locator("h1").first).to_be_visible()
        page.context.clear_cookies()
    assert console_errors == []
