"""Tools for the benchmark (``manage.py bench_data`` and ``manage.py bench``): scales, COPY, valid fake IDs.

Each app generates its own benchmark rows in its ``bench.py`` (``generate(ctx)``) and declares its own
measurements there (``MEASURES``), found by discovery in app order, so the base app imports none of them.
Rows are written with PostgreSQL ``COPY … FROM STDIN`` with ids chosen here, so no row costs a round trip;
the sequences are moved past them at the end.
"""

import datetime
import http.client
import itertools
import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import zoneinfo
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import import_module
from importlib.util import find_spec
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connection

from .bulk import Copier

# The table of the issue: counties, townships, villages, grids, households, petitions + disputes, requests.
_COUNTED = ("counties", "townships", "villages", "grids", "households", "cases", "requests")
SCALES = {
    "tiny": dict(zip(_COUNTED, (1, 3, 20, 60, 5_000, 2_000, 2_000), strict=True)),
    "county": dict(zip(_COUNTED, (1, 15, 200, 800, 120_000, 30_000, 50_000), strict=True)),
    "province": dict(zip(_COUNTED, (160, 2_500, 47_000, 190_000, 5_000_000, 3_000_000, 5_000_000), strict=True)),
}

# The data's calendar: a year of activity up to this day, so the same seed gives the same rows on any day.
DATA_YEAR = 2026
DATA_END = datetime.date(DATA_YEAR, 11, 28)
SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
BENCH_PASSWORD = "shanzhi-bench"  # noqa: S105 - accounts of a throwaway benchmark database


def bench_modules():
    """Each installed app's ``bench`` module, in app order (villages first)."""
    modules = []
    for config in apps.get_app_configs():
        name = f"{config.name}.bench"
        if find_spec(config.name) and find_spec(name):
            modules.append(import_module(name))
    return modules


@dataclass
class Context:
    scale: str
    seed: int
    counts: dict
    # Filled by the villages generator: [(id, code)] of counties, townships, villages (village rows also carry
    # the index of their township and county), and the users the measurements log in as.
    counties: list = field(default_factory=list)
    townships: list = field(default_factory=list)
    villages: list = field(default_factory=list)
    grids: list = field(default_factory=list)  # [(id, code, village index)]
    users: dict = field(default_factory=dict)
    stdout: object = None

    def rng(self, label: str) -> random.Random:
        return random.Random(f"{self.seed}-{label}")  # noqa: S311 - made-up benchmark data; it must repeat

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)


def spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal whole numbers (the first ones one larger)."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def copy_rows(model, columns: list[str], rows) -> int:
    with Copier(model, columns) as copier:
        copier.extend(rows)
    return copier.written


def reset_sequences(models) -> None:
    """Move each model's id sequence past the ids the generator chose."""
    if connection.vendor != "postgresql":
        return  # SQLite takes the next id after the largest anyway
    with connection.cursor() as cursor:
        for model in models:
            table = model._meta.db_table
            pk = model._meta.pk.column
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE((SELECT MAX({pk}) FROM {table}), 0) + 1,"  # noqa: S608
                " false)",
                [table, pk],
            )


# --- valid personal data ---------------------------------------------------------------------------------------

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def id_number(region: str, n: int) -> str:
    """A valid, unique-per-(region, n) national ID: the region's 6 digits, a birth date, a sequence, the check."""
    birth = datetime.date(1950, 1, 1) + datetime.timedelta(days=(n // 1000) % 18_000)
    body = f"{region}{birth:%Y%m%d}{n % 1000:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]


def phone(n: int) -> str:
    return f"1{3 + n % 7}{n % 1_000_000_000:09d}"


# --- measuring -------------------------------------------------------------------------------------------------


def median(values) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class Result:
    key: str
    value: float | int | None
    target: str
    ok: bool | None
    detail: str = ""
    extra: dict = field(default_factory=dict)


def holds(value, op: str, bound) -> bool | None:
    if value is None or value != value:  # NaN
        return None
    return value <= bound if op == "<=" else value >= bound if op == ">=" else value == bound


# --- which data a database holds -------------------------------------------------------------------------------

_MARKER = "shanzhi-bench"


def write_marker(scale: str, seed: int) -> None:
    """Note on the database itself which scale and seed it holds, so ``bench`` can reuse it."""
    if connection.vendor != "postgresql":
        return
    name = connection.ops.quote_name(connection.settings_dict["NAME"])
    with connection.cursor() as cursor:
        cursor.execute(f"COMMENT ON DATABASE {name} IS '{_MARKER} {scale} {int(seed)}'")


def read_marker() -> tuple[str, int] | None:
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = current_database()"
        )
        text = (cursor.fetchone() or [None])[0] or ""
    parts = text.split()
    if len(parts) == 3 and parts[0] == _MARKER and parts[1] in SCALES:
        return parts[1], int(parts[2])
    return None


# --- running the measurements ----------------------------------------------------------------------------------

# Repetitions per scale: (tally runs, HTTP rounds, requests per HTTP load, in-process requests per page).
REPEATS = {"tiny": (3, 3, 200, 15), "county": (3, 3, 400, 20), "province": (2, 3, 400, 20)}


@dataclass
class Run:
    scale: str
    seed: int
    port: int
    stdout: object = None

    @property
    def tally_reps(self) -> int:
        return REPEATS[self.scale][0]

    @property
    def http_rounds(self) -> int:
        return REPEATS[self.scale][1]

    @property
    def http_requests(self) -> int:
        return REPEATS[self.scale][2]

    @property
    def page_requests(self) -> int:
        return REPEATS[self.scale][3]

    def say(self, text: str) -> None:
        if self.stdout is not None:
            self.stdout.write(text)
            self.stdout.flush()

    def client(self, username: str):
        from django.contrib.auth import get_user_model
        from django.test import Client

        client = Client()
        client.force_login(get_user_model().objects.get(username=username))
        return client


def timed(func, n: int) -> list[float]:
    """Seconds of each of ``n`` calls of ``func``."""
    times = []
    for _ in range(n):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return times


def timed_pair(first, second, n: int) -> tuple[list[float], list[float]]:
    """Seconds of ``n`` calls each of two functions, taken in turn, so that whatever else the machine does in the
    meantime weighs on both alike (a ratio of the two is then steady on a busy machine)."""
    times = ([], [])
    for _ in range(n):
        for func, found in ((first, times[0]), (second, times[1])):
            started = time.perf_counter()
            func()
            found.append(time.perf_counter() - started)
    return times


def run_child(name: str, **kwargs) -> dict:
    """Run ``manage.py bench --child name`` in a fresh process; its last output line is a JSON object that
    includes the process's peak resident memory (``peak_mb``)."""
    command = [sys.executable, "manage.py", "bench", "--child", name, "--child-args", json.dumps(kwargs)]
    done = subprocess.run(  # noqa: S603 - our own interpreter and command, arguments from this module
        command, capture_output=True, text=True, cwd=settings.BASE_DIR, env=os.environ.copy(), check=False
    )
    if done.returncode:
        raise RuntimeError(f"bench child {name} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def peak_mb() -> float:
    """This process's peak resident memory, in MB. On Linux the high-water mark of its own memory (``VmHWM``):
    ``ru_maxrss`` there also keeps the mark of the process it was spawned from, before exec, so a child of a bench
    that had just generated the province reported the generator's 521 MB. Elsewhere ``ru_maxrss``."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@contextmanager
def gunicorn(port: int, workers: int = 2):
    """gunicorn on 127.0.0.1 serving the project with the bare views added (``villages.bench_site``)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "villages.bench_site.settings"}
    binary = str(Path(sys.executable).with_name("gunicorn"))
    process = subprocess.Popen(  # noqa: S603 - the venv's gunicorn, fixed arguments
        [binary, "config.wsgi:application", "-b", f"127.0.0.1:{port}", "-w", str(workers), "--log-level", "warning"],
        cwd=settings.BASE_DIR,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not start") from None
                time.sleep(0.3)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()


def worker_peaks_mb(master) -> list[float]:
    """The peak resident memory (``VmHWM``, MB) of each worker of a gunicorn master process (Linux)."""
    peaks = []
    for task in Path(f"/proc/{master.pid}/task").iterdir():
        for pid in (task / "children").read_text().split():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            peaks += [int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmHWM:")]
    return peaks


def load(port: int, path: str, *, requests: int, headers=None, threads: int = 4, max_seconds: float = 60) -> float:
    """Requests per second of GET ``path`` on 127.0.0.1: ``requests`` requests (bounded, and stopped after
    ``max_seconds``) from ``threads`` threads. Any answer other than 200 is an error."""
    counter = itertools.count()
    done, errors = [0], []
    lock = threading.Lock()
    deadline = time.monotonic() + max_seconds

    def worker():
        connection_ = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while next(counter) < requests and time.monotonic() < deadline:
            connection_.request("GET", path, headers=headers or {})
            response = connection_.getresponse()
            response.read()
            with lock:
                if response.status == 200:
                    done[0] += 1
                else:
                    errors.append(response.status)
        connection_.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{path}: {len(errors)} answers were not 200 (e.g. {errors[0]})")
    return done[0] / elapsed
