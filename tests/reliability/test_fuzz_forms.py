"""Fuzzed form posts (hypothesis): the scorecard (a review level's save), petition registration and the
household form. Each post starts from the form as the page renders it, filled validly, and then has fields
replaced with hostile or malformed values or left out. Whatever is sent: no server error, and a post that is
not accepted (anything but the redirect of a successful save) saves nothing.

And the pages' filters (issue 20, finding 11): every page of the URL configuration, every field of its GET forms
(and one it does not have), given a NUL character, answers 400 with the reason, never a server error.

FUZZ_EXAMPLES sets the posts per form (default 25).
"""

import os

from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grids.models import Household
from petitions.models import Petition, Petitioner
from reviews.choices import Stage
from reviews.models import ItemScore
from tests.factories import UserFactory, valid_id_number
from tests.grids.conftest import make_grid
from tests.html_forms import get_forms, post_forms
from tests.reviews.conftest import campaign, level_of, small_template  # noqa: F401 (fixtures)
from tests.test_permission_matrix import _url, routes

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", 25))
HOSTILE = [
    "", " ", "0", "-1", "1.5", "1e400", "NaN", "99999999999999999999999", "2024-02-30", "0000-00-00", "９９",
    "<script>alert(1)</script>", "'; DROP TABLE petitions_petition; --", "=HYPERLINK(\"x\")", "\x00", "a\x00b",
    "\u202e", "𠀀" * 300, "x" * 5000, "on", "true", "None", "[]", "{}",
    # A form cannot carry a lone surrogate: Django decodes the bytes that would spell one as U+FFFD.
    "[" * 10_000, "%00", "\ufffd", "a\ufffd\x00",
]  # fmt: skip
VALUES = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40), st.integers().map(str))
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _mutations(fields):
    """Which fields to change (to a value) or leave out (None)."""
    return st.dictionaries(st.sampled_from(sorted(fields)), st.one_of(st.none(), VALUES), min_size=1, max_size=6)


def _fields(client, url, action=None):
    forms = post_forms(client.get(url).content)
    form = next(f for f in forms if f.action in ((action,) if action else ("", url)))
    return form.fields


def _apply(base, mutation):
    data = dict(base)
    for key, value in mutation.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def test_scorecard_save_is_fuzzed(client, tree, campaign):  # noqa: F811
    level = level_of(campaign.reviews.get(village=tree.liangzhuang), Stage.TOWNSHIP)
    client.force_login(tree.users.township)
    page = reverse("reviews:level", args=[level.review_id, Stage.TOWNSHIP])
    action = reverse("reviews:level_save", args=[level.review_id, Stage.TOWNSHIP])
    base = _fields(client, page, action)
    for item in campaign.template.items.all():
        if item.is_pass_fail:
            base[f"passed_{item.pk}"] = "yes"
        else:
            base[f"score_{item.pk}"] = str(item.max_points)
    fields = set(base) - {"csrfmiddlewaretoken"}

    @SETTINGS
    @given(mutation=_mutations(fields))
    def run(mutation):
        current = level_of(level.review, level.level)
        before = (current.version, sorted(ItemScore.objects.filter(level=current).values_list("item", "score", "note")))
        data = _apply(base, mutation)
        data["version"] = str(current.version) if "version" not in mutation else data.get("version", "")
        response = client.post(action, data)
        assert response.status_code < 500, (mutation, response.status_code)
        if response.status_code != 302:
            after = level_of(level.review, level.level)
            assert (
                after.version,
                sorted(ItemScore.objects.filter(level=after).values_list("item", "score", "note")),
            ) == before

    run()


def test_petition_registration_is_fuzzed(client, tree):
    client.force_login(tree.users.petition)
    url = reverse("petitions:register", args=[tree.wj.code])
    base = _fields(client, url) | {
        "received_on": timezone.localdate().isoformat(), "channel": "visit", "kind": "demand",
        "division": str(tree.jiangbian.pk), "subject": "要求维修村组道路", "content": "道路破损，出行不便。",
        "p-0-name": "汪春生", "p-0-id_number": valid_id_number(region="340827"), "p-0-phone": "13955556666",
    }  # fmt: skip
    fields = set(base) - {"csrfmiddlewaretoken", "_once"}

    @SETTINGS
    @given(mutation=_mutations(fields))
    def run(mutation):
        before = (Petition.objects.count(), Petitioner.objects.count())
        response = client.post(url, _apply(base, mutation) | {"_once": ""})
        assert response.status_code < 500, (mutation, response.status_code)
        if response.status_code != 302:
            assert (Petition.objects.count(), Petitioner.objects.count()) == before, mutation

    run()


def test_household_form_is_fuzzed(client, tree):
    grid = make_grid(tree.liangzhuang, 1, actor=UserFactory(username="fuzz_root", is_superuser=True))
    client.force_login(tree.users.township)
    url = reverse("grids:household_create", args=[grid.pk])
    base = _fields(client, url) | {"grid": str(grid.pk), "address": "1号", "head_name": "户主", "members_count": "3"}
    fields = set(base) - {"csrfmiddlewaretoken", "_once"}

    @SETTINGS
    @given(mutation=_mutations(fields | {"phone", "care_tags", "linked_member"}))
    def run(mutation):
        before = Household.objects.count()
        response = client.post(url, _apply(base, mutation) | {"_once": ""})
        assert response.status_code < 500, (mutation, response.status_code)
        if response.status_code != 302:
            assert Household.objects.count() == before, mutation

    run()


def test_nul_in_any_filter_of_any_page_is_a_400(client, tree):
    client.force_login(tree.users.county)
    checked = 0
    for name, (route, pattern) in sorted(routes().items()):
        if route.startswith("api/") or not name:
            continue
        url = _url(name, pattern)
        page = client.get(url)
        fields = {"undeclared"}
        if page.status_code == 200 and page["Content-Type"].startswith("text/html"):
            fields |= {f for form in get_forms(page.content) for f in form.fields}
        for field in sorted(fields):
            response = client.get(url, {field: "a\x00b"})
            assert response.status_code == 400, (name, field, response.status_code)
            checked += 1
    html = response.content.decode()
    assert field in html and "NUL" in html
    assert checked > 150


def test_a_cookie_holding_nul_is_ignored_not_a_server_error(client, tree):
    for name in ("sessionid", "csrftoken", "messages", "django_language", "other"):
        client.cookies[name] = "abcdefghijkl\x00mnop"
    assert client.get("/").status_code == 302  # no session: to the login page
    assert client.get("/api/v1/cadres/").status_code in (401, 403)
    client.cookies.clear()  # (the test client's own login reads the session cookie)
    client.force_login(tree.users.county)  # a good session cookie beside bad ones still signs in
    for name in ("messages", "other"):
        client.cookies[name] = "x\x00"
    assert client.get(reverse("villages:division", args=["411103000000"])).status_code == 200
