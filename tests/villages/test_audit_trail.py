"""The audit trail cannot be edited or deleted through the application: not in the admin (no historical model
registered, version pages read-only, no revert), not through the API (history endpoints answer reads only)."""

from django.contrib import admin
from django.urls import reverse
from rest_framework.test import APIClient
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import HistoricalChanges

from tests.test_permission_matrix import routes
from villages.admin_history import AuditTrailAdmin
from villages.services import api_token_create


def test_no_historical_model_is_in_the_admin():
    registered = [
        m for m in admin.site._registry if issubclass(m, HistoricalChanges) or m.__name__.startswith("Historical")
    ]
    assert not registered


def test_every_history_admin_is_read_only():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SimpleHistoryAdmin):
            assert isinstance(model_admin, AuditTrailAdmin), model


def test_the_admin_cannot_revert_a_record(client, tree, admin_user):
    cadre = tree.secretary.cadre
    cadre.name = "改过的名字"
    cadre.save()
    versions = list(cadre.history.order_by("history_id"))
    assert len(versions) >= 2
    client.force_login(admin_user)
    url = reverse("admin:villages_cadre_simple_history", args=[cadre.pk, versions[0].history_id])
    page = client.get(url)
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = client.post(url, {"name": versions[0].name, "gender": cadre.gender})
    assert response.status_code == 403
    cadre.refresh_from_db()
    assert cadre.name == "改过的名字" and cadre.history.count() == len(versions)
    listing = client.get(reverse("admin:villages_cadre_history", args=[cadre.pk]))
    assert listing.status_code == 200


HISTORY_ROUTES = sorted(
    name for name, (route, _p) in routes().items() if route.startswith("api/") and "history" in name
)


def test_there_are_history_endpoints():
    assert len(HISTORY_ROUTES) >= 10


def test_history_endpoints_route_reads_only():
    for name in HISTORY_ROUTES:
        callback = routes()[name][1].callback
        assert set(callback.actions) <= {"get", "head", "options"}, (name, callback.actions)


def test_history_endpoints_refuse_writes(tree):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token_create(user=tree.users.county)[1]}")
    for name in ("division-history", "cadre-history"):
        kwargs = {"code": tree.liangzhuang.code} if name == "division-history" else {"pk": tree.secretary.cadre.pk}
        url = reverse(name, kwargs=kwargs)
        assert api.get(url).status_code == 200
        for method in ("post", "put", "patch", "delete"):
            response = getattr(api, method)(url, {}, format="json")
            assert response.status_code == 405, (name, method, response.status_code)
