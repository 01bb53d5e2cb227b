from django.urls import reverse
from rest_framework.test import APIClient

from villages.models import PersonalDataAccess


def test_full_values_shown_on_a_page_are_logged(client, tree):
    cadre = tree.secretary.cadre
    client.force_login(tree.users.county)
    page = client.get(reverse("villages:cadre", args=[cadre.pk])).content.decode()
    assert cadre.id_number in page
    entry = PersonalDataAccess.objects.get()
    assert entry.user == tree.users.county and entry.object_ids == [cadre.pk] and entry.context == "page"
    assert entry.model == "villages.Cadre" and entry.path == f"/cadres/{cadre.pk}/"


def test_masked_views_log_nothing(client, tree):
    client.force_login(tree.users.township)
    page = client.get(reverse("villages:cadre", args=[tree.secretary.cadre.pk])).content.decode()
    assert tree.secretary.cadre.id_number not in page
    client.get(reverse("villages:division", args=["411103103201"]))
    client.get(reverse("villages:cadre_ledger", args=["411103103000"]))
    assert not PersonalDataAccess.objects.exists()


def test_village_page_api_and_export_are_logged_with_their_records(client, tree):
    client.force_login(tree.users.county)
    client.get(reverse("villages:division", args=["411103103201"]))
    client.get(reverse("villages:cadre_ledger", args=["411103103000"]))
    api = APIClient()
    api.force_authenticate(tree.users.county)
    api.get(reverse("cadre-list"))
    entries = {e.context: e for e in PersonalDataAccess.objects.all()}
    assert set(entries) == {"page", "export", "api"}
    liang = {tree.secretary.cadre.pk, tree.member.cadre.pk}
    assert set(entries["page"].object_ids) == liang
    assert len(entries["export"].object_ids) == 3
    assert len(entries["api"].object_ids) == 4


def test_the_log_cannot_be_changed_in_the_admin(client, tree, admin_user):
    client.force_login(tree.users.county)
    client.get(reverse("villages:cadre", args=[tree.secretary.cadre.pk]))
    entry = PersonalDataAccess.objects.get()
    client.force_login(admin_user)
    assert client.get(reverse("admin:villages_personaldataaccess_changelist")).status_code == 200
    assert (
        client.post(reverse("admin:villages_personaldataaccess_delete", args=[entry.pk]), {"post": "yes"}).status_code
        == 403
    )
    assert PersonalDataAccess.objects.filter(pk=entry.pk).exists()
