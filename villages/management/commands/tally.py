"""Run the tallies now, in this process (no broker needed).

``manage.py tally [--division CODE] [--period P]``: every county, or the county of ``--division`` (or of each
``--county``), for ``--period`` or for the periods beat keeps fresh (this year, quarter and month, open review
campaigns) and those that changes asked for and are still waiting. ``--json`` prints the resulting snapshot rows,
which docs/reliability.md uses to compare a restored database with the original.
"""

import json

from django.core.management.base import BaseCommand, CommandError

from villages.choices import Level
from villages.metrics import Period
from villages.models import Division, Snapshot, TallyRequest
from villages.snapshots import tally_county
from villages.stats import county_code_of
from villages.tasks import current_periods


class Command(BaseCommand):
    help = (
        "Run the tallies in this process (no broker needed): every county, or the county of --division, for "
        "--period or for the periods beat keeps fresh (this year, quarter and month, open review campaigns)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--division", help="a division code; its county is tallied")
        parser.add_argument("--county", action="append", default=[], help="a county code (may be repeated)")
        parser.add_argument("--period", help="2026, 2026-Q3, 2026-11 or C<campaign id>")
        parser.add_argument("--json", action="store_true", help="print the snapshot rows of --period as JSON")

    def handle(self, *args, **options):
        counties = Division.objects.filter(level=Level.COUNTY).current()
        wanted = [c for c in [options["division"], *options["county"]] if c]
        for code in wanted:
            if not (len(code) == 12 and code.isdigit()):
                raise CommandError("A division code is exactly 12 digits.")
        if wanted:
            codes = {county_code_of(c) for c in wanted}
            counties = counties.filter(code__in=codes)
            if counties.count() != len(codes):
                raise CommandError(f"No county holds the division {', '.join(sorted(wanted))}.")
        if options["period"]:
            try:
                Period.parse(options["period"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        elif options["json"]:
            options["period"] = Period.current_year().key
        done = list(counties.order_by("code").values_list("code", flat=True))
        for code in done:
            if options["period"]:
                periods = [options["period"]]
            else:
                # And the periods asked for by changes and still waiting (a settled campaign's, say).
                waiting = TallyRequest.objects.filter(county__code=code, done_at__isnull=True).values_list(
                    "period", flat=True
                )
                periods = list(dict.fromkeys([*current_periods(county_code=code), *sorted(set(waiting))]))
            for period in periods:
                run = tally_county(county_code=code, period=period)
                if not options["json"]:
                    self.stdout.write(f"tally {code} {period}: {run.rows_written} snapshot rows written")
        if options["json"]:
            rows = Snapshot.objects.filter(
                period=options["period"], division_code__regex="^(" + "|".join(c[:6] for c in done) + ")"
            )
            data = sorted(
                [r.division_code, r.metric, r.numerator, r.denominator]
                for r in rows.only("division_code", "metric", "numerator", "denominator")
            )
            self.stdout.write(json.dumps(data))
