"""Hostile input to every operation of the OpenAPI schema (issue 20, finding 11), generated from the schema so a new
endpoint is covered: NUL in every query parameter, JSON nested 100,000 deep and lone surrogates in every field of
every JSON body, and every error asked for as CSV or XLSX. No server error anywhere; each refusal a 400 whose body
is JSON (never a Python repr such as ``[ErrorDetail(...)]``).

Beside test_api_schemathesis.py, which generates valid-looking requests; these are the ones hypothesis rarely
draws. Deterministic, a few seconds.
"""

import io
import json
import re

import pytest
from django.urls import Resolver404, resolve
from drf_spectacular.generators import SchemaGenerator
from rest_framework.exceptions import ParseError
from rest_framework.renderers import JSONRenderer
from rest_framework.test import APIClient

from villages.api.parsers import MAX_DEPTH, StrictJSONParser
from villages.metrics import registry

DEEP = "[" * 100_000 + "]" * 100_000
SURROGATE = "\ud800"


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _url(path):
    """The path with samples its route accepts: a village code (a grid's 15 digits), id 1, a metric key."""
    for code in ("411103103201", "411103103201001"):
        samples = {"code": code, "id": "1", "key": next(iter(sorted(registry())))}
        url = re.sub(r"{(\w+)}", lambda m, s=samples: s[m.group(1)], path)
        try:
            resolve(url)
        except Resolver404:
            continue
        return url
    raise AssertionError(f"no sample URL for {path}")


def operations(schema):
    """(method, url, operation) for every operation, its path parameters filled with samples."""
    for path, item in schema["paths"].items():
        url = _url(path)
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                yield method, url, operation


def _resolve(schema, node):
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _json_body_properties(schema, operation):
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _resolve(schema, content["application/json"]["schema"]).get("properties", {})


@pytest.fixture
def api(tree):
    client = APIClient()
    client.force_authenticate(tree.users.county)
    return client


def _is_json_error(response):
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.content.decode()
    assert "ErrorDetail" not in body
    return json.loads(body)


def test_nul_in_any_query_parameter_of_any_operation_is_a_400(api, schema):
    checked = 0
    for method, url, operation in operations(schema):
        names = [p["name"] for p in operation.get("parameters", []) if p["in"] == "query"] + ["undeclared"]
        for name in names:
            for value in ("\x00", "411103\x00103201"):
                response = getattr(api, method)(f"{url}?{name}={value.replace(chr(0), '%00')}")
                assert response.status_code == 400, (method, url, name, response.status_code)
                assert name in _is_json_error(response)
                checked += 1
    assert checked > 300


def test_nul_in_the_address_is_a_400(api):
    response = api.get("/api/v1/stats/metrics/villages%00x/?division=411103000000")
    assert response.status_code == 400 and "path" in _is_json_error(response)


def test_json_nested_deep_is_a_400_on_every_operation_with_a_body(api, schema):
    parsed = 0
    for method, url, operation in operations(schema):
        if _json_body_properties(schema, operation) is None:
            continue
        response = getattr(api, method)(url, DEEP, content_type="application/json")
        assert response.status_code < 500, (method, url)
        if response.status_code == 400:
            assert str(MAX_DEPTH) in str(_is_json_error(response)), (method, url)
            parsed += 1
    assert parsed >= 5  # the operations whose object exists in the fixture got as far as the parser


def test_a_lone_surrogate_in_any_field_of_any_body_is_a_400(api, schema):
    parsed = 0
    for method, url, operation in operations(schema):
        properties = _json_body_properties(schema, operation)
        if not properties:
            continue
        for name in properties:
            response = getattr(api, method)(url, json.dumps({name: SURROGATE}), content_type="application/json")
            assert response.status_code < 500, (method, url, name)
            if response.status_code == 400:
                _is_json_error(response)
                parsed += 1
        # A choice field, the case that was found: every field a surrogate at once, in a list and as a key too.
        body = json.dumps({**dict.fromkeys(properties, SURROGATE), SURROGATE: [SURROGATE]})
        response = getattr(api, method)(url, body, content_type="application/json")
        assert response.status_code < 500, (method, url)
    assert parsed >= 10


def test_the_problem_kind_choice_with_a_lone_surrogate_is_refused(api):
    body = '{"campaign": 1, "check_item": 1, "kind": "\\ud800", "title": "x", "villages": ["411103103201"]}'
    response = api.post("/api/v1/followup/problems/", body, content_type="application/json")
    assert response.status_code == 400
    assert "UTF-16" in _is_json_error(response)["detail"]  # the lone surrogate, in the request's language


def _parse(text):
    return StrictJSONParser().parse(io.BytesIO(text.encode()), "application/json", {})


def test_the_parser_keeps_what_json_allows_within_its_limits():
    assert _parse("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    with pytest.raises(ParseError):
        _parse("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))
    # Brackets and escaped quotes inside strings are text, not nesting.
    assert _parse(json.dumps({"note": "[" * 1000 + '\\"{'})) == {"note": "[" * 1000 + '\\"{'}
    assert _parse('{"title": "\\ud83d\\ude00"}') == {"title": "😀"}  # a pair is one character
    for bad in ('{"title": "\\udc00"}', '{"\\ud800": 1}', '[[["a\\ud800b"]]]', "{", "NaN"):
        with pytest.raises(ParseError):
            _parse(bad)


def test_every_error_answers_json_whatever_format_was_asked(api, schema):
    """Every GET with every declared query parameter set to nonsense, as CSV and as XLSX: a 4xx is JSON."""
    errors = 0
    for method, url, operation in operations(schema):
        if method != "get":
            continue
        params = {p["name"]: "bad" for p in operation.get("parameters", []) if p["in"] == "query"}
        for fmt in ("csv", "xlsx"):
            response = api.get(url, {**params, "format": fmt})
            assert response.status_code < 500, (url, fmt)
            if response.status_code >= 400:
                _is_json_error(response)
                errors += 1
    assert errors > 50


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json"])
def test_a_bad_period_on_a_statistic_is_a_json_400_in_every_format(api, fmt):
    key = next(iter(sorted(registry())))
    response = api.get(f"/api/v1/stats/metrics/{key}/", {"division": "411103000000", "period": "bad", "format": fmt})
    assert response.status_code == 400
    assert list(_is_json_error(response)) == ["period"]
    assert isinstance(response.accepted_renderer, JSONRenderer)


def test_a_good_statistic_is_still_a_csv_and_an_xlsx(api):
    key = next(iter(sorted(registry())))
    csv = api.get(f"/api/v1/stats/metrics/{key}/", {"division": "411103000000", "format": "csv"})
    assert csv.status_code == 200 and csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode("utf-8-sig").startswith("code,name,level")
    xlsx = api.get(f"/api/v1/stats/metrics/{key}/", {"division": "411103000000", "format": "xlsx"})
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_every_api_view_parses_json_with_the_project_parser():
    """One parser: no view (or action) falls back to DRF's own JSONParser, which has neither limit."""
    from rest_framework.parsers import JSONParser

    from tests.test_permission_matrix import routes
    from villages.api.parsers import StrictJSONParser

    for name, (route, pattern) in routes().items():
        view = getattr(pattern.callback, "cls", None)
        if not route.startswith("api/") or view is None:
            continue
        actions = getattr(pattern.callback, "actions", None) or {}
        parsers = list(view.parser_classes)
        for action in actions.values():
            parsers += getattr(getattr(view, action, None), "kwargs", {}).get("parser_classes", [])
        loose = [p for p in parsers if issubclass(p, JSONParser) and not issubclass(p, StrictJSONParser)]
        assert not loose, (name, loose)
