"""No API answer names a division outside the reader's scope (issue 20, finding 10), generated from the OpenAPI
schema so a new endpoint is covered.

Over the demo (the data that showed it: 161 foreign village codes in the problems of 裴城镇's staff, a common
problem listing every village of the county it applies to), a township user reads every list endpoint, then
the detail and sub-resources of the first rows each list returned, and every statistic for their township.
Every string of every answer that is a division's code (12 digits) or a grid's (15 digits, its village's code
first) must lie in the user's township, or be one of the divisions above it (their county, city, province:
the chain the breadcrumbs show too). Nested lists are filtered in the serializers (villages/api/fields.py).
"""

import re
from collections import defaultdict

from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from grids.models import Grid
from villages.metrics import registry
from villages.models import Division, UserScope

USERNAME = "yc_peicheng"  # 裴城镇 township staff in the demo
PER_LIST = 3  # detail reads per list endpoint
CODE = re.compile(r"^\d{12}(\d{3})?$")


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(k)
            yield from _strings(v)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _ids(body):
    rows = body.get("results", body) if isinstance(body, dict) else body
    if not isinstance(rows, list):
        return []
    return [row["id"] for row in rows if isinstance(row, dict) and "id" in row][:PER_LIST]


def _query(operation, township):
    """The parameters an operation needs to answer: the division it reads (the user's township)."""
    names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
    return {"division": township} if "division" in names else {}


def test_no_answer_names_a_division_outside_the_readers_scope(demo_db):
    scope = UserScope.objects.select_related("user", "division").get(user__username=USERNAME)
    user, township = scope.user, scope.division
    allowed_above = set(township.ancestor_codes())
    divisions = set(Division.objects.values_list("code", flat=True))
    grids = set(Grid.objects.values_list("code", flat=True))
    village = Division.objects.filter(code__startswith=township.prefix, level="village").order_by("code").first()
    grid = Grid.objects.filter(code__startswith=township.prefix).order_by("code").first()

    api = APIClient()
    api.force_authenticate(user)
    schema = SchemaGenerator().get_schema(request=None, public=True)
    gets = [(path, item["get"]) for path, item in schema["paths"].items() if "get" in item]
    leaks, read = defaultdict(set), []

    def read_and_check(path, url, params):
        response = api.get(url, params)
        assert response.status_code < 500, (url, response.status_code)
        if response.status_code != 200 or not response["Content-Type"].startswith("application/json"):
            return None
        body = response.json()
        read.append(url)
        for text in _strings(body):
            known = CODE.match(text) and (text in divisions or text in grids)
            if known and not (text.startswith(township.prefix) or text[:12] in allowed_above):
                leaks[path].add(text)
        return body

    ids = {}
    for path, operation in gets:  # the lists and the endpoints without a path parameter
        if "{" not in path:
            body = read_and_check(path, path, _query(operation, township.code))
            ids[path] = _ids(body) if body is not None else []
    for path, operation in gets:  # details and sub-resources, with the ids the lists gave
        if "{" not in path:
            continue
        params = _query(operation, township.code)
        if "{id}" in path:
            for pk in ids.get(path.split("{id}")[0], []):
                read_and_check(path, path.replace("{id}", str(pk)), params)
        elif "{key}" in path:
            for key in sorted(registry()):
                read_and_check(path, path.replace("{key}", key), params)
        elif "{code}" in path:
            codes = [grid.code] if path.startswith("/api/v1/grids/") else [township.code, village.code]
            for code in codes:
                read_and_check(path, path.replace("{code}", code), params)

    assert len(read) > 100, f"only {len(read)} answers read"
    assert not leaks, {path: sorted(codes)[:10] for path, codes in leaks.items()}
