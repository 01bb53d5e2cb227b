import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from villages.benchkit import SCALES, Context, bench_modules, read_marker, write_marker
from villages.models import Division


class Command(BaseCommand):
    help = (
        "Fill an empty database with deterministic benchmark data (tiny, county or province scale) using "
        "PostgreSQL COPY. Refuses a database that holds data unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="county")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--reset", action="store_true", help="Empty every table first (all data is lost).")

    def handle(self, *args, scale, seed, reset, **options):
        if connection.vendor != "postgresql" and scale != "tiny":
            raise CommandError("The county and province scales need PostgreSQL (set DATABASE_URL).")
        if Division.objects.exists():
            if not reset:
                raise CommandError(
                    "The database already holds data; bench_data fills only an empty one (or pass --reset to empty "
                    "it first, losing everything in it)."
                )
            self.stdout.write("emptying the database")
            call_command("flush", interactive=False, verbosity=0)
        started = time.monotonic()
        ctx = Context(scale=scale, seed=seed, counts=SCALES[scale], stdout=self.stdout)
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Foreign keys are right by construction (the ids are chosen here), so their per-row triggers are
                # skipped while loading; CHECK, NOT NULL and UNIQUE constraints still hold every row.
                cursor.execute("SET session_replication_role = replica")
        try:
            for module in bench_modules():
                step = time.monotonic()
                with transaction.atomic():
                    made = module.generate(ctx)
                made = ", ".join(f"{n:,} {what}" for what, n in made.items())
                self.stdout.write(f"{module.__name__}: {made} ({time.monotonic() - step:.1f} s)")
        finally:
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET session_replication_role = DEFAULT")
        if connection.vendor == "postgresql":
            step = time.monotonic()
            with connection.cursor() as cursor:
                # VACUUM sets the visibility map (index-only scans), as autovacuum would in time; it cannot run
                # inside a transaction (a test's), where the statistics are refreshed alone.
                cursor.execute("ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)")
            self.stdout.write(f"vacuum and analyze ({time.monotonic() - step:.1f} s)")
        write_marker(scale, seed)
        self.stdout.write(self.style.SUCCESS(f"{scale} data (seed {seed}) in {time.monotonic() - started:.1f} s"))
        assert read_marker() == (scale, seed)  # noqa: S101 - the marker is what `bench` reuses the data by
