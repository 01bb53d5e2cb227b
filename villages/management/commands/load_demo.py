from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from villages.choices import Level
from villages.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from villages.hooks import app_hooks
from villages.metrics import campaigns
from villages.models import Division
from villages.snapshots import tally_county
from villages.tasks import current_periods


class Command(BaseCommand):
    help = "Load every app's demo data. Idempotent: what is already there is skipped."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months",
            type=int,
            default=12,
            help="tally this many past months too, for the charts over months (default 12; 0 for only the "
            "periods beat keeps fresh)",
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            # The demo publishes its passwords; it never belongs on a county's server.
            raise CommandError("load_demo refuses to run with SHANZHI_ENV=production.")
        # Each app names its own loader, so the base app never imports the domain apps; app order puts the
        # villages (which the others hang their data on) first.
        for config, path, load in app_hooks("demo_loader"):
            self.stdout.write(f"{config.label}: loading demo data ({path})")
            load(self.stdout)
        self._tally(months=options["months"])
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_accounts()

    def _tally(self, months: int = 12):
        # The dashboards read the tallies' snapshots: compute them now, as beat would, so the demo's figures
        # come out of the same code as production's.
        # Beyond what beat keeps fresh (year, quarter, month, open campaigns), the past twelve months, so the
        # charts of rates over months have a line to draw, and every campaign.
        today = timezone.localdate()
        past = []
        year, month = today.year, today.month
        for _i in range(months):
            past.append(f"{year}-{month:02d}")
            year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        for code in Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True):
            periods = current_periods(county_code=code, include_month=False)
            periods += [c.key for c in campaigns(county_code=code) if c.key not in periods]
            periods += [m for m in past if m not in periods] or [f"{today.year}-{today.month:02d}"]
            for period in periods:
                run = tally_county(county_code=code, period=period)
                self.stdout.write(f"tally {code} {period}: {run.rows_written} snapshot rows written")

    def _print_accounts(self):
        width = max(len(username) for username, _ in DEMO_ACCOUNTS)
        rule = "-" * (width + 2) + "+" + "-" * 60
        self.stdout.write("")
        self.stdout.write(f" {'account'.ljust(width)} | what it can do")
        self.stdout.write(rule)
        for username, description in DEMO_ACCOUNTS:
            self.stdout.write(f" {username.ljust(width)} | {description}")
        self.stdout.write(rule)
        self.stdout.write(f" password for every account: {DEMO_PASSWORD}")
