"""A nightly sync of Shanzhi's statistics into a local SQLite copy, with the standard library only.

The first run pulls each county whole through the series endpoint; every later run asks the change feed for what
the tallies wrote since (conditionally: a county with nothing new costs one 304). Run it from cron:

    SHANZHI_URL=https://shanzhi.example.gov.cn SHANZHI_TOKEN=… \\
        python stats_sync.py --county 411103000000 --periods LAST_2_YEARS,LAST_8_QUARTERS,LAST_24_MONTHS copy.sqlite3

docs/stats-sync.md explains each step; tests/villages/test_stats_sync_example.py runs this file against a live
server and checks the copy against the snapshot table.
"""

import argparse
import json
import os
import sqlite3
import time
import urllib.error
import urllib.parse
import urllib.request

MAX_CELLS = 600  # the series' bound on statistics × periods per call (its 400 says so too)

SCHEMA = """
CREATE TABLE IF NOT EXISTS figure (
    division TEXT NOT NULL, division_name TEXT, period TEXT NOT NULL, metric TEXT NOT NULL,
    numerator INTEGER NOT NULL, denominator INTEGER, rate REAL, computed_at TEXT, rule_version TEXT,
    PRIMARY KEY (division, period, metric)
);
CREATE TABLE IF NOT EXISTS feed (county TEXT PRIMARY KEY, cursor INTEGER NOT NULL, etag TEXT);
"""


class Client:
    def __init__(self, base: str, token: str, language: str = "zh-hans"):
        self.base = base.rstrip("/")
        self.headers = {"Authorization": f"Token {token}", "Accept": "application/json", "Accept-Language": language}

    def get(self, url: str, params: dict | None = None, etag: str | None = None):
        """(status, body, ETag) of a GET; 304 gives no body. Waits out a 429 as its Retry-After says."""
        if params:
            url = f"{self.base}{url}?{urllib.parse.urlencode(params)}"
        elif url.startswith("/"):
            url = self.base + url
        headers = dict(self.headers)
        if etag:
            headers["If-None-Match"] = etag
        while True:
            request = urllib.request.Request(url, headers=headers)  # noqa: S310 (the server's own URL)
            try:
                with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                    return response.status, json.load(response), response.headers.get("ETag")
            except urllib.error.HTTPError as error:
                if error.code == 304:
                    return 304, None, error.headers.get("ETag") or etag
                if error.code == 429:
                    time.sleep(int(error.headers.get("Retry-After") or 1))
                    continue
                raise RuntimeError(f"{error.code} {url}: {error.read().decode('utf-8', 'replace')}") from None


def metric_keys(client: Client) -> list[str]:
    """The statistics on offer (the index lists tables too: those have no periods)."""
    _status, index, _etag = client.get("/api/v1/stats/", {})
    return [item["key"] for item in index if item["periods"]]


def store_row(db, row: dict) -> None:
    db.execute(
        "INSERT OR REPLACE INTO figure VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (row["division"], row["division_name"], row["period"], row["metric"], row["numerator"],
         row["denominator"], row["rate"], row["computed_at"], row["rule_version"]),
    )  # fmt: skip


def full_pull(client: Client, db, county: str, periods: str) -> int:
    """Every statistic of the county and everything under it, in calls of at most MAX_CELLS statistics × periods,
    each followed page by page. Returns the change-feed cursor read before the first page: what changed during the
    pull is in the feed after it."""
    metrics = metric_keys(client)
    cursor, chunk, start = None, 1, 0  # the first call (one statistic) says how many periods the expression names
    while start < len(metrics):
        params = {"metric": ",".join(metrics[start : start + chunk]), "division": county, "level": "all",
                  "period": periods, "page_size": 5000}  # fmt: skip
        start += chunk
        url = "/api/v1/stats/series/"
        while url:
            _status, body, _etag = client.get(url, params)
            cursor = body["changes_cursor"] if cursor is None else min(cursor, body["changes_cursor"])
            for row in body["results"]:
                store_row(db, row)
            url, params = body["next"], None
        chunk = max(1, MAX_CELLS // len(body["periods"]))
    return cursor or 0


def follow_feed(client: Client, db, county: str, cursor: int, etag: str | None) -> tuple[int, str | None, int]:
    """Apply the change feed after ``cursor`` to the copy until it is current. The last answer (nothing after the
    cursor) keeps its ETag: the next run asks that same URL with If-None-Match, and a county with nothing new
    answers 304. Returns the new cursor, that ETag and how many entries were applied."""
    applied = 0
    while True:
        status, body, new_etag = client.get(
            "/api/v1/stats/changes/", {"since": cursor, "division": county, "limit": 5000}, etag=etag
        )
        if status == 304:
            return cursor, etag, applied
        for entry in body["results"]:
            if entry["removed"]:
                db.execute(
                    "DELETE FROM figure WHERE division = ? AND period = ? AND metric = ?",
                    (entry["division"], entry["period"], entry["metric"]),
                )
            else:
                store_row(db, entry)
            applied += 1
        if not body["results"] and body["next"] == cursor:
            return cursor, new_etag, applied
        cursor, etag = body["next"], None


def sync(base: str, token: str, counties: list[str], periods: str, path: str) -> dict:
    """One nightly run. Each county's cursor is committed with the figures it covers: a run stopped half-way
    starts again from the last county it finished."""
    client = Client(base, token)
    db = sqlite3.connect(path)
    db.executescript(SCHEMA)
    report = {}
    for county in counties:
        found = db.execute("SELECT cursor, etag FROM feed WHERE county = ?", (county,)).fetchone()
        with db:
            if found is None:
                cursor, etag = full_pull(client, db, county, periods), None
                report[county] = "full"
            else:
                cursor, etag = found
                report[county] = "incremental"
            cursor, etag, applied = follow_feed(client, db, county, cursor, etag)
            if found is not None and not applied:
                report[county] = "current"
            db.execute("INSERT OR REPLACE INTO feed VALUES (?, ?, ?)", (county, cursor, etag))
    db.close()
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("copy", help="the local SQLite file")
    parser.add_argument("--county", action="append", required=True, help="a county's 12-digit code (repeat)")
    parser.add_argument("--periods", default="LAST_2_YEARS,LAST_8_QUARTERS,LAST_24_MONTHS")
    args = parser.parse_args()
    report = sync(os.environ["SHANZHI_URL"], os.environ["SHANZHI_TOKEN"], args.county, args.periods, args.copy)
    for county, what in report.items():
        print(county, what)  # noqa: T201 (a command-line tool reports on stdout)


if __name__ == "__main__":
    main()
