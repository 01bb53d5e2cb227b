"""Run the tallies now, in this process: `manage.py tally --period 2026 [--county 411103000000] [--json]`.

Used after a restore (docs/reliability.md) to recompute the figures and compare them with the original's.
"""

import json

from django.core.management.base import BaseCommand

from villages.choices import Level
from villages.metrics import Period
from villages.models import Division, Snapshot
from villages.snapshots import tally_county


class Command(BaseCommand):
    help = "Compute every metric for the counties and period given, replacing their snapshots."

    def add_arguments(self, parser):
        parser.add_argument("--period", default="", help="YYYY or YYYY-MM; the current year when left out")
        parser.add_argument("--county", action="append", default=[], help="county code; every county when left out")
        parser.add_argument("--json", action="store_true", help="print the snapshot rows as JSON")

    def handle(self, *args, **options):
        period = options["period"] or Period.current_year().key
        codes = options["county"] or list(
            Division.objects.filter(level=Level.COUNTY).current().order_by("code").values_list("code", flat=True)
        )
        for code in codes:
            run = tally_county(county_code=code, period=period)
            if not options["json"]:
                self.stdout.write(f"{code} {period}: {run.rows_written} rows")
        if options["json"]:
            rows = Snapshot.objects.filter(
                period=period, division_code__regex="^(" + "|".join(c[:6] for c in codes) + ")"
            )
            data = sorted(
                [r.division_code, r.metric, r.numerator, r.denominator]
                for r in rows.only("division_code", "metric", "numerator", "denominator")
            )
            self.stdout.write(json.dumps(data))
