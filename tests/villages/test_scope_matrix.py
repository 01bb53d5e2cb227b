"""Every villages view and endpoint × every role × an object inside and outside the user's scope.

Out of scope is always 404. In scope, read views answer 200 and edit views 200 for the roles that may edit
(county official, township staff) and 403 for the others. A new URL without an entry here fails the test.
"""

import datetime

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from villages import urls as html_urls
from villages.api import urls as api_urls
from villages.choices import AdjustmentKind
from villages.models import Cadre, Division, Post, StarAward, StarType
from villages.services import api_token_create, cadre_adjust
from villages.urls import urlpatterns

EDITORS = {"county", "township"}

# Which village each user's in-scope and out-of-scope objects live in.
PLACES = {
    "county": ("411103103201", "340827100201"),
    "township": ("411103103201", "411103102201"),
    "village": ("411103103201", "411103103202"),
    "grid": ("411103103201", "411103103202"),
    "petition": ("340827100201", "411103103201"),
    "api": ("411103103201", "340827100201"),
}

# name → (kind of object in the URL, read or edit, method)
HTML_VIEWS = {
    "villages:division": ("code", "read", "get"),
    "villages:division_ledger": ("code", "read", "get"),
    "villages:cadre_ledger": ("code", "read", "get"),
    "villages:cadre_create": ("code", "edit", "get"),
    # Retired (the add-only import): a division in scope redirects to its imports (villages.imports), which check the
    # role; out of scope is 404.
    "villages:import": ("code", "moved", "get"),
    "villages:cadre": ("cadre", "read", "get"),
    "villages:cadre_edit": ("cadre", "edit", "get"),
    "villages:post_add": ("cadre", "edit", "post"),
    "villages:post_adjust": ("post", "edit", "get"),
    "villages:stars": ("code", "read", "get"),
    # The award flow: posts that the service refuses by role or state come back as a redirect with a message;
    # out of scope is 404 before anything else.
    "villages:star_apply": ("code", {"village", "township"}, "post"),
    "villages:star_township": ("award", {"township"}, "post"),
    "villages:star_county": ("award", {"county"}, "post"),
    "villages:star_notice": ("award", {"county"}, "post"),
    "villages:star_award": ("award", {"county"}, "post"),
    "villages:star_remove": ("award", {"county"}, "post"),
}
# Views of a county or township (the watch list, its thresholds, the cadre adjustments): a village's code is 404.
# "county": the county officials' only, and only at a county.
UNIT_VIEWS = {"villages:watch": "read", "villages:adjustments": "read", "villages:watch_settings": "county"}
UNIT_PLACES = {
    "county": ("411103000000", "340827000000"),
    "township": ("411103103000", "411103102000"),
    "petition": ("340827000000", "411103000000"),
}
# Views of the user's own, with no division in the URL: every role gets its own answer, read only from its scopes
# (what the answer holds per role and scope: tests/villages/test_todo.py).
USER_VIEWS = {"villages:todo_count": "the badge of 我的待办: the count of the user's own to-do list"}
API_DETAILS = {
    "division-detail": "code",
    "division-cadres": "code",
    "division-posts": "code",
    "division-history": "code",
    "cadre-detail": "cadre",
    "cadre-history": "cadre",
    "post-detail": "post",
    "post-history": "post",
    "adjustment-detail": "adjustment",
}
API_LISTS = {"division-list", "cadre-list", "post-list", "adjustment-list"}
API_OTHER = {
    "auth-token",
    "stats-index",
    "stats-metric",
    "stats-stars",
    "stats-watch",
    "stats-series",  # these two: every role in and out of scope in test_series_scope_matrix.py
    "stats-changes",
}  # tested in test_api.py and test_stats_api.py


def _objects(code):
    village = Division.objects.get(code=code)
    cadre = Cadre.objects.filter(division=village).order_by("pk").first()
    post = Post.objects.filter(division=village, end_date__isnull=True).order_by("pk").first()
    return {"code": village.code, "cadre": cadre.pk, "post": post.pk, "village": village}


@pytest.fixture
def places(tree):
    """In- and out-of-scope objects per user, with one adjustment recorded in every village."""
    admin = tree.users.county
    admin.is_superuser = True  # only to record the fixtures' adjustments in both counties
    for code in {c for pair in PLACES.values() for c in pair}:
        village = Division.objects.get(code=code)
        member = Post.objects.create(
            cadre=Cadre.objects.create(division=village, name="调整对象", gender="male"),
            division=village,
            committee="party",
            title="member",
            start_date=datetime.date(2021, 3, 1),
        )
        cadre_adjust(
            actor=admin,
            post=member,
            kind=AdjustmentKind.REMOVAL,
            date=datetime.date(2023, 6, 1),
            reason="测试",
        )
    admin.is_superuser = False
    result = {}
    for role, (inside, outside) in PLACES.items():
        result[role] = {}
        for where, code in (("in", inside), ("out", outside)):
            objs = _objects(code)
            objs["adjustment"] = objs["village"].adjustments.first().pk
            objs["award"] = StarAward.objects.get_or_create(
                division=objs["village"], year=2026, star_type=StarType.objects.get(code="strong_branch")
            )[0].pk
            result[role][where] = objs
    return result


def _html_kwargs(kind, objs):
    return {"code": objs["code"]} if kind == "code" else {"pk": objs[kind]}


def test_every_url_has_an_entry():
    # villages.work's URLs are included, with their own matrix in tests/villages_work.
    html_names = {f"villages:{p.name}" for p in html_urls.urlpatterns if hasattr(p, "name")}
    assert html_names == set(HTML_VIEWS) | set(USER_VIEWS) | set(UNIT_VIEWS), "add the new view to HTML_VIEWS"
    api_names = {p.name for p in api_urls.urlpatterns if getattr(p, "name", None) and not p.name.endswith("-root")}
    assert api_names == set(API_DETAILS) | API_LISTS | API_OTHER, "add the new endpoint to the matrix"
    assert urlpatterns is html_urls.urlpatterns


@pytest.mark.parametrize("role", sorted(PLACES))
@pytest.mark.parametrize("name", sorted(HTML_VIEWS))
def test_html_view_scope(client, tree, places, role, name):
    kind, access, method = HTML_VIEWS[name]
    client.force_login(getattr(tree.users, role))
    for where in ("in", "out"):
        url = reverse(name, kwargs=_html_kwargs(kind, places[role][where]))
        response = getattr(client, method)(url)
        if where == "out":
            expected = 404
        elif isinstance(access, set):
            expected = 302 if role in access else 403
        elif access == "moved":
            expected = 301
        elif access == "read" or role in EDITORS:
            expected = 302 if method == "post" else 200
        else:
            expected = 403
        assert response.status_code == expected, (name, role, where, url)


@pytest.mark.parametrize("role", sorted(UNIT_PLACES))
@pytest.mark.parametrize("name", sorted(UNIT_VIEWS))
def test_unit_view_scope(client, tree, role, name):
    client.force_login(getattr(tree.users, role))
    inside, outside = UNIT_PLACES[role]
    assert client.get(reverse(name, kwargs={"code": outside})).status_code == 404
    assert client.get(reverse(name, kwargs={"code": "411103103201"})).status_code == 404  # a village
    if UNIT_VIEWS[name] == "read":
        expected = 200
    elif not inside.endswith("000000"):
        expected = 404  # a township's code: thresholds are a county's
    else:
        expected = 200 if role == "county" else 403
    assert client.get(reverse(name, kwargs={"code": inside})).status_code == expected, (name, role)


@pytest.mark.parametrize("role", sorted(PLACES))
@pytest.mark.parametrize("name", sorted(USER_VIEWS))
def test_user_view_answers_every_role(client, tree, role, name):
    client.force_login(getattr(tree.users, role))
    assert client.get(reverse(name)).status_code == 200


def test_anonymous_is_sent_to_login(client, tree, places):
    for name in USER_VIEWS:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for name, (kind, _access, method) in HTML_VIEWS.items():
        url = reverse(name, kwargs=_html_kwargs(kind, places["county"]["in"]))
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


@pytest.mark.parametrize("role", sorted(PLACES))
@pytest.mark.parametrize("name", sorted(API_DETAILS))
def test_api_detail_scope(tree, places, role, name):
    kind = API_DETAILS[name]
    api = APIClient()
    _token, raw = api_token_create(user=getattr(tree.users, role))
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    for where, expected in (("in", 200), ("out", 404)):
        objs = places[role][where]
        kwargs = {"code": objs["code"]} if kind == "code" else {"pk": objs[kind]}
        response = api.get(reverse(name, kwargs=kwargs))
        assert response.status_code == expected, (name, role, where, response.content[:200])


def test_api_anonymous_is_refused(tree, places):
    api = APIClient()
    for name, kind in API_DETAILS.items():
        objs = places["county"]["in"]
        kwargs = {"code": objs["code"]} if kind == "code" else {"pk": objs[kind]}
        assert api.get(reverse(name, kwargs=kwargs)).status_code == 401, name
    for name in API_LISTS:
        assert api.get(reverse(name)).status_code == 401, name


@pytest.mark.parametrize("role", sorted(PLACES))
@pytest.mark.parametrize("name", sorted(API_LISTS))
def test_api_lists_hold_only_in_scope_rows(tree, places, role, name):
    user = getattr(tree.users, role)
    api = APIClient()
    api.force_authenticate(user)
    response = api.get(reverse(name), {"page_size": 500})
    assert response.status_code == 200
    codes = [row.get("code") or row.get("division") for row in response.json()["results"]]
    assert codes, (name, role)
    prefixes = [s.division.prefix for s in user.scopes.select_related("division")]
    assert all(any(c.startswith(p) for p in prefixes) for c in codes), (name, role, codes)
    inside, outside = places[role]["in"]["code"], places[role]["out"]["code"]
    assert inside in codes or (name == "division-list" and inside in codes)
    assert outside not in codes


def test_user_without_scope_sees_nothing(client, db):
    from tests.factories import UserFactory

    user = UserFactory(username="noscope")
    client.force_login(user)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    api = APIClient()
    api.force_authenticate(user)
    assert api.get(reverse("division-list")).status_code == 403
