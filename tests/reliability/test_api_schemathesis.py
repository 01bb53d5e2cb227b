"""schemathesis against /api/v1/schema/: every operation, a bounded number of generated requests each,
authenticated with a county official's token. No server error, and no answer that breaks the schema.

SCHEMATHESIS_EXAMPLES sets the examples per operation (default 5: the run stays near a minute on CI's two
cores); `manage.py runserver` + `st run` with more examples is the deeper run (docs/reliability.md).
"""

import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from config.wsgi import application
from tests.factories import division, scoped_user
from villages.choices import DivisionKind, Level, Role
from villages.services import api_token_create

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", 5))
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", application)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The WSGI handler closes the database connection after each request; Django's test client switches that
    off (the test's transaction lives on it), and so do we while schemathesis calls the application."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def token(db):
    """A county official of 郾城区 with one village: cheap to build once per operation."""
    yc = division("411103000000", "郾城区", Level.COUNTY, DivisionKind.DISTRICT)
    township = division("411103103000", "裴城镇", Level.TOWNSHIP, DivisionKind.TOWN, yc)
    division("411103103201", "梁庄村", Level.VILLAGE, DivisionKind.VILLAGE, township)
    return api_token_create(user=scoped_user("st_county", yc, Role.COUNTY_OFFICIAL))[1]


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_against_its_schema(case, token):
    case.call_and_validate(
        headers={"Authorization": f"Token {token}"}, checks=[not_a_server_error, response_schema_conformance]
    )
