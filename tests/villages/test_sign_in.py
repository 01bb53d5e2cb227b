"""Sign-in throttling (issue 20, findings 3, 6 and 12): the admin's login, Redis away, client addresses, who can
lock whom out, and the administrator's unlock."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory
from villages import throttle

LOGIN = reverse("login")
ADMIN_LOGIN = reverse("admin:login")
A, B = "203.0.113.7", "198.51.100.9"


def _login(client, username, password, address=A, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address, **extra)


def _signed_in(response):
    return response.status_code == 302 and response.wsgi_request.user.is_authenticated


@pytest.fixture
def superuser(db):
    user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return user


# Nothing listens on 6395: every cache call fails as when Redis is away (connection refused at once).
DEAD_REDIS = {
    "default": {
        "BACKEND": "villages.cache.TolerantRedisCache",
        "LOCATION": "redis://127.0.0.1:6395/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
}


@pytest.fixture
def dead_redis(settings):
    settings.CACHES = DEAD_REDIS


def test_the_admin_login_pauses_after_repeated_failures(client, superuser, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for _ in range(3):
        response = client.post(ADMIN_LOGIN, {"username": "root", "password": "wrong", "next": "/admin/"})
        assert response.status_code == 200
    response = client.post(ADMIN_LOGIN, {"username": "root", "password": PASSWORD, "next": "/admin/"})
    assert response.status_code == 200 and not response.wsgi_request.user.is_authenticated
    assert "15" in response.content.decode()
    # The pause is the site's: the site's login refuses the right password too.
    assert not _signed_in(client.post(LOGIN, {"username": "root", "password": PASSWORD}))


def test_a_form_without_a_password_does_not_clear_the_failures(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for _ in range(2):
        _login(client, "t_county", "wrong")
    client.post(LOGIN, {"username": "t_county"}, REMOTE_ADDR=A)  # no password: no check, and no success
    _login(client, "t_county", "wrong")
    assert not _signed_in(_login(client, "t_county", PASSWORD))


def test_with_redis_away_the_lockout_still_holds_and_the_site_serves(client, tree, settings, dead_redis):
    settings.SHANZHI_LOGIN_FAILURES = 3
    assert client.get(LOGIN).status_code == 200
    for _ in range(3):
        assert _login(client, "t_county", "wrong").status_code == 200
    response = _login(client, "t_county", PASSWORD)
    assert not _signed_in(response) and "15" in response.content.decode()
    # Another account signs in, and its pages are served.
    assert _signed_in(_login(client, "t_township", PASSWORD))
    assert client.get(reverse("villages:division", args=[tree.peicheng.code])).status_code == 200
    # The token endpoint's lockout and rate throttle hold too.
    api = APIClient(REMOTE_ADDR=A)
    assert api.post(reverse("auth-token"), {"username": "t_county", "password": PASSWORD}).status_code == 429


def test_with_redis_away_the_token_rate_throttle_still_counts(tree, dead_redis):
    api = APIClient(REMOTE_ADDR=A)
    answers = [
        api.post(reverse("auth-token"), {"username": "t_api", "password": "wrong"}).status_code for _ in range(11)
    ]
    assert answers[-1] == 429


def _request(remote="10.0.0.1", forwarded=None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_forwarded_for_is_ignored_without_trusted_proxies(settings):
    settings.SHANZHI_TRUSTED_PROXIES = 0
    assert throttle.client_address(_request(forwarded="1.2.3.4")) == "10.0.0.1"


def test_forwarded_for_is_read_from_the_right_with_trusted_proxies(settings):
    settings.SHANZHI_TRUSTED_PROXIES = 1
    # What the client sent comes first; nginx appends the address it saw.
    assert throttle.client_address(_request(forwarded="1.2.3.4, 5.6.7.8")) == "5.6.7.8"
    assert throttle.client_address(_request(forwarded="5.6.7.8")) == "5.6.7.8"
    assert throttle.client_address(_request()) == "10.0.0.1"
    assert throttle.client_address(_request(forwarded="1.2.3.4, not-an-address")) == "10.0.0.1"
    settings.SHANZHI_TRUSTED_PROXIES = 2
    assert throttle.client_address(_request(forwarded="1.2.3.4, 5.6.7.8, 10.0.0.2")) == "5.6.7.8"


def test_a_rotating_forwarded_for_does_not_escape_the_token_throttle(tree, settings):
    settings.SHANZHI_TRUSTED_PROXIES = 0
    api = APIClient(REMOTE_ADDR=A)
    answers = [
        api.post(
            reverse("auth-token"), {"username": "t_api", "password": "wrong"}, HTTP_X_FORWARDED_FOR=f"10.9.0.{n}"
        ).status_code
        for n in range(11)
    ]
    assert answers[-1] == 429


def test_behind_a_proxy_the_lockout_keys_on_the_forwarded_address(client, tree, settings):
    settings.SHANZHI_TRUSTED_PROXIES = 1
    settings.SHANZHI_LOGIN_FAILURES = 3
    proxy = "127.0.0.1"  # nginx: every request comes from it
    for _ in range(3):
        _login(client, "t_county", "wrong", address=proxy, HTTP_X_FORWARDED_FOR=A)
    assert not _signed_in(_login(client, "t_county", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=A))
    # The official at another address is not locked out by the failures at A.
    assert _signed_in(_login(client, "t_county", PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR=f"{A}, {B}"))


def test_failures_from_one_address_do_not_lock_the_account_at_another(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for _ in range(10):
        _login(client, "t_county", "wrong", address=A)
    assert not _signed_in(_login(client, "t_county", PASSWORD, address=A))
    assert _signed_in(_login(client, "t_county", PASSWORD, address=B))
    api = APIClient(REMOTE_ADDR=B)
    assert api.post(reverse("auth-token"), {"username": "t_county", "password": PASSWORD}).status_code == 201


def test_the_pause_doubles_with_each_failure_after_it(client, tree, settings, monkeypatch):
    settings.SHANZHI_LOGIN_FAILURES = 3
    now = [1_000_000.0]
    monkeypatch.setattr(throttle.time, "time", lambda: now[0])
    for _ in range(3):
        _login(client, "t_county", "wrong")
    assert throttle.seconds_locked("t_county", A) == 15 * 60
    now[0] += 15 * 60 + 1  # the pause is over: one more failure pauses for twice as long
    assert not throttle.is_locked("t_county", A)
    _login(client, "t_county", "wrong")
    assert throttle.seconds_locked("t_county", A) == 30 * 60
    assert "30" in _login(client, "t_county", PASSWORD).content.decode()
    now[0] += 30 * 60 + 1
    _login(client, "t_county", "wrong")
    assert throttle.seconds_locked("t_county", A) == 60 * 60


def test_an_address_is_paused_after_many_failures_for_any_accounts(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES_PER_ADDRESS = 4
    for name in ("t_county", "t_township", "t_village", "t_grid"):
        _login(client, name, "wrong", address=A)
    assert not _signed_in(_login(client, "t_petition", PASSWORD, address=A))
    assert _signed_in(_login(client, "t_petition", PASSWORD, address=B))


def test_the_unlock_command_clears_an_accounts_pause(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for address in (A, B):
        for _ in range(3):
            _login(client, "t_county", "wrong", address=address)
    call_command("unlock", "t_county")
    assert _signed_in(_login(client, "t_county", PASSWORD, address=A))
    client.logout()
    assert _signed_in(_login(client, "t_county", PASSWORD, address=B))


def test_unlock_refuses_an_unknown_account(db):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("unlock", "nobody")


def test_a_superuser_unlocks_from_the_user_admin(client, tree, superuser, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    for _ in range(3):
        _login(client, "t_county", "wrong")
    assert throttle.is_locked("t_county", A)
    admin = client.__class__()
    admin.force_login(superuser)
    changelist = reverse("admin:auth_user_changelist")
    assert "unlock_sign_in" in admin.get(changelist).content.decode()
    response = admin.post(
        changelist, {"action": "unlock_sign_in", "_selected_action": [tree.users.county.pk]}, follow=True
    )
    assert response.status_code == 200
    assert not throttle.is_locked("t_county", A)
    assert _signed_in(_login(client, "t_county", PASSWORD))


def test_only_a_superuser_is_offered_the_unlock(client, tree):
    staff = get_user_model().objects.get(username="t_county")
    staff.is_staff = True
    staff.save()
    from django.contrib.auth.models import Permission

    staff.user_permissions.add(Permission.objects.get(codename="view_user"))
    client.force_login(staff)
    # Users are the system administrators' in the admin (villages.admin): a county's staff is not shown the list.
    assert client.get(reverse("admin:auth_user_changelist")).status_code == 403
    superuser = get_user_model().objects.create_superuser("root", password=PASSWORD)
    client.force_login(superuser)
    assert "unlock_sign_in" in client.get(reverse("admin:auth_user_changelist")).content.decode()


def test_a_pause_counted_while_redis_was_away_holds_when_it_is_back(client, tree, settings):
    settings.SHANZHI_LOGIN_FAILURES = 3
    working = settings.CACHES
    settings.CACHES = DEAD_REDIS
    for _ in range(3):
        _login(client, "t_county", "wrong")
    settings.CACHES = working  # Redis (or the embedded cache) answers again: the process's own count still holds
    assert not _signed_in(_login(client, "t_county", PASSWORD))
    assert _signed_in(_login(client, "t_township", PASSWORD))


def test_the_per_process_fallback_is_bounded():
    assert throttle.counters.local._max_entries == throttle.FALLBACK_ENTRIES
