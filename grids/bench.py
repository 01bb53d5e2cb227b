"""Grids with GeoJSON outlines, households and service requests for the benchmark (``manage.py bench_data``),
and the household import measurement (``manage.py bench``)."""

import datetime
import tempfile
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File

from villages.bench import person
from villages.benchkit import (
    DATA_END,
    DATA_YEAR,
    SHANGHAI,
    Context,
    Copier,
    Result,
    Run,
    copy_rows,
    holds,
    median,
    phone,
    reset_sequences,
    run_child,
    spread,
)

from .catalogue import load_defaults
from .choices import DONE_STATUSES, Rating, RequestStatus, StepAction
from .models import (
    CareTag,
    Grid,
    Household,
    RequestStep,
    ServiceCategory,
    ServiceItem,
    ServiceRequest,
    ServiceSubcategory,
)

_STATUSES = [
    RequestStatus.RATED, RequestStatus.RATED, RequestStatus.RATED, RequestStatus.CLOSED, RequestStatus.CLOSED,
    RequestStatus.REPORTED, RequestStatus.ACCEPTED, RequestStatus.DISPATCHED, RequestStatus.HANDLED,
    RequestStatus.VERIFIED,
]  # fmt: skip
_RATINGS = [Rating.SATISFIED] * 7 + [Rating.BASICALLY] * 2 + [Rating.DISSATISFIED]


def _square(lon: float, lat: float, size: float = 0.004) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring]]}


def generate(ctx: Context) -> dict:
    c = ctx.counts
    rng = ctx.rng("grids")
    load_defaults(ServiceCategory, ServiceSubcategory, ServiceItem, CareTag)  # emptied by --reset
    per_village = spread(c["grids"], len(ctx.villages))
    grids = []
    pk = 0
    for (village_id, code, _t, _k), n in zip(ctx.villages, per_village, strict=True):
        lon, lat = 113.0 + (int(code[6:9]) % 50) * 0.05, 33.0 + (int(code[9:12]) % 100) * 0.01
        for g in range(n):
            pk += 1
            grids.append((pk, village_id, f"{code}{g + 1:03d}", f"第{g + 1}网格", _square(lon + g * 0.005, lat)))
    ctx.grids = [(g[0], g[2], g[1]) for g in grids]  # (id, code, village id)
    copy_rows(Grid, ["id", "village_id", "code", "name", "boundary"], grids)

    # Households: (id, grid, address, head, members, phone); one in five gives no phone.
    per_grid = spread(c["households"], len(grids))
    first_household = {}
    with Copier(Household, ["id", "grid_id", "address", "head_name", "members_count", "phone"]) as out:
        pk = 0
        for (grid_id, grid_code, _v), n in zip(ctx.grids, per_grid, strict=True):
            first_household[grid_id] = (pk + 1, n)
            for h in range(n):
                pk += 1
                out.add(
                    (pk, grid_id, f"{grid_code[-6:]}组{h + 1}号", person(pk), 1 + pk % 6, phone(pk) if pk % 5 else "")
                )
    households = pk

    items = list(ServiceItem.objects.order_by("pk").values_list("pk", "time_limit"))
    per_grid = spread(c["requests"], len(ctx.grids))
    start = datetime.datetime(DATA_YEAR, 1, 1, 8, tzinfo=SHANGHAI)
    span = (DATA_END - datetime.date(DATA_YEAR, 1, 1)).days * 86_400
    steps = 0
    with (
        Copier(
            ServiceRequest,
            [
                "id", "grid_id", "household_id", "item_id", "requester_name", "requester_phone", "description",
                "status", "reported_at", "due_at", "closed_at", "current_unit", "rating",
            ],
        ) as out,
        Copier(
            RequestStep, ["request_id", "action", "from_status", "to_status", "at", "from_unit", "to_unit"]
        ) as step_out,
    ):  # fmt: skip
        pk = 0
        for (grid_id, grid_code, _v), n in zip(ctx.grids, per_grid, strict=True):
            first, count = first_household[grid_id]
            for _ in range(n):
                pk += 1
                item_id, limit = items[pk % len(items)]
                reported = start + datetime.timedelta(seconds=rng.randrange(span))
                due = reported + datetime.timedelta(days=max(1, limit))
                status = _STATUSES[pk % len(_STATUSES)]
                done = status in DONE_STATUSES
                closed = reported + datetime.timedelta(hours=rng.randint(2, 24 * (limit + 2))) if done else None
                rating = _RATINGS[pk % len(_RATINGS)] if status == RequestStatus.RATED else ""
                household = first + pk % count if count else None
                unit = f"网格{grid_code}"
                out.add(
                    (
                        pk, grid_id, household, item_id, person(pk + 7), phone(pk + 3), "代办服务", status,
                        reported, due, closed, unit, rating,
                    )
                )  # fmt: skip
                if rating:
                    steps += 1
                    step_out.add((pk, StepAction.RATE, RequestStatus.CLOSED, status, closed, unit, unit))
    reset_sequences([Grid, Household, ServiceRequest, RequestStep])
    return {"grids": len(grids), "households": households, "requests": pk, "request steps": steps}


def counts() -> dict:
    return {
        "grids": Grid.objects.count(),
        "households": Household.objects.count(),
        "requests": ServiceRequest.objects.count(),
    }


# --- measurement (``manage.py bench``) -------------------------------------------------------------------------

IMPORT_ROWS = {"tiny": 5_000, "county": 100_000, "province": 100_000}


def _import_rows(township_code: str, n: int) -> list[tuple]:
    """(grid code, grid id, address, head, members, phone) for ``n`` new households on the township's grids."""
    grids = list(Grid.objects.filter(code__startswith=township_code[:9]).order_by("code").values_list("code", "pk"))
    return [
        (grids[i % len(grids)][0], grids[i % len(grids)][1], f"新建小区{i // 100 + 1}栋{i % 100 + 1}号",
         person(i + 3), 1 + i % 5, phone(i + 17) if i % 4 else "")
        for i in range(n)
    ]  # fmt: skip


class _Rollback(Exception):
    pass


def child_import(*, path: str, township: str) -> dict:
    """In its own process: import the .xlsx as the township's staff, time it, and roll it back."""
    from django.db import transaction

    from villages.imports import engine, importer_for
    from villages.models import Division

    user = get_user_model().objects.get(username="bench_township")
    division = Division.objects.get(code=township)
    importer = importer_for("households")
    started = time.perf_counter()
    try:
        # What a confirmed import job does (villages.imports.services.import_job_run): check the file whole, write.
        with transaction.atomic(), open(path, "rb") as file:
            plan = engine.check(importer, actor=user, division=division, file=File(file, name="households.xlsx"))
            if plan.error_rows:
                raise RuntimeError(f"the bench's roll was refused: {plan.errors[:5]}")
            ctx = importer.context(actor=user, division=division)
            rows = importer.write(ctx, actor=user, plan=plan, progress=lambda n: None)
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return {"rows": rows, "seconds": elapsed}


def child_bulk(*, township: str, n: int) -> dict:
    """In its own process: the same households with Django's bulk insert (``bulk_create``), rolled back."""
    from django.db import transaction

    rows = _import_rows(township, n)
    started = time.perf_counter()
    try:
        with transaction.atomic():
            Household.objects.bulk_create(
                [
                    Household(grid_id=grid_id, address=address, head_name=head, members_count=members, phone=tel)
                    for _code, grid_id, address, head, members, tel in rows
                ],
                batch_size=2000,
            )
            elapsed = time.perf_counter() - started
            raise _Rollback
    except _Rollback:
        pass
    return {"rows": len(rows), "seconds": elapsed}


def measure_import(run: Run) -> list[Result]:
    from openpyxl import Workbook

    from villages.models import Division

    from .households import HOUSEHOLD_COLUMNS

    township = Division.objects.filter(level="township").order_by("code").first().code
    n = IMPORT_ROWS[run.scale]
    headers = list(HOUSEHOLD_COLUMNS)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "households.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(headers)
        for code, _grid_id, address, head, members, tel in _import_rows(township, n):
            sheet.append([code, address, head, members, tel, "", ""])
        book.save(path)
        run.say(f"import: {n:,} households from .xlsx, and the same with bulk_create, in child processes")
        imports = [run_child("grids.import", path=str(path), township=township) for _ in range(run.tally_reps)]
    bulks = [run_child("grids.bulk", township=township, n=n) for _ in range(run.tally_reps)]
    import_rate = median([r["rows"] / r["seconds"] for r in imports])
    bulk_rate = median([r["rows"] / r["seconds"] for r in bulks])
    ratio = import_rate / bulk_rate
    peak = max(r["peak_mb"] for r in imports)
    return [
        Result(
            "import_vs_bulk",
            round(ratio, 2),
            ">= 0.3; <= 300 MB",
            bool(holds(ratio, ">=", 0.3)) and peak <= 300,
            f"{import_rate:,.0f} rows/s against {bulk_rate:,.0f} rows/s; import peak {peak:.0f} MB for {n:,} rows",
            extra={"peak_mb": round(peak), "rows": n},
        )
    ]


CHILDREN = {"grids.import": child_import, "grids.bulk": child_bulk}
MEASURES = [measure_import]
