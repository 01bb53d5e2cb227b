"""Fields a role may not set are refused or ignored, never applied (issue 10, permission matrix)."""

from django.urls import reverse
from rest_framework.test import APIClient

from grids.models import ServiceRequest


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_server_owned_request_fields_are_ignored(grids, tree):
    body = {
        "grid": grids.a.grid.code, "item": grids.item.pk, "description": "上门代缴",
        "household": grids.a.households[0].pk,
        "status": "closed", "handler": tree.users.township.username, "due_at": "2099-01-01T00:00:00Z",
        "created_by": tree.users.county.pk, "rating": "good", "supervision_level": "red", "id": 999999,
    }  # fmt: skip
    response = _api(tree.users.grid).post(reverse("service-request-list"), body, format="json")
    assert response.status_code == 201, response.content
    created = ServiceRequest.objects.get(pk=response.json()["id"])
    assert created.pk != 999999 and created.status == "reported" and created.handler_id is None
    assert created.rating == "" and created.due_at.year < 2099 and created.created_by == tree.users.grid


def test_a_grid_or_household_out_of_scope_is_refused(grids, tree):
    before = ServiceRequest.objects.count()
    api = _api(tree.users.grid)
    body = {"grid": grids.a.grid.code, "item": grids.item.pk, "description": "x", "household": grids.b.households[0].pk}
    response = api.post(reverse("service-request-list"), body, format="json")
    assert response.status_code == 400 and "household" in response.json()
    body = {"grid": grids.e.grid.code, "item": grids.item.pk, "description": "x"}
    response = api.post(reverse("service-request-list"), body, format="json")
    assert response.status_code == 400 and "grid" in response.json()
    assert ServiceRequest.objects.count() == before


def test_a_step_body_cannot_choose_the_actor_or_status(grids, tree):
    request = grids.a.request
    step = reverse("service-request-step", kwargs={"pk": request.pk})
    body = {"action": "accept", "status": "closed", "actor": tree.users.county.username, "closed_at": "2020-01-01"}
    response = _api(tree.users.grid).post(step, body, format="json")
    assert response.status_code == 200, response.content
    request.refresh_from_db()
    assert request.status == "accepted" and request.closed_at is None
    assert request.steps.order_by("-pk").first().actor == tree.users.grid
