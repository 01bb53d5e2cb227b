"""Browser journeys: Debian's headless Chromium driven by Playwright against pytest-django's live_server.

One browser per test session; a fresh context (cookies, storage) and page per test. The live server
serves static files itself (pytest-django passes Django's StaticFilesHandler when
django.contrib.staticfiles is installed), so Bootstrap comes from node_modules through STATICFILES_DIRS
without collectstatic. No `playwright install`: the machine has no outside network.
"""

import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import sync_playwright

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    # Without these Chromium keeps trying to reach outside hosts, which slows every test down here.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e is a browser journey: `-m "not e2e"` skips them all."""
    for item in items:
        if item.path.is_relative_to(E2E_DIR):
            item.add_marker(pytest.mark.e2e)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item, so the page fixture knows at teardown whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an asyncio event loop in the test thread, and that loop counts as
    # "running" from launch until stop. Django's async-unsafe guard then refuses every ORM call made in
    # the test thread (fixtures, asserts, pytest-django's flush) with SynchronousOnlyOperation, although
    # no coroutine ever touches the database. So the guard is switched off exactly while the browser is up
    # (the rest of the session too, since the browser lives as long as the session) and restored after.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def _is_outside(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https", "ws", "wss"}:
        return False  # data:, blob:, about: never leave the machine
    return parts.hostname not in LOCAL_HOSTS


@pytest.fixture
def page(browser, request):
    """A fresh context and page (1366×768, zh-CN) per test.

    The page may load nothing from another host: such requests are aborted and recorded, and fail the
    test. A static file that fails to load or a JavaScript error on the page fails it too. When the
    test fails, a screenshot goes to test-artifacts/<test name>.png.
    """
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="zh-CN")
    context.set_default_timeout(10_000)
    outside: list[str] = []
    broken_static: list[str] = []
    page_errors: list[str] = []

    def guard(route):
        if _is_outside(route.request.url):
            outside.append(route.request.url)
            route.abort("blockedbyclient")
        else:
            route.continue_()

    def record_outside(req):
        if _is_outside(req.url):
            outside.append(req.url)

    def record_failed(req):
        # A load the browser abandoned because the page moved on (a font still loading during a redirect) is
        # not a broken file; anything else is.
        if "/static/" in urlsplit(req.url).path and "ERR_ABORTED" not in (req.failure or ""):
            broken_static.append(f"failed {req.url} ({req.failure})")

    def check_static(response):
        if "/static/" in urlsplit(response.url).path and response.status >= 400:
            broken_static.append(f"{response.status} {response.url}")

    context.route("**/*", guard)
    context.on("request", record_outside)
    context.on("requestfailed", record_failed)
    context.on("response", check_static)
    page = context.new_page()
    page.on("pageerror", lambda exc: page_errors.append(str(exc)))

    yield page

    report = getattr(request.node, "rep_call", None)
    try:
        if report is not None and report.failed:
            _screenshot(page, request)
    finally:
        context.close()
    problems = []
    if outside:
        problems.append("requests to other hosts: " + ", ".join(sorted(set(outside))))
    if broken_static:
        problems.append("static files not served: " + ", ".join(broken_static))
    if page_errors:
        problems.append("JavaScript errors: " + " | ".join(page_errors))
    if problems:
        pytest.fail("; ".join(problems), pytrace=False)


def _screenshot(page, request) -> None:
    directory = request.config.rootpath / "test-artifacts"
    directory.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    try:
        page.screenshot(path=str(directory / f"{name}.png"), full_page=True)
    except Exception as exc:  # a closed or crashed page must not hide the test's own failure
        request.node.warn(pytest.PytestWarning(f"no failure screenshot: {exc}"))


def login(page, live_server, username, password=PASSWORD):
    """Sign in through the login form and wait for the page the app sends the user to."""
    page.goto(live_server.url + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if urlsplit(page.url).path == "/accounts/login/":
        alert = page.locator(".alert-danger")
        reason = alert.inner_text() if alert.count() else "still on the login page"
        pytest.fail(f"login as {username} failed: {reason}", pytrace=False)


def open_from_home(page, live_server, code):
    """Every role lands on its to-do list; its division's page is one click away (the home page's divisions)."""
    from playwright.sync_api import expect

    expect(page).to_have_url(live_server.url + "/")
    page.locator(f'aside a[href="/divisions/{code}/"]').click()
    expect(page).to_have_url(f"{live_server.url}/divisions/{code}/")
