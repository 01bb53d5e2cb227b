"""A double-submitted creation makes one record: an API retry with the same Idempotency-Key, or the same form
(its one-time token) posted twice. Generic (villages.idempotency.IdempotencyMiddleware), so every area has it."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from grids.models import Household
from petitions.models import Petition
from tests.factories import UserFactory, valid_id_number
from tests.grids.conftest import make_grid
from tests.html_forms import post_forms
from villages.idempotency import FORM_FIELD, purge_expired
from villages.models import Cadre, IdempotencyRecord
from villages.services import api_token_create
from villages.tasks import purge_idempotency_records


def _body(tree, **over):
    body = {
        "registry_unit": tree.wj.code, "division": tree.jiangbian.code, "channel": "online", "kind": "suggestion",
        "subject": "建议增设路灯", "content": "村道夜间无照明。", "received_on": "2026-05-06",
        "petitioners": [{"name": "汪路明", "id_number": valid_id_number(region="340827"), "phone": "13811112222"}],
    }  # fmt: skip
    body.update(over)
    return body


def _token_client(user):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=user)[1]}")
    return api


def test_an_api_retry_with_the_same_key_creates_one_record(tree):
    api = _token_client(tree.users.petition)
    body = _body(tree)
    first = api.post(reverse("petition-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(reverse("petition-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201, first.content
    assert again["Idempotent-Replayed"] == "true" and again.json() == first.json()
    assert Petition.objects.count() == 1
    # Another key is another request; the same key with another body is refused, nothing written.
    assert api.post(reverse("petition-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="k-2").status_code == 201
    other = api.post(
        reverse("petition-list"), _body(tree, subject="另一件事"), format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422 and other.json()["detail"]
    assert Petition.objects.count() == 2


def test_keys_belong_to_their_user_and_failures_are_not_kept(tree):
    officer = _token_client(tree.users.petition)
    bad = officer.post(reverse("petition-list"), _body(tree, channel="fax"), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400 and not IdempotencyRecord.objects.exists()
    good = officer.post(reverse("petition-list"), _body(tree), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201 and "Idempotent-Replayed" not in good
    # The same key from another user is that user's own key (here refused by scope: nothing replayed to them).
    stranger = _token_client(tree.users.township)
    response = stranger.post(reverse("petition-list"), _body(tree), format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code in (400, 403) and "Idempotent-Replayed" not in response
    assert Petition.objects.count() == 1


def test_expired_keys_are_purged_and_may_be_used_again(tree):
    api = _token_client(tree.users.petition)
    assert api.post(reverse("petition-list"), _body(tree), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    IdempotencyRecord.objects.update(expires_at=timezone.now())
    assert api.post(reverse("petition-list"), _body(tree), format="json", HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    assert Petition.objects.count() == 2 and IdempotencyRecord.objects.count() == 1


def test_the_hourly_purge_deletes_expired_records_in_batches(tree):
    api = _token_client(tree.users.petition)
    for key in ("a", "b", "c", "live"):
        api.post(reverse("petition-list"), _body(tree, subject=key), format="json", HTTP_IDEMPOTENCY_KEY=key)
    IdempotencyRecord.objects.exclude(key="live").update(expires_at=timezone.now() - timedelta(hours=1))
    assert purge_expired(batch=2) == 2
    assert purge_idempotency_records() == 1  # the beat task: the rest of them
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["live"]
    assert "villages.purge_idempotency_records" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}


def test_a_keyed_form_write_costs_two_statements_of_its_own(client, tree):
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    data = _form(client, url) | {"name": "李新", "gender": "male", "term_start_year": "2021"}
    with CaptureQueriesContext(connection) as queries:
        assert client.post(url, data).status_code == 302
    own = [q["sql"] for q in queries.captured_queries if "villages_idempotencyrecord" in q["sql"]]
    assert len(own) == 2, own  # the claim (INSERT … ON CONFLICT DO NOTHING) and the answer stored
    assert own[0].startswith("INSERT") and own[1].startswith("UPDATE")


def test_without_a_key_nothing_changes(tree):
    api = _token_client(tree.users.petition)
    for _ in range(2):
        assert api.post(reverse("petition-list"), _body(tree), format="json").status_code == 201
    assert Petition.objects.count() == 2 and not IdempotencyRecord.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent requests need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_with_one_key_create_one_record(tree):
    raw = api_token_create(user=tree.users.petition)[1]
    body = _body(tree)
    codes = []

    def send():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Token {raw}")
        codes.append(api.post(reverse("petition-list"), body, format="json", HTTP_IDEMPOTENCY_KEY="same").status_code)
        connection.close()

    threads = [threading.Thread(target=send) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [201] * 6
    assert Petition.objects.count() == 1


# ------------------------------------------------------------------------------------------------ browser forms


def _form(client, url):
    forms = [f for f in post_forms(client.get(url).content) if f.action in ("", url)]
    assert forms and FORM_FIELD in forms[0].fields, f"no one-time token in the form of {url}"
    return forms[0].fields


def _post_twice(client, url, data):
    first = client.post(url, data)
    again = client.post(url, data)
    assert first.status_code == again.status_code == 302, getattr(first, "context", None) and first.context.get("form")
    assert first["Location"] == again["Location"] and again["Idempotent-Replayed"] == "true"
    return first


def test_petition_registration_posted_twice_registers_once(client, tree):
    client.force_login(tree.users.petition)
    url = reverse("petitions:register", args=[tree.wj.code])
    data = _form(client, url) | {
        "received_on": timezone.localdate().isoformat(), "channel": "visit", "kind": "demand",
        "division": tree.jiangbian.pk, "subject": "要求维修村组道路", "content": "道路破损，出行不便。",
        "p-0-name": "汪春生", "p-0-id_number": valid_id_number(region="340827"), "p-0-phone": "13955556666",
    }  # fmt: skip
    _post_twice(client, url, data)
    assert Petition.objects.count() == 1
    # A new page has a new token: a second, deliberate registration is possible.
    data[FORM_FIELD] = _form(client, url)[FORM_FIELD]
    assert client.post(url, data).status_code in (200, 302)


def test_household_creation_posted_twice_creates_one(client, tree):
    grid = make_grid(tree.liangzhuang, 1, actor=UserFactory(username="root", is_superuser=True))
    client.force_login(tree.users.township)
    url = reverse("grids:household_create", args=[grid.pk])
    data = _form(client, url) | {"grid": grid.pk, "address": "1号", "head_name": "户主", "members_count": "3"}
    _post_twice(client, url, data)
    assert Household.objects.filter(grid=grid).count() == 1


def test_cadre_creation_posted_twice_creates_one(client, tree):
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    before = Cadre.objects.count()
    data = _form(client, url) | {"name": "李新", "gender": "male", "education": "", "term_start_year": "2021"}
    _post_twice(client, url, data)
    assert Cadre.objects.count() == before + 1


def test_a_form_with_errors_keeps_nothing_and_every_post_form_gets_a_token(client, tree):
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    data = _form(client, url) | {"name": "", "gender": "male"}
    response = client.post(url, data)
    assert response.status_code == 200 and not IdempotencyRecord.objects.exists()
    # The page that shows the errors carries a fresh token.
    again = [f for f in post_forms(response.content) if f.action in ("", url) and FORM_FIELD in f.fields]
    assert again and again[0].fields[FORM_FIELD] != data[FORM_FIELD]


def test_a_token_posted_to_another_address_is_refused(client, tree):
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    data = _form(client, url) | {"name": "李新", "gender": "male", "term_start_year": "2021"}
    assert client.post(url, data).status_code == 302
    other = reverse("villages:cadre_create", args=[tree.wangzhuang.code])
    assert client.post(other, data).status_code == 422
    assert Cadre.objects.filter(name="李新").count() == 1


def test_the_token_only_acts_for_a_signed_in_user(tree):
    anonymous = Client()
    response = anonymous.post(reverse("login"), {"username": "t_county", "password": "x", FORM_FIELD: "abc"})
    assert response.status_code == 200 and not IdempotencyRecord.objects.exists()


# ------------------------------------------------ issue 20, finding 13: the one-time token covers the form's fields


def test_the_same_fields_in_another_order_replay_the_first_answer(client, tree):
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    data = _form(client, url) | {"name": "李新", "gender": "male", "term_start_year": "2021"}
    first = client.post(url, data)
    # The same fields, posted in another order and with another CSRF token (not part of what the form says).
    again = client.post(url, dict(reversed(list(data.items()))) | {"csrfmiddlewaretoken": "x" * 64})
    assert first.status_code == again.status_code == 302 and again["Idempotent-Replayed"] == "true"
    assert Cadre.objects.filter(name="李新").count() == 1


def test_a_form_posted_again_with_an_edit_is_refused_not_replayed(client, tree):
    """Back button, an edit, submit: the edit used to be dropped in silence behind the first answer's redirect."""
    client.force_login(tree.users.township)
    cadre = Cadre.objects.filter(division=tree.liangzhuang).first() or Cadre.objects.create(
        division=tree.liangzhuang, name="李旧", gender="male"
    )
    url = reverse("villages:cadre_edit", args=[cadre.pk])
    form = _form(client, url)
    assert client.post(url, form | {"name": "李甲"}).status_code == 302
    history = cadre.history.count()
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, form | {"name": "李乙"}, HTTP_REFERER=f"http://testserver{url}")
    assert response.status_code == 422 and "Idempotent-Replayed" not in response
    page = response.content.decode()
    # In the user's language, with a link back to the form (a fresh copy, a new token).
    assert "此表单已提交过" in page and f'href="http://testserver{url}"' in page
    cadre.refresh_from_db()
    assert cadre.name == "李甲" and cadre.history.count() == history  # nothing written
    writes = [q["sql"] for q in queries.captured_queries if not q["sql"].startswith("SELECT")]
    assert not [sql for sql in writes if "villages_cadre" in sql or "villages_historicalcadre" in sql], writes
    # The form reloaded carries a new token: the edit goes through.
    assert client.post(url, _form(client, url) | {"name": "李乙"}).status_code == 302
    cadre.refresh_from_db()
    assert cadre.name == "李乙"


def test_files_are_part_of_the_fingerprint_by_their_content(rf):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from villages.idempotency import form_fields_digest

    def digest(content, **fields):
        upload = SimpleUploadedFile("证明.pdf", content, content_type="application/pdf")
        request = rf.post(
            "/x/", {"note": "整改", FORM_FIELD: "t", "csrfmiddlewaretoken": "c", **fields, "file": upload}
        )
        found = form_fields_digest(request)
        assert request.FILES["file"].read() == content  # rewound for the view
        return found

    same = digest(b"%PDF-1.4 a")
    assert digest(b"%PDF-1.4 a", csrfmiddlewaretoken="other") == same
    assert digest(b"%PDF-1.4 b") != same
    assert digest(b"%PDF-1.4 a", note="整改完成") != same
