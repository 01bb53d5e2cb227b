"""The grids pages as a user drives them: forms that call the services, errors beside the fields, the map's
data, and query counts that do not grow with the number of rows."""

import json

import pytest
from django.urls import reverse
from django.utils import translation

from grids import services
from grids.geo import rectangle
from grids.models import Grid, GridAssignment, Household, PartyMember, RequestStep, ServiceRequest, Visit
from tests.grids.conftest import make_grid


def test_grid_form_shows_boundary_errors_beside_the_field(client, tree):
    client.force_login(tree.users.township)
    url = reverse("grids:grid_create", kwargs={"code": tree.liangzhuang.code})
    page = client.get(url)
    assert page.context["form"].initial["code"] == tree.liangzhuang.code + "001"
    swapped = {"type": "Polygon", "coordinates": [[[33.6, 114.0], [33.6, 114.01], [33.61, 114.01], [33.6, 114.0]]]}
    with translation.override("en"):
        response = client.post(
            url,
            {"code": tree.liangzhuang.code + "001", "name": "第一网格", "kind": "comprehensive",
             "boundary": json.dumps(swapped)},
            HTTP_ACCEPT_LANGUAGE="en",
        )  # fmt: skip
    assert response.status_code == 200
    assert response.context["form"].errors["boundary"]
    assert not Grid.objects.exists()
    response = client.post(
        url,
        {"code": tree.liangzhuang.code + "001", "name": "第一网格", "kind": "dedicated", "dedicated_type": "",
         "boundary": json.dumps(rectangle(114.0, 33.6, 114.01, 33.61))},
    )  # fmt: skip
    assert "dedicated_type" in response.context["form"].errors
    response = client.post(
        url,
        {"code": tree.liangzhuang.code + "001", "name": "第一网格", "kind": "comprehensive",
         "boundary": json.dumps(rectangle(114.0, 33.6, 114.01, 33.61))},
    )  # fmt: skip
    grid = Grid.objects.get()
    assert response.status_code == 302 and response["Location"] == grid.get_absolute_url()
    assert grid.history.get().history_user == tree.users.township


def test_grid_code_must_start_with_the_village_code(client, tree):
    client.force_login(tree.users.township)
    url = reverse("grids:grid_create", kwargs={"code": tree.liangzhuang.code})
    response = client.post(url, {"code": tree.wangzhuang.code + "001", "name": "第一网格", "kind": "comprehensive"})
    assert "code" in response.context["form"].errors


def test_assignment_gives_a_grid_worker_the_grid(client, grids, tree):
    client.force_login(tree.users.village)
    url = reverse("grids:assignment_add", kwargs={"pk": grids.b.grid.pk})
    response = client.post(url, {"role": "part_time", "user": tree.users.grid.pk, "start_date": "2024-01-01"})
    assert response.status_code == 302
    client.force_login(tree.users.grid)
    assert client.get(grids.b.grid.get_absolute_url()).status_code == 200
    # An account without a scope in the village cannot be assigned; a person without an account can.
    client.force_login(tree.users.village)
    response = client.post(url, {"role": "police_beat", "user": tree.users.petition.pk, "start_date": "2024-01-01"})
    assert response.status_code == 200  # not offered in the list of users
    response = client.post(url, {"role": "police_beat", "person_name": "张警官", "start_date": "2024-01-01"})
    assert response.status_code == 302
    assert GridAssignment.objects.filter(grid=grids.b.grid, person_name="张警官").exists()


def test_request_flow_through_the_pages(client, grids, tree):
    client.force_login(tree.users.grid)
    url = reverse("grids:request_create", kwargs={"pk": grids.a.grid.pk})
    response = client.post(url, {"item": grids.item.pk, "channel": "phone", "description": "代缴"})
    assert "requester_name" in response.context["form"].errors  # no household and no name
    response = client.post(
        url, {"item": grids.item.pk, "channel": "phone", "household": grids.a.households[1].pk, "description": "代缴"}
    )
    created = ServiceRequest.objects.latest("pk")
    assert response.status_code == 302 and response["Location"] == created.get_absolute_url()
    detail = client.get(created.get_absolute_url())
    assert list(detail.context["actions"]) == ["accept"]
    step = reverse("grids:request_step", kwargs={"pk": created.pk})
    client.post(step, {"action": "accept", "note": "收到"})
    created.refresh_from_db()
    assert created.status == "accepted"
    response = client.post(step, {"action": "accept"})  # a second accept: refused, told why, nothing changes
    assert response.status_code == 302
    assert RequestStep.objects.filter(request=created).count() == 2


def test_visit_form_records_a_visit(client, grids, tree):
    client.force_login(tree.users.grid)
    household = grids.a.households[0]
    url = reverse("grids:visit_add", kwargs={"pk": household.pk})
    response = client.post(url, {"visited_on": "2024-03-01", "kind": "care", "by_member": "on", "note": "送药"})
    assert response.status_code == 302
    visit = Visit.objects.filter(household=household).order_by("-pk").first()
    assert visit.visitor_member == grids.a.member and visit.note == "送药"


def test_household_edit_keeps_a_masked_phone_when_left_blank(client, grids, tree):
    client.force_login(tree.users.grid)
    household = grids.a.households[0]
    url = reverse("grids:household_edit", kwargs={"pk": household.pk})
    page = client.get(url)
    assert "13912345678" not in page.content.decode()
    response = client.post(
        url,
        {"grid": grids.a.grid.pk, "address": household.address, "head_name": "改名", "members_count": 5, "phone": "",
         "linked_member": grids.a.member.pk},
    )  # fmt: skip
    assert response.status_code == 302
    household.refresh_from_db()
    assert household.head_name == "改名" and household.phone == "13912345678"


def test_member_create_and_edit(client, grids, tree):
    client.force_login(tree.users.grid)
    url = reverse("grids:member_create", kwargs={"code": tree.liangzhuang.code})
    response = client.post(
        url, {"name": "新党员", "phone": "13511112222", "branch": "梁庄村党支部", "grid": grids.a.grid.pk}
    )
    member = PartyMember.objects.get(name="新党员")
    assert response.status_code == 302 and member.grid == grids.a.grid
    # Without a grid the member belongs to the whole village: the grid worker may not add one.
    response = client.post(url, {"name": "全村党员", "phone": "", "branch": ""})
    assert response.status_code == 403


def test_map_page_passes_the_grids_as_geojson(client, grids, tree):
    client.force_login(tree.users.township)
    response = client.get(reverse("grids:map", kwargs={"code": tree.peicheng.code}) + "?figure=coverage")
    assert response.status_code == 200
    assert response.context["figure"] == "coverage"
    body = response.content.decode()
    assert 'id="grid-features"' in body and "grids/js/map.js" in body and "<script>" not in body
    features = response.context["features"]["features"]
    assert len(features) == 3  # a, b in 梁庄村; c in 王庄村
    assert all(f["properties"]["url"].startswith("/grids/grid/") for f in features)
    client.force_login(tree.users.grid)
    response = client.get(reverse("grids:map", kwargs={"code": tree.liangzhuang.code}))
    assert [f["properties"]["code"] for f in response.context["features"]["features"]] == [grids.a.grid.code]
    # The county level has a board, not a map.
    client.force_login(tree.users.county)
    assert client.get(reverse("grids:map", kwargs={"code": tree.yc.code})).status_code == 404


def test_division_sections_link_the_grid_pages(client, tree):
    client.force_login(tree.users.township)
    body = client.get(reverse("villages:division", kwargs={"code": tree.peicheng.code})).content.decode()
    assert reverse("grids:board", kwargs={"code": tree.peicheng.code}) in body
    assert reverse("grids:map", kwargs={"code": tree.peicheng.code}) in body


@pytest.fixture
def many(grids, tree, root):
    """Ten more grids in 梁庄村, each with a household, a request and a visit."""
    for n in range(3, 13):
        grid = make_grid(tree.liangzhuang, n, actor=root)
        household = services.household_create(actor=root, grid=grid, address=f"{n}号", head_name="户主", phone="")
        services.request_create(actor=root, grid=grid, item=grids.item, household=household, description="x")
        services.visit_record(actor=root, household=household)
        services.assignment_add(actor=root, grid=grid, role="full_time", user=tree.users.grid, start_date="2023-01-01")
    return Grid.objects.filter(village=tree.liangzhuang)


def test_pages_have_a_query_budget(client, tree, many, django_assert_max_num_queries):
    """Lists and boards cost the same number of queries however many grids and requests they show."""
    last = many.order_by("code").last()
    pages = [
        (tree.users.county, reverse("grids:board", kwargs={"code": tree.yc.code}), 12),
        (tree.users.township, reverse("grids:board", kwargs={"code": tree.peicheng.code}), 12),
        (tree.users.township, reverse("grids:board", kwargs={"code": tree.liangzhuang.code}), 9),
        (tree.users.township, reverse("grids:map", kwargs={"code": tree.peicheng.code}), 7),
        (tree.users.township, reverse("grids:request_list", kwargs={"code": tree.peicheng.code}), 7),
        (tree.users.grid, reverse("grids:my_requests"), 4),
        (tree.users.grid, last.get_absolute_url(), 17),  # the history names its linked rows: one query
        (tree.users.township, last.requests.first().get_absolute_url(), 7),
        (tree.users.township, last.households.first().get_absolute_url(), 10),
        (tree.users.township, reverse("grids:catalogue"), 6),
    ]
    for user, url, budget in pages:
        client.force_login(user)
        with django_assert_max_num_queries(budget):
            response = client.get(url)
        assert response.status_code == 200, url
    client.force_login(tree.users.grid)
    response = client.get(reverse("grids:my_requests"))
    assert len(response.context["requests"]) == 11
    assert Household.objects.visible_to(tree.users.grid).count() == 12
