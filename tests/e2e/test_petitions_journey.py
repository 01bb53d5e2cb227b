"""望江县's petition officer registers a petition and assigns it to 华阳镇; the township concludes it, delivers
the decision and records the petitioner's satisfaction."""

import re

from django.utils import translation
from playwright.sync_api import expect

from petitions.choices import Satisfaction, Status
from petitions.models import Petition
from tests.e2e.conftest import login, open_from_home
from tests.factories import scoped_user, valid_id_number
from villages.choices import Role

WANGJIANG, HUAYANG = "340827000000", "340827100000"


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def open_step(page, action):
    """Unfold a step of the case page (one is unfolded at a time) and return its panel."""
    page.wait_for_load_state("load")  # Bootstrap's collapse listens only once its script has run
    panel = page.locator(f"#sz-step-{action}")
    if not panel.is_visible():
        page.locator(f'[data-step="{action}"] .accordion-button').click()
    expect(panel).to_be_visible()
    return panel


def test_a_petition_from_registration_to_satisfaction(transactional_db, tree, live_server, page, pytestconfig):
    scoped_user("t_huayang", tree.huayang, Role.TOWNSHIP_STAFF)
    id_number = valid_id_number(region="340827")

    # The petition officer opens the county's petitions from the division page's tab and registers a case.
    login(page, live_server, tree.users.petition.username)
    open_from_home(page, live_server, WANGJIANG)
    with page.expect_navigation():
        page.locator(f'.nav-tabs a[href="/petitions/divisions/{WANGJIANG}/"]').click()
    expect(page.locator("#sz-rates")).to_be_visible()
    with page.expect_navigation():
        page.locator(f'a[href="/petitions/divisions/{WANGJIANG}/cases/new/"]').first.click()
    form = page.locator("#sz-register")
    form.locator("#id_channel").select_option("visit")
    form.locator("#id_kind").select_option("demand")
    form.locator("#id_division").select_option(label="华阳镇 · 江边村")
    form.locator("#id_subject").fill("要求维修江边村村组道路")
    form.locator("#id_content").fill("村组道路破损严重，雨天无法通行。")
    # A wrong check digit is refused beside its field, and nothing is saved.
    form.locator("#id_p-0-name").fill("汪春生")
    form.locator("#id_p-0-id_number").fill(id_number[:17] + ("0" if id_number[17] != "0" else "1"))
    form.locator("#id_p-0-phone").fill("13955556666")
    form.locator("button[type=submit]").click()
    expect(page.locator("#sz-petitioners .sz-errorlist")).to_have_count(1)
    assert not Petition.objects.exists()
    page.locator("#id_p-0-id_number").fill(id_number)
    with page.expect_navigation():
        page.locator("#sz-register button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/petitions/cases/\d+/$"))
    expect(page.locator("[data-testid=status]")).to_have_text(zh(Status.REGISTERED.label))
    # The officer reads the full numbers.
    expect(page.locator("#sz-petitioners")).to_contain_text(id_number)

    # Assigned (交办) to 华阳镇: the case is theirs to handle, due in 60 days.
    panel = open_step(page, "assign")
    panel.locator("#id_assign-unit").select_option(label="华阳镇")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=status]")).to_have_text(zh(Status.HANDLING.label))
    expect(page.locator("[data-testid=unit]")).to_contain_text("华阳镇")
    case = Petition.objects.get()
    assert case.responsible_unit == tree.huayang and case.handling_due

    # The township signs in, finds the case among those awaiting its step, and concludes it.
    page.context.clear_cookies()
    login(page, live_server, "t_huayang")
    page.goto(f"{live_server.url}/petitions/divisions/{HUAYANG}/")
    expect(page.locator("[data-testid=awaiting]")).to_have_text("1")
    with page.expect_navigation():
        page.locator("[data-testid=awaiting]").click()
    with page.expect_navigation():
        page.locator("#sz-cases tbody a", has_text=case.number).click()
    expect(page.locator("#sz-petitioners")).not_to_contain_text(id_number)  # masked for the township
    panel = open_step(page, "conclude")
    panel.locator("#id_conclude-decision").select_option("support")
    panel.locator("#id_conclude-decision_text").fill("经调查核实，已安排资金维修道路，予以支持。")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=status]")).to_have_text(zh(Status.CONCLUDED.label))

    panel = open_step(page, "deliver")
    panel.locator("#id_deliver-method").select_option("in_person")
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=status]")).to_have_text(zh(Status.DELIVERED.label))

    # The petitioner is satisfied; the rating is credited to 华阳镇, the unit that first handled the case.
    panel = open_step(page, "rate")
    panel.locator("#id_rate-satisfaction_0").check()
    with page.expect_navigation():
        panel.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=satisfaction]")).to_contain_text(zh(Satisfaction.SATISFIED.label))
    expect(page.locator("#sz-timeline li")).to_have_count(5)
    case.refresh_from_db()
    assert (case.satisfaction, case.first_unit) == (Satisfaction.SATISFIED, tree.huayang)
    assert list(case.steps.values_list("action", flat=True)) == ["register", "assign", "conclude", "deliver", "rate"]

    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.screenshot(path=str(artifacts / "petition-case.png"), full_page=True)

    # The township's board counts the rating in this year's satisfaction.
    page.goto(f"{live_server.url}/petitions/divisions/{HUAYANG}/")
    expect(page.locator('#sz-rates [data-rate="satisfaction"] .sz-rate')).to_have_text("100.00%")
