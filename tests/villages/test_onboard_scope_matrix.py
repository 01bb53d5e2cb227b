"""Every page of a county's first steps × every role × an object inside and outside the user's scope.

Start here is the system administrator's alone (403 to everyone else). The checklist is a county official's (404 out of
scope, 403 in scope without the role). The users and scopes pages are for a county official with the manages-users
flag ("admin" below) and superusers: out of scope 404, in scope without the flag 403.
"""

import pytest
from django.urls import reverse

from tests.factories import UserFactory, scoped_user
from villages.choices import Role
from villages.models import Division, UserScope
from villages.onboarding import urls as onboard_urls

ROLES = ["admin", "county", "township", "village", "grid", "petition", "api"]

# Which village each user's in-scope and out-of-scope objects live in (as tests/villages/test_scope_matrix.py).
PLACES = {
    "admin": ("411103103201", "340827100201"),
    "county": ("411103103201", "340827100201"),
    "township": ("411103103201", "411103102201"),
    "village": ("411103103201", "411103103202"),
    "grid": ("411103103201", "411103103202"),
    "petition": ("340827100201", "411103103201"),
    "api": ("411103103201", "340827100201"),
}

MANAGES = {"admin"}
COUNTY_OFFICIALS = {"admin", "county"}
# Roles whose scope holds the county itself (the checklist is a county's page).
SEE_COUNTY = {"admin", "county", "petition", "api"}

# name → (object in the URL, method, status for a manager in scope)
ONBOARD_VIEWS = {
    "villages:onboard_checklist": ("county", "get", 200),
    "villages:onboard_recompute": ("county", "post", 302),
    "villages:onboard_users": ("code", "get", 200),
    "villages:onboard_user_create": ("code", "get", 200),
    "villages:onboard_user": ("user", "get", 200),
    "villages:onboard_scope_grant": ("user", "post", 200),  # an empty form comes back with its errors
    "villages:onboard_user_active": ("user", "post", 302),
    "villages:onboard_user_password": ("user", "post", 200),  # an empty form comes back with its errors
    "villages:onboard_scope_revoke": ("scope", "post", 302),
}
SUPERUSER_ONLY = {"villages:onboard_start": ("none", "get", 200)}


def test_every_url_has_an_entry():
    names = {f"villages:{p.name}" for p in onboard_urls.urlpatterns}
    assert names == set(ONBOARD_VIEWS) | set(SUPERUSER_ONLY)


@pytest.fixture
def people(tree):
    users = {name: getattr(tree.users, name) for name in ROLES if name != "admin"}
    admin = scoped_user("t_admin", tree.yc, Role.COUNTY_OFFICIAL)
    UserScope.objects.filter(user=admin).update(manages_users=True)
    users["admin"] = admin
    # One account in every village the matrix uses: the objects of the user pages.
    targets = {}
    for code in {c for pair in PLACES.values() for c in pair}:
        village = Division.objects.get(code=code)
        target = scoped_user(f"target_{code}", village, Role.VILLAGE_RECORDER)
        UserScope.objects.create(user=target, division=village, role=Role.VILLAGE_SECRETARY)
        targets[code] = target
    return users, targets


def _kwargs(kind, code, targets):
    if kind == "county":
        return {"code": code[:6].ljust(12, "0")}
    if kind == "code":
        return {"code": code}
    target = targets[code]
    if kind == "user":
        return {"pk": target.pk}
    return {"pk": UserScope.objects.filter(user=target).order_by("pk").first().pk}


def _expected(name, role, where):
    kind, _method, ok = ONBOARD_VIEWS[name]
    if kind == "county":
        if where == "out" or role not in SEE_COUNTY:
            return 404
        return ok if role in COUNTY_OFFICIALS else 403
    if where == "out":
        return 404
    return ok if role in MANAGES else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ONBOARD_VIEWS))
def test_onboard_view_scope(client, people, role, name):
    users, targets = people
    kind, method, _ok = ONBOARD_VIEWS[name]
    client.force_login(users[role])
    for where, code in zip(("in", "out"), PLACES[role], strict=True):
        url = reverse(name, kwargs=_kwargs(kind, code, targets))
        response = getattr(client, method)(url)
        assert response.status_code == _expected(name, role, where), (name, role, where, url)


@pytest.mark.parametrize("role", ROLES)
def test_start_here_is_the_superusers_alone(client, people, role):
    users, _targets = people
    client.force_login(users[role])
    assert client.get(reverse("villages:onboard_start")).status_code == 403
    assert client.post(reverse("villages:onboard_start"), {"province": "41", "counties": ["411103"]}).status_code == 403
    client.force_login(UserFactory(is_superuser=True))
    assert client.get(reverse("villages:onboard_start")).status_code == 200


def test_a_superuser_manages_everyone(client, people):
    _users, targets = people
    client.force_login(UserFactory(is_superuser=True))
    for target in targets.values():
        assert client.get(reverse("villages:onboard_user", kwargs={"pk": target.pk})).status_code == 200
    assert client.get(reverse("villages:onboard_users", kwargs={"code": "340827000000"})).status_code == 200


def test_nobody_but_a_superuser_reaches_a_superuser(client, people):
    users, _targets = people
    root = UserFactory(is_superuser=True)
    UserScope.objects.create(user=root, division=Division.objects.get(code="411103000000"), role=Role.COUNTY_OFFICIAL)
    client.force_login(users["admin"])
    assert client.get(reverse("villages:onboard_user", kwargs={"pk": root.pk})).status_code == 404
    scope = root.scopes.get()
    assert client.post(reverse("villages:onboard_scope_revoke", kwargs={"pk": scope.pk})).status_code == 404
    assert root.scopes.exists()
