"""docs/examples/stats_sync.py (the worked example of docs/stats-sync.md), run as written against a live server."""

import datetime
import importlib.util
import sqlite3
from pathlib import Path

import pytest

from villages.models import Post, Snapshot
from villages.services import api_token_create
from villages.snapshots import tally_county

SCRIPT = Path(__file__).resolve().parents[2] / "docs" / "examples" / "stats_sync.py"
PERIODS = "2026,2026-Q1,2026-01..2026-02"


@pytest.fixture
def stats_sync():
    spec = importlib.util.spec_from_file_location("stats_sync", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _copy(path):
    with sqlite3.connect(path) as db:
        return {(d, p, m): (n, den) for d, p, m, n, den in db.execute(
            "SELECT division, period, metric, numerator, denominator FROM figure"
        )}  # fmt: skip


def _snapshot():
    return {
        (s.division_code, s.period, s.metric): (s.numerator, s.denominator)
        for s in Snapshot.objects.filter(division_code__startswith="411103")
    }


def test_the_nightly_sync_keeps_an_exact_copy(transactional_db, tree, live_server, stats_sync, tmp_path):
    for period in ("2026", "2026-Q1", "2026-01", "2026-02"):
        tally_county(county_code="411103000000", period=period)
        tally_county(county_code="340827000000", period=period)  # out of the token's scope: never in the copy
    _token, raw = api_token_create(user=tree.users.api)
    copy = tmp_path / "copy.sqlite3"

    def run(path=copy):
        return stats_sync.sync(live_server.url, raw, ["411103000000"], PERIODS, str(path))

    assert run() == {"411103000000": "full"}
    assert _copy(copy) == _snapshot() and len(_snapshot()) > 50
    statuses = []
    get = stats_sync.Client.get

    def recording(self, *args, **kwargs):
        answer = get(self, *args, **kwargs)
        statuses.append(answer[0])
        return answer

    stats_sync.Client.get = recording
    try:
        assert run() == {"411103000000": "current"}
    finally:
        stats_sync.Client.get = get
    assert statuses == [304]  # nothing new: one conditional request of the feed

    # A tally moves some figures (梁庄村 loses a cadre): the next run applies just those.
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))
    before = _snapshot()
    for period in ("2026", "2026-02"):
        tally_county(county_code="411103000000", period=period)
    assert _snapshot() != before
    assert run() == {"411103000000": "incremental"}
    assert _copy(copy) == _snapshot()

    # From an empty copy, the same.
    fresh = tmp_path / "fresh.sqlite3"
    assert run(fresh) == {"411103000000": "full"}
    assert _copy(fresh) == _snapshot()
    # And by the feed alone from its start: the whole log replays to the current snapshot.
    client = stats_sync.Client(live_server.url, raw)
    replayed = sqlite3.connect(tmp_path / "replayed.sqlite3")
    replayed.executescript(stats_sync.SCHEMA)
    stats_sync.follow_feed(client, replayed, "411103000000", 0, None)
    replayed.commit()
    assert _copy(tmp_path / "replayed.sqlite3") == _snapshot()
