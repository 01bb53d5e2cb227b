"""Backup and restore: pg_dump of a database with data, pg_restore into a new database, the tallies computed
there equal the original's (the commands are the ones in docs/reliability.md)."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from petitions import services as petition_services
from tests.factories import valid_id_number
from villages.models import Cadre, Snapshot

ROOT = Path(__file__).resolve().parents[2]
PG_BIN = Path("/usr/lib/postgresql/15/bin")
pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="pg_dump and pg_restore need PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _pg(tool, *args, **env):
    settings = connection.settings_dict
    base = {
        "PGHOST": settings["HOST"] or "127.0.0.1",
        "PGPORT": str(settings["PORT"] or 5432),
        "PGUSER": settings["USER"] or "postgres",
        "PGPASSWORD": settings["PASSWORD"] or "",
    }
    binary = PG_BIN / tool if (PG_BIN / tool).exists() else tool
    result = subprocess.run(
        [str(binary), *args], env={**os.environ, **base, **env}, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def _url(name):
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s["PASSWORD"] else ""
    return f"postgres://{s['USER'] or 'postgres'}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _rows(period):
    return sorted(
        [r.division_code, r.metric, r.numerator, r.denominator]
        for r in Snapshot.objects.filter(period=period).only("division_code", "metric", "numerator", "denominator")
    )


def test_a_dump_restored_into_a_new_database_gives_the_same_figures(tree, tmp_path):
    for n in range(3):
        petition_services.petition_register(
            actor=tree.users.petition, registry_unit=tree.wj, division=tree.jiangbian, channel="visit",
            kind="demand", subject=f"事项{n}", content="内容", received_on=datetime.date(2026, 3, n + 1),
            petitioners=[{"name": f"汪{n}", "id_number": valid_id_number(region="340827"), "phone": "13912345678"}],
        )  # fmt: skip
    call_command("tally", "--period", "2026", "--county", "411103000000", "--county", "340827000000")
    original = _rows("2026")
    assert len(original) > 50 and any(r[2] for r in original)

    name = connection.settings_dict["NAME"]
    restored = f"{name}_restored"
    dump = tmp_path / "shanzhi.dump"
    _pg("pg_dump", "--format=custom", "--no-owner", f"--file={dump}", name)
    _pg("dropdb", "--if-exists", restored)
    _pg("createdb", restored)
    try:
        _pg("pg_restore", "--no-owner", "--exit-on-error", f"--dbname={restored}", str(dump))
        env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        result = subprocess.run(
            [sys.executable, "manage.py", "tally", "--period", "2026", "--json",
             "--county", "411103000000", "--county", "340827000000"],
            env={**env, "DATABASE_URL": _url(restored), "REDIS_URL": ""},
            capture_output=True, text=True, timeout=300, cwd=ROOT,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-2000:]
        assert json.loads(result.stdout.strip().splitlines()[-1]) == original
        counts = "SELECT (SELECT count(*) FROM petitions_petition), (SELECT count(*) FROM villages_cadre)"
        assert _pg("psql", "-Atc", counts, restored).strip() == f"3|{Cadre.objects.count()}"
    finally:
        _pg("dropdb", "--if-exists", restored)
