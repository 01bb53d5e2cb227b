"""The series, the period resolver it shares with the metric endpoint, conditional requests and the change feed."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from tests.factories import scoped_user
from villages import stats as stats_module
from villages.choices import Role
from villages.metrics import resolve_periods
from villages.models import Post, Snapshot, SnapshotChange
from villages.snapshots import tally_county

SERIES = reverse("stats-series")
CHANGES = reverse("stats-changes")
SHOULDER, CADRES = "villages.one_shoulder", "villages.cadres_in_office"


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def _keys(value, today):
    return [p.key for p in resolve_periods(value, today=today)]


# --- periods ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "today", "expected"),
    [
        ("THIS_MONTH", datetime.date(2026, 1, 1), ["2026-01"]),
        ("LAST_MONTH", datetime.date(2026, 1, 1), ["2025-12"]),
        ("LAST_MONTH", datetime.date(2026, 3, 31), ["2026-02"]),
        ("THIS_QUARTER", datetime.date(2026, 3, 31), ["2026-Q1"]),
        ("THIS_QUARTER", datetime.date(2026, 4, 1), ["2026-Q2"]),
        ("LAST_QUARTER", datetime.date(2026, 1, 1), ["2025-Q4"]),
        ("THIS_YEAR", datetime.date(2026, 12, 31), ["2026"]),
        ("LAST_YEAR", datetime.date(2026, 1, 1), ["2025"]),
        ("LAST_4_QUARTERS", datetime.date(2026, 1, 1), ["2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"]),
        ("LAST_2_YEARS", datetime.date(2026, 6, 1), ["2025", "2026"]),
        ("LAST_3_MONTHS", datetime.date(2026, 2, 28), ["2025-12", "2026-01", "2026-02"]),
        ("2025-11..2026-02", datetime.date(2026, 6, 1), ["2025-11", "2025-12", "2026-01", "2026-02"]),
        ("2025-Q4..2026-Q1", datetime.date(2026, 6, 1), ["2025-Q4", "2026-Q1"]),
        ("2024..2026", datetime.date(2026, 6, 1), ["2024", "2025", "2026"]),
        ("2026-11..THIS_MONTH", datetime.date(2027, 1, 15), ["2026-11", "2026-12", "2027-01"]),
        ("2026,2026-01,2026", datetime.date(2026, 6, 1), ["2026", "2026-01"]),
    ],
)
def test_periods_resolve_at_month_and_year_edges(value, today, expected):
    assert _keys(value, today) == expected


def test_last_12_months_ends_with_this_month_across_the_year():
    keys = _keys("LAST_12_MONTHS", datetime.date(2026, 1, 31))
    assert keys[0] == "2025-02" and keys[-1] == "2026-01" and len(keys) == 12


def test_today_is_asia_shanghai(monkeypatch):
    # 16:30 UTC on New Year's Eve is already half past midnight on 1 January in Shanghai.
    moment = datetime.datetime(2025, 12, 31, 16, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert [p.key for p in resolve_periods("THIS_YEAR")] == ["2026"]
    assert [p.key for p in resolve_periods("THIS_MONTH")] == ["2026-01"]


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "2026-03..2026-01",
        "2026..2026-03",
        "THIS_3_MONTHS",
        "LAST_12_MONTH",
        "THIS_MONTHS",
        "LAST_0_YEARS",
        "SOMEDAY",
        "2026-13",
        "1000-01..9999-12",
        "C1..C3",
    ],
)
def test_bad_period_expressions_are_refused_with_a_message(bad):
    with pytest.raises(ValueError, match=r"\w"):
        resolve_periods(bad, today=datetime.date(2026, 6, 1))


def test_the_metric_endpoint_takes_a_relative_period_and_refuses_a_range_clearly(tree):
    tally_county(county_code="411103000000", period="2026")
    api = _api(tree.users.api)
    url = reverse("stats-metric", args=[SHOULDER])
    one = api.get(url, {"division": "411103000000", "period": "2026..2026"})
    assert one.status_code == 200 and one.json()["period"] == "2026"
    several = api.get(url, {"division": "411103000000", "period": "2026-01..2026-06"}, HTTP_ACCEPT_LANGUAGE="en")
    assert several.status_code == 400
    assert "/api/v1/stats/series/" in several.json()["period"][0]
    chinese = api.get(url, {"division": "411103000000", "period": "2026-01..2026-06"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "序列接口" in chinese.json()["period"][0]


# --- the series ---------------------------------------------------------------------------------------------------


def _tally(*periods, county="411103000000"):
    for period in periods:
        tally_county(county_code=county, period=period)


def test_a_series_equals_the_metric_endpoint_figure_by_figure(tree):
    _tally("2026", "2026-01", "2026-02")
    api = _api(tree.users.api)
    body = api.get(
        SERIES,
        {"metric": f"{SHOULDER},{CADRES}", "division": "411103000000", "level": "children",
         "period": "2026,2026-01..2026-02"},
    ).json()  # fmt: skip
    rows = {(r["division"], r["period"], r["metric"]): r for r in body["results"]}
    seen = 0
    for metric in (SHOULDER, CADRES):
        for period in ("2026", "2026-01", "2026-02"):
            table = api.get(
                reverse("stats-metric", args=[metric]), {"division": "411103000000", "period": period}
            ).json()
            for figure in [table["division"], *table["children"]]:
                row = rows[(figure["code"], period, metric)]
                assert (row["numerator"], row["denominator"], row["rate"]) == (
                    figure["numerator"],
                    figure["denominator"],
                    figure["rate"],
                )
                assert row["division_name"] == figure["name"]
                assert row["computed_at"] == figure["computed_at"] and row["rule_version"] == figure["rule_version"]
                seen += 1
    assert seen == len(rows) == 2 * 3 * 3  # the county and its two townships
    assert body["next"] is None and body["changes_cursor"] == SnapshotChange.objects.latest("seq").seq
    assert [list(k) for k in rows] == sorted([list(k) for k in rows])  # ordered by (code, period, metric)


def test_levels_and_codes_choose_the_divisions(tree):
    _tally("2026")
    api = _api(tree.users.api)

    def codes(**params):
        body = api.get(SERIES, {"metric": SHOULDER, "period": "2026", **params}).json()
        return [r["division"] for r in body["results"]]

    assert codes(division="411103103000") == ["411103103000", "411103103201", "411103103202"]
    assert codes(division="411103000000", level="villages") == [
        "411103000000", "411103102201", "411103103201", "411103103202",
    ]  # fmt: skip
    assert len(codes(division="411103000000", level="all")) == 1 + 2 + 3
    assert codes(codes="411103103202,411103102000") == ["411103102000", "411103103202"]


def test_json_pages_by_cursor_and_csv_and_xlsx_hold_the_same_table(tree):
    _tally("2026", "2026-01")
    api = _api(tree.users.api)
    params = {"metric": f"{SHOULDER},{CADRES}", "division": "411103000000", "level": "all", "period": "2026,2026-01"}
    whole = api.get(SERIES, params).json()["results"]
    assert len(whole) == 6 * 2 * 2
    paged, url, query = [], SERIES, {**params, "page_size": 5}
    while url:
        body = api.get(url, query).json()
        paged += body["results"]
        url, query = body["next"], None
    assert paged == whole
    response = api.get(SERIES, {**params, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv") and response.streaming
    lines = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert lines[0] == list(whole[0])
    assert lines[1:] == [["" if v is None else str(v) for v in row.values()] for row in whole]
    xlsx = api.get(SERIES, {**params, "format": "xlsx"})
    sheet = list(load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active.iter_rows(values_only=True))
    assert [list(r) for r in sheet[1:]] == [list(row.values()) for row in whole]
    assert response["X-Changes-Cursor"] == xlsx["X-Changes-Cursor"] == str(SnapshotChange.objects.latest("seq").seq)


def test_the_series_is_bounded_and_its_errors_are_named_field_by_field(tree):
    api = _api(tree.users.api)
    too_many = api.get(
        SERIES,
        {"metric": SHOULDER, "division": "411103000000", "period": "2000-01..2060-12"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert too_many.status_code == 400 and "At most 600" in too_many.json()["period"][0]
    bad = api.get(SERIES, {"metric": "no.such", "period": "2026-13", "level": "deep", "division": "411103000000"})
    assert bad.status_code == 400 and set(bad.json()) == {"metric", "period", "level"}
    # A bad parameter with format=csv is still told in JSON.
    csv_bad = api.get(SERIES, {"metric": "no.such", "division": "411103000000", "format": "csv"})
    assert csv_bad.status_code == 400 and csv_bad["Content-Type"].startswith("application/json")
    assert "metric" in csv_bad.json()
    assert api.get(SERIES, {"metric": SHOULDER, "division": "411103000000", "cursor": "nonsense"}).status_code == 400


def test_scope_holds_for_every_parameter(tree):
    _tally("2026")
    _tally("2026", county="340827000000")
    api = _api(tree.users.api)  # 郾城区 only
    base = {"metric": SHOULDER, "period": "2026"}
    outside = api.get(SERIES, {**base, "division": "340827000000"})
    unknown = api.get(SERIES, {**base, "division": "411103999000"})
    assert outside.status_code == unknown.status_code == 404 and outside.json() == unknown.json()
    outside = api.get(SERIES, {**base, "codes": "411103103201,340827100201"}).json()
    unknown = api.get(SERIES, {**base, "codes": "411103103201,411103999201"}).json()
    assert outside["codes"][0].replace("340827100201", "X") == unknown["codes"][0].replace("411103999201", "X")
    # A division above the scope: the same 404.
    assert api.get(SERIES, {**base, "division": "411100000000"}).status_code == 404
    # The change feed: out of scope is 404 like unknown, and without a division only the scope's rows come.
    assert (
        api.get(CHANGES, {"division": "340827000000"}).json() == api.get(CHANGES, {"division": "411103999000"}).json()
    )
    feed = api.get(CHANGES, {"since": 0}).json()
    assert feed["results"] and all(r["division"].startswith("411103") for r in feed["results"])


def test_a_campaign_outside_the_scope_is_no_such_campaign(tree, monkeypatch):
    from villages import metrics

    far = metrics.CampaignInfo(
        77, "望江县回头看", "340827000000", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31)
    )
    metrics.registry()
    monkeypatch.setattr(metrics, "_CAMPAIGN_SOURCE", lambda county_code=None, ids=None: [far] if 77 in ids else [])
    api = _api(tree.users.api)
    params = {"metric": "villages.village_count", "division": "411103000000"}
    outside = api.get(SERIES, {**params, "period": "C77"})
    unknown = api.get(SERIES, {**params, "period": "C78"})
    assert outside.status_code == unknown.status_code == 400
    assert outside.json()["period"][0].replace("C77", "C?") == unknown.json()["period"][0].replace("C78", "C?")
    # Someone in 望江县 names it.
    assert (
        _api(tree.users.petition).get(SERIES, {**params, "division": "340827000000", "period": "C77"}).status_code
        == 200
    )


def test_the_series_reads_in_a_constant_number_of_queries(tree):
    _tally("2026", "2026-01")
    api = _api(tree.users.api)
    params = {"metric": f"{SHOULDER},{CADRES}", "period": "2026,2026-01"}
    for division in ("411103103000", "411103000000"):  # the scopes, divisions and versions are cached now
        api.get(SERIES, {**params, "division": division})
    counts = []
    for division, level in (("411103103000", "children"), ("411103000000", "all")):
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(SERIES, {**params, "division": division, "level": level}).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 3, counts  # the scopes, the feed's end, the rows


# --- conditional requests -------------------------------------------------------------------------------------------


def test_an_unchanged_figure_answers_304_without_computing_and_a_moved_one_200(
    tree, monkeypatch, django_assert_max_num_queries
):
    _tally("2026")
    api = _api(tree.users.api)
    url = reverse("stats-metric", args=[CADRES])
    params = {"division": "411103000000", "period": "2026"}
    first = api.get(url, params)
    assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
    assert "private" in first["Cache-Control"] and "max-age=" in first["Cache-Control"]
    assert {"Accept-Language", "Authorization"} <= {v.strip() for v in first["Vary"].split(",")}

    def refuse(**kwargs):
        raise AssertionError("a 304 computes nothing")

    monkeypatch.setattr("villages.api.stats.figure_table", refuse)
    with django_assert_max_num_queries(2):  # the scopes and the division; the versions come from the cache
        again = api.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again["ETag"] == first["ETag"]
    since = api.get(url, params, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
    assert since.status_code == 304
    monkeypatch.setattr("villages.api.stats.figure_table", stats_module.figure_table)

    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))  # 梁庄村 loses a cadre
    _tally("2026")
    moved = api.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"])
    assert moved.status_code == 200 and moved["ETag"] != first["ETag"]
    assert moved.json()["division"]["numerator"] == first.json()["division"]["numerator"] - 1


def test_a_series_304_reads_only_the_versions(tree, django_assert_max_num_queries):
    _tally("2026", "2026-01")
    api = _api(tree.users.api)
    params = {"metric": f"{SHOULDER},{CADRES}", "division": "411103000000", "level": "all", "period": "2026,2026-01"}
    first = api.get(SERIES, params)
    assert first["Last-Modified"]
    with django_assert_max_num_queries(2):  # at most the scopes and the division; versions and rows: none
        assert api.get(SERIES, params, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert api.get(SERIES, params, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    # A tally of one of the periods that moved a figure: 200 again.
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))
    _tally("2026-01")
    assert api.get(SERIES, params, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def test_the_series_index_stars_and_watch_answer_304_on_their_etag(tree):
    _tally("2026")
    api = _api(tree.users.api)
    calls = [
        (SERIES, {"metric": CADRES, "division": "411103000000", "period": "2026"}),
        (reverse("stats-index"), {}),
        (reverse("stats-stars"), {"division": "411103000000", "year": "2026"}),
        (reverse("stats-watch"), {"division": "411103000000", "period": "2026"}),
    ]
    for url, params in calls:
        first = api.get(url, params)
        assert first.status_code == 200 and first["ETag"], url
        assert api.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304, url
        # Another language is another representation.
        assert api.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"], HTTP_ACCEPT_LANGUAGE="en").status_code == 200


def test_a_token_over_its_rate_gets_429_with_retry_after(tree, settings):
    settings.SHANZHI_STATS_RATE = "2/minute"
    api = _api(tree.users.api)
    answers = [api.get(reverse("stats-index")) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0


# --- the change feed ----------------------------------------------------------------------------------------------


def _snapshot_in(prefix="411103"):
    return {
        (s.division_code, s.period, s.metric): (s.numerator, s.denominator)
        for s in Snapshot.objects.filter(division_code__startswith=prefix)
    }


def _apply(copy, api, since, **params):
    while True:
        body = api.get(CHANGES, {"since": since, "limit": 7, **params}).json()
        for entry in body["results"]:
            key = (entry["division"], entry["period"], entry["metric"])
            if entry["removed"]:
                copy.pop(key, None)
            else:
                copy[key] = (entry["numerator"], entry["denominator"])
        since = body["next"]
        if not body["has_more"]:
            return since


def test_the_feed_replays_to_exactly_the_current_snapshot(tree):
    _tally("2026", "2026-01")
    api = _api(tree.users.api)
    copy = {}
    cursor = _apply(copy, api, 0)
    assert copy == _snapshot_in()
    # Nothing new: the feed is current and says so.
    body = api.get(CHANGES, {"since": cursor}).json()
    assert body == {"since": cursor, "next": cursor, "has_more": False, "results": []}
    # A tally that moves some figures, and a row that goes (a retired metric's).
    run = Snapshot.objects.filter(period="2026").first().run
    Snapshot.objects.create(
        division=tree.liangzhuang, division_code=tree.liangzhuang.code, period="2026", metric="zz.retired",
        numerator=1, run=run,
    )  # fmt: skip
    copy[(tree.liangzhuang.code, "2026", "zz.retired")] = (1, None)
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))
    _tally("2026")
    written = SnapshotChange.objects.filter(seq__gt=cursor)
    assert written.count() == 3 + 1  # three figures moved, one row went
    cursor = _apply(copy, api, cursor)
    assert copy == _snapshot_in()
    # From an empty copy, the whole log replays to the same.
    replayed = {}
    _apply(replayed, api, 0)
    assert replayed == _snapshot_in()
    # Filters: one division's subtree, one metric.
    part = {}
    _apply(part, api, 0, division="411103103000", metric=CADRES)
    assert part == {k: v for k, v in _snapshot_in("411103103").items() if k[2] == CADRES}


def test_compaction_keeps_the_last_entry_of_each_key_and_the_replay_whole(tree):
    from villages.snapshots import compact_change_log

    _tally("2026")
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))
    _tally("2026")
    api = _api(tree.users.api)
    before = SnapshotChange.objects.count()
    assert compact_change_log() == 3  # the three figures written twice
    assert SnapshotChange.objects.count() == before - 3 == Snapshot.objects.filter(period="2026").count()
    copy = {}
    _apply(copy, api, 0)
    assert copy == _snapshot_in()
    assert compact_change_log() == 0


def test_an_unchanged_tally_writes_nothing_to_the_log(tree):
    _tally("2026")
    before = SnapshotChange.objects.count()
    _tally("2026")
    assert SnapshotChange.objects.count() == before > 0


def test_a_tally_that_changed_nothing_keeps_the_etag_and_one_that_moved_a_figure_moves_it(tree):
    _tally("2026")
    api = _api(scoped_user("t_province_api", tree.henan, Role.API_CLIENT))
    calls = [
        (SERIES, {"metric": CADRES, "division": "411103000000", "level": "all", "period": "2026"}),
        (reverse("stats-metric", args=[CADRES]), {"division": "411103000000", "period": "2026"}),
        (SERIES, {"metric": CADRES, "codes": "410000000000,411103103201", "period": "2026"}),  # above a county
    ]
    first = [api.get(url, params) for url, params in calls]
    _tally("2026")  # the same data: a new run that writes nothing
    for (url, params), answer in zip(calls, first, strict=True):
        again = api.get(url, params, HTTP_IF_NONE_MATCH=answer["ETag"])
        assert again.status_code == 304, (url, params)
        assert api.get(url, params, HTTP_IF_MODIFIED_SINCE=answer["Last-Modified"]).status_code == 304
    assert api.get(*calls[1]).json()["snapshot"] == first[1].json()["snapshot"]
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))
    _tally("2026")
    for (url, params), answer in zip(calls, first, strict=True):
        assert api.get(url, params, HTTP_IF_NONE_MATCH=answer["ETag"]).status_code == 200, (url, params)


def test_petitions_and_reviews_statistics_answer_304_until_the_county_changes(tree):
    api = _api(tree.users.county)
    url, params = reverse("stats-petitions"), {"division": "411103000000", "period": "2026"}
    first = api.get(url, params)
    assert first.status_code == 200 and first["ETag"] and first.json()["rule_version"]
    assert "private" in first["Cache-Control"]
    assert api.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    reviews = api.get(reverse("stats-reviews"), {"division": "411103000000", "campaign": "999"})
    assert reviews.status_code == 404
    Post.objects.get(pk=tree.member.pk).save()  # a write in the county moves its data version on commit
    stats_module.bump_data_version("411103000000")  # (the test's transaction never commits)
    assert api.get(url, params, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
