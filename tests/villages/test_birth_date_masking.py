"""Issue 20, finding 4: a cadre's birth date is the eight digits the ID mask hides (411103********1936), so it is
masked wherever the ID is (the birth year only), and a full birth date shown is a personal-data read."""

import datetime
import io

from django.urls import reverse
from openpyxl import load_workbook
from rest_framework.test import APIClient

from villages.ledgers import CADRE_COLUMNS
from villages.models import Cadre, PersonalDataAccess
from villages.services import cadre_update

BIRTH = datetime.date(1980, 5, 17)  # the factory's


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_gives_the_full_birth_date_only_to_the_roles_that_see_ids(tree):
    cadre = tree.secretary.cadre
    for user in (tree.users.township, tree.users.village, tree.users.api):
        body = _api(user).get(reverse("cadre-detail", args=[cadre.pk])).json()
        assert body["birth_date"] is None and body["birth_year"] == 1980, user
        assert "05-17" not in str(body) and "0517" not in str(body)
        listed = _api(user).get(reverse("cadre-list")).json()["results"]
        assert all(row["birth_date"] is None and row["birth_year"] == 1980 for row in listed)
    full = _api(tree.users.county).get(reverse("cadre-detail", args=[cadre.pk])).json()
    assert full["birth_date"] == "1980-05-17" and full["birth_year"] == 1980


def test_the_division_cadres_endpoint_masks_alike(tree):
    rows = _api(tree.users.township).get(reverse("division-cadres", args=["411103103201"])).json()["results"]
    assert rows and all(row["birth_date"] is None for row in rows)


def test_the_history_shows_the_birth_year_only(tree):
    cadre = tree.secretary.cadre
    cadre_update(actor=tree.users.county, cadre=Cadre.objects.get(pk=cadre.pk), birth_date=datetime.date(1979, 2, 3))
    masked = _api(tree.users.township).get(reverse("cadre-history", args=[cadre.pk])).json()
    change = {c["field"]: c for c in masked[0]["changes"]}["birth_date"]
    assert (change["old"], change["new"]) == ("1980", "1979")
    created = {c["field"]: c for c in masked[-1]["changes"]}["birth_date"]
    assert created["new"] == "1980"
    full = _api(tree.users.county).get(reverse("cadre-history", args=[cadre.pk])).json()
    assert {c["field"]: c for c in full[0]["changes"]}["birth_date"]["new"] == "1979-02-03"


def test_pages_show_the_birth_year_to_the_masked_roles(client, tree):
    cadre = tree.secretary.cadre
    client.force_login(tree.users.township)
    detail = client.get(reverse("villages:cadre", args=[cadre.pk])).content.decode()
    assert "1980-05-17" not in detail and "1980-05" not in detail
    assert 'data-testid="birth-date">1980<' in detail
    village = client.get(reverse("villages:division", args=["411103103201"])).content.decode()
    assert "1980-05" not in village and ">1980<" in village
    client.force_login(tree.users.county)
    assert "1980-05-17" in client.get(reverse("villages:cadre", args=[cadre.pk])).content.decode()
    assert "1980-05" in client.get(reverse("villages:division", args=["411103103201"])).content.decode()


def test_the_edit_form_does_not_prefill_the_date_and_a_blank_keeps_it(client, tree):
    cadre = tree.secretary.cadre
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_edit", args=[cadre.pk])
    form = client.get(url).content.decode()
    assert "1980-05-17" not in form and "1980" in form  # "Stored: 1980. Leave blank to keep it."
    response = client.post(
        url, {"name": cadre.name, "gender": cadre.gender, "education": "", "term_start_year": 2021, "birth_date": ""}
    )
    assert response.status_code == 302
    assert Cadre.objects.get(pk=cadre.pk).birth_date == BIRTH


def test_the_cadre_ledger_holds_the_birth_year_for_masked_roles(client, tree):
    column = list(CADRE_COLUMNS).index("出生日期")

    def births(user):
        client.force_login(user)
        response = client.get(reverse("villages:cadre_ledger", args=["411103103000"]))
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))[1:]
        return {row[column] for row in rows}

    assert births(tree.users.township) == {"1980"}
    assert {v.date() if isinstance(v, datetime.datetime) else v for v in births(tree.users.county)} == {BIRTH}


def test_a_full_birth_date_alone_is_a_logged_read(tree):
    cadre = tree.secretary.cadre
    Cadre.objects.filter(pk=cadre.pk).update(phone="", id_number="")
    _api(tree.users.county).get(reverse("cadre-detail", args=[cadre.pk]))
    assert PersonalDataAccess.objects.get().object_ids == [cadre.pk]
    PersonalDataAccess.objects.all().delete()
    _api(tree.users.township).get(reverse("cadre-detail", args=[cadre.pk]))
    assert not PersonalDataAccess.objects.exists()
