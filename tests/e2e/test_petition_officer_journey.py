"""望江县's petition officer (``wj_petition``) on the shared demo (tests/demo_db.py): from the login page, through the
to-do list (我的待办) and links only, a petition (信访件) from registration to its return visit (回访), and its
reminders — the case on the to-do list with its legal clock, the daily run (``villages.remind_county``'s service,
called in-process for the county) ringing the bell in the navigation, and the notifications page linking to the
case. No refusal, missing page, server error or console error on the way (the ``page`` fixture fails the test on a
request to another host or a JavaScript error). The registration step again on a phone (390×844).
"""

import datetime
import re

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from petitions.choices import Status
from petitions.models import Petition
from tests.e2e.test_demo_journeys import DESKTOP, PHONE, Watch, follow_todo, go_home, sign_in
from tests.factories import valid_id_number
from villages.notifications.services import reminders_run

WANGJIANG = "340827000000"
SUBJECT = "要求维修村组道路"


def zh(text) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def demo(demo_db, live_server):
    """The run's demo build, cloned for the test and served by the live server."""


def open_step(page, action):
    """Unfold a step of the case page (one is unfolded at a time) and return its panel."""
    page.wait_for_load_state("load")  # Bootstrap's collapse listens only once its script has run
    panel = page.locator(f"#sz-step-{action}")
    if not panel.is_visible():
        page.locator(f'[data-step="{action}"] .accordion-button').click()
    expect(panel).to_be_visible()
    return panel


def register(page, live_server, received_on: datetime.date) -> Petition:
    """From the home page's lead link (the petitions board) to the board's registration form; return the case."""
    with page.expect_navigation():
        page.locator('main a[href="/petitions/"]').first.click()
    expect(page).to_have_url(f"{live_server.url}/petitions/divisions/{WANGJIANG}/")
    with page.expect_navigation():
        page.locator(f'a[href="/petitions/divisions/{WANGJIANG}/cases/new/"]').first.click()
    form = page.locator("#sz-register")
    form.locator("#id_received_on").fill(received_on.isoformat())
    form.locator("#id_channel").select_option("visit")
    form.locator("#id_kind").select_option("demand")
    form.locator("#id_division").select_option(index=1)
    form.locator("#id_subject").fill(SUBJECT)
    form.locator("#id_content").fill("村组道路破损严重，雨天无法通行。")
    form.locator("#id_p-0-name").fill("汪春生")
    form.locator("#id_p-0-id_number").fill(valid_id_number(region="340827"))
    form.locator("#id_p-0-phone").fill("13955556666")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/petitions/cases/\d+/$"))
    expect(page.get_by_test_id("status")).to_have_text(zh(Status.REGISTERED.label))
    return Petition.objects.get(pk=int(re.search(r"/petitions/cases/(\d+)/", page.url).group(1)))


def test_a_petition_from_registration_to_return_visit_with_its_reminders(demo, live_server, page):
    watch = Watch(page)
    sign_in(page, live_server, "wj_petition", DESKTOP)
    today = timezone.localdate()
    # Received 14 days ago: 15 calendar days to accept, so the acceptance falls due tomorrow.
    case = register(page, live_server, today - datetime.timedelta(days=14))
    url = f"/petitions/cases/{case.pk}/"
    assert case.acceptance_due == today + datetime.timedelta(days=1)

    # The to-do list shows it by its legal clock: acceptance due tomorrow, due soon.
    go_home(page)
    item = page.locator('#todo li[data-kind="petitions.accept"]').filter(has=page.locator(f'a[href="{url}"]'))
    expect(item).to_have_count(1)
    expect(item).to_have_class(re.compile(r"\bsz-todo-soon\b"))
    expect(item).to_contain_text(case.number)
    expect(item).to_contain_text(case.acceptance_due.isoformat())

    # The daily reminders for 望江县, run in-process as beat's task would: the bell rings.
    result = reminders_run(county_code=WANGJIANG, today=today, send=False)
    assert result["created"] >= 1
    page.reload()
    bell = page.locator("#nav-bell [data-testid=bell-count]")
    expect(bell).to_be_visible()
    assert int(bell.inner_text()) >= 1
    with page.expect_navigation():
        page.locator("#nav-bell").click()
    expect(page).to_have_url(f"{live_server.url}/notifications/")
    told = page.locator("[data-testid=notifications] a", has_text=case.number)
    while not told.count():  # newest first, 30 a page: page on by the links
        with page.expect_navigation():
            page.locator(".pagination a", has_text=zh("Next")).click()
    expect(told).to_have_count(1)
    with page.expect_navigation():
        told.click()
    expect(page).to_have_url(live_server.url + url)

    # 受理: the county's petition office takes the case on itself, from the to-do list.
    go_home(page)
    follow_todo(page, "petitions.accept", url)
    panel = open_step(page, "accept")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.get_by_test_id("status")).to_have_text(zh(Status.HANDLING.label))
    case.refresh_from_db()
    assert case.handling_due == today + datetime.timedelta(days=60)

    # Handling: the written decision (办结), then its delivery, each from the to-do list.
    go_home(page)
    item = page.locator(f'#todo li[data-kind="petitions.conclude"] a[href="{url}"]')
    expect(item.locator("xpath=ancestor::li")).to_contain_text(case.handling_due.isoformat())
    follow_todo(page, "petitions.conclude", url)
    panel = open_step(page, "conclude")
    panel.locator("#id_conclude-decision").select_option("support")
    panel.locator("#id_conclude-decision_text").fill("经调查核实，已安排资金维修道路，予以支持。")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.get_by_test_id("status")).to_have_text(zh(Status.CONCLUDED.label))

    go_home(page)
    follow_todo(page, "petitions.deliver", url)
    panel = open_step(page, "deliver")
    panel.locator("#id_deliver-method").select_option("in_person")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.get_by_test_id("status")).to_have_text(zh(Status.DELIVERED.label))

    # 回访: the petitioner is called back, satisfied; then nothing is left to do on the case.
    go_home(page)
    follow_todo(page, "petitions.return_visit", url)
    panel = open_step(page, "return_visit")
    panel.locator("#id_return_visit-note").fill("电话回访，群众对处理结果表示满意。")
    panel.locator("#id_return_visit-satisfaction").select_option("satisfied")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    case.refresh_from_db()
    assert case.return_visited_on == today and case.satisfaction == "satisfied"
    assert list(case.steps.values_list("action", flat=True)) == [
        "register",
        "accept",
        "conclude",
        "deliver",
        "rate",
        "return_visit",
    ]
    go_home(page)
    expect(page.locator(f'#todo a[href="{url}"]')).to_have_count(0)
    watch.check()


def test_the_petition_officer_registers_a_petition_on_a_phone(demo, live_server, page):
    watch = Watch(page)
    sign_in(page, live_server, "wj_petition", PHONE)
    case = register(page, live_server, timezone.localdate())
    assert case.status == Status.REGISTERED
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    go_home(page)
    expect(
        page.locator(f'#todo li[data-kind="petitions.accept"] a[href="/petitions/cases/{case.pk}/"]')
    ).to_be_visible()
    watch.check()
