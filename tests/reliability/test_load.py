"""A bounded load test against the full stack on 127.0.0.1: gunicorn (port 8034), a Celery worker, a private
Redis (port 6393) and PostgreSQL (the test database). Locust, headless, 50 users for 60 seconds by default
(LOAD_USERS, LOAD_SECONDS): township staff saving review levels, petition officers registering petitions,
county officials reading dashboards (tests/reliability/locustfile.py).

Then: no server error and no refused answer; every acknowledged write is in the database (petitions counted by
their subjects; each level's version equals the saves acknowledged for it, one per version); the worker
answers every recompute request the writes made.
"""

import csv
import datetime
import json
import os
import subprocess
import uuid

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from petitions.models import Petition
from reviews import services as review_services
from reviews.choices import Stage
from reviews.models import ReviewLevel
from tests.factories import division
from tests.reliability.stack import (
    ROOT,
    VENV_BIN,
    app_env,
    celery_worker,
    database_url,
    gunicorn,
    redis_server,
    wait_for,
)
from tests.reviews.conftest import full_marks, make_small_template
from villages.choices import DivisionKind, Level
from villages.models import TallyRequest
from villages.services import api_token_create

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL, as in CI"),
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]
PORT, REDIS_PORT = 8034, 6393
USERS = int(os.environ.get("LOAD_USERS", 50))
SECONDS = int(os.environ.get("LOAD_SECONDS", 60))
PASSWORD = "shanzhi-load-test"


def _plan(tree, tmp_path):
    for n in range(3, 13):  # 裴城镇 gets twelve villages, so the staff spread their saves
        division(f"4111031032{n:02d}", f"测试{n}村", Level.VILLAGE, DivisionKind.VILLAGE, tree.peicheng)
    template = make_small_template()
    campaign = review_services.campaign_create(
        actor=tree.users.county, division=tree.yc, template=template, name="负载测试",
        start_date=datetime.date(2021, 3, 1), end_date=datetime.date(2021, 12, 31),
    )  # fmt: skip
    levels = list(
        ReviewLevel.objects.filter(
            review__campaign=campaign, level=Stage.TOWNSHIP, review__village__code__startswith="411103103"
        ).values_list("pk", flat=True)
    )
    assert len(levels) >= 10
    scores = [
        {"item": pk, "score": None if e.score is None else str(e.score), "passed": e.passed}
        for pk, e in full_marks(template).items()
    ]
    county = tree.users.county
    hasher = PBKDF2PasswordHasher()  # what the server checks (the test process uses a fast hasher)
    county.password = hasher.encode(PASSWORD, hasher.salt())
    county.save()
    plan = {
        "township_token": api_token_create(user=tree.users.township)[1],
        "petition_token": api_token_create(user=tree.users.petition)[1],
        "levels": levels,
        "scores": scores,
        "county_user": county.username,
        "password": PASSWORD,
        "county": tree.yc.code,
        "petition": {
            "registry_unit": tree.wj.code, "division": tree.jiangbian.code, "channel": "online", "kind": "suggestion",
            "content": "负载测试", "received_on": "2026-05-06", "petitioners": [{"name": "汪负载"}],
        },
    }  # fmt: skip
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(plan))
    return path, levels


def _stats(prefix):
    with open(f"{prefix}_stats.csv") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    failures = []
    with open(f"{prefix}_failures.csv") as f:
        failures = list(csv.DictReader(f))
    return rows, failures


def test_load_on_the_full_stack(tree, tmp_path):
    plan, levels = _plan(tree, tmp_path)
    # The fixture's and the plan's own writes asked for recomputes, published to this process's Redis, which the
    # stack's worker never reads: only the requests the load makes are the worker's to answer.
    TallyRequest.objects.all().delete()
    queue = f"load-{uuid.uuid4().hex[:8]}"
    redis_url = f"redis://127.0.0.1:{REDIS_PORT}/0"
    env = app_env(database_url(), redis_url=redis_url, queue=queue, CONN_MAX_AGE=60)
    out, prefix = tmp_path / "acked.json", tmp_path / "locust"
    with redis_server(REDIS_PORT), celery_worker(env, queue, log=tmp_path / "worker.log"):
        with gunicorn(PORT, env, workers=3, threads=4, log=tmp_path / "gunicorn.log"):
            result = subprocess.run(
                [str(VENV_BIN / "locust"), "-f", str(ROOT / "tests/reliability/locustfile.py"), "--headless",
                 "-u", str(USERS), "-r", str(max(USERS // 5, 1)), "-t", f"{SECONDS}s",
                 "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary", "--stop-timeout", "10"],
                env={**os.environ, "LOAD_PLAN": str(plan), "LOAD_OUT": str(out)},
                capture_output=True, text=True, timeout=SECONDS + 120, cwd=ROOT,
            )  # fmt: skip
        rows, failures = _stats(prefix)
        assert not failures, failures[:5]
        total = rows["Aggregated"]
        assert result.returncode == 0, result.stderr[-3000:]
        assert int(total["Failure Count"]) == 0
        assert int(total["Request Count"]) > USERS * 5
        acked = json.loads(out.read_text())

        # Every acknowledged petition is there, once; nothing else was registered.
        stored = list(Petition.objects.filter(subject__startswith="load-").values_list("subject", flat=True))
        assert sorted(stored) == sorted(acked["petitions"]) and acked["petitions"]
        # Each acknowledged save moved its level one version on: the versions count them exactly.
        saves = [tuple(s) for s in acked["saves"]]
        assert len(saves) == len(set(saves)), "two saves acknowledged on one version"
        versions = dict(ReviewLevel.objects.filter(pk__in=levels).values_list("pk", "version"))
        for level in levels:
            assert versions[level] == sum(1 for pk, _v in saves if pk == level), level
        # The worker answers the recompute requests the writes made.
        wait_for(lambda: not TallyRequest.objects.filter(done_at__isnull=True).exists(), timeout=120, what="tallies")
    figures = {name: (row["Request Count"], row["Median Response Time"], row["95%"]) for name, row in rows.items()}
    print(  # noqa: T201  (the figures quoted in docs/reliability.md)
        f"users {USERS}, {SECONDS} s: requests {total['Request Count']}, failures 0, "
        f"petitions {len(acked['petitions'])}, level saves {len(saves)}; per request (count, median ms, p95 ms): "
        f"{figures}"
    )
