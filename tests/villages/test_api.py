import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from villages.models import ApiToken
from villages.services import api_token_create, cadre_update


def _client(user):
    _token, raw = api_token_create(user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    return api


def test_token_is_issued_for_a_password_and_works(tree):
    api = APIClient()
    response = api.post(reverse("auth-token"), {"username": "t_api", "password": PASSWORD}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"token", "expires"}
    # Only a digest is stored: the raw key is nowhere in the database.
    assert not ApiToken.objects.filter(digest=body["token"]).exists()
    api.credentials(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get(reverse("division-list")).status_code == 200


def test_wrong_password_gets_a_clear_error(tree):
    response = APIClient().post(reverse("auth-token"), {"username": "t_api", "password": "nope"}, format="json")
    assert response.status_code == 401
    assert "password" in response.json()["detail"].lower() or "密码" in response.json()["detail"]


def test_missing_fields_are_named(tree):
    response = APIClient().post(reverse("auth-token"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}


def test_expired_and_revoked_tokens_are_refused(tree):
    token, raw = api_token_create(user=tree.users.api)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.get(reverse("division-list")).status_code == 200
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = api.get(reverse("division-list"))
    assert response.status_code == 401

    token, raw = api_token_create(user=tree.users.api)
    api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
    assert api.delete(reverse("auth-token")).status_code == 204
    assert api.get(reverse("division-list")).status_code == 401
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_division_list_filters_and_pagination(tree):
    api = _client(tree.users.api)
    body = api.get(reverse("division-list"), {"parent": "411103000000"}).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert [d["code"] for d in body["results"]] == ["411103102000", "411103103000"]
    assert body["results"][0]["children_count"] == 1
    villages = api.get(reverse("division-list"), {"level": "village"}).json()
    assert villages["count"] == 3
    assert api.get(reverse("division-list"), {"q": "梁庄"}).json()["results"][0]["code"] == "411103103201"
    # The other county's divisions do not exist for this client.
    assert api.get(reverse("division-list"), {"parent": "340827000000"}).json()["count"] == 0
    page = api.get(reverse("division-list"), {"page_size": 2}).json()
    assert page["count"] == 6 and len(page["results"]) == 2 and page["next"]


def test_division_detail_and_its_cadres(tree):
    api = _client(tree.users.api)
    body = api.get(reverse("division-detail", args=["411103103201"])).json()
    assert body["name"] == "梁庄村" and body["parent"] == "411103103000"
    cadres = api.get(reverse("division-cadres", args=["411103103000"])).json()
    names = {c["name"] for c in cadres["results"]}
    assert names == {"梁绍正", "梁明", "王立"}
    secretary = next(c for c in cadres["results"] if c["name"] == "梁绍正")
    assert {p["title"] for p in secretary["current_posts"]} == {"secretary", "chair"}


def test_personal_data_is_masked_for_roles_that_do_not_need_it(tree):
    cadre = tree.secretary.cadre
    masked = _client(tree.users.api).get(reverse("cadre-detail", args=[cadre.pk])).json()
    assert masked["phone"] == "138****5678"
    assert masked["id_number"] == cadre.id_number[:6] + "********" + cadre.id_number[-4:]
    full = _client(tree.users.county).get(reverse("cadre-detail", args=[cadre.pk])).json()
    assert full["phone"] == cadre.phone and full["id_number"] == cadre.id_number


def test_history_shows_who_changed_what(tree):
    cadre = tree.secretary.cadre
    cadre_update(actor=tree.users.township, cadre=cadre, party_branch="梁庄村党支部", phone="13900001111")
    entries = _client(tree.users.api).get(reverse("cadre-history", args=[cadre.pk])).json()
    latest = entries[0]
    assert latest["user"] == "t_township" and latest["action"]
    changes = {c["field"]: c for c in latest["changes"]}
    assert changes["party_branch"]["new"] == "梁庄村党支部"
    assert changes["phone"]["old"] == "138****5678" and changes["phone"]["new"] == "139****1111"
    full = _client(tree.users.county).get(reverse("cadre-history", args=[cadre.pk])).json()
    assert {c["field"]: c for c in full[0]["changes"]}["phone"]["new"] == "13900001111"


def test_api_client_cannot_write(tree):
    api = _client(tree.users.api)
    response = api.post(reverse("division-list"), {"code": "411103103299"}, format="json")
    assert response.status_code in (403, 405)


def test_list_query_count_is_constant(tree, django_assert_max_num_queries):
    api = _client(tree.users.county)
    # Token, scopes, count, page, posts prefetch, and one insert logging the full personal data shown.
    with django_assert_max_num_queries(7):
        api.get(reverse("cadre-list"))
    with django_assert_max_num_queries(6):
        api.get(reverse("division-list"))


def test_schema_builds_without_warnings(tmp_path):
    # --fail-on-warn turns every schema warning into an error; --validate checks it against the OpenAPI spec.
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(out))
    text = out.read_text()
    assert "/api/v1/divisions/" in text and "/api/v1/auth/token/" in text


@pytest.mark.django_db
def test_schema_and_docs_are_served_without_a_cdn(client):
    assert client.get("/api/v1/schema/").status_code == 200
    docs = client.get("/api/v1/docs/").content.decode()
    assert "cdn" not in docs.lower() and "//unpkg" not in docs and "jsdelivr" not in docs


def test_pages_are_chinese_unless_the_user_chooses_english(client, db):
    # A browser asking for English still gets Chinese pages: the language menu (a cookie) switches them.
    page = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US").content.decode()
    assert 'lang="zh-hans"' in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert 'lang="en"' in client.get(reverse("login")).content.decode()


def test_api_answers_in_the_request_language(db):
    api = APIClient()
    zh = api.get(reverse("division-list"), HTTP_ACCEPT_LANGUAGE="zh-hans").json()["detail"]
    en = api.get(reverse("division-list"), HTTP_ACCEPT_LANGUAGE="en").json()["detail"]
    assert en == "Authentication credentials were not provided."
    assert zh != en


def test_repeated_failed_logins_lock_the_account_for_a_while(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for _ in range(3):
        response = client.post(reverse("login"), {"username": "t_county", "password": "wrong"})
        assert response.status_code == 200
    # Even the right password is refused now, in the browser and for a token.
    response = client.post(reverse("login"), {"username": "t_county", "password": PASSWORD})
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    assert "15" in response.content.decode()
    api = APIClient().post(reverse("auth-token"), {"username": "t_county", "password": PASSWORD}, format="json")
    assert api.status_code == 429


def test_a_success_clears_the_account_counter(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for _ in range(2):
        client.post(reverse("login"), {"username": "t_village", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "t_village", "password": PASSWORD}).status_code == 302
    client.logout()
    client.post(reverse("login"), {"username": "t_village", "password": "wrong"})
    assert client.post(reverse("login"), {"username": "t_village", "password": PASSWORD}).status_code == 302


def test_pages_carry_a_strict_content_security_policy(client, tree):
    client.force_login(tree.users.county)
    response = client.get(reverse("villages:division", args=["411103000000"]))
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    assert "<script>" not in response.content.decode()
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200 and "<script>" not in docs.content.decode().replace(" ", "")
