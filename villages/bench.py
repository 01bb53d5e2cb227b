"""The division tree, cadres and posts, and the benchmark's accounts (``manage.py bench_data``); the tally,
dashboard and statistics measurements (``manage.py bench``)."""

import datetime
import json
import time
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password

from .benchkit import (
    BENCH_PASSWORD,
    DATA_YEAR,
    SCALES,
    Context,
    Result,
    Run,
    copy_rows,
    gunicorn,
    holds,
    id_number,
    load,
    median,
    phone,
    reset_sequences,
    run_child,
    spread,
    timed_pair,
    worker_peaks_mb,
)
from .choices import Committee, DivisionKind, Level, PostTitle, Role
from .models import Cadre, Division, Post, Snapshot, UserScope
from .scopes import forget_cached_scopes

VALID_FROM = datetime.date(2020, 1, 1)
POST_START = datetime.date(2021, 3, 1)
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
_GIVEN = "建国志强秀英桂兰海燕俊杰玉梅红霞明华文静"
# One village's committees: (committee, title) per cadre; the first cadre holds two posts (一肩挑).
_COMMITTEE = [
    [(Committee.PARTY, PostTitle.SECRETARY), (Committee.VILLAGERS, PostTitle.CHAIR)],
    [(Committee.PARTY, PostTitle.DEPUTY_SECRETARY)],
    [(Committee.PARTY, PostTitle.MEMBER), (Committee.VILLAGERS, PostTitle.DEPUTY_CHAIR)],
    [(Committee.VILLAGERS, PostTitle.MEMBER)],
    [(Committee.SUPERVISION, PostTitle.SUPERVISION_CHAIR)],
]
# The accounts the measurements use, all on the first county (or its first township and village).
ACCOUNTS = {
    "bench_county": Role.COUNTY_OFFICIAL,
    "bench_township": Role.TOWNSHIP_STAFF,
    "bench_village": Role.VILLAGE_SECRETARY,
    "bench_petition": Role.PETITION_OFFICER,
    "bench_api": Role.API_CLIENT,
}


def person(n: int) -> str:
    return _SURNAMES[n % len(_SURNAMES)] + _GIVEN[(n // 20) % len(_GIVEN)] + _GIVEN[(n // 400) % len(_GIVEN)]


def generate(ctx: Context) -> dict:
    c = ctx.counts
    rng = ctx.rng("villages")
    rows = []  # (id, code, name, level, kind, parent id, households)
    next_id = iter(range(1, 10**9))

    def add(code, name, level, kind, parent, households=None):
        pk = next(next_id)
        rows.append((pk, code, name, level, kind, parent, VALID_FROM, households))
        return pk

    province = add("410000000000", "河南省", Level.PROVINCE, DivisionKind.PROVINCE, None)
    per_city = 10
    township_counts = spread(c["townships"], c["counties"])
    village_counts = spread(c["villages"], c["townships"])
    household_share = c["households"] // c["villages"]
    city_id = None
    t_index = 0
    for k in range(c["counties"]):
        if k % per_city == 0:
            city_code = f"41{k // per_city + 1:02d}"
            city_id = add(city_code.ljust(12, "0"), f"第{k // per_city + 1}市", Level.CITY, DivisionKind.CITY, province)
        county_code = f"{city_code}{k % per_city + 1:02d}"
        county_id = add(county_code.ljust(12, "0"), f"第{k + 1}县", Level.COUNTY, DivisionKind.COUNTY, city_id)
        ctx.counties.append((county_id, county_code.ljust(12, "0")))
        for t in range(township_counts[k]):
            township_code = f"{county_code}{t + 1:03d}"
            kind = DivisionKind.SUBDISTRICT if t == 0 else DivisionKind.TOWN
            township_id = add(township_code.ljust(12, "0"), f"第{t + 1}镇", Level.TOWNSHIP, kind, county_id)
            ctx.townships.append((township_id, township_code.ljust(12, "0"), k))
            for v in range(village_counts[t_index]):
                code = f"{township_code}{201 + v:03d}"
                kind = DivisionKind.COMMUNITY if (t == 0 and v % 2 == 0) else DivisionKind.VILLAGE
                name = f"第{v + 1}{'社区' if kind == DivisionKind.COMMUNITY else '村'}"
                pk = add(code, name, Level.VILLAGE, kind, township_id, household_share + rng.randint(-20, 20))
                ctx.villages.append((pk, code, t_index, k))
            t_index += 1
    copy_rows(
        Division,
        ["id", "code", "name", "level", "kind", "parent_id", "valid_from", "households"],
        rows,
    )

    cadres, posts = [], []
    cadre_id = post_id = 0
    for pk, code, _t, _k in ctx.villages:
        for position, held in enumerate(_COMMITTEE):
            cadre_id += 1
            gender = "female" if position == 3 else "male"
            cadres.append(
                (
                    cadre_id, pk, person(cadre_id), gender, datetime.date(1970 + cadre_id % 25, 1 + cadre_id % 12, 1),
                    "senior", position < 3, f"{code}党支部" if position < 3 else "", phone(cadre_id),
                    id_number(code[:6], cadre_id), 2021, True,
                )
            )  # fmt: skip
            for committee, title in held:
                post_id += 1
                posts.append((post_id, cadre_id, pk, committee, title, POST_START))
    copy_rows(
        Cadre,
        [
            "id", "division_id", "name", "gender", "birth_date", "education", "is_party_member", "party_branch",
            "phone", "id_number", "term_start_year", "active",
        ],
        cadres,
    )  # fmt: skip
    copy_rows(Post, ["id", "cadre_id", "division_id", "committee", "title", "start_date"], posts)
    reset_sequences([Division, Cadre, Post])
    _accounts(ctx)
    return {"divisions": len(rows), "villages": len(ctx.villages), "cadres": len(cadres), "posts": len(posts)}


def _accounts(ctx: Context) -> None:
    user_model = get_user_model()
    password = make_password(BENCH_PASSWORD)
    county, township, village = ctx.counties[0], ctx.townships[0], ctx.villages[0]
    where = {
        Role.COUNTY_OFFICIAL: county[0],
        Role.TOWNSHIP_STAFF: township[0],
        Role.VILLAGE_SECRETARY: village[0],
        Role.PETITION_OFFICER: county[0],
        Role.API_CLIENT: county[0],
    }
    users = user_model.objects.bulk_create(
        [user_model(username=name, first_name=name, password=password) for name in ACCOUNTS]
    )
    UserScope.objects.bulk_create(
        [UserScope(user=u, division_id=where[ACCOUNTS[u.username]], role=ACCOUNTS[u.username]) for u in users]
    )
    forget_cached_scopes([u.pk for u in users])  # a bulk insert sends no signal
    ctx.users = {u.username: u.pk for u in users}


def counts() -> dict:
    return {
        "counties": Division.objects.filter(level=Level.COUNTY).count(),
        "townships": Division.objects.filter(level=Level.TOWNSHIP).count(),
        "villages": Division.objects.filter(level=Level.VILLAGE).count(),
    }


# --- measurements (``manage.py bench``) ------------------------------------------------------------------------


def _county_codes() -> list[str]:
    return list(Division.objects.filter(level=Level.COUNTY).order_by("code").values_list("code", flat=True))


def _timed_tallies(codes: list[str], period: str) -> tuple[float, int]:
    """The seconds to tally every county, and how many counties' figures moved (rows written)."""
    from .snapshots import tally_county

    started = time.perf_counter()
    moved = sum(tally_county(county_code=code, period=period).rows_written > 0 for code in codes)
    return time.perf_counter() - started, moved


def child_tally(*, period: str, reps: int) -> dict:
    """In its own process: the full tally (every metric, every level, every county, one period) against the
    floor, which runs the same aggregate SQL directly on the cursor and only fetches the rows: no ORM, no
    Figures, no snapshot writes, no star proposals. The floor's statements are those the metrics issued during
    the first tally (captured there, so the province is not computed an extra time)."""
    from django.db import connection

    from . import metrics

    codes = _county_codes()
    captured: list[tuple[str, tuple]] = []

    def tally_all(*, capturing: bool) -> tuple[float, int]:
        if not capturing:
            return _timed_tallies(codes, period)
        with metrics.watching_metrics() as in_metric:

            def capture(execute, sql, params, many, context):
                if in_metric() and sql.lstrip().upper().startswith("SELECT"):
                    captured.append((sql, params))
                return execute(sql, params, many, context)

            with connection.execute_wrapper(capture):
                return _timed_tallies(codes, period)

    # The key measures the tally as beat runs it, over the snapshot a previous tally left. On data never tallied
    # the first tally (which writes every row) runs first, timed and reported on its own, and captures the floor.
    first_s = None
    if not Snapshot.objects.filter(period=period).exists():
        first_s, _moved = tally_all(capturing=True)
    tally_times, floor_times, moved = [], [], []
    for rep in range(reps):
        seconds, counties = tally_all(capturing=rep == 0 and first_s is None)
        tally_times.append(seconds)
        moved.append(counties)
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for sql, params in captured:
                cursor.execute(sql, params)
                cursor.fetchall()
        floor_times.append(time.perf_counter() - started)
    return {
        "tally_s": median(tally_times),
        "floor_s": median(floor_times),
        "first_s": first_s,
        "queries": len(captured),
        "counties": len(codes),
        "moved": moved,
    }


def measure_tally(run: Run) -> list[Result]:
    run.say(f"tally: {run.tally_reps} full tallies and floors in a child process …")
    out = run_child("villages.tally", period=str(DATA_YEAR), reps=run.tally_reps)
    ratio = out["tally_s"] / out["floor_s"]
    detail = f"tally {out['tally_s']:.2f} s, floor {out['floor_s']:.2f} s ({out['queries']} aggregate queries)"
    moved = ", ".join(str(n) for n in out["moved"])
    detail += f"; counties whose figures moved since the tally before, each run: {moved} of {out['counties']}"
    if out.get("first_s"):
        first = out["first_s"]
        detail += f"; the first tally of the data, writing every row: {first:.2f} s ({first / out['floor_s']:.2f}×)"
    peak_target = 500
    return [
        Result("tally_vs_floor", round(ratio, 2), "<= 1.5", holds(ratio, "<=", 1.5), detail),
        Result(
            "tally_peak_mb",
            round(out["peak_mb"]),
            f"<= {peak_target} (at province)",
            holds(out["peak_mb"], "<=", peak_target),
            f"peak resident memory of the tally process ({run.scale})",
        ),
    ]


def measure_stats_api(run: Run) -> list[Result]:
    from django.urls import reverse

    from .metrics import registry
    from .services import api_token_create

    county = _county_codes()[0]
    key = next(iter(registry()))
    _token, raw = api_token_create(user=get_user_model().objects.get(username="bench_api"))
    api = f"{reverse('stats-metric', args=[key])}?division={county}&period={DATA_YEAR}"
    bare = f"/bench/bare/snapshot/?metric={key}&period={DATA_YEAR}&division={county}"
    headers = {"Authorization": f"Token {raw}", "Accept": "application/json"}
    api_rates, bare_rates = [], []
    run.say(f"stats API: gunicorn on 127.0.0.1:{run.port}, {run.http_rounds} rounds of {run.http_requests} requests")
    with gunicorn(run.port):
        load(run.port, api, requests=20, headers=headers)  # warm both workers and the cache
        load(run.port, bare, requests=20)
        for _ in range(run.http_rounds):
            api_rates.append(load(run.port, api, requests=run.http_requests, headers=headers))
            bare_rates.append(load(run.port, bare, requests=run.http_requests))
    ratio = median(api_rates) / median(bare_rates)
    detail = f"{median(api_rates):.0f} req/s against {median(bare_rates):.0f} req/s ({key})"
    return [Result("stats_api_vs_bare", round(ratio, 2), ">= 0.5", holds(ratio, ">=", 0.5), detail)]


SERIES_METRICS = 3
SERIES_ACCOUNT = "bench_api_province"


def _series_setup(run: Run) -> tuple[list[str], str, str]:
    """Three statistics tallied per month, every county tallied for each month of the data's year (once: the bench
    database keeps them), and an API client scoped to the province."""
    from .metrics import registry
    from .snapshots import tally_county

    metrics = [key for key, spec in registry().items() if "month" in spec.periods][:SERIES_METRICS]
    months = [f"{DATA_YEAR}-{m:02d}" for m in range(1, 13)]
    done = set(Snapshot.objects.filter(period__in=months).values_list("division_code", "period").distinct())
    missing = [(c, m) for c in _county_codes() for m in months if (c, m) not in done]
    if missing:
        run.say(f"series: tallying {len(missing)} county months first (kept in the bench database) …")
        for code, month in missing:
            tally_county(county_code=code, period=month)
    province = Division.objects.get(level=Level.PROVINCE)
    user, created = get_user_model().objects.get_or_create(username=SERIES_ACCOUNT)
    if created:
        UserScope.objects.create(user=user, division=province, role=Role.API_CLIENT)
        forget_cached_scopes([user.pk])
    return metrics, months, province.code


def _read_csv(port: int, path: str, headers: dict) -> tuple[int, float]:
    """GET a CSV answer, streamed: its rows (lines but the header) and the seconds to the last byte."""
    import http.client

    started = time.perf_counter()
    connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection_.request("GET", path, headers=headers)
    response = connection_.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {response.read()[:300]!r}")
    lines = 0
    while chunk := response.read(1 << 16):
        lines += chunk.count(b"\n")
    connection_.close()
    return lines - 1, time.perf_counter() - started


def _copy_floor(metrics: list[str], months: list[str], prefix: str) -> tuple[int, float]:
    """The same rows (columns, order, rate) copied straight out of PostgreSQL: ``COPY (SELECT …) TO STDOUT``."""
    from django.db import connection

    from .models import TallyRun

    q = connection.ops.quote_name
    snap, division, run_table = q(Snapshot._meta.db_table), q(Division._meta.db_table), q(TallyRun._meta.db_table)
    sql = f"""
        COPY (
            SELECT s.division_code, d.name, s.period, s.metric, s.numerator, s.denominator,
                   CASE WHEN s.denominator > 0 THEN round(s.numerator::numeric / s.denominator, 4) END,
                   r.finished_at, r.rule_version
            FROM {snap} s JOIN {division} d ON d.id = s.division_id JOIN {run_table} r ON r.id = s.run_id
            WHERE s.metric = ANY(%s) AND s.period = ANY(%s) AND s.division_code LIKE %s AND d.level = 'village'
            ORDER BY s.division_code, s.period, s.metric
        ) TO STDOUT WITH CSV HEADER
    """  # noqa: S608 (table names quoted by the backend; values are parameters)

    class Sink:
        lines = 0

        def write(self, data):
            self.lines += (data if isinstance(data, bytes) else data.encode()).count(b"\n")

    sink = Sink()
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(cursor.mogrify(sql, [metrics, months, prefix + "%"]).decode(), sink)
    return sink.lines - 1, time.perf_counter() - started


def measure_series(run: Run) -> list[Result]:
    """The series as CSV for every village of the province × 12 months × 3 statistics, through gunicorn with a
    token, in rows per second, against the same rows copied straight out of PostgreSQL in the same run; and the
    workers' peak memory after it against after a series of one county (flat in the number of rows)."""
    from django.urls import reverse

    from .services import api_token_create

    metrics, months, province = _series_setup(run)
    _token, raw = api_token_create(user=get_user_model().objects.get(username=SERIES_ACCOUNT))
    headers = {"Authorization": f"Token {raw}"}
    query = f"metric={','.join(metrics)}&period={months[0]}..{months[-1]}&format=csv&level=villages"
    big = f"{reverse('stats-series')}?{query}&division={province}"
    small = f"{reverse('stats-series')}?{query}&division={_county_codes()[0]}"
    prefix = province[:2]
    api_rates, floor_rates, rows = [], [], 0
    run.say(f"series: gunicorn on 127.0.0.1:{run.port}, {run.http_rounds} rounds of the province's series as CSV")
    with gunicorn(run.port, workers=1) as master:
        for _ in range(3):  # warm: the worker imported, its connection open, the scopes cached
            _read_csv(run.port, small, headers)
        small_peak = max(worker_peaks_mb(master))
        for _ in range(run.http_rounds):
            rows, seconds = _read_csv(run.port, big, headers)
            api_rates.append(rows / seconds)
            copied, floor_seconds = _copy_floor(metrics, months, prefix)
            floor_rates.append(copied / floor_seconds)
            if copied != rows:
                raise RuntimeError(f"the series gave {rows} rows, COPY {copied}")
        big_peak = max(worker_peaks_mb(master))
    ratio = median(api_rates) / median(floor_rates)
    growth = big_peak - small_peak
    detail = (
        f"{median(api_rates):,.0f} rows/s against COPY's {median(floor_rates):,.0f} rows/s; {rows:,} rows "
        f"({rows // (12 * len(metrics)):,} villages × 12 months × {len(metrics)} statistics: {', '.join(metrics)})"
    )
    return [
        Result("series_csv_vs_copy", round(ratio, 2), ">= 0.3", holds(ratio, ">=", 0.3), detail),
        Result(
            "series_peak_growth_mb",
            round(growth, 1),
            "<= 50",
            holds(growth, "<=", 50),
            f"the worker's peak memory after the province's series {big_peak:.0f} MB, after one county's "
            f"{small_peak:.0f} MB",
        ),
    ]


def measure_dashboard(run: Run) -> list[Result]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    county = _county_codes()[0]
    village = Division.objects.filter(code__startswith=county[:6], level=Level.VILLAGE).order_by("code").first()
    client = run.client("bench_county")
    dashboard = reverse("villages:division", args=[county])
    portrait = reverse("villages:division", args=[village.code])
    bare = f"/bench/bare/snapshot/?metric=villages.village_count&period={DATA_YEAR}&division={county}"
    for url in (dashboard, portrait, bare):  # warm: templates compiled, cache filled, connection open
        assert client.get(url).status_code == 200, url  # noqa: S101
    counts = {}
    for name, url in (("county dashboard", dashboard), ("village portrait", portrait)):
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        counts[name] = len(queries)
    page_times, bare_times = timed_pair(lambda: client.get(dashboard), lambda: client.get(bare), run.page_requests)
    ratio = median(page_times) / median(bare_times)
    most = max(counts.values())
    others = _other_scales_counts(run.scale)
    same = all(other == counts for other in others.values())
    versus = "; ".join(f"{scale}: {c}" for scale, c in others.items()) or "no other scale measured yet"
    return [
        Result(
            "dashboard_queries",
            most,
            "<= 20, equal at both scales",
            most <= 20 and same,
            f"{counts} (other scales: {versus})",
            extra={"counts": counts},
        ),
        Result(
            "dashboard_vs_bare",
            round(ratio, 2),
            "<= 4",
            holds(ratio, "<=", 4),
            f"median {median(page_times) * 1000:.1f} ms against {median(bare_times) * 1000:.1f} ms",
        ),
    ]


def _other_scales_counts(scale: str) -> dict:
    """The dashboard query counts of the last run at each other scale (from ``bench-results-<scale>.json``)."""
    found = {}
    for other in SCALES:
        if other == scale:
            continue
        path = Path(settings.BASE_DIR) / f"bench-results-{other}.json"
        try:
            counts = json.loads(path.read_text())["metrics"]["dashboard_queries"]["counts"]
        except (OSError, ValueError, KeyError):
            continue
        found[other] = counts
    return found


CHILDREN = {"villages.tally": child_tally}
MEASURES = [measure_tally, measure_stats_api, measure_series, measure_dashboard]
