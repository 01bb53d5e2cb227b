"""The Simplified Chinese catalogue: complete, faithful to its placeholders, in step with the code, and served.

Refresh the catalogue after changing strings (needs GNU gettext):

    .venv/bin/python manage.py makemessages -l zh_Hans --no-obsolete \
        --ignore=node_modules --ignore=.venv --ignore=staticfiles --ignore=tests
"""

import io
import os
import re
import shutil
import warnings
from pathlib import Path

import polib
import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

PROJECT = Path(django_settings.BASE_DIR)
PO_PATH = PROJECT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
# The same directories `makemessages` is told to ignore (see the module docstring).
IGNORED_DIRS = ["node_modules", ".venv", "staticfiles", "tests"]
# What `makemessages -d django` reads; hidden directories and caches are skipped as makemessages does.
SOURCE_SUFFIXES = {".py", ".html", ".txt"}
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
REFRESH_HINT = (
    "Run `.venv/bin/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=node_modules "
    "--ignore=.venv --ignore=staticfiles --ignore=tests` and translate the new entries in "
    "locale/zh_Hans/LC_MESSAGES/django.po."
)


def _key(entry: polib.POEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def assert_catalogue_complete(po: polib.POFile) -> None:
    untranslated = [e.msgid for e in po.untranslated_entries() if not e.obsolete]
    assert not untranslated, f"{len(untranslated)} untranslated entries: {untranslated[:10]}"
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not fuzzy, f"{len(fuzzy)} fuzzy entries (check them, then remove the flag): {fuzzy[:10]}"
    wrong = []
    for entry in po:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            # Chinese has one plural form; it must carry every placeholder either English form uses.
            wanted = sorted(set(_placeholders(entry.msgid)) | set(_placeholders(entry.msgid_plural)))
            translations = list(entry.msgstr_plural.values())
            if len(translations) != 1:
                wrong.append((entry.msgid, f"{len(translations)} plural forms, expected 1"))
            wrong += [(entry.msgid, t) for t in translations if sorted(set(_placeholders(t))) != wanted]
        elif set(_placeholders(entry.msgstr)) != set(_placeholders(entry.msgid)):
            wrong.append((entry.msgid, entry.msgstr))
    assert not wrong, f"translations that lose or invent placeholders: {wrong}"


@pytest.fixture(scope="module")
def committed():
    return polib.pofile(str(PO_PATH))


def test_catalogue_header(committed):
    assert committed.metadata.get("Language") == "zh_Hans"
    assert committed.metadata.get("Plural-Forms") == "nplurals=1; plural=0;"
    assert "charset=UTF-8" in committed.metadata.get("Content-Type", "")
    assert not committed.metadata_is_fuzzy, "the header is still marked fuzzy"


def test_catalogue_is_complete_and_keeps_placeholders(committed):
    assert len(committed) > 0
    assert_catalogue_complete(committed)


def _copy_sources(target: Path) -> None:
    """Copy the translatable files of the project (not the virtualenv, node_modules, tests) into ``target``."""
    for dirpath, dirnames, filenames in os.walk(PROJECT):
        dirnames[:] = [d for d in dirnames if d not in IGNORED_DIRS and not d.startswith(".") and d != "__pycache__"]
        for name in filenames:
            source = Path(dirpath) / name
            if source.suffix in SOURCE_SUFFIXES:
                destination = target / source.relative_to(PROJECT)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, destination)


def test_catalogue_matches_the_source(committed, settings, tmp_path, monkeypatch):
    """A string added to the code but not to the catalogue fails here, not in front of a user."""
    if shutil.which("xgettext") is None:
        message = "GNU gettext (xgettext) is not installed, so the catalogue cannot be compared with the source."
        if os.environ.get("CI"):
            pytest.fail(f"{message} Install it on the CI image (apt-get install gettext).")
        # Outside CI there is no silent skip: the catalogue is still checked on its own.
        warnings.warn(f"{message} Only the committed catalogue was checked.", stacklevel=1)
        assert_catalogue_complete(committed)
        return

    # makemessages writes next to the sources it reads, so it runs in a copy and never touches the real catalogue.
    _copy_sources(tmp_path)
    (tmp_path / "locale").mkdir(exist_ok=True)
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command(
        "makemessages",
        locale=["zh_Hans"],
        ignore_patterns=list(IGNORED_DIRS),
        no_obsolete=True,
        verbosity=0,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))

    in_code = {_key(e) for e in fresh if not e.obsolete}
    in_catalogue = {_key(e) for e in committed if not e.obsolete}
    missing = sorted(in_code - in_catalogue)
    stale = sorted(in_catalogue - in_code)
    assert not missing, f"{len(missing)} strings in the code are not in the catalogue: {missing[:10]}. {REFRESH_HINT}"
    assert not stale, f"{len(stale)} catalogue entries are no longer in the code: {stale[:10]}. {REFRESH_HINT}"
    assert PO_PATH.exists(), "the committed catalogue must not be moved by the check"


@pytest.fixture
def compiled_catalogue(settings, tmp_path):
    """Serve the committed .po, compiled into a temporary locale directory by the project's own command."""
    locale = tmp_path / "locale"
    shutil.copytree(PROJECT / "locale", locale, ignore=shutil.ignore_patterns("*.mo"))
    settings.LOCALE_PATHS = [locale]
    call_command("compile_translations", stdout=io.StringIO())
    assert (locale / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists()
    return locale


def test_login_page_is_chinese_by_default(client, compiled_catalogue):
    body = client.get(reverse("login")).content.decode()
    assert "登录" in body
    assert "用户名" in body
    assert "Log in" not in body


def test_language_menu_switches_the_pages_to_english(client, compiled_catalogue):
    chosen = client.post(reverse("set_language"), {"language": "en", "next": reverse("login")})
    assert chosen.status_code == 302
    english = client.get(reverse("login"))
    assert english.status_code == 200
    body = english.content.decode()
    assert "Log in" in body
    assert "登录" not in body


def test_api_answers_in_the_accept_language(client, compiled_catalogue, monkeypatch):
    """API clients are programs: they get the language they ask for. No token exists, so no database is needed."""
    monkeypatch.setattr("villages.api.authentication.api_token_lookup", lambda key: None)
    url = reverse("division-list")
    auth = {"HTTP_AUTHORIZATION": "Token not-a-real-token"}
    english = client.get(url, HTTP_ACCEPT_LANGUAGE="en", **auth)
    assert english.status_code == 401
    assert english.json()["detail"] == "Invalid token."
    chinese = client.get(url, **auth)
    assert chinese.status_code == 401
    assert chinese.json()["detail"].startswith("令牌无效")
