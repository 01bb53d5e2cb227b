"""The permission matrix, generated from the URL configuration.

Every route the resolver knows (every app namespace and every API route) must have an entry in one of the
per-app matrix tables (`tests/**/test_*scope_matrix.py`, collected by glob so a new area's matrix is picked up),
which test it × every role × an object inside and outside the user's scope. A new view or endpoint without an
entry fails here. The few routes that no object scope applies to are listed in NOT_SCOPED with the reason.

Then, for every route: an anonymous visitor is sent to the login page (HTML) or refused with 401/403 (API),
whatever the method. Excluded: the Django admin (its own staff login and permissions; its matrix, every
registered ModelAdmin × every admin view × in/out of scope, is tests/test_admin_matrix.py) and static files (not
routed by Django in any setting).
"""

import importlib.util
import itertools
import re
from pathlib import Path

import pytest
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

TESTS = Path(__file__).resolve().parent
EXCLUDED_PREFIXES = ("admin/",)  # reason in the module docstring

# Routes that carry no object of a scope, with why and where they are tested.
NOT_SCOPED = {
    "login": "the login page itself (throttling: tests/villages/test_personal_data.py and test_security.py)",
    "logout": "ends the session; POST only",
    "sign_out_everywhere": "ends the signed-in user's own sessions and tokens; POST only, login required",
    "password_change": "the signed-in user's own password; login required (checked below)",
    "password_change_done": "same",
    "set_language": "Django's language switch: stores a preference, reads nothing",
    "home": "the start page shows only the user's scopes (tests/villages/test_demo_scopes.py)",
    "schema": "the OpenAPI document: describes the API, holds no data",
    "api-docs": "Swagger UI for the schema, served from our static files",
    "petitions:index": "redirects to the user's own board",
    "petitions:case_action": "one URL per step: the CASE_STEPS table in tests/petitions/test_scope_matrix.py",
    "petitions:dispute_action": "one URL per step: the DISPUTE_STEPS table in tests/petitions/test_scope_matrix.py",
}
# Anonymous may open these (everything else sends them to the login page or answers 401/403).
PUBLIC = {
    "login": {200},
    "logout": {302, 405},  # GET is refused by Django 5; POST ends an (absent) session and goes to the login page
    "set_language": {302},
    # The OpenAPI document describes the API and holds no data; clients generate code from it (accepted and
    # listed in docs/reliability.md). Every operation it describes needs a token or a session.
    "schema": {200},
    "api-docs": {200},  # the Swagger UI shell only: it loads the schema, which needs a token or a session
    # The token endpoint is how a client signs in: POST without credentials is 400; GET is not allowed (401
    # because DRF authenticates before it checks the method).
    "auth-token": {400, 401, 405},
}
SAMPLES = {"code": "411103103201", "pk": "1", "action": "accept", "key": "villages.x"}


def _matrix_modules():
    return sorted(TESTS.glob("**/test_*scope_matrix.py"))


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_matrix_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _strings(item)


def matrix_entries():
    """Every string in the upper-case tables of every matrix module: route names among them."""
    names = set()
    for path in _matrix_modules():
        module = _load(path)
        for attr, value in vars(module).items():
            if attr.isupper():
                names.update(_strings(value))
    return names


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}:{p.name}" if namespace and p.name else p.name
            yield prefix + str(p.pattern), name, p


def routes():
    """(route, name, pattern) for every routed view, admin excluded; the API's format suffixes folded in."""
    found = {}
    for route, name, pattern in _walk(get_resolver().url_patterns):
        if route.startswith(EXCLUDED_PREFIXES):
            continue
        found.setdefault(name, (route, pattern))
    return found


def _url(name, pattern):
    """The route with sample values that its converters accept (a village code, a 15-digit grid code, 1, ...)."""
    converters = getattr(pattern.pattern, "converters", {})
    choices = []
    for group in pattern.pattern.regex.groupindex:
        if group == "format":
            continue
        converter = converters.get(group)
        fixed = [converter.regex.split("|")[0]] if converter is not None and "|" in converter.regex else []
        choices.append([(group, v) for v in [*fixed, SAMPLES.get(group, "1"), "411103103201", "411103103201001"]])
    for combination in itertools.product(*choices):
        try:
            return reverse(name, kwargs=dict(combination))
        except NoReverseMatch:
            continue
    raise AssertionError(f"no sample URL for {name}")


def test_every_route_is_named():
    unnamed = [route for route, (_r, _p) in routes().items() if route is None]
    assert not unnamed, "every route needs a name for the matrix"


def test_every_route_has_a_matrix_entry():
    assert len(_matrix_modules()) >= 5
    covered = matrix_entries() | set(NOT_SCOPED)
    missing = sorted(name for name in routes() if name not in covered)
    assert not missing, f"routes without an entry in a scope matrix (tests/**/test_*scope_matrix.py): {missing}"
    stale = sorted(name for name in NOT_SCOPED if name not in routes())
    assert not stale, f"NOT_SCOPED names a route that no longer exists: {stale}"


def test_admin_and_api_are_found():
    names = set(routes())
    assert {"villages:division", "reviews:level_save", "petitions:register", "grids:household_create"} <= names
    assert {"division-list", "petition-list", "reviews-level-scores", "work-figures"} <= names
    assert not any(route.startswith("admin/") for route, _p in routes().values())


def _cases():
    for name, (route, pattern) in sorted(routes().items()):
        yield pytest.param(name, route, pattern, id=name)


@pytest.mark.parametrize(("name", "route", "pattern"), list(_cases()))
def test_anonymous_is_refused_everywhere(client, db, name, route, pattern):
    url = _url(name, pattern)
    api = route.startswith("api/")
    for method in ("get", "post"):
        response = getattr(client, method)(url)
        if name in PUBLIC:
            assert response.status_code in PUBLIC[name] | {405}, (name, method, response.status_code)
        elif api:
            assert response.status_code in (401, 403), (name, method, response.status_code)
        else:
            assert response.status_code == 302, (name, method, response.status_code)
            assert re.match(r"^/accounts/login/\?next=", response["Location"]), (name, method, response["Location"])
