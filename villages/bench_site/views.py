"""The floors the benchmark divides by: the least a Django view can do for the same answer.

Not part of the platform's URLs: only ``manage.py bench`` serves them (its own settings module adds them), so
they need no scope checks and no entry in the scope matrices.
"""

from django.contrib.auth.decorators import login_required
from django.db import connection, transaction
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


def _insert_one(note: str) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {BARE_TABLE} (at, note) VALUES (now(), %s)", [note])  # noqa: S608


@csrf_exempt
@login_required
def bare_insert(request):
    """Insert one row into a scratch table from the posted form, for a signed-in user, in a transaction: what
    every write of the platform is (signed in, one transaction), with nothing of its own work. Anonymous posts
    are sent to the login page, as the platform's are."""
    _insert_one(request.POST.get("note", ""))
    return JsonResponse({"ok": True})


@csrf_exempt
def bare_insert_anonymous(request):
    """The same insert for anyone: the least any post costs (reported beside the ratio, not divided by)."""
    _insert_one(request.POST.get("note", ""))
    return JsonResponse({"ok": True})


def ensure_bare_table() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE IF NOT EXISTS {BARE_TABLE} (id serial PRIMARY KEY, at timestamptz, note text)")
