"""Acting on the review in the browser: 裴城镇's staff (yc_peicheng) records a talk with a 梁庄村 cadre, adds a
measure to 梁庄村's rectification plan, uploads its evidence, reports it done and closes it (销号)."""

import datetime
import re

from django.utils import timezone
from playwright.sync_api import expect

from reviews import services as review_services
from reviews.demo import create_template
from reviews.followup import services
from reviews.followup.choices import MeasureStatus
from reviews.followup.models import Evidence, Measure, Talk
from reviews.models import Check
from tests.e2e.conftest import login
from tests.factories import scoped_user
from tests.reviews.followup_data import PDF
from villages.choices import Role

LIANGZHUANG = "411103103201"


def test_township_records_a_talk_and_closes_a_measure(transactional_db, tree, live_server, page, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    campaign = review_services.campaign_create(
        actor=tree.users.county,
        division=tree.yc,
        template=create_template(),
        name="2021年“回头看”",
        start_date=datetime.date(2021, 9, 1),
        end_date=datetime.date(2021, 12, 31),
    )
    problem = services.problem_create(
        actor=tree.users.county,
        campaign=campaign,
        check=Check.objects.filter(template=campaign.template).first(),
        kind="particular",
        title="村务公开栏更新不及时",
        villages=[tree.liangzhuang],
    )
    services.plan_create(actor=tree.users.county, campaign=campaign, village=tree.liangzhuang)
    staff = scoped_user("yc_peicheng", tree.peicheng, Role.TOWNSHIP_STAFF)

    login(page, live_server, staff.username)
    page.goto(f"{live_server.url}/divisions/{LIANGZHUANG}/")
    page.locator(f'.nav-tabs a[href="/followup/divisions/{LIANGZHUANG}/talks/"]').click()
    page.locator(f'a[href="/followup/divisions/{LIANGZHUANG}/talks/new/"]').click()

    # The talk: a date in the future is refused beside its field, then the full record is kept.
    page.select_option("#id_cadre", label="梁明")
    page.select_option("#id_kind", "admonition")
    page.fill("#id_talker", "裴城镇党委书记")
    page.fill("#id_note_taker", "镇组织委员")
    page.fill("#id_held_at", (timezone.localtime() + datetime.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M"))
    page.fill("#id_place", "镇党委会议室")
    page.fill("#id_reason", "回头看发现村务公开不及时")
    page.fill("#id_content", "指出问题，听取说明")
    page.fill("#id_correction", "一个月内更新公开栏")
    page.fill("#id_correction_deadline", (timezone.localdate() + datetime.timedelta(days=30)).isoformat())
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#id_held_at_errors")).to_be_visible()
    assert not Talk.objects.exists()
    page.fill("#id_held_at", (timezone.localtime() - datetime.timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/followup/talks/\d+/$"))
    expect(page.locator("main")).to_contain_text("一个月内更新公开栏")
    talk = Talk.objects.get()
    assert (talk.cadre, talk.kind, talk.created_by) == (tree.member.cadre, "admonition", staff)

    # The plan: add a measure answering the problem.
    page.goto(f"{live_server.url}/followup/divisions/{LIANGZHUANG}/")
    page.locator("a", has_text="梁庄村").last.click()
    expect(page).to_have_url(re.compile(r"/followup/plans/\d+/$"))
    page.fill("#id_content", "更新村务公开栏并建立月更新制度")
    page.fill("#id_owner", "梁绍正")
    page.fill("#id_deadline", (timezone.localdate() + datetime.timedelta(days=20)).isoformat())
    page.select_option("#id_problem", label=problem.title)
    with page.expect_navigation():
        page.locator('form[action$="/measures/new/"] button[type=submit]').click()
    expect(page).to_have_url(re.compile(r"/followup/measures/\d+/$"))
    measure = Measure.objects.get()

    # Evidence: a text file dressed as a PDF is refused; the real PDF is kept.
    upload = page.locator('form[action$="/evidence/"]')
    upload.locator("#id_file").set_input_files({"name": "照片.pdf", "mimeType": "application/pdf", "buffer": b"hi"})
    upload.locator("button[type=submit]").click()
    expect(page.locator("#id_file_errors")).to_contain_text("PDF")
    assert not Evidence.objects.exists()
    upload = page.locator('form[action$="/evidence/"]')
    upload.locator("#id_file").set_input_files({"name": "公开栏.pdf", "mimeType": "application/pdf", "buffer": PDF})
    with page.expect_navigation():
        upload.locator("button[type=submit]").click()
    expect(page.locator('[data-testid="evidence"]')).to_contain_text("公开栏.pdf")

    with page.expect_navigation():
        page.locator('form[action$="/done/"] button[type=submit]').click()
    page.fill("#id_note", "实地核查，公开栏已更新")
    with page.expect_navigation():
        page.locator('form[action$="/close/"] button[type=submit]').click()
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.CLOSED and measure.closed_by == staff
    expect(page.locator('[data-testid="status"]')).to_have_text(measure.get_status_display())
    expect(page.locator('form[action$="/evidence/"]')).to_have_count(0)
