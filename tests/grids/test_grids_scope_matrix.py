"""Every grids view and endpoint × every role × an object inside and outside the user's scope.

Out of scope is always 404; for the grid worker that includes a grid of their own village they are not
assigned to. In scope, read views answer 200; edit views answer 200 (GET) or 302 (POST) for the roles that
may act and 403 for the others. A new URL without an entry here fails the test.
"""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grids import services
from grids import urls as html_urls
from grids.api import urls as api_urls
from grids.choices import ACTION_ROLES, GRID_EDITOR_ROLES, HOUSEHOLD_EDITOR_ROLES, SUPERVISOR_ROLES, StepAction
from grids.models import GridAssignment, ServiceRequest
from villages.choices import Role
from villages.services import api_token_create

ROLE_OF = {
    "county": Role.COUNTY_OFFICIAL,
    "township": Role.TOWNSHIP_STAFF,
    "village": Role.VILLAGE_SECRETARY,
    "grid": Role.GRID_WORKER,
    "petition": Role.PETITION_OFFICER,
    "api": Role.API_CLIENT,
}
# (grid inside the scope, grid outside, village code outside). The grid worker's outside grid is grid B of
# their own village: they are assigned to grid A only.
PLACES = {
    "county": ("a", "e", "e"),
    "township": ("a", "d", "d"),
    "village": ("a", "c", "c"),
    "grid": ("a", "b", "c"),
    "petition": ("e", "a", "a"),
    "api": ("a", "e", "e"),
}
READ = None
MOVED = "moved"  # a retired page: in scope, a permanent redirect to its successor, which checks the role
# name → (kind of object in the URL, roles that may act (None: a read view), method, POST data)
HTML_VIEWS = {
    "grids:board": ("code", READ, "get", None),
    "grids:map": ("code", READ, "get", None),
    "grids:request_list": ("code", READ, "get", None),
    "grids:household_ledger": ("code", READ, "get", None),
    "grids:grid_create": ("code", GRID_EDITOR_ROLES, "get", None),
    "grids:member_create": ("code", HOUSEHOLD_EDITOR_ROLES, "get", None),
    "grids:household_import": ("code", MOVED, "get", None),
    "grids:grid": ("grid", READ, "get", None),
    "grids:grid_edit": ("grid", GRID_EDITOR_ROLES, "get", None),
    "grids:assignment_add": ("grid", GRID_EDITOR_ROLES, "get", None),
    "grids:household_create": ("grid", HOUSEHOLD_EDITOR_ROLES, "get", None),
    "grids:request_create": ("grid", ACTION_ROLES[StepAction.REPORT], "get", None),
    "grids:assignment_end": ("assignment", GRID_EDITOR_ROLES, "post", {"end_date": "2030-01-01"}),
    "grids:household": ("household", READ, "get", None),
    "grids:household_edit": ("household", HOUSEHOLD_EDITOR_ROLES, "get", None),
    "grids:visit_add": ("household", HOUSEHOLD_EDITOR_ROLES, "post", {"visited_on": "2024-01-02", "kind": "care"}),
    "grids:member": ("member", READ, "get", None),
    "grids:member_edit": ("member", HOUSEHOLD_EDITOR_ROLES, "get", None),
    "grids:request": ("request", READ, "get", None),
    "grids:request_step": ("request", ACTION_ROLES[StepAction.ACCEPT], "post", {"action": "accept"}),
    "grids:request_supervise": ("request", SUPERVISOR_ROLES, "post", {"level": "yellow", "reason": "超期督办"}),
}
# Pages about no one object: every signed-in user may open them; they show only what is in scope.
HTML_OTHER = {"grids:my_requests", "grids:catalogue"}

API_DETAILS = {
    "grid-detail": "grid_code",
    "household-detail": "household",
    "service-request-detail": "request",
}
API_LISTS = {"grid-list", "household-list", "service-request-list"}
# name → (roles that may act, POST data)
API_ACTIONS = {
    "service-request-step": (ACTION_ROLES[StepAction.ACCEPT], {"action": "accept"}),
    "service-request-supervise": (SUPERVISOR_ROLES, {"level": "red", "reason": "红牌督办"}),
}
API_OTHER = {
    "grid-geojson",  # tested below with a division in and out of scope
    "service-request-list",  # POST creates: tested in test_api.py
    "service-item-list",  # the service list is the county's, the same for everyone
    "service-item-detail",
}


@pytest.fixture
def places(grids, root):
    """Per grid: its objects, one role on it, and its request made overdue so it can be supervised."""
    objects = {}
    for key in "abcde":
        made = getattr(grids, key)
        assignment = GridAssignment.objects.create(
            grid=made.grid, role="police_beat", person_name="民警", start_date=datetime.date(2022, 1, 1)
        )
        ServiceRequest.objects.filter(pk=made.request.pk).update(
            reported_at=timezone.now() - datetime.timedelta(days=3),
            due_at=timezone.now() - datetime.timedelta(days=1),
        )
        objects[key] = {
            "code": made.grid.village.code,
            "grid": made.grid.pk,
            "grid_code": made.grid.code,
            "household": made.households[0].pk,
            "member": made.member.pk,
            "request": made.request.pk,
            "assignment": assignment.pk,
        }
    return objects


def _targets(role, places):
    inside, outside, outside_code = PLACES[role]
    out = dict(places[outside])
    out["code"] = places[outside_code]["code"]
    return {"in": places[inside], "out": out}


def _html_kwargs(kind, objs):
    return {"code": objs["code"]} if kind == "code" else {"pk": objs[kind]}


def test_every_url_has_an_entry():
    html_names = {f"grids:{p.name}" for p in html_urls.urlpatterns}
    assert html_names == set(HTML_VIEWS) | HTML_OTHER, "add the new view to HTML_VIEWS"
    api_names = {p.name for p in api_urls.urlpatterns if p.name}
    assert api_names == set(API_DETAILS) | API_LISTS | set(API_ACTIONS) | API_OTHER, "add the endpoint to the matrix"


@pytest.mark.parametrize("role", sorted(PLACES))
def test_html_view_scope(client, tree, places, role):
    client.force_login(getattr(tree.users, role))
    targets = _targets(role, places)
    for name, (kind, roles, method, data) in HTML_VIEWS.items():
        for where in ("in", "out"):
            url = reverse(name, kwargs=_html_kwargs(kind, targets[where]))
            response = client.post(url, data) if method == "post" else client.get(url)
            if where == "out":
                expected = 404
            elif roles == MOVED:
                expected = 301
            elif roles is READ or ROLE_OF[role] in roles:
                expected = 302 if method == "post" else 200
            else:
                expected = 403
            assert response.status_code == expected, (name, role, where, url)


@pytest.mark.parametrize("role", sorted(PLACES))
def test_pages_about_no_object_show_only_the_scope(client, tree, grids, role):
    client.force_login(getattr(tree.users, role))
    assert client.get(reverse("grids:catalogue")).status_code == 200
    response = client.get(reverse("grids:my_requests"))
    assert response.status_code == 200
    mine = {r.pk for r in response.context["requests"]}
    assert mine == ({grids.a.request.pk} if role == "grid" else set())


def test_anonymous_is_sent_to_login(client, places):
    for name, (kind, _roles, method, data) in HTML_VIEWS.items():
        url = reverse(name, kwargs=_html_kwargs(kind, places["a"]))
        response = client.post(url, data) if method == "post" else client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
    for name in HTML_OTHER:
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name


def _api(user):
    api = APIClient()
    _token, raw = api_token_create(user=user)
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def _api_kwargs(kind, objs):
    return {"code": objs["grid_code"]} if kind == "grid_code" else {"pk": objs[kind]}


@pytest.mark.parametrize("role", sorted(PLACES))
def test_api_detail_scope(tree, places, role):
    api = _api(getattr(tree.users, role))
    targets = _targets(role, places)
    for name, kind in API_DETAILS.items():
        for where, expected in (("in", 200), ("out", 404)):
            response = api.get(reverse(name, kwargs=_api_kwargs(kind, targets[where])))
            assert response.status_code == expected, (name, role, where, response.content[:200])


@pytest.mark.parametrize("role", sorted(PLACES))
def test_api_actions_scope(tree, places, role):
    api = _api(getattr(tree.users, role))
    targets = _targets(role, places)
    for name, (roles, data) in API_ACTIONS.items():
        for where in ("in", "out"):
            response = api.post(reverse(name, kwargs={"pk": targets[where]["request"]}), data, format="json")
            if role == "api":
                expected = 403  # a read-only client may write nothing, anywhere
            elif where == "out":
                expected = 404
            elif ROLE_OF[role] in roles:
                expected = 200
            else:
                expected = 403
            assert response.status_code == expected, (name, role, where, response.content[:200])


@pytest.mark.parametrize("role", sorted(PLACES))
def test_api_lists_hold_only_in_scope_rows(tree, places, role):
    api = APIClient()
    api.force_authenticate(getattr(tree.users, role))
    targets = _targets(role, places)
    fields = {
        "grid-list": ("id", "grid"),
        "household-list": ("id", "household"),
        "service-request-list": ("id", "request"),
    }
    for name, (field, kind) in fields.items():
        response = api.get(reverse(name), {"page_size": 500})
        assert response.status_code == 200
        ids = {row[field] for row in response.json()["results"]}
        assert targets["in"][kind] in ids, (name, role)
        assert targets["out"][kind] not in ids, (name, role)


@pytest.mark.parametrize("role", sorted(PLACES))
def test_api_geojson_scope(tree, places, role):
    api = _api(getattr(tree.users, role))
    targets = _targets(role, places)
    inside = api.get(reverse("grid-geojson"), {"division": targets["in"]["code"]})
    assert inside.status_code == 200
    codes = {f["properties"]["code"] for f in inside.json()["features"]}
    assert targets["in"]["grid_code"] in codes
    if role == "grid":
        assert targets["out"]["grid_code"] not in codes  # grid B lies in the same village, unassigned
    assert api.get(reverse("grid-geojson"), {"division": targets["out"]["code"]}).status_code == 404


def test_api_anonymous_is_refused(places):
    api = APIClient()
    for name, kind in API_DETAILS.items():
        assert api.get(reverse(name, kwargs=_api_kwargs(kind, places["a"]))).status_code == 401, name
    for name in API_LISTS | {"service-item-list"}:
        assert api.get(reverse(name)).status_code == 401, name


def test_service_list_is_readable_by_every_scoped_user(tree, catalogue):
    api = APIClient()
    api.force_authenticate(tree.users.petition)
    response = api.get(reverse("service-item-list"), {"page_size": 500})
    assert response.status_code == 200 and response.json()["count"] == 94
    item = catalogue.first()
    assert api.get(reverse("service-item-detail", kwargs={"pk": item.pk})).status_code == 200


def test_ending_an_assignment_takes_the_grid_out_of_sight(client, tree, grids, root):
    client.force_login(tree.users.grid)
    assert client.get(grids.a.grid.get_absolute_url()).status_code == 200
    assignment = GridAssignment.objects.get(grid=grids.a.grid, user=tree.users.grid)
    services.assignment_end(actor=root, assignment=assignment, end_date=timezone.localdate() - datetime.timedelta(1))
    assert client.get(grids.a.grid.get_absolute_url()).status_code == 404
    assert client.get(grids.a.request.get_absolute_url()).status_code == 404
