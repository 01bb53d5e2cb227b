"""Issue 20, finding 14: dates within sane bounds and free text within a length, in one place
(villages.validators, carried by the model fields, so forms, serializers, imports and services apply them),
field by field in the user's language, nothing written; a request body of sane size; a save that changes
nothing writes no history entry."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone, translation

from villages.history import audited_save
from villages.models import Cadre
from villages.services import cadre_create, cadre_update
from villages.validators import NOTE_MAX, TEXT_MAX, birth_date, event_date, planned_date
from villages.work.models import EnvironmentInspection

TODAY = timezone.localdate


def _message(validator, value) -> str:
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as caught:
            validator(value)
        return caught.value.messages[0]


def test_the_date_bounds_by_kind():
    today = TODAY()
    assert "1949年10月1日" in _message(event_date, datetime.date(1, 1, 1))
    assert "1949年10月1日" in _message(event_date, datetime.date(1949, 9, 30))
    assert "今天" in _message(event_date, today + datetime.timedelta(days=1))
    assert "10" in _message(planned_date, datetime.date(9999, 12, 31))
    assert "1900年1月1日" in _message(birth_date, datetime.date(1899, 12, 31))
    for validator, value in [
        (event_date, datetime.date(1949, 10, 1)),
        (event_date, today),
        (planned_date, today.replace(year=today.year + 9)),
        (birth_date, datetime.date(1900, 1, 1)),
    ]:
        validator(value)  # within bounds: no error


@pytest.mark.parametrize(
    ("value", "says"), [("1899-12-31", "1900年1月1日"), ("9999-12-31", "今天"), ("0001-01-01", "1900年1月1日")]
)
def test_a_cadre_birth_date_out_of_bounds_is_refused_on_the_page(client, tree, value, says):
    client.force_login(tree.users.township)
    before = Cadre.objects.count()
    response = client.post(
        reverse("villages:cadre_create", args=[tree.liangzhuang.code]),
        {"name": "李新", "gender": "male", "term_start_year": "2021", "birth_date": value},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 200
    assert says in " ".join(response.context["form"].errors["birth_date"])
    assert Cadre.objects.count() == before


@pytest.mark.parametrize(
    ("field", "value"),
    [("date", "0001-01-01"), ("date", "9999-12-31"), ("rectify_by", "9999-12-31"), ("findings", "乱" * 10_001)],
)
def test_a_work_record_out_of_bounds_is_refused_field_by_field(client, tree, field, value):
    client.force_login(tree.users.township)
    url = reverse("villages:work_create", kwargs={"code": tree.peicheng.code, "kind": "inspection"})
    data = {"division": tree.wangzhuang.pk, "date": "2026-06-01", "inspector": "镇人居办", "result": "failed",
            "findings": "柴草乱堆"}  # fmt: skip
    response = client.post(url, data | {field: value}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and f'id="id_{field}_errors"' in response.content.decode()
    assert not EnvironmentInspection.objects.exists()
    # Within bounds it is recorded (a deadline may lie ahead).
    ahead = (TODAY() + datetime.timedelta(days=365)).isoformat()
    assert client.post(url, data | {"rectify_by": ahead}).status_code == 302
    assert EnvironmentInspection.objects.count() == 1


def test_the_services_full_clean_refuses_long_text_and_dates_whatever_the_path(tree):
    cadre = cadre_create(actor=tree.users.township, division=tree.liangzhuang, name="李新", gender="male")
    with pytest.raises(ValidationError) as caught:
        cadre_update(actor=tree.users.township, cadre=cadre, birth_date=datetime.date(1, 1, 1))
    assert "birth_date" in caught.value.message_dict
    cadre.refresh_from_db()
    assert cadre.birth_date is None
    assert NOTE_MAX < TEXT_MAX <= 10_000


def test_a_request_body_past_the_limit_is_refused_before_any_view(client, tree, settings):
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 3 * 1024 * 1024
    client.force_login(tree.users.township)
    before = Cadre.objects.count()
    response = client.post(
        reverse("villages:cadre_create", args=[tree.liangzhuang.code]),
        {"name": "李新", "gender": "male", "term_start_year": "2021", "party_branch": "长" * (3 * 1024 * 1024)},
    )
    assert response.status_code == 400
    assert Cadre.objects.count() == before


# ------------------------------------------------------------------------------------------ no empty history


def test_a_cadre_edit_posted_unchanged_writes_no_history_and_a_change_writes_one(client, tree):
    from tests.villages.test_idempotency import _form

    cadre = cadre_create(actor=tree.users.township, division=tree.liangzhuang, name="李新", gender="male")
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_edit", args=[cadre.pk])
    history = cadre.history.count()
    assert client.post(url, _form(client, url)).status_code == 302  # the form as shown
    assert cadre.history.count() == history
    cadre_update(actor=tree.users.township, cadre=cadre, name="李新", gender="male")
    assert cadre.history.count() == history
    assert client.post(url, _form(client, url) | {"name": "李新民"}).status_code == 302
    assert cadre.history.count() == history + 1
    latest = cadre.history.latest("history_id")
    assert (latest.name, latest.history_type, latest.history_user) == ("李新民", "~", tree.users.township)


def test_the_audited_save_skips_a_no_op_of_a_petition_and_a_measure(tree):
    from petitions.models import Petition
    from petitions.services import petition_register
    from tests.factories import valid_id_number

    petition = petition_register(
        actor=tree.users.petition, registry_unit=tree.wj, division=tree.jiangbian, channel="visit", kind="demand",
        subject="要求维修村组道路", content="道路破损。", received_on=TODAY(),
        petitioners=[{"name": "汪春生", "id_number": valid_id_number(region="340827"), "phone": "13955556666"}],
    )  # fmt: skip
    petition = Petition.objects.get(pk=petition.pk)
    history = petition.history.count()
    audited_save(petition, actor=tree.users.petition)
    assert petition.history.count() == history
    petition.subject = "要求尽快维修村组道路"
    audited_save(petition, actor=tree.users.petition)
    assert petition.history.count() == history + 1
    # Only the fields saved are compared: another field changed but not saved is not a change.
    petition.content = "改了但不保存"
    audited_save(petition, actor=tree.users.petition, update_fields=["subject"])
    assert petition.history.count() == history + 1
