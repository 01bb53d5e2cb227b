"""The grid worker on a phone: opens their open requests, handles one through to 结案 (the township checks
it in between); and the map of 沙北街道 draws its grids.

The demo data is loaded (villages and grids), so the journey runs on the accounts and places a newcomer sees:
yc_grid works three grids of 龙江社区 in 沙北街道.
"""

import base64
import io
import re

import pytest
from django.utils import translation
from playwright.sync_api import expect

from grids import demo as grids_demo
from grids.choices import RequestStatus, StepAction
from grids.models import Grid, ServiceRequest
from tests.e2e.conftest import login, open_from_home
from tests.factories import scoped_user
from villages import demo as villages_demo
from villages.choices import Role
from villages.demo import DEMO_PASSWORD
from villages.models import Division

SHABEI = "411103001000"
LONGJIANG = "411103001001"
PHONE = {"width": 390, "height": 844}


def zh(text) -> str:
    """What the page shows for an English source string or a lazy label, in the default language."""
    with translation.override("zh-hans"):
        return translation.gettext(text) if isinstance(text, str) else str(text)


@pytest.fixture
def demo(transactional_db):
    villages_demo.load(io.StringIO())
    grids_demo.load(io.StringIO())
    township = scoped_user("t_shabei", Division.objects.get(code=SHABEI), Role.TOWNSHIP_STAFF)
    return township


def test_grid_worker_handles_a_request_to_closed(demo, live_server, page, browser, pytestconfig):
    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    page.set_viewport_size(PHONE)
    login(page, live_server, "yc_grid", DEMO_PASSWORD)
    open_from_home(page, live_server, LONGJIANG)

    # From the community's page, the grids tab, then the worker's own list.
    page.locator(".nav-tabs a", has_text=zh("Grids")).first.click()
    expect(page).to_have_url(f"{live_server.url}/grids/divisions/{LONGJIANG}/")
    page.get_by_test_id("my-requests-link").click()
    expect(page).to_have_url(f"{live_server.url}/grids/mine/")
    cards = page.locator("[data-testid=my-requests] a[data-request]")
    expected = list(
        ServiceRequest.objects.filter(grid__assignments__user__username="yc_grid", status__in=RequestStatus.values[:5])
        .distinct()
        .order_by("due_at", "pk")
        .values_list("pk", flat=True)
    )
    expect(cards).to_have_count(len(expected))
    assert [int(pk) for pk in cards.evaluate_all("els => els.map(e => e.dataset.request)")] == expected
    # Made for a phone: nothing runs off the side of a 390-pixel screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.screenshot(path=str(artifacts / "grids-my-requests-phone.png"), full_page=True)

    # The request the township has dispatched to the grid: the worker handles it.
    dispatched = zh(RequestStatus.DISPATCHED.label)
    card = cards.filter(has_text=dispatched).first
    pk = int(card.get_attribute("data-request"))
    card.click()
    expect(page).to_have_url(re.compile(rf"/grids/requests/{pk}/\?from=mine$"))
    status = page.get_by_test_id("status")
    expect(status).to_have_text(dispatched)
    page.fill("#note-handle", "已上门办理，材料已代为提交")
    page.locator("button[data-action=handle]").click()
    expect(status).to_have_text(zh(RequestStatus.HANDLED.label))
    expect(page.locator("[data-testid=steps] li").last).to_contain_text("已上门办理")
    # Handled work goes up to the township for checking; the worker has nothing to do until then.
    expect(page.locator("button[data-action]")).to_have_count(0)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

    # The township checks it, in its own browser.
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    try:
        township = context.new_page()
        login(township, live_server, "t_shabei")
        township.goto(f"{live_server.url}/grids/requests/{pk}/")
        township.fill("#note-verify", "回访核实，群众认可")
        township.locator("button[data-action=verify]").click()
        expect(township.get_by_test_id("status")).to_have_text(zh(RequestStatus.VERIFIED.label))
    finally:
        context.close()

    # Back on the phone: the worker closes it, and it leaves their list of open requests.
    page.goto(f"{live_server.url}/grids/requests/{pk}/?from=mine")
    close = page.locator("button[data-action=close]")
    expect(close).to_contain_text(zh(StepAction.CLOSE.label))
    close.click()
    expect(page).to_have_url(f"{live_server.url}/grids/mine/")
    expect(cards).to_have_count(len(expected) - 1)
    assert str(pk) not in cards.evaluate_all("els => els.map(e => e.dataset.request)")
    request = ServiceRequest.objects.get(pk=pk)
    assert request.status == RequestStatus.CLOSED and request.closed_at is not None
    assert list(request.steps.order_by("at", "pk").values_list("action", flat=True))[-3:] == [
        "handle",
        "verify",
        "close",
    ]
    page.goto(f"{live_server.url}/grids/requests/{pk}/")
    expect(page.get_by_test_id("status")).to_have_text(zh(RequestStatus.CLOSED.label))


def test_township_map_draws_its_grids(demo, live_server, page, pytestconfig):
    login(page, live_server, "t_shabei")
    open_from_home(page, live_server, SHABEI)
    page.locator(".nav-tabs a", has_text=zh("Grid map")).click()
    expect(page).to_have_url(f"{live_server.url}/grids/divisions/{SHABEI}/map/")

    grids = Grid.objects.filter(village__code__startswith=SHABEI[:9]).count()
    assert grids == 100
    paths = page.locator("#grid-map .leaflet-overlay-pane svg path.leaflet-interactive")
    expect(paths).to_have_count(grids)
    # Every outline is a real shape on the screen, inside the map.
    sizes = paths.evaluate_all("els => els.map(e => { const b = e.getBBox(); return [b.width, b.height]; })")
    assert all(w > 2 and h > 2 for w, h in sizes)
    legend = page.locator(".sz-legend")
    expect(legend).to_contain_text(zh("Households"))

    artifacts = pytestconfig.rootpath / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    shot = page.locator("#grid-map").screenshot(path=str(artifacts / "grids-map-shabei.png"))
    # The screenshot itself: how much of the map is painted over the plain background, and in how many of
    # the ramp's shades (the colours are quantised to tell shades apart from anti-aliased edges).
    painted, shades = page.evaluate(
        """async (data) => {
            const img = new Image();
            img.src = "data:image/png;base64," + data;
            await img.decode();
            const canvas = document.createElement("canvas");
            canvas.width = img.width; canvas.height = img.height;
            const ctx = canvas.getContext("2d");
            ctx.drawImage(img, 0, 0);
            const px = ctx.getImageData(0, 0, img.width, img.height).data;
            const background = [243, 241, 235];
            const buckets = new Map();
            let painted = 0;
            for (let i = 0; i < px.length; i += 4) {
                const d = Math.abs(px[i] - background[0]) + Math.abs(px[i + 1] - background[1])
                    + Math.abs(px[i + 2] - background[2]);
                if (d < 12) continue;
                painted++;
                const key = (px[i] >> 4) + "," + (px[i + 1] >> 4) + "," + (px[i + 2] >> 4);
                buckets.set(key, (buckets.get(key) || 0) + 1);
            }
            const total = px.length / 4;
            const shades = [...buckets.values()].filter((n) => n > total / 200).length;
            return [painted / total, shades];
        }""",
        base64.b64encode(shot).decode(),
    )
    assert painted > 0.12, f"only {painted:.0%} of the map is painted"
    assert shades >= 3, f"the grids show {shades} shades"

    # Colour by open requests: the legend follows, and the choice is kept in the address.
    page.select_option("#sz-figure", "open_requests")
    expect(legend).to_contain_text(zh("Open requests"))
    expect(page).to_have_url(re.compile(r"figure=open_requests"))

    # Clicking a grid opens it.
    paths.first.click(force=True)
    expect(page).to_have_url(re.compile(r"/grids/grid/\d+/$"))
    expect(page.locator("#grid-map .leaflet-overlay-pane svg path")).to_have_count(1)
