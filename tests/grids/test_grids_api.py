"""The grids API: grids with GeoJSON, households masked, requests with their steps, created and moved through
the same services as the browser; query counts that do not grow with the rows."""

import datetime

from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grids import services
from grids.choices import StepAction
from grids.models import ServiceRequest
from tests.grids.conftest import make_grid


def client_for(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_grid_detail_carries_its_geojson(grids, tree):
    response = client_for(tree.users.township).get(reverse("grid-detail", kwargs={"code": grids.a.grid.code}))
    assert response.status_code == 200
    body = response.json()
    assert body["boundary"]["type"] == "Polygon" and body["village"] == tree.liangzhuang.code
    assert body["households_count"] == 2 and body["kind"] == "comprehensive"


def test_geojson_collection_has_the_map_figures(grids, tree):
    response = client_for(tree.users.township).get(reverse("grid-geojson"), {"division": tree.peicheng.code})
    features = response.json()["features"]
    assert {f["properties"]["code"] for f in features} == {grids.a.grid.code, grids.b.grid.code, grids.c.grid.code}
    a = next(f for f in features if f["properties"]["code"] == grids.a.grid.code)
    assert a["properties"]["households"] == 2 and a["properties"]["open_requests"] == 1
    assert a["properties"]["coverage"] == 0.5  # one of two households visited


def test_households_are_masked_unless_the_role_needs_them(grids, tree):
    url = reverse("household-detail", kwargs={"pk": grids.a.households[0].pk})
    assert client_for(tree.users.township).get(url).json()["phone"] == "139****5678"
    assert client_for(tree.users.grid).get(url).json()["phone"] == "139****5678"
    body = client_for(tree.users.county).get(url).json()
    assert (
        body["phone"] == "13912345678" and body["care_tags"] == ["独居老人"] and body["linked_member_name"] == "党员a"
    )


def test_create_and_move_a_request_through_the_api(grids, tree):
    api = client_for(tree.users.grid)
    response = api.post(
        reverse("service-request-list"),
        {"grid": grids.a.grid.code, "item": grids.item.pk, "household": grids.a.households[0].pk,
         "channel": "visit", "description": "上门代缴"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "reported" and body["requester_name"] == "户主a1"
    assert body["requester_phone"] == "139****5678"
    assert [s["action"] for s in body["steps"]] == ["report"]
    step = reverse("service-request-step", kwargs={"pk": body["id"]})
    response = api.post(step, {"action": "accept"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "accepted"
    # The grid worker may not dispatch: the township does.
    assert api.post(step, {"action": "dispatch"}, format="json").status_code == 403
    township = client_for(tree.users.township)
    response = township.post(step, {"action": "dispatch", "handler": tree.users.grid.username}, format="json")
    assert response.status_code == 200 and response.json()["handler"] == tree.users.grid.username
    response = api.post(step, {"action": "handle"}, format="json")
    assert response.status_code == 400 and "note" in response.json()
    response = api.post(step, {"action": "close"}, format="json")
    assert response.status_code == 400 and "action" in response.json()
    assert api.post(step, {"action": "handle", "note": "已代缴"}, format="json").json()["status"] == "handled"
    steps = township.get(reverse("service-request-detail", kwargs={"pk": body["id"]})).json()["steps"]
    assert [s["action"] for s in steps] == ["report", "accept", "dispatch", "handle"]
    assert steps[2]["actor"] == tree.users.township.username and steps[2]["from_unit"] == "裴城镇"


def test_cannot_create_in_a_grid_out_of_sight(grids, tree):
    before = ServiceRequest.objects.count()
    response = client_for(tree.users.grid).post(
        reverse("service-request-list"),
        {"grid": grids.b.grid.code, "item": grids.item.pk, "requester_name": "李四", "description": "x"},
        format="json",
    )
    assert response.status_code == 400 and "grid" in response.json()
    response = client_for(tree.users.api).post(
        reverse("service-request-list"),
        {"grid": grids.a.grid.code, "item": grids.item.pk, "requester_name": "李四", "description": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert ServiceRequest.objects.count() == before


def test_request_filters(grids, tree):
    ServiceRequest.objects.filter(pk=grids.c.request.pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=2), due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    api = client_for(tree.users.county)
    url = reverse("service-request-list")
    ids = {r["id"] for r in api.get(url, {"overdue": "true"}).json()["results"]}
    assert ids == {grids.c.request.pk}
    ids = {r["id"] for r in api.get(url, {"division": tree.liangzhuang.code}).json()["results"]}
    assert ids == {grids.a.request.pk, grids.b.request.pk}
    assert api.get(url, {"status": "closed"}).json()["count"] == 0


def test_supervise_through_the_api(grids, tree):
    ServiceRequest.objects.filter(pk=grids.a.request.pk).update(
        reported_at=timezone.now() - datetime.timedelta(days=2), due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    url = reverse("service-request-supervise", kwargs={"pk": grids.a.request.pk})
    response = client_for(tree.users.county).post(url, {"level": "red", "reason": "严重超期"}, format="json")
    assert response.status_code == 200 and response.json()["supervision_level"] == "red"
    response = client_for(tree.users.township).post(url, {"level": "ordinary", "reason": "x"}, format="json")
    assert response.status_code == 400


def test_list_queries_do_not_grow_with_rows(grids, tree, root, django_assert_max_num_queries):
    for n in range(3, 13):
        grid = make_grid(tree.liangzhuang, n, actor=root)
        household = services.household_create(actor=root, grid=grid, address=f"{n}号", head_name="户主", phone="")
        request = services.request_create(actor=root, grid=grid, item=grids.item, household=household, description="x")
        services.request_transition(actor=root, request=request, action="accept")
    api = client_for(tree.users.county)
    api.get(reverse("grid-list"))  # reads the scopes once, as the first request of a session would
    for name, budget in (("grid-list", 6), ("household-list", 7), ("service-request-list", 7)):
        with django_assert_max_num_queries(budget):
            response = api.get(reverse(name), {"page_size": 100})
        assert response.status_code == 200 and response.json()["count"] >= 12, name


def test_a_refusal_says_which_role_may_take_the_step(tree, grids):
    services.request_transition(actor=tree.users.grid, request=grids.a.request, action=StepAction.ACCEPT)
    api = client_for(tree.users.grid)
    step = reverse("service-request-step", kwargs={"pk": grids.a.request.pk})
    response = api.post(step, {"action": "dispatch"}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 403
    assert response.json()["detail"] == "需要乡镇干部角色。"
