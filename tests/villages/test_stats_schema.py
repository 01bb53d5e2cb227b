"""The statistics endpoints against their OpenAPI schema: schemathesis with the conformance checks (the status
code is one the operation declares, the body matches that status's schema, the content type and headers are the
declared ones, no server error) over every statistics operation, as each role that reads statistics, on a county
that was tallied (so the answers hold figures, not only errors)."""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.wsgi import application
from villages.services import api_token_create
from villages.snapshots import tally_county

EXAMPLES = int(os.environ.get("STATS_SCHEMATHESIS_EXAMPLES", 5))
STATS = r"^/api/v1/stats/"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
    response_headers_conformance,
]
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application).include(path_regex=STATS)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request; the test's transaction lives on it."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture(params=["api", "county", "township"])
def token(request, tree, settings):
    """A token of each role that reads statistics, on 郾城区 tallied for 2026."""
    settings.SHANZHI_STATS_RATE = None  # the fuzzer's calls are many; the 429 is tested on its own
    tally_county(county_code="411103000000", period="2026")
    return api_token_create(user=getattr(tree.users, request.param))[1]


def test_every_statistics_operation_is_in_the_schema():
    paths = {result.ok().path for result in schema.get_all_operations()}
    assert {
        "/api/v1/stats/",
        "/api/v1/stats/metrics/{key}/",
        "/api/v1/stats/series/",
        "/api/v1/stats/changes/",
        "/api/v1/stats/stars/",
        "/api/v1/stats/watch/",
        "/api/v1/stats/petitions/",
        "/api/v1/stats/reviews/",
    } <= paths


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_statistics_conform_to_their_schema(case, token):
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)
