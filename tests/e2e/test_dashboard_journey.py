"""The county's dashboard in the browser, on the demo data with its tallies: 郾城区's official sees 183 villages and
the township level's 36 好 / 92 较好 (read from the campaign's snapshot), downloads the township table as .xlsx
and finds the page's figures in it, drills into 裴城镇 and then 梁庄村's portrait. Screenshots of the county
dashboard and the portrait go to test-artifacts/ (kept for a person to look at), at 1366 px and at 390 px.

The demo is the run's shared build (tests/demo_db.py), cloned for the test.
"""

import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from reviews.demo import CAMPAIGN_NAME
from reviews.models import Campaign
from tests.e2e.conftest import login
from villages.demo import DEMO_PASSWORD
from villages.models import Division

YC = "411103000000"
PEICHENG = "411103103000"


LONG_NAME = "黑龙潭镇（含原黑龙潭乡、龙泉办事处及城乡一体化示范区管理委员会托管社区）"


@pytest.fixture
def demo(transactional_db, demo_db):
    # A long Chinese name must not break the layout.
    Division.objects.filter(code="411103107000").update(name=LONG_NAME)


def _no_horizontal_overflow(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport + 1, (width, viewport)


def test_county_dashboard_drill_down_and_portrait(demo, live_server, page, pytestconfig):
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    login(page, live_server, "yc_county", DEMO_PASSWORD)
    # The dashboard shows the county's latest campaign (the 2026 look-back, under way) unless another is chosen:
    # the finished 2021 one here, whose figures the seed gives.
    finished = Campaign.objects.get(name=CAMPAIGN_NAME)
    page.goto(f"{live_server.url}/divisions/{YC}/?campaign=C{finished.pk}")
    expect(page.locator("h1")).to_have_text("郾城区")
    expect(page.get_by_test_id("village-count")).to_have_text("183")

    # The review grades come from the campaign's snapshot: the township level's row says 36 好 and 92 较好.
    grades = page.get_by_test_id("panel-reviews-grades")
    grades.locator("summary").click()
    township_row = grades.locator("tbody tr", has_text="乡镇问诊")
    expect(township_row.locator("td").nth(1)).to_have_text("183")
    expect(township_row.locator("td").nth(2)).to_have_text(re.compile(r"^36 "))
    expect(township_row.locator("td").nth(3)).to_have_text(re.compile(r"^92 "))
    grades.locator("summary").click()

    # Every chart is drawn (SVG inside), the map has its 183 villages.
    charts = page.locator("[data-chart]")
    assert charts.count() >= 6
    for i in range(charts.count()):
        expect(charts.nth(i)).to_have_attribute("data-drawn", "true")
        assert charts.nth(i).locator("svg").count() >= 1
    expect(page.get_by_test_id("dashboard-map")).to_have_attribute("data-drawn", "183")
    expect(page.get_by_test_id("children-figures")).to_contain_text(LONG_NAME)
    _no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "dashboard-county.png"), full_page=True)

    # Printed: every panel takes the paper's width and its chart is redrawn to it.
    page.emulate_media(media="print")
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    content = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    for i in range(charts.count()):
        width = charts.nth(i).locator("svg").first.evaluate("svg => svg.getBoundingClientRect().width")
        assert width > content * 0.8, (i, width, content)
    page.screenshot(path=str(artifacts / "dashboard-county-print.png"), full_page=True)
    page.emulate_media(media="screen")
    page.evaluate("window.dispatchEvent(new Event('afterprint'))")

    # The township table as .xlsx: the same rows and figures as the page.
    with page.expect_download() as download:
        page.get_by_test_id("children-xlsx").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    table = page.get_by_test_id("children-figures")
    names = [n.strip() for n in table.locator("tbody tr td:first-child").all_inner_texts()]
    assert [r[1] for r in rows[1:]] == names and len(names) == 10
    counts = [int(n) for n in table.locator("tbody tr td:nth-child(2)").all_inner_texts()]
    assert [r[2] for r in rows[1:]] == counts and sum(counts) == 183
    header = list(rows[0])
    good = header.index("班子评为“好”或“较好” 分子")
    page_good = [
        int(re.search(r"(\d+)/\d+", t).group(1)) for t in table.locator("tbody tr td:nth-child(4)").all_inner_texts()
    ]
    assert [r[good] for r in rows[1:]] == page_good

    # Drill down: 裴城镇, then 梁庄村's portrait.
    table.locator("a", has_text="裴城镇").click()
    expect(page.locator("h1")).to_have_text("裴城镇")
    expect(page.get_by_test_id("village-count")).to_have_text("25")
    page.get_by_test_id("children-figures").locator("a", has_text="梁庄村").click()
    expect(page.locator("h1")).to_have_text("梁庄村")
    expect(page.get_by_test_id("portrait-stars")).to_be_visible()
    reviews = page.get_by_test_id("panel-portrait-reviews")
    expect(reviews).to_contain_text("乡镇问诊")
    expect(page.get_by_test_id("panel-portrait-grids")).to_contain_text("网格")
    expect(page.get_by_test_id("panel-portrait-petitions")).to_be_visible()
    page.screenshot(path=str(artifacts / "portrait-liangzhuang.png"), full_page=True)

    # A phone's width: nothing wider than the screen, on the portrait and on the county's dashboard.
    page.set_viewport_size({"width": 390, "height": 844})
    _no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "portrait-liangzhuang-390.png"), full_page=True)
    page.goto(f"{live_server.url}/divisions/{YC}/")
    expect(page.get_by_test_id("dashboard-map")).to_have_attribute("data-drawn", "183")
    _no_horizontal_overflow(page)
    page.screenshot(path=str(artifacts / "dashboard-county-390.png"), full_page=True)
