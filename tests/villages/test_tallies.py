import datetime

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from villages import metrics, recompute, snapshots
from villages.metrics import Figure, Period
from villages.models import Cadre, Post, Snapshot, TallyRequest, TallyRun
from villages.snapshots import (
    prune_done_requests,
    queued_runs_key,
    recompute_after_change,
    request_recompute,
    tally_county,
)


def _rows(county_prefix="411103", period="2026"):
    return sorted(
        Snapshot.objects.filter(division_code__startswith=county_prefix, period=period).values_list(
            "division_code", "metric", "numerator", "denominator", "inputs"
        )
    )


def _figure(code, metric, period="2026"):
    s = Snapshot.objects.get(division_code=code, metric=metric, period=period)
    return s.numerator, s.denominator


@pytest.mark.parametrize(
    ("key", "start", "end"),
    [
        ("2026", datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)),
        ("2026-12", datetime.date(2026, 12, 1), datetime.date(2027, 1, 1)),
        ("2024-02", datetime.date(2024, 2, 1), datetime.date(2024, 3, 1)),
        ("2025-02", datetime.date(2025, 2, 1), datetime.date(2025, 3, 1)),
    ],
)
def test_periods_end_at_shanghai_midnight(key, start, end):
    period = Period.parse(key)
    assert (period.start, period.end) == (start, end)
    assert period.end_at.utcoffset() == datetime.timedelta(hours=8)
    assert str(period.end_at) == f"{end.isoformat()} 00:00:00+08:00"


@pytest.mark.parametrize("bad", ["26", "2026-13", "2026-1", "2026/11", ""])
def test_bad_periods_are_refused(bad):
    with pytest.raises(ValueError):
        Period.parse(bad)


def test_previous_period():
    assert Period.parse("2026-01").previous.key == "2025-12"
    assert Period.parse("2026").previous.key == "2025"


def test_tally_writes_every_division_and_matches_direct_counts(tree):
    run = tally_county(county_code="411103000000", period="2026")
    assert run.status == TallyRun.Status.SUCCEEDED and run.finished_at and run.rule_version
    # Cadres with a current post, counted by hand from the fixture: 梁绍正, 梁明 (梁庄村), 王立 (王庄村), 郭中凡.
    assert _figure("411103103201", "villages.cadres_in_office") == (2, None)
    assert _figure("411103103000", "villages.cadres_in_office") == (3, None)
    assert _figure("411103000000", "villages.cadres_in_office") == (4, None)
    # Only 梁庄村's secretary also chairs the villagers' committee.
    assert _figure("411103103000", "villages.one_shoulder") == (1, 2)
    assert _figure("411103000000", "villages.one_shoulder") == (1, 3)
    # Every division of the county has every metric, zero where nothing happened.
    codes = {s for s, *_ in _rows()}
    assert codes == {"411103000000", "411103102000", "411103103000", "411103103201", "411103103202", "411103102201"}
    assert not Snapshot.objects.filter(division_code__startswith="340827").exists()
    assert run.rows_written == len(_rows())


def test_the_same_input_gives_identical_rows(tree):
    tally_county(county_code="411103000000", period="2026")
    first = _rows()
    tally_county(county_code="411103000000", period="2026")
    assert _rows() == first
    assert TallyRun.objects.filter(status="succeeded").count() == 2


def test_a_failed_tally_leaves_the_previous_snapshot_whole(tree, monkeypatch):
    tally_county(county_code="411103000000", period="2026")
    before = _rows()
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))

    def broken(county, period):
        raise RuntimeError("disk full")

    broken_registry = {**metrics.registry(), "zz.broken": metrics.Metric("zz.broken", "x", "x", "count", broken)}
    monkeypatch.setattr("villages.snapshots.registry", lambda: broken_registry)
    with pytest.raises(RuntimeError):
        tally_county(county_code="411103000000", period="2026")
    assert _rows() == before
    failed = TallyRun.objects.get(status="failed")
    assert "disk full" in failed.error and failed.finished_at


def test_month_period_counts_what_held_at_its_end(tree):
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2026, 6, 15))
    tally_county(county_code="411103000000", period="2026-05")
    tally_county(county_code="411103000000", period="2026-07")
    assert _figure("411103103201", "villages.cadres_in_office", "2026-05") == (2, None)
    assert _figure("411103103201", "villages.cadres_in_office", "2026-07") == (1, None)


def test_recompute_is_published_only_on_commit(tree, django_capture_on_commit_callbacks):
    before = TallyRequest.objects.count()  # the fixture's own writes asked for their county (villages.recompute)
    with django_capture_on_commit_callbacks() as callbacks:
        try:
            with transaction.atomic():
                request_recompute(county_code="411103000000", period="2026")
                raise RuntimeError("the save failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert TallyRequest.objects.count() == before
    with django_capture_on_commit_callbacks() as callbacks:
        request = request_recompute(county_code="411103000000", period="2026")
    assert len(callbacks) == 1
    assert TallyRequest.objects.count() == before + 1
    assert TallyRequest.objects.get(pk=request.pk).done_at is None


def test_a_tally_answers_the_requests_made_before_it(tree):
    request = request_recompute(county_code="411103103201", period="2026")  # any code in the county will do
    assert request.county == tree.yc
    tally_county(county_code="411103000000", period="2026")
    request.refresh_from_db()
    assert request.done_at is not None


def test_requests_answered_over_a_week_ago_are_pruned_in_batches(tree):
    now = timezone.now()
    old = [now - datetime.timedelta(days=8 + i) for i in range(3)]
    rows = [TallyRequest(county=tree.yc, period="2026", requested_at=at, done_at=at) for at in old]
    rows += [
        TallyRequest(county=tree.yc, period="2026", requested_at=now - datetime.timedelta(days=9)),  # never answered
        TallyRequest(county=tree.yc, period="2026", done_at=now - datetime.timedelta(days=6)),  # answered lately
    ]
    TallyRequest.objects.all().delete()  # the fixture's writes asked for their county too
    TallyRequest.objects.bulk_create(rows)
    assert prune_done_requests(batch=2) == 2
    assert prune_done_requests(batch=2) == 1
    assert prune_done_requests() == 0
    left = TallyRequest.objects.order_by("requested_at")
    assert [r.done_at is None for r in left] == [True, False]


def test_figures_keep_their_inputs():
    grouped = {"411103000000": {"a": 3, "b": 4, "note": "x"}}
    assert metrics.figures(grouped, "a", "b", inputs=["note"]) == {"411103000000": Figure(3, 4, {"note": "x"})}


def test_a_rollup_runs_one_statement_per_level_with_its_prefix_length(tree):
    """Compiled once, run three times: each statement gets its own level's length, and the ORM's conversions."""
    county = tree.yc
    aggregates = {"n": Count("pk"), "s": Sum("pk"), "h": Sum("division__households")}
    with CaptureQueriesContext(connection) as captured:
        grouped = metrics.rollup(Cadre.objects.all(), "division__code", county, **aggregates)
    assert len(captured) == 3
    assert [f", {n})" in q["sql"] for q, n in zip(captured, (6, 9, 12), strict=True)] == [True, True, True]
    assert grouped["411103000000"]["n"] == Cadre.objects.filter(division__code__startswith="411103").count()
    # The same values, of the same types, as a queryset per level gives.
    by_queryset = metrics._rollup_by_level(
        Cadre.objects.filter(division__code__startswith="411103"), "division__code", aggregates
    )
    assert grouped == by_queryset

    def types(found):
        return {code: {k: type(v) for k, v in row.items()} for code, row in found.items()}

    assert types(grouped) == types(by_queryset)
    assert set(grouped) >= {"411103000000", "411103103000", "411103103201"}
    assert metrics.rollup(Cadre.objects.none(), "division__code", county, n=Count("pk")) == {}
    assert metrics.rollup(Cadre.objects.filter(pk__in=[]), "division__code", county, n=Count("pk")) == {}


@pytest.mark.skipif(not settings.CELERY_BROKER_URL.startswith("redis"), reason="needs the real broker (REDIS_URL)")
def test_many_changes_in_a_minute_give_one_run_per_period(tree, django_capture_on_commit_callbacks):
    """Five saves, each committed on its own: the first queues its county's runs a minute ahead, the others
    ride on them. Counted in the broker's own queue (the real Redis), not by stubbing the publisher."""
    import json
    from collections import Counter

    import redis

    queue = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    name = settings.SHANZHI_QUEUES["tallies"]  # config/queues.py: a tally goes to the tallies queue

    def ours():
        found = []
        for raw in queue.lrange(name, 0, -1):
            headers = json.loads(raw).get("headers", {})
            if headers.get("task") == "villages.tally_county" and "340827000000" in headers.get("argsrepr", ""):
                found.append(headers["argsrepr"])
        return found

    forget_asked()
    TallyRequest.objects.filter(county=tree.wj).delete()  # the fixture's, never published (never committed)
    before = ours()
    publishes = []
    for turn in range(5):
        if turn == 3:
            cache.delete(queued_runs_key("340827000000"))  # the marks are lost: the database still knows of the runs
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            recompute_after_change(division_code="340827100201")  # 江边村, in 望江县
        publishes.append(sum(1 for c in callbacks if isinstance(c, snapshots._Asked) and c.ids))
    # The first change publishes after its commit; the next ones know the runs are queued and ride on them in
    # their own insert; after the marks were lost, one change asks the database again.
    assert publishes == [1, 0, 0, 1, 0]
    requests = TallyRequest.objects.filter(county=tree.wj)
    periods = set(requests.values_list("period", flat=True))
    assert requests.count() == 5 * len(periods)
    assert requests.filter(published_at__isnull=True).count() == 0
    assert requests.values("published_at").distinct().count() == 1  # every request rides on the first runs
    new = Counter(ours()) - Counter(before)
    assert new == Counter(f"('340827000000', '{p}')" for p in periods)
    # The runs answer every request made before they start.
    for period in periods:
        tally_county(county_code="340827000000", period=period)
    assert not TallyRequest.objects.filter(county=tree.wj, done_at__isnull=True).exists()


def forget_asked():
    """The test's whole body is one transaction: forget what the fixture's writes asked for (after a real commit
    nothing of it is left), so that the test's own change asks again."""
    connection.run_on_commit = [c for c in connection.run_on_commit if not isinstance(c[1], snapshots._Asked)]


def test_a_change_in_the_embedded_set_up_goes_to_the_runner_after_commit(
    tree, settings, django_capture_on_commit_callbacks, monkeypatch
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    scheduled = []
    monkeypatch.setattr(recompute.runner, "schedule", lambda county, periods, **kw: scheduled.append((county, periods)))
    forget_asked()
    with django_capture_on_commit_callbacks() as callbacks:
        requests = recompute_after_change(division_code="411103103201")
        assert recompute_after_change(division_code="411103103202") == []  # once per transaction and county
    assert scheduled == []  # nothing before the commit, and never in the request itself
    assert Period.current_year().key in {r.period for r in requests}
    assert all(r.done_at is None for r in requests)
    for callback in callbacks:
        callback()
    assert scheduled == [("411103000000", {r.period for r in requests})]


# --- only what changed is written ------------------------------------------------------------------------------


def _ids(county_prefix="411103", period="2026"):
    rows = Snapshot.objects.filter(division_code__startswith=county_prefix, period=period)
    return {
        (code, metric): (pk, run)
        for pk, code, metric, run in rows.values_list("pk", "division_code", "metric", "run_id")
    }


def test_a_repeated_tally_rewrites_no_unchanged_row(tree):
    first_run = tally_county(county_code="411103000000", period="2026")
    before, rows = _ids(), _rows()
    # The tally's own statements, apart from the metrics' (those depend on which apps are installed).
    own = []
    with metrics.watching_metrics() as in_metric:

        def record(execute, sql, params, many, context):
            if not in_metric():
                own.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            second_run = tally_county(county_code="411103000000", period="2026")
    assert _ids() == before  # same ids: not deleted and inserted again
    assert {run for _pk, run in before.values()} == {first_run.pk}  # the run that computed each figure
    assert _rows() == rows and second_run.rows_written == 0
    writes = [sql for sql in own if sql.lstrip().upper().startswith(("DELETE", "COPY", "INSERT", "UPDATE"))]
    assert not [sql for sql in writes if "villages_snapshot" in sql or "villages_starproposal" in sql], writes
    # The county, the run, its requests, a savepoint, the lock, the divisions, the last run's digest and the
    # count of stored rows (the figures found the same: the snapshot is not read back), the star rules (2
    # statements), the villages, the county's division ids, the existing proposals, the run's end, the release:
    # whatever the county's size.
    assert len(own) <= 15, "\n".join(own)
    assert second_run.digest == first_run.digest != ""
    assert not [sql for sql in own if 'FROM "villages_snapshot"' in sql and "COUNT(*)" not in sql]


def test_the_snapshot_is_compared_again_when_the_last_run_cannot_vouch_for_it(tree):
    first_run = tally_county(county_code="411103000000", period="2026")
    rows = _rows()
    # A row went (its division deleted, say): the count no longer matches, the rows are compared and it comes back.
    Snapshot.objects.filter(division_code="411103103201", metric="villages.cadres_in_office", period="2026").delete()
    tally_county(county_code="411103000000", period="2026")
    assert _rows() == rows
    # The last run was under other rules: its rows are written again, even with the same figures.
    TallyRun.objects.exclude(pk=first_run.pk).update(rule_version="old")
    TallyRun.objects.filter(pk=first_run.pk).update(rule_version="old")
    third = tally_county(county_code="411103000000", period="2026")
    assert set(Snapshot.objects.filter(division_code__startswith="411103").values_list("run", flat=True)) == {third.pk}
    assert _rows() == rows


def test_a_changed_figure_is_replaced_and_the_rest_kept(tree):
    first_run = tally_county(county_code="411103000000", period="2026")
    before = _ids()
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))  # 梁庄村 loses a cadre
    second_run = tally_county(county_code="411103000000", period="2026")
    after = _ids()
    assert after.keys() == before.keys()
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {
        ("411103103201", "villages.cadres_in_office"),
        ("411103103000", "villages.cadres_in_office"),
        ("411103000000", "villages.cadres_in_office"),
    }
    assert {after[k][1] for k in changed} == {second_run.pk}
    assert {after[k][1] for k in after.keys() - changed} == {first_run.pk}
    assert _figure("411103103201", "villages.cadres_in_office") == (1, None)
    assert _figure("411103000000", "villages.cadres_in_office") == (3, None)


def test_only_the_metrics_whose_figures_moved_are_read_back_and_written(tree):
    first_run = tally_county(county_code="411103000000", period="2026")
    assert set(first_run.part_digests) >= {"villages.cadres_in_office", "villages.one_shoulder"}
    Post.objects.filter(pk=tree.member.pk).update(end_date=datetime.date(2024, 1, 1))  # 梁庄村 loses a cadre
    with CaptureQueriesContext(connection) as ctx:
        second_run = tally_county(county_code="411103000000", period="2026")
    reads = [
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT") and '"villages_snapshot"' in q["sql"]
    ]
    back = [sql for sql in reads if "COUNT(*)" not in sql]
    assert len(back) == 1 and "'villages.cadres_in_office'" in back[0], back
    moved = {k for k, v in second_run.part_digests.items() if first_run.part_digests.get(k) != v}
    assert "villages.cadres_in_office" in moved and "villages.one_shoulder" not in moved
    assert second_run.rows_written == 3  # 梁庄村, its township and the county
    assert _figure("411103103201", "villages.cadres_in_office") == (1, None)


def test_rows_no_longer_computed_are_deleted(tree):
    run = tally_county(county_code="411103000000", period="2026")
    stray = Snapshot.objects.create(
        division=tree.liangzhuang, division_code=tree.liangzhuang.code, period="2026", metric="zz.retired",
        numerator=1, run=run,
    )  # fmt: skip
    other_period = Snapshot.objects.create(
        division=tree.liangzhuang, division_code=tree.liangzhuang.code, period="2025", metric="zz.retired",
        numerator=1, run=run,
    )  # fmt: skip
    tally_county(county_code="411103000000", period="2026")
    assert not Snapshot.objects.filter(pk=stray.pk).exists()
    assert Snapshot.objects.filter(pk=other_period.pk).exists()  # another period is not this tally's


def test_rows_computed_under_other_rules_are_rewritten(tree):
    first_run = tally_county(county_code="411103000000", period="2026")
    rows = _rows()
    TallyRun.objects.filter(pk=first_run.pk).update(rule_version="2025.9")
    second_run = tally_county(county_code="411103000000", period="2026")
    assert {run for _pk, run in _ids().values()} == {second_run.pk}
    assert _rows() == rows


def test_inputs_are_compared_with_their_types(tree, monkeypatch):
    """1, 1.0 and true are different inputs: a change of type rewrites the row."""
    kinds = iter([1, 1, 1.0, True])

    def typed(county, period):
        return {county.code: Figure(1, None, {"x": next(kinds)})}

    registry = {**metrics.registry(), "zz.typed": metrics.Metric("zz.typed", "x", "x", "count", typed)}
    monkeypatch.setattr("villages.snapshots.registry", lambda: registry)
    seen = []
    for _ in range(4):
        tally_county(county_code="411103000000", period="2026")
        row = Snapshot.objects.get(division_code="411103000000", metric="zz.typed", period="2026")
        seen.append((row.pk, row.inputs["x"]))
    assert seen[1][0] == seen[0][0]  # 1 then 1: kept
    assert seen[2][0] != seen[1][0] and isinstance(seen[2][1], float)
    assert seen[3][0] != seen[2][0] and seen[3][1] is True


def test_inputs_in_any_key_order_and_nested_are_kept_when_equal(tree, monkeypatch):
    """The stored jsonb text is compared without parsing it: keys in any order, nesting and non-ASCII text give
    the same row back (kept), and a changed nested value rewrites it."""
    values = iter(
        [
            {"zeta": 1, "a": [1, 2.5, {"yy": "梁庄", "x": None}], "mm": True},
            {"mm": True, "a": [1, 2.5, {"x": None, "yy": "梁庄"}], "zeta": 1},
            {"mm": True, "a": [1, 2.5, {"x": None, "yy": "王庄"}], "zeta": 1},
        ]
    )

    def nested(county, period):
        return {county.code: Figure(1, None, next(values))}

    registry = {**metrics.registry(), "zz.nested": metrics.Metric("zz.nested", "x", "x", "count", nested)}
    monkeypatch.setattr("villages.snapshots.registry", lambda: registry)
    seen = []
    for _ in range(3):
        tally_county(county_code="411103000000", period="2026")
        row = Snapshot.objects.get(division_code="411103000000", metric="zz.nested", period="2026")
        seen.append((row.pk, row.inputs["a"][2]["yy"]))
    assert seen[1] == seen[0]
    assert seen[2][0] != seen[1][0] and seen[2][1] == "王庄"
