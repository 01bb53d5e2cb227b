"""What a request reads first is cached between requests (a user's scopes, a division's chain of ancestors), and
every change to it shows on the very next request (issue 9); a token is read with its user on every request
(issue 20)."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from villages.models import UserScope
from villages.services import api_token_create, api_token_revoke
from villages.snapshots import tally_county
from villages.stats import data_versions

STATS = reverse("stats-metric", args=["villages.cadres_in_office"])


def _api(user):
    token, raw = api_token_create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return token, api


def test_a_repeated_statistics_request_reads_only_its_token(tree):
    # The token is read on every request, with its user and the user's version (one query): revocation, a new
    # password or a removed scope then holds on every node at once (issue 20); the rest comes from the cache.
    tally_county(county_code="411103000000", period="2026")
    _token, api = _api(tree.users.api)
    params = {"division": "411103000000", "period": "2026"}
    assert api.get(STATS, params).status_code == 200
    api.get(STATS, params)  # the first use records when the token was used
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(STATS, params)
    assert response.status_code == 200 and response.json()["division"]["numerator"] == 4
    assert len(ctx.captured_queries) == 1
    sql = ctx.captured_queries[0]["sql"]
    assert 'FROM "villages_apitoken"' in sql and "villages_userauthstate" in sql


def test_a_revoked_token_is_refused_on_the_next_request(tree):
    token, api = _api(tree.users.api)
    for _ in range(2):
        assert api.get(reverse("division-list")).status_code == 200
    api_token_revoke(token=token)
    assert api.get(reverse("division-list")).status_code == 401


def test_a_deactivated_users_token_is_refused_on_the_next_request(tree):
    _token, api = _api(tree.users.api)
    for _ in range(2):
        assert api.get(reverse("division-list")).status_code == 200
    tree.users.api.is_active = False
    tree.users.api.save()
    assert api.get(reverse("division-list")).status_code == 401


def test_signing_in_keeps_the_users_tokens_and_a_new_password_revokes_them(client, tree):
    _token, api = _api(tree.users.api)
    assert api.get(reverse("division-list")).status_code == 200
    with CaptureQueriesContext(connection) as ctx:
        assert client.login(username=tree.users.api.username, password=PASSWORD)
    assert not [q for q in ctx.captured_queries if "villages_apitoken" in q["sql"]]
    assert api.get(reverse("division-list")).status_code == 200
    tree.users.api.set_password("another-Passw0rd")
    tree.users.api.save(update_fields=["password"])
    assert api.get(reverse("division-list")).status_code == 401


def test_a_removed_scope_answers_404_on_the_next_request(client, tree):
    client.force_login(tree.users.county)
    page = reverse("villages:division", args=["411103000000"])
    _token, api = _api(tree.users.county)
    params = {"division": "411103000000", "period": "2026"}
    for _ in range(2):
        assert client.get(page).status_code == 200
        assert api.get(STATS, params).status_code == 200
    scope = UserScope.objects.get(user=tree.users.county)
    scope.division = tree.wj  # now an official of the other county
    scope.save()
    assert client.get(page).status_code == 404
    assert api.get(STATS, params).status_code == 404


def test_a_scope_added_shows_on_the_next_request(client, tree):
    client.force_login(tree.users.township)
    page = reverse("villages:division", args=[tree.liangzhuang.code])
    elsewhere = reverse("villages:division", args=["411103102000"])  # 商桥镇, the other township
    assert client.get(page).status_code == 200
    assert client.get(elsewhere).status_code == 404
    UserScope.objects.create(user=tree.users.township, division=tree.shangqiao, role="township_staff")
    assert client.get(elsewhere).status_code == 200


@pytest.mark.django_db(transaction=True)
def test_a_renamed_township_shows_in_its_villages_breadcrumbs(client, tree):
    # Cached pages move with the county's data version, which a commit moves: hence a transactional test.
    client.force_login(tree.users.county)
    page = reverse("villages:division", args=[tree.liangzhuang.code])
    assert "裴城镇" in client.get(page).content.decode()
    tree.peicheng.name = "裴城新镇"
    tree.peicheng.save()
    assert "裴城新镇" in client.get(page).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_scope_removed_in_a_committed_transaction_is_gone_for_other_requests(client, tree):
    client.force_login(tree.users.county)
    page = reverse("villages:division", args=["411103000000"])
    assert client.get(page).status_code == 200
    with transaction.atomic():
        UserScope.objects.filter(user=tree.users.county).delete()
    assert client.get(page).status_code == 404


def test_a_tally_moves_the_versions_of_the_pages_above_its_county(tree):
    """A city's or the province's page sums its counties' snapshots: any tally moves its versions, while a
    county's page moves only with its own county."""
    city, other_county = data_versions("411100000000"), data_versions("340827000000")
    tally_county(county_code="411103000000", period="2026")
    assert data_versions("411100000000") != city
    assert data_versions("340827000000") == other_county
