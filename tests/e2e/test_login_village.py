"""A township's staff member signs in, finds a village of the township and reads its committees."""

import re

from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.conftest import login, open_from_home
from villages.choices import Committee, PostTitle

PEICHENG = "411103103000"
LIANGZHUANG = "411103103201"
GUOLIZHUANG = "411103102201"  # 郭栗庄村 lies in 商桥镇, outside the township's scope
BOOTSTRAP_DANGER = "rgb(220, 53, 69)"  # Bootstrap 5.3's .btn-danger background


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def test_township_staff_finds_village_committees(transactional_db, tree, live_server, page, pytestconfig):
    # The login page: Chinese by default (the browser asks for zh-CN), styled by Bootstrap from our server.
    with page.expect_response(lambda r: r.url.endswith("/bootstrap/css/bootstrap.min.css")) as css:
        page.goto(live_server.url + "/accounts/login/")
    assert css.value.status == 200
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    submit = page.locator("main form button[type=submit]")
    # "Log in" is in Django's own zh_Hans catalog too, so this holds even before our .po is compiled.
    expect(submit).to_have_text("登录")
    assert submit.evaluate("el => getComputedStyle(el).backgroundColor") == BOOTSTRAP_DANGER

    # The only scope of t_township is 裴城镇: the start page (the to-do list) links to it.
    login(page, live_server, tree.users.township.username)
    open_from_home(page, live_server, PEICHENG)
    expect(page.locator("h1")).to_have_text("裴城镇")
    children = page.locator("#children tbody td.sz-name a")
    expect(children).to_have_text(["梁庄村", "王庄村"])
    expect(page.locator("#children")).not_to_contain_text("郭栗庄村")

    # Searching narrows the list in place: htmx swaps #children, the page itself is not reloaded.
    page.evaluate("window.szSamePage = true")
    with page.expect_response(lambda r: f"/divisions/{PEICHENG}/?q=" in r.url) as search:
        page.fill("#id_q", "梁")
    assert search.value.status == 200
    assert search.value.request.headers.get("hx-request") == "true"
    expect(children).to_have_text(["梁庄村"])
    assert page.evaluate("window.szSamePage") is True
    expect(page).to_have_url(re.compile(r"\?q=%E6%A2%81$"))

    # The village: its committees, with 梁绍正 as party secretary, and the phone numbers masked.
    children.filter(has_text="梁庄村").click()
    expect(page).to_have_url(f"{live_server.url}/divisions/{LIANGZHUANG}/")
    expect(page.locator("h1")).to_have_text("梁庄村")
    party = page.locator(f'[data-committee="{Committee.PARTY}"]')
    expect(party.locator(".card-header")).to_have_text(zh(Committee.PARTY.label))
    secretary = party.locator("li", has_text="梁绍正")
    expect(secretary.locator(".badge")).to_have_text(zh(PostTitle.SECRETARY.label))
    masked = page.locator("table tbody tr", has_text="梁绍正").locator("td.sz-masked")
    expect(masked).to_have_count(2)  # the birth date (its year) and the phone
    expect(masked.last).to_contain_text("****")
    expect(page.locator("body")).not_to_contain_text(tree.secretary.cadre.phone)

    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "village.png"), full_page=True)

    # A village of another township does not exist for this user.
    response = page.goto(f"{live_server.url}/divisions/{GUOLIZHUANG}/")
    assert response.status == 404
