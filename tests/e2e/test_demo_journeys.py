"""The demo accounts' journeys, on the demo as `make run` serves it (the run's shared build, tests/demo_db.py): each
starts at the login page and reaches its task through its to-do list (我的待办) only — no typed URL after the
login page — and meets no refusal, no missing page, no server error and no console error on the way (the
``page`` fixture already fails a test on a request to another host or a JavaScript error).

- 梁庄村's secretary redoes the self-diagnosis 裴城镇 returned, on a desktop and on a phone (390×844);
- a villager's order (点单) taken by 龙江社区's grid worker on a phone, accepted, dispatched by 沙北街道,
  handled by the grid worker and verified by 沙北街道;
- the county official's first task: the re-diagnosis (回诊) of a village of the county's sample.
"""

import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from grids.choices import RequestStatus
from grids.models import ServiceRequest
from reviews.choices import LevelStatus, Stage
from reviews.demo_current import CAMPAIGN_NAME
from reviews.models import ReviewLevel
from tests.e2e.conftest import login
from villages.demo import DEMO_PASSWORD

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def zh(text) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def demo(demo_db, live_server):
    """The run's demo build, cloned for the test and served by the live server."""


class Watch:
    """What went wrong on the way: pages answering 403, 404 or 5xx, and console errors."""

    def __init__(self, page):
        self.refused: list[str] = []
        self.console: list[str] = []
        self.attach(page)

    def attach(self, page):
        page.on("response", self._response)
        page.on("console", lambda m: self.console.append(m.text) if m.type == "error" else None)

    def _response(self, response):
        if response.status in (403, 404) or response.status >= 500:
            self.refused.append(f"{response.status} {response.url}")

    def check(self):
        assert self.refused == [], self.refused
        assert self.console == [], self.console


def sign_in(page, live_server, username, size):
    page.set_viewport_size(size)
    login(page, live_server, username, DEMO_PASSWORD)
    expect(page).to_have_url(live_server.url + "/")
    expect(page.locator("#todo")).to_be_visible()


def follow_todo(page, kind, href=None):
    """Open the to-do item of this kind (and link), from the home page, and return the link followed."""
    items = page.locator(f'#todo li[data-kind="{kind}"] a')
    link = items.first if href is None else page.locator(f'#todo li[data-kind="{kind}"] a[href="{href}"]')
    expect(link).to_be_visible()
    target = link.get_attribute("href")
    with page.expect_navigation():
        link.click()
    return target


def go_home(page):
    """Back to the to-do list by the brand's link, which every page shows on every screen."""
    with page.expect_navigation():
        page.locator("a.navbar-brand").click()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_village_secretary_redoes_the_returned_self_diagnosis(demo, live_server, page, size):
    watch = Watch(page)
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, live_server, "yc_liangzhuang", size)
    if size is PHONE:
        navbar = page.locator("nav.sz-navbar").bounding_box()
        assert navbar["height"] < 70, "the navigation is one line on a phone"
        assert page.locator("#todo").bounding_box()["y"] < navbar["height"] + 120, "the to-do list comes first"
    returned = page.locator('#todo li[data-kind="reviews.level.village"]').first
    expect(returned).to_contain_text(CAMPAIGN_NAME)
    follow_todo(page, "reviews.level.village")
    expect(page).to_have_url(re.compile(r"/reviews/\d+/village/$"))
    level = ReviewLevel.objects.get(
        review__campaign__name=CAMPAIGN_NAME, review__village__name="梁庄村", level=Stage.VILLAGE
    )
    assert level.status == LevelStatus.RETURNED
    with page.expect_navigation():
        page.locator('button[form="submit-form"]').first.click()
    level.refresh_from_db()
    assert level.status == LevelStatus.SUBMITTED
    # Back home: the self-diagnosis is no longer the secretary's to do; the township's diagnosis waits on 裴城镇.
    go_home(page)
    expect(page.locator(f'#todo li[data-kind="reviews.level.village"] a[href="{page.url}"]')).to_have_count(0)
    expect(page.locator('#todo li[data-kind="reviews.level.township"]').first).to_be_visible()
    watch.check()


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_villagers_order_from_the_grid_worker_to_the_townships_verification(demo, live_server, page, browser, size):
    watch = Watch(page)
    # The grid worker takes a villager's order at the door: from the grid's visits on the to-do list, the grid's
    # page, its new request form.
    sign_in(page, live_server, "yc_grid", size)
    follow_todo(page, "grids.visits")
    expect(page).to_have_url(re.compile(r"/grids/grid/\d+/$"))
    with page.expect_navigation():
        page.locator('a[href$="/requests/new/"]').first.click()
    form = page.locator("main form[method=post]").first
    form.locator("#id_item").select_option(index=1)
    form.locator("#id_household").select_option(index=1)
    form.locator("#id_description").fill("老人行动不便，需要代办高龄津贴申领")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/grids/requests/\d+/"))
    pk = int(re.search(r"/grids/requests/(\d+)/", page.url).group(1))
    url = f"/grids/requests/{pk}/"
    request = ServiceRequest.objects.get(pk=pk)
    if request.status == RequestStatus.REPORTED:
        with page.expect_navigation():
            page.locator("button[data-action=accept]").click()
    expect(page.get_by_test_id("status")).to_have_text(zh(RequestStatus.ACCEPTED.label))

    # 沙北街道's staff find it on their list and dispatch it back to the grid worker's grid.
    township = browser.new_context(viewport=DESKTOP, locale="zh-CN").new_page()
    watch.attach(township)
    try:
        sign_in(township, live_server, "yc_shabei", DESKTOP)
        follow_todo(township, "grids.request.dispatch", url)
        with township.expect_navigation():
            township.locator("button[data-action=dispatch]").click()
        expect(township.get_by_test_id("status")).to_have_text(zh(RequestStatus.DISPATCHED.label))

        # The grid worker handles it from their list.
        go_home(page)
        follow_todo(page, "grids.request.handle", url)
        page.fill("#note-handle", "已上门代办，材料已提交民政所")
        with page.expect_navigation():
            page.locator("button[data-action=handle]").click()
        expect(page.get_by_test_id("status")).to_have_text(zh(RequestStatus.HANDLED.label))
        if size is PHONE:
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        # The township verifies it.
        go_home(township)
        follow_todo(township, "grids.request.verify", url)
        township.fill("#note-verify", "电话回访，群众认可")
        with township.expect_navigation():
            township.locator("button[data-action=verify]").click()
        expect(township.get_by_test_id("status")).to_have_text(zh(RequestStatus.VERIFIED.label))
    finally:
        township.context.close()
    request.refresh_from_db()
    assert request.status == RequestStatus.VERIFIED
    watch.check()


def test_county_official_opens_a_re_diagnosis_from_the_list(demo, live_server, page):
    watch = Watch(page)
    sign_in(page, live_server, "yc_county", DESKTOP)
    target = follow_todo(page, "reviews.level.county")
    expect(page).to_have_url(live_server.url + target)
    assert re.search(r"/reviews/\d+/county/$", target)
    expect(page.locator("h1").first).to_be_visible()
    # The county's dashboard stays one click away: its tab in the navigation.
    with page.expect_navigation():
        page.locator('nav a[href="/divisions/411103000000/"]').first.click()
    expect(page.locator("h1").first).to_contain_text("郾城区")
    watch.check()
