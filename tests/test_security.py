"""Sessions expire, every form carries the CSRF token and a post without it is refused, HSTS is sent in
production only, and pages run no inline script (issue 10, access)."""

import datetime
import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.contrib.sessions.backends.cached_db import SessionStore
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from tests.html_forms import post_forms
from tests.test_settings import PRODUCTION

ROOT = Path(__file__).resolve().parent.parent
_POST_FORM = re.compile(r"<form\b[^>]*\bmethod=[\"']?post[\"']?[^>]*>(.*?)</form>", re.IGNORECASE | re.DOTALL)


def _login(client, username):
    response = client.post(reverse("login"), {"username": username, "password": "shanzhi-test"})
    assert response.status_code == 302, response.content[:300]


def _with_password(user):
    user.set_password("shanzhi-test")
    user.save()
    return user


# ------------------------------------------------------------------------------------------------ sessions


def test_sessions_last_one_working_day_and_end_with_the_browser():
    assert settings.SESSION_COOKIE_AGE == 8 * 3600
    assert settings.SESSION_EXPIRE_AT_BROWSER_CLOSE and settings.SESSION_COOKIE_HTTPONLY


def test_an_expired_session_is_sent_back_to_the_login_page(tree):
    _with_password(tree.users.township)
    client = Client()
    _login(client, "t_township")
    session = Session.objects.get()
    left = session.expire_date - timezone.now()
    assert datetime.timedelta(hours=7, minutes=55) < left <= datetime.timedelta(hours=8)
    assert "sessionid" in client.cookies and not client.cookies["sessionid"]["expires"]  # gone when the browser closes
    page = reverse("villages:division", args=[tree.liangzhuang.code])
    assert client.get(page).status_code == 200
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    # The cached copy (sessions are cached_db) is kept for the session's age, so it has gone by then too.
    cache.delete(SessionStore(session_key=session.session_key).cache_key)
    response = client.get(page)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_logging_out_ends_the_session_on_the_server(tree):
    _with_password(tree.users.township)
    client = Client()
    _login(client, "t_township")
    key = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    assert not Session.objects.filter(session_key=key).exists()


# ------------------------------------------------------------------------------------------------ CSRF


def _templates():
    for folder in [ROOT / "templates", *ROOT.glob("*/templates")]:
        yield from folder.rglob("*.html")


def test_every_post_form_in_every_template_carries_the_csrf_token():
    missing = []
    count = 0
    for path in _templates():
        for body in _POST_FORM.findall(path.read_text()):
            count += 1
            if "{% csrf_token %}" not in body:
                missing.append(str(path.relative_to(ROOT)))
    assert count > 30
    assert not missing, f"POST forms without {{% csrf_token %}}: {missing}"


def test_rendered_forms_carry_the_token(client, tree):
    client.force_login(tree.users.township)
    pages = [
        reverse("villages:cadre_create", args=[tree.liangzhuang.code]),
        reverse("villages:cadre", args=[tree.secretary.cadre.pk]),
        reverse("villages:import_upload", args=[tree.liangzhuang.code, "cadres"]),
        reverse("password_change"),
    ]
    for url in pages:
        forms = post_forms(client.get(url).content)
        assert forms, url
        assert all(f.fields.get("csrfmiddlewaretoken") for f in forms), url


def test_a_post_without_the_token_is_refused(tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    response = client.post(url, {"name": "李新", "gender": "male", "term_start_year": "2021"})
    assert response.status_code == 403
    assert not tree.liangzhuang.cadres.filter(name="李新").exists()
    # The session-authenticated API is held to the same rule; a token client has no cookie to abuse.
    api = APIClient(enforce_csrf_checks=True)
    api.force_login(tree.users.petition)
    response = api.post(reverse("petition-list"), {}, format="json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_a_post_with_the_token_from_the_page_is_accepted(tree):
    client = Client(enforce_csrf_checks=True)
    client.force_login(tree.users.township)
    url = reverse("villages:cadre_create", args=[tree.liangzhuang.code])
    form = next(f for f in post_forms(client.get(url).content) if f.action in ("", url))
    response = client.post(url, form.fields | {"name": "李新", "gender": "male", "term_start_year": "2021"})
    assert response.status_code == 302


# ------------------------------------------------------------------------------------------------ HSTS and CSP


def _settings_in(env):
    base = {k: v for k, v in os.environ.items() if k not in PRODUCTION and k != "SHANZHI_ENV"}
    code = (
        "import django, json; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, s.SESSION_COOKIE_SECURE, "
        "s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**base, **env, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr[-1000:]
    return result.stdout.strip()


def test_hsts_and_secure_cookies_in_production_only():
    assert _settings_in(PRODUCTION) == "[31536000, true, true, true, true]"
    assert _settings_in({}) == "[0, false, false, false, false]"


def test_development_sends_no_hsts_header(client, tree):
    client.force_login(tree.users.county)
    assert "Strict-Transport-Security" not in client.get(reverse("home"), secure=True)


def test_pages_have_a_content_security_policy_and_no_inline_script(client, tree):
    client.force_login(tree.users.county)
    for url in (reverse("home"), reverse("villages:division", args=[tree.yc.code]), reverse("reviews:templates")):
        response = client.get(url)
        policy = response["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
        html = response.content.decode()
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", html, re.DOTALL)
        inline = [body for attrs, body in scripts if "src=" not in attrs and "application/json" not in attrs]
        assert not [b for b in inline if b.strip()], url
