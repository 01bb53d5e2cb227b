"""The issue's acceptance checks on the demo: who sees how many villages, in the browser and the API."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from villages.models import Division


@pytest.fixture
def demo(demo_db):
    """The demo, built once per run (tests/demo_db.py)."""


def _token_client(username):
    api = APIClient()
    token = api.post(reverse("auth-token"), {"username": username, "password": "shanzhi-demo"}, format="json")
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    return api


def test_township_staff_see_their_25_villages_and_nothing_of_shangqiao(client, demo):
    shangqiao_village = Division.objects.filter(code__startswith="411103102", level="village").first()
    api = _token_client("yc_peicheng")
    body = api.get(reverse("division-list"), {"level": "village", "page_size": 100}).json()
    assert body["count"] == 25
    assert api.get(reverse("division-detail", args=[shangqiao_village.code])).status_code == 404

    client.login(username="yc_peicheng", password="shanzhi-demo")
    home = client.get(reverse("home"))  # the to-do list, with the township's page one click away
    assert [d.name for d in home.context["divisions"]] == ["裴城镇"]
    page = client.get(home.context["divisions"][0].get_absolute_url())
    assert page.context["division"].name == "裴城镇"
    assert page.context["village_count"] == 25
    assert client.get(reverse("villages:division", args=[shangqiao_village.code])).status_code == 404


def test_county_official_sees_183_villages(client, demo):
    client.login(username="yc_county", password="shanzhi-demo")
    home = client.get(reverse("home"))
    assert [d.name for d in home.context["divisions"]] == ["郾城区"]
    page = client.get(home.context["divisions"][0].get_absolute_url())
    assert page.context["division"].name == "郾城区"
    assert page.context["village_count"] == 183


def test_api_client_lists_yancheng_only(demo):
    api = _token_client("yc_api")
    townships = api.get(reverse("division-list"), {"parent": "411103000000"}).json()
    assert townships["count"] == 10
    assert sum(t["children_count"] for t in townships["results"]) == 183
    villages = api.get(reverse("division-list"), {"level": "village", "within": "411103000000", "page_size": 1}).json()
    assert villages["count"] == 183
    assert api.get(reverse("division-detail", args=["340827000000"])).status_code == 404


def test_county_admin_uses_a_scoped_django_admin(client, demo):
    client.login(username="yc_county", password="shanzhi-demo")
    listing = client.get(reverse("admin:villages_division_changelist"), {"level__exact": "village"})
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 183
    wangjiang = Division.objects.get(code="340827000000")
    assert client.get(reverse("admin:villages_division_change", args=[wangjiang.pk])).status_code == 404
    # Adjustments are records: the admin shows them but offers no way to change them.
    assert client.get(reverse("admin:villages_adjustment_add")).status_code == 403
