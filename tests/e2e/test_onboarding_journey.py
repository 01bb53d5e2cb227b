"""A real county starts, from an empty platform to its own dashboard, through the pages only (issue 22): the first
administrator chooses 郾城区 from the official list, loads the county's own spreadsheets as a clerk writes them (a
village file, a cadre roster with full-width brackets and dotted dates, grids, households naming their grid by name
within the village) — each checked first, then confirmed — creates a county official, signs out; the official signs
in and reads the county's dashboard with figures. The files are built here, as the county would bring them."""

import io
import time

from django.utils import translation
from openpyxl import Workbook
from playwright.sync_api import expect

from grids.models import Grid, Household
from tests.e2e.conftest import login
from tests.factories import UserFactory, valid_id_number
from villages.models import Cadre, Division, ImportJob
from villages.recompute import runner

YC = "411103000000"
PASSWORD = "Xy7-qiang-mima"


def _xlsx(name, headers, rows) -> dict:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return {"name": name, "mimeType": mime, "buffer": buffer.getvalue()}


VILLAGES = _xlsx(
    "郾城区村社区.xlsx",
    ["区划代码", "名称", "层级", "类型", "城乡分类代码"],
    [
        ["411103103201", "梁庄村", "村", None, "220"],  # 村 told by the urban-rural code
        ["411103103202", "王庄村", "村", "村", "220"],
        ["411103103203", "裴城社区", "村", "社区", "111"],
    ],
)
# Full-width brackets in the header and the posts, dotted dates, the phone as a number, a trailing space.
CADRES = _xlsx(
    "村干部花名册.xlsx",
    ["村（社区）区划代码", "姓名", "性别", "出生日期", "是否党员", "联系电话", "身份证号", "职务", "任职日期"],
    [
        ["411103103201", "梁绍正", "男", "1970.6.1", "是", 13803950001, valid_id_number(),
         "党组织书记、村（居）委会主任", "2021.3.15"],
        ["411103103202", "王立 ", "女", "1982.11.3", "是", None, valid_id_number(), "党组织书记", "2021.3.15"],
    ],
)  # fmt: skip
GRIDS = _xlsx(
    "网格台账.xlsx",
    ["网格编码", "网格名称", "网格类型", "村(社区)区划代码", "网格员"],
    [
        ["411103103201001", "第一网格", "全科", "411103103201", "李红"],
        ["411103103201002", "第二网格", "全科网格", "411103103201", "张兰"],
        ["411103103202001", "第一网格", "全科", "411103103202", None],
    ],
)
HOUSEHOLDS = _xlsx(
    "住户台账.xlsx",
    ["网格", "村(社区)", "地址", "户主姓名", "家庭人口", "关爱标签"],
    [
        ["第一网格", "梁庄村", "梁庄村一组1号", "梁大山", 4, None],
        ["第一网格", "梁庄村", "梁庄村一组2号", "梁小河", "2", None],
        ["第二网格", "梁庄村", "梁庄村二组1号", "梁二", 3, None],
        ["第一网格", "王庄村", "王庄村一组1号", "王五", 1, None],
    ],
)


def _import(page, step, upload, created):
    """From the checklist: the step's import, the file checked (nothing written yet), confirmed, back to the list."""
    page.get_by_test_id(f"step-{step}").click()
    page.set_input_files("input[type=file]", upload)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.get_by_test_id("count-created")).to_have_text(str(created))
    expect(page.get_by_test_id("count-errors")).to_have_text("0")
    with page.expect_navigation():
        page.get_by_test_id("confirm-import").click()
    with translation.override("zh-hans"):
        done = str(ImportJob.Status.DONE.label)
    expect(page.get_by_test_id("job-status")).to_have_text(done)
    expect(page.get_by_test_id("count-created")).to_have_text(str(created))
    page.get_by_test_id("back-to-checklist").click()
    expect(page.locator(f"[data-step={step}]")).to_contain_text("✓")


def test_a_county_starts_from_its_own_spreadsheets(transactional_db, live_server, page, settings):
    assert not Division.objects.exists()
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the embedded set-up of `make run`: figures follow in-process
    UserFactory(username="root", is_superuser=True, is_staff=True)
    started = time.perf_counter()
    login(page, live_server, "root")

    # Start here: the official list makes 河南省 → 漯河市 → 郾城区 and its townships.
    page.get_by_test_id("start-here").get_by_role("link", name="从这里开始").click()
    page.get_by_test_id("provinces").get_by_role("link", name="河南省").click()
    form = page.get_by_test_id("start-form")
    form.get_by_label("郾城区").check()
    with page.expect_navigation():
        form.get_by_role("button", name="建立区划").click()
    expect(page.locator("h1")).to_have_text("郾城区建设清单")

    _import(page, "villages", VILLAGES, 3)
    _import(page, "cadres", CADRES, 2)
    _import(page, "grids", GRIDS, 3)
    _import(page, "households", HOUSEHOLDS, 4)
    secretary = Cadre.objects.get(name="梁绍正")
    assert {(p.title, p.start_date.isoformat()) for p in secretary.posts.all()} == {
        ("secretary", "2021-03-15"),
        ("chair", "2021-03-15"),
    }
    assert Cadre.objects.filter(name="王立").exists()  # the trailing space gone
    assert Division.objects.get(code="411103103201").kind == "village"
    assert Household.objects.filter(grid__code="411103103201002").count() == 1
    assert Grid.objects.count() == 3 and ImportJob.objects.filter(status="done").count() == 4

    # A county official, on the platform's own users and scopes pages.
    page.get_by_role("link", name="用户与权限范围").last.click()
    page.get_by_role("link", name="新建用户").click()
    page.fill("#id_username", "yc_official")
    page.fill("#id_name", "郾城组织部")
    page.fill("#id_password", PASSWORD)
    page.fill("#id_password_again", PASSWORD)
    county = page.locator("#id_division option", has_text=YC).get_attribute("value")
    page.select_option("#id_division", value=county)
    page.select_option("#id_role", value="county_official")
    with page.expect_navigation():
        page.get_by_role("button", name="创建").click()
    expect(page.get_by_test_id("scopes")).to_contain_text("郾城区")

    # Back on the checklist, the county's administrator asks for the figures now: the embedded set-up's runner
    # tallies after the request (as on `make run`), and the test waits for it to be idle.
    page.locator(".breadcrumb").get_by_role("link", name="郾城区").click()
    page.get_by_test_id("checklist-link").click()
    with page.expect_navigation():
        page.get_by_test_id("recompute-now").click()
    expect(page.locator(".alert-success")).to_contain_text("正在重新统计")
    assert runner.wait_idle(timeout=120)

    page.locator("[data-bs-toggle=dropdown]", has_text="root").click()
    with page.expect_navigation():
        page.get_by_role("button", name="退出本设备").click()

    login(page, live_server, "yc_official", PASSWORD)
    page.locator(f'aside a[href="/divisions/{YC}/"]').click()
    expect(page.locator("h1")).to_have_text("郾城区")
    expect(page.get_by_test_id("village-count")).to_have_text("3")
    expect(page.locator("main")).not_to_contain_text("本期数据尚未统计")
    expect(page.get_by_test_id("children-figures")).to_contain_text("裴城镇")
    elapsed = time.perf_counter() - started
    # The wall time of the whole path, for docs/performance.md (run with -s to read it).
    print(f"\nonboarding journey: {elapsed:.1f} s from the first sign-in to the official's dashboard")  # noqa: T201 -- the figure docs/performance.md notes
