"""``manage.py bench_data --scale tiny`` makes the rows the benchmark's table promises (PostgreSQL only).

No timing is asserted here: speed is measured by ``make bench``, never by the test suite.
"""

import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from grids.models import Grid, Household, ServiceRequest
from petitions.models import Dispute, Petition
from reviews.models import ItemScore, ReviewLevel
from villages.benchkit import SCALES
from villages.choices import Level
from villages.models import Division

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="bench_data writes with PostgreSQL COPY")


@pytest.mark.django_db
def test_tiny_scale_has_the_tables_counts_and_refuses_a_second_run():
    call_command("bench_data", scale="tiny", seed=7, stdout=io.StringIO())
    want = SCALES["tiny"]
    assert Division.objects.filter(level=Level.COUNTY).count() == want["counties"]
    assert Division.objects.filter(level=Level.TOWNSHIP).count() == want["townships"]
    assert Division.objects.filter(level=Level.VILLAGE).count() == want["villages"]
    assert Grid.objects.count() == want["grids"]
    assert Household.objects.count() == want["households"]
    assert Petition.objects.count() + Dispute.objects.count() == want["cases"]
    assert ServiceRequest.objects.count() == want["requests"]
    assert ReviewLevel.objects.count() == want["villages"] * 3
    assert ItemScore.objects.count() == want["villages"] * 71 * 3
    # Valid codes all the way down: each village's code starts with its township's, and grids with their village's.
    assert not Division.objects.filter(level=Level.VILLAGE).exclude(code__regex=r"^41\d{7}[2-9]\d{2}$").exists()
    assert all(g.code.startswith(g.village.code) for g in Grid.objects.select_related("village"))
    with pytest.raises(CommandError, match="already holds data"):
        call_command("bench_data", scale="tiny", stdout=io.StringIO())


@pytest.mark.django_db
def test_same_seed_same_rows():
    call_command("bench_data", scale="tiny", seed=3, stdout=io.StringIO())
    first = list(Petition.objects.order_by("pk").values_list("number", "received_on", "status")[:200])
    call_command("bench_data", scale="tiny", seed=3, reset=True, stdout=io.StringIO())
    assert list(Petition.objects.order_by("pk").values_list("number", "received_on", "status")[:200]) == first


def test_a_childs_peak_memory_is_its_own():
    """The bench's children report their own peak, not that of the bench which spawned them (which may have
    just generated a province)."""
    held = bytearray(300 * 1024 * 1024)
    held[::4096] = b"\1" * len(held[::4096])  # touched, so resident
    code = "from villages.benchkit import peak_mb; print(peak_mb())"
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(child.stdout) < 150
