"""Every page of the reminders × every role × inside and outside the user's scope.

A notification is its user's alone: anyone else's answers 404 (to every role, a county official's too). The bell,
the list, "mark all read" and the settings page carry no object (each reads the signed-in user's own). A county's
group robot pages are its administrator's (a county official with the manages-users flag, as the users and scopes
pages): another county 404, in scope without the flag 403, a division that is not a county 404.
"""

import pytest
from django.urls import reverse

from tests.factories import scoped_user
from villages.choices import Role
from villages.models import CountyWebhook, Notification, UserScope
from villages.notifications import urls as notification_urls

ROLES = ["admin", "county", "township", "village", "grid", "petition", "api"]

# The signed-in user's own: name → (method, status).
OWN_VIEWS = {
    "villages:notifications": ("get", 200),
    "villages:notification_count": ("get", 200),
    "villages:notifications_read_all": ("post", 302),
    "villages:notification_settings": ("get", 200),
}
# One notification: name → (method, status for its own user); anyone else's is 404.
NOTIFICATION_VIEWS = {
    "villages:notification_open": ("get", 302),
    "villages:notification_read": ("post", 302),
}
# A county's robot: name → (method, status for the county's administrator).
ROBOT_VIEWS = {
    "villages:county_webhook": ("get", 200),
    "villages:county_webhook_test": ("post", 302),
    "villages:county_webhook_delete": ("post", 302),
}
# Each role's own county (in scope) and another (out); the petition officer's is 望江县.
COUNTIES = dict.fromkeys(ROLES, ("411103000000", "340827000000"))
COUNTIES["petition"] = ("340827000000", "411103000000")
SEE_COUNTY = {"admin", "county", "petition", "api"}  # whose scope holds the county itself


def test_every_url_has_an_entry():
    names = {f"villages:{p.name}" for p in notification_urls.urlpatterns}
    assert names == set(OWN_VIEWS) | set(NOTIFICATION_VIEWS) | set(ROBOT_VIEWS)


@pytest.fixture
def people(tree):
    users = {name: getattr(tree.users, name) for name in ROLES if name != "admin"}
    admin = scoped_user("t_admin", tree.yc, Role.COUNTY_OFFICIAL)
    UserScope.objects.filter(user=admin).update(manages_users=True)
    users["admin"] = admin
    # Robots that answer nothing (a closed port): the test button records the failure and redirects.
    for county in (tree.yc, tree.wj):
        CountyWebhook.objects.create(county=county, url="http://127.0.0.1:9/robot")
    return users


def _note(user, key="k"):
    return Notification.objects.create(user=user, key=key, kind="t", title="事项", url="/", urgency="soon")


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(OWN_VIEWS))
def test_own_pages(client, people, role, name):
    method, ok = OWN_VIEWS[name]
    client.force_login(people[role])
    assert getattr(client, method)(reverse(name)).status_code == ok


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(NOTIFICATION_VIEWS))
def test_a_notification_is_its_users_alone(client, people, role, name):
    method, ok = NOTIFICATION_VIEWS[name]
    mine = _note(people[role])
    for other_role, other in people.items():
        if other_role != role:
            theirs = _note(other, key=f"{role}-{other_role}")
            client.force_login(people[role])
            assert getattr(client, method)(reverse(name, kwargs={"pk": theirs.pk})).status_code == 404
            theirs.refresh_from_db()
            assert theirs.read_at is None
    client.force_login(people[role])
    assert getattr(client, method)(reverse(name, kwargs={"pk": mine.pk})).status_code == ok


def _expected(role, where):
    if where == "out" or role not in SEE_COUNTY:
        return 404
    return None if role == "admin" else 403


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", sorted(ROBOT_VIEWS))
def test_robot_pages(client, people, role, name):
    method, ok = ROBOT_VIEWS[name]
    client.force_login(people[role])
    for where, code in zip(("in", "out"), COUNTIES[role], strict=True):
        expected = _expected(role, where) or ok
        response = getattr(client, method)(reverse(name, kwargs={"code": code}))
        assert response.status_code == expected, (name, role, where)
    # A township or village code is not a county: 404 even to the administrator.
    assert getattr(client, method)(reverse(name, kwargs={"code": "411103103000"})).status_code == 404
