"""The demo, built once per test run and shared: ``manage.py load_demo`` into a PostgreSQL template database, which
each test that needs the demo clones (``CREATE DATABASE … TEMPLATE``, a file copy: about a second) and drops after.

Loading the demo costs minutes (two counties, 300-odd villages, the 2021 campaign and the one under way, the
tallies); before this, each demo test loaded it again. Now the first test of a run that asks for ``demo_db``
builds the template and every later one, in any pytest-xdist worker, clones it:

- the run's workers share one template, named after the test database without its ``_gwN`` suffix; a
  PostgreSQL advisory lock makes the first worker build it while the other waits, and the database's comment
  holds the run's id, so a template left by an earlier run (older code) is rebuilt, never reused;
- the template is built from a copy of the freshly migrated test database, taken when the session's database
  was set up (``django_db_setup`` in tests/conftest.py), so tests that flushed the test database before
  (transactional and browser tests empty the migration-seeded tables) cannot leave it without those rows.

A test using ``demo_db`` runs against its clone: Django's connection settings point at the clone for the test
(threads such as the live server's open their connections from the same settings), and back after.
"""

import io
import os
import re
import uuid
from contextlib import contextmanager

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import override_settings

# The demo's tallies over the past months: the demo tests check the twelve months of the charts.
DEMO_MONTHS = 12
FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Any 64-bit number unique to this lock: the template's builders take it in turn.
LOCK_KEY = 21_2026_0001


def pytest_collection_modifyitems(items):
    """pytest-django sets the test database up for the tests that name a database fixture: a test using
    ``demo_db`` names ``db`` too, last, so that ``demo_db`` (which starts it on the clone) comes first."""
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is not None and "demo_db" in names and not {"db", "transactional_db", "live_server"} & set(names):
            names.append("db")


def _run_id(config) -> str:
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:
        return workerinput["testrunuid"]
    if not hasattr(config, "_demo_run_id"):
        config._demo_run_id = uuid.uuid4().hex
    return config._demo_run_id


def _base_name(test_name: str) -> str:
    return re.sub(r"_gw\d+$", "", test_name)


@contextmanager
def _maintenance():
    """A cursor on the server's ``postgres`` database, outside any test transaction, in autocommit."""
    with connection._nodb_cursor() as cursor:
        yield cursor


def _close_all() -> None:
    for conn in connections.all(initialized_only=True):
        conn.close()


def _clone(cursor, source: str, target: str) -> None:
    cursor.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
    cursor.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


@contextmanager
def _pointed_at(name: str):
    """Django's default connection on the database ``name`` meanwhile (its settings dict is shared by every
    thread's connection, so the live server's threads follow)."""
    settings_dict = connections.settings["default"]
    before = settings_dict["NAME"]
    _close_all()
    settings_dict["NAME"] = name
    connection.settings_dict["NAME"] = name
    try:
        yield
    finally:
        _close_all()
        settings_dict["NAME"] = before
        connection.settings_dict["NAME"] = before


def _pristine_name(test_name: str) -> str:
    return f"{test_name}_pristine"


def snapshot_migrated(django_db_blocker) -> None:
    """Copy the freshly migrated test database (``tests/conftest.py``'s ``django_db_setup`` calls this once the
    test database is set up). Only with PostgreSQL."""
    if connection.vendor != "postgresql":
        return
    test_name = connection.settings_dict["NAME"]
    with django_db_blocker.unblock():
        _close_all()
        with _maintenance() as cursor:
            _clone(cursor, test_name, _pristine_name(test_name))


def drop_snapshot(django_db_blocker) -> None:
    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), _maintenance() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{_pristine_name(connection.settings_dict["NAME"])}" WITH (FORCE)')


@pytest.fixture(scope="session")
def demo_template(request, django_db_setup, django_db_blocker) -> str:
    """The name of this run's demo template database, built by the first worker that needs it."""
    if connection.vendor != "postgresql":
        pytest.skip("the shared demo needs PostgreSQL (DATABASE_URL)")
    test_name = connection.settings_dict["NAME"]
    template = f"{_base_name(test_name)}_demo"
    run_id = _run_id(request.config)
    with django_db_blocker.unblock(), _maintenance() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
        try:
            cursor.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [template]
            )
            row = cursor.fetchone()
            if row is None or row[0] != run_id:
                _build(cursor, source=_pristine_name(test_name), template=template, run_id=run_id)
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])
    return template


def _build(cursor, *, source: str, template: str, run_id: str) -> None:
    building = f"{template}_building"
    _clone(cursor, source, building)
    # The tests' fast hasher (tests/conftest.py's _fast_passwords is per test; this runs before any).
    with _pointed_at(building), override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        call_command("load_demo", months=DEMO_MONTHS, stdout=io.StringIO())
    cursor.execute(f'DROP DATABASE IF EXISTS "{template}" WITH (FORCE)')
    cursor.execute(f'ALTER DATABASE "{building}" RENAME TO "{template}"')
    cursor.execute(f"COMMENT ON DATABASE \"{template}\" IS '{run_id}'")


@pytest.fixture
def demo_db(request, demo_template, django_db_blocker):
    """The demo, loaded: the test runs on a fresh clone of the run's demo template (in a transaction rolled back
    after it, like ``db``; a test that asks for ``transactional_db`` or ``live_server`` first gets that)."""
    clone = f"{connection.settings_dict['NAME']}_demo_{os.getpid()}"
    with django_db_blocker.unblock(), _maintenance() as cursor:
        _clone(cursor, demo_template, clone)
    with _pointed_at(clone):
        transactional = "transactional_db" in request.fixturenames or "live_server" in request.fixturenames
        request.getfixturevalue("transactional_db" if transactional else "db")
        # The test's database fixture, set up inside this one, is torn down before it: then the clone goes.
        yield
    with django_db_blocker.unblock(), _maintenance() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{clone}" WITH (FORCE)')
