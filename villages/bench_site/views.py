"""The floors the benchmark divides by: the least a Django view can do for the same answer.

Not part of the platform's URLs: only ``manage.py bench`` serves them (its own settings module adds them), so
they need no scope checks and no entry in the scope matrices.
"""

from django.db import connection
from django.http import JsonResponse
from django.views.decorators.csrf import csrf_exempt

from villages.models import Snapshot

BARE_TABLE = "bench_bare_row"


def bare_snapshot(request):
    """One snapshot row by metric, period and division, as JSON: no auth, no serializer, no children."""
    row = (
        Snapshot.objects.filter(
            metric=request.GET["metric"], period=request.GET["period"], division_code=request.GET["division"]
        )
        .values("division_code", "period", "metric", "numerator", "denominator")
        .first()
    )
    return JsonResponse(row or {})


@csrf_exempt
def bare_insert(request):
    """Insert one row into a scratch table."""
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (at, note) VALUES (now(), %s)", [request.POST.get("note", "")])  # noqa: S608
    return JsonResponse({"ok": True})


def ensure_bare_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id serial PRIMARY KEY, at timestamptz, note text)")
