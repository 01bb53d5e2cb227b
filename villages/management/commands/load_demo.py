from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.module_loading import import_string

from villages.choices import Level
from villages.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from villages.models import Division
from villages.snapshots import tally_county


class Command(BaseCommand):
    help = "Load every app's demo data. Idempotent: what is already there is skipped."

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            # The demo publishes its passwords; it never belongs on a county's server.
            raise CommandError("load_demo refuses to run with SHANZHI_ENV=production.")
        # Each app names its own loader, so the base app never imports the domain apps; app order puts the
        # villages (which the others hang their data on) first.
        for config in apps.get_app_configs():
            # A dotted path, or a list of them for an app with several areas (reviews and its follow-up).
            paths = getattr(config, "demo_loader", None) or []
            for path in [paths] if isinstance(paths, str) else paths:
                self.stdout.write(f"{config.label}: loading demo data ({path})")
                import_string(path)(self.stdout)
        self._tally()
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self._print_accounts()

    def _tally(self):
        # The dashboards read the tallies' snapshots: compute them now, as beat would, so the demo's figures
        # come out of the same code as production's.
        today = timezone.localdate()
        periods = [str(today.year), f"{today.year}-{today.month:02d}"]
        for code in Division.objects.filter(level=Level.COUNTY).values_list("code", flat=True):
            for period in periods:
                run = tally_county(county_code=code, period=period)
                self.stdout.write(f"tally {code} {period}: {run.rows_written} figures")

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
