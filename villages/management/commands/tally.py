from django.core.management.base import BaseCommand, CommandError

from villages.choices import Level
from villages.metrics import Period
from villages.models import Division
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
        parser.add_argument("--period", help="2026, 2026-Q3, 2026-11 or C<campaign id>")

    def handle(self, *args, **options):
        counties = Division.objects.filter(level=Level.COUNTY).current()
        if options["division"]:
            code = options["division"]
            if not (len(code) == 12 and code.isdigit()):
                raise CommandError("A division code is exactly 12 digits.")
            counties = counties.filter(code=county_code_of(code))
            if not counties.exists():
                raise CommandError(f"No county holds the division {code}.")
        if options["period"]:
            try:
                Period.parse(options["period"])
            except ValueError as exc:
                raise CommandError(str(exc)) from None
        for code in counties.order_by("code").values_list("code", flat=True):
            periods = [options["period"]] if options["period"] else current_periods(county_code=code)
            for period in periods:
                run = tally_county(county_code=code, period=period)
                self.stdout.write(f"tally {code} {period}: {run.rows_written} figures")
