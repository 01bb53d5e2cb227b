"""A real county starts: the first administrator of an empty platform chooses 河南省 and 郾城区 from the official list,
lands on the county's checklist, and creates the first township user."""

from playwright.sync_api import expect

from tests.e2e.conftest import login
from tests.factories import UserFactory
from villages.models import Division, UserScope


def test_start_here_creates_a_county_and_its_first_user(transactional_db, live_server, page):
    UserFactory(username="root", is_superuser=True, is_staff=True)
    login(page, live_server, "root")
    card = page.get_by_test_id("start-here")
    expect(card).to_contain_text("从这里开始")
    card.get_by_role("link", name="从这里开始").click()

    # The province's counties come in place (htmx), grouped by city.
    page.evaluate("window.szSamePage = true")
    with page.expect_response(lambda r: "province=41" in r.url) as counties:
        page.get_by_test_id("provinces").get_by_role("link", name="河南省").click()
    assert counties.value.request.headers.get("hx-request") == "true"
    form = page.get_by_test_id("start-form")
    expect(form).to_contain_text("漯河市")
    assert page.evaluate("window.szSamePage") is True
    form.get_by_label("郾城区").check()
    with page.expect_navigation():
        form.get_by_role("button", name="建立区划").click()

    expect(page.locator("h1")).to_have_text("郾城区建设清单")
    expect(page.locator("[data-step=divisions]")).to_contain_text("✓")
    expect(page.locator("[data-step=villages]")).to_contain_text("✗")
    expect(page.get_by_test_id("next-step")).to_contain_text("区划台账导入")
    assert Division.objects.filter(parent__code="411103000000").count() == 10

    page.get_by_role("link", name="用户与权限范围").last.click()
    page.get_by_role("link", name="新建用户").click()
    page.fill("#id_username", "pc_staff")
    page.fill("#id_name", "裴城干事")
    page.fill("#id_password", "Xy7-qiang-mima")
    page.fill("#id_password_again", "Xy7-qiang-mima")
    page.select_option("#id_division", label="裴城镇（乡镇 411103103000）")
    page.select_option("#id_role", value="township_staff")
    with page.expect_navigation():
        page.get_by_role("button", name="创建").click()
    expect(page.locator(".alert-success")).to_contain_text("pc_staff")
    expect(page.get_by_test_id("scopes")).to_contain_text("裴城镇")
    assert UserScope.objects.get(user__username="pc_staff").division.code == "411103103000"
