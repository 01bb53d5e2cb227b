"""Every page of the demo that `make run` serves, as each demo account reaches it by following links: none fails,
none refuses (403) and none is missing (404) — a link the user can see is a page the user may open.

The demo holds what real data holds and fixtures rarely do: rows loaded from ledgers with no author, reviews
at every stage, cases past their deadlines. Each account starts where it lands after signing in (its to-do
list) and follows the links of every HTML page it gets (a few of each URL shape, so the walk stays short).
"""

import re
from collections import Counter, deque
from urllib.parse import urljoin, urlsplit

ACCOUNTS = ("yc_county", "yc_peicheng", "yc_liangzhuang", "yc_grid", "yc_shabei", "wj_petition")
PER_SHAPE = 3  # pages per URL shape (digits replaced), e.g. /reviews/N/ or /grids/requests/N/
LIMIT = 250  # pages per account
SKIPPED = ("/static/", "/admin/", "/i18n/", "/accounts/logout/")


def crawl(client, start: str) -> tuple[int, list[tuple[str, int, str]]]:
    """Pages visited, and those that failed: (url, status, the page that linked it)."""
    shapes = Counter()
    queue, seen, failed = deque([start]), set(), []
    linked_from = {start: "(home)"}
    while queue and len(seen) < LIMIT:
        url = queue.popleft()
        if url in seen:
            continue
        seen.add(url)
        try:
            response = client.get(url)
        except Exception as error:  # the test client re-raises the view's exception: name the page
            error.add_note(f"while rendering {url}")
            raise
        if response.status_code >= 500 or response.status_code in (403, 404):
            failed.append((url, response.status_code, linked_from.get(url)))
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        for href in re.findall(r'href="([^"#]+)"', response.content.decode()):
            link = urljoin(url, href.replace("&amp;", "&"))
            parts = urlsplit(link)
            if parts.netloc or link.startswith(SKIPPED):
                continue
            shape = re.sub(r"\d+", "N", parts.path)
            if link not in seen and shapes[shape] < PER_SHAPE:
                shapes[shape] += 1
                queue.append(link)
                linked_from.setdefault(link, url)
    return len(seen), failed


def test_every_page_a_demo_account_reaches_renders(demo_db, client):
    for username in ACCOUNTS:
        assert client.login(username=username, password="shanzhi-demo")
        start = "/"  # every account lands on its to-do list
        visited, failed = crawl(client, start)
        assert visited > 20, f"{username} reached only {visited} pages from {start}"
        assert failed == [], username
        client.logout()


def test_every_link_on_each_demo_accounts_home_and_navigation_opens(demo_db, client):
    """The navigation shows only what the role may open, and every to-do item links to a page the user may
    open: no link on an account's home page (its to-do list and the navigation) answers 403 or 404."""
    for username in (*ACCOUNTS, "yc_api"):
        assert client.login(username=username, password="shanzhi-demo")
        home = client.get("/")
        assert home.status_code == 200, username
        links = {
            urljoin("/", href.replace("&amp;", "&")) for href in re.findall(r'href="([^"#]+)"', home.content.decode())
        }
        links = sorted(link for link in links if not urlsplit(link).netloc and not link.startswith(SKIPPED))
        assert links, username
        refused = [(link, code) for link in links if (code := client.get(link).status_code) in (403, 404)]
        assert refused == [], username
        client.logout()


def test_every_demo_account_has_work_on_its_first_sign_in(demo_db):
    """The campaign under way and the demo's cases and requests leave each account something to act on."""
    from django.contrib.auth import get_user_model

    from villages.todo import Urgency, todo_items

    users = get_user_model().objects.filter(username__in=ACCOUNTS)
    assert users.count() == len(ACCOUNTS)
    for user in users:
        actionable = [row for row in todo_items(user) if row["urgency"] != Urgency.WAITING]
        assert actionable, f"{user.username} has nothing to do"
