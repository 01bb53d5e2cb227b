"""梁庄村's secretary records a house-yard meeting with two matters, one handed on as a grid request; the township's
staff then find it on 梁庄村's page."""

from django.utils import translation
from playwright.sync_api import expect

from tests.e2e.conftest import login, open_from_home
from villages.models import Division
from villages.work.choices import MatterOutcome
from villages.work.models import MeetingKind, VillagerMeeting

LIANGZHUANG = "411103103201"


def zh(text) -> str:
    with translation.override("zh-hans"):
        return str(text)


def test_secretary_records_a_house_yard_meeting_the_township_sees_it(transactional_db, tree, live_server, page):
    Division.objects.filter(code=LIANGZHUANG).update(population=1500)
    # A transactional test starts from an empty database: the kinds the migration ships are made here.
    house_yard = MeetingKind.objects.get_or_create(name="屋场会")[0]
    MeetingKind.objects.get_or_create(name="书记下午茶")

    # The secretary goes from the village page to its work records, then to the meetings.
    login(page, live_server, tree.users.village.username)
    page.goto(f"{live_server.url}/divisions/{LIANGZHUANG}/")
    page.locator(f'a.nav-link[href="/divisions/{LIANGZHUANG}/work/"]').click()
    expect(page.locator('[data-testid="work-figures"]')).to_be_visible()
    page.locator(f'[data-testid="work-topics"] a[href^="/divisions/{LIANGZHUANG}/work/meetings/"]').click()
    page.locator('[data-testid="record-meeting"]').click()
    expect(page.locator('[data-testid="meeting-form"]')).to_be_visible()

    page.select_option("#id_kind", label="屋场会")
    page.fill("#id_date", "2026-05-10")
    page.fill("#id_place", "梁家院坝")
    page.fill("#id_host", "梁绍正")
    page.fill("#id_topic", "人居环境整治")
    page.fill("#id_attendance", "2000")  # more than the village's 1,500 residents
    page.fill("#id_satisfied", "40")
    page.fill("#id_basically_satisfied", "8")
    page.fill("#id_dissatisfied", "2")
    rows = page.locator('[data-testid="matter-row"]')
    expect(rows).to_have_count(3)
    page.locator("[data-add-matter]").click()  # a fourth row, added in the page (no reload)
    expect(rows).to_have_count(4)
    page.fill("#id_matters-0-description", "村口路灯损坏,晚上出行不便")
    page.select_option("#id_matters-0-outcome", MatterOutcome.RESOLVED)
    page.fill("#id_matters-1-description", "排水沟堵塞,雨后积水")
    page.select_option("#id_matters-1-outcome", MatterOutcome.GRID_REQUEST)
    page.fill("#id_matters-1-reference", "WG2026051001")
    page.locator('[data-testid="meeting-form"] button[type=submit]').click()

    # Refused, with the reason beside the field; what was typed is still there, and nothing was saved.
    expect(page.locator("#id_attendance_errors")).to_contain_text("1500")
    expect(page.locator("#id_matters-1-reference")).to_have_value("WG2026051001")
    assert not VillagerMeeting.objects.exists()
    page.fill("#id_attendance", "60")
    page.locator('[data-testid="meeting-form"] button[type=submit]').click()

    matters = page.locator('[data-testid="matters"] tbody tr')
    expect(matters).to_have_count(2)
    expect(matters.nth(1)).to_contain_text("WG2026051001")
    expect(matters.nth(1).locator("[data-outcome]")).to_have_attribute("data-outcome", MatterOutcome.GRID_REQUEST)
    expect(page.locator('[data-testid="attendance"]')).to_have_text("60")
    meeting = VillagerMeeting.objects.get()
    assert meeting.kind == house_yard and meeting.division.code == LIANGZHUANG
    assert meeting.history.get().history_user.username == tree.users.village.username

    # The township's staff member finds it from the township, through 梁庄村's page.
    page.context.clear_cookies()
    login(page, live_server, tree.users.township.username)
    open_from_home(page, live_server, tree.peicheng.code)
    page.locator("#children a", has_text="梁庄村").click()
    page.locator(f'a.nav-link[href="/divisions/{LIANGZHUANG}/work/"]').click()
    expect(page.locator('[data-testid="meetings"]')).to_have_text("1")
    page.locator(f'[data-testid="work-topics"] a[href^="/divisions/{LIANGZHUANG}/work/meetings/"]').click()
    row = page.locator('[data-testid="meetings"] tbody tr', has_text="梁家院坝")
    expect(row).to_contain_text("屋场会")
    expect(row).to_contain_text("排水沟堵塞,雨后积水")
    expect(row.locator(f'[data-outcome="{MatterOutcome.GRID_REQUEST}"]')).to_have_text(
        zh(MatterOutcome.GRID_REQUEST.label)
    )
    row.locator("a").first.click()
    expect(page.locator("h1")).to_contain_text("屋场会")
    expect(page.locator('[data-testid="matter-history"]')).to_contain_text(tree.users.village.username)
