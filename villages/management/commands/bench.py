import json
import time
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test.utils import override_settings

from villages.bench_site.views import ensure_bare_table
from villages.benchkit import SCALES, Run, bench_modules, peak_mb, read_marker
from villages.models import Division


class Command(BaseCommand):
    help = (
        "Measure the platform against its floors on the same data and machine (see docs/performance.md): "
        "generates the scale's data if the database does not hold it, prints a table and writes "
        "bench-results.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="county")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--port", type=int, default=8014, help="gunicorn's port on 127.0.0.1")
        parser.add_argument("--output", default="bench-results.json")
        parser.add_argument(
            "--only",
            default="",
            help="comma-separated measurements to run, by name (tally, stats_api, dashboard, scorecard_save, …); "
            "the results are printed, not written to the results files",
        )
        parser.add_argument("--child", help="(internal) run one measured part in this process")
        parser.add_argument("--child-args", default="{}", help="(internal) its arguments as JSON")

    def handle(self, *args, scale, seed, port, output, only, child, child_args, **options):
        if child:
            children = {name: f for module in bench_modules() for name, f in getattr(module, "CHILDREN", {}).items()}
            result = children[child](**json.loads(child_args))
            result["peak_mb"] = round(peak_mb(), 1)
            self.stdout.write(json.dumps(result))
            return
        if connection.vendor != "postgresql":
            raise CommandError("The benchmark runs on PostgreSQL (set DATABASE_URL).")
        started = time.monotonic()
        if read_marker() != (scale, seed):
            self.stdout.write(f"generating the {scale} data (seed {seed})")
            call_command("bench_data", scale=scale, seed=seed, reset=Division.objects.exists(), stdout=self.stdout)
        else:
            self.stdout.write(f"reusing the {scale} data (seed {seed}) already in this database")
        generated = time.monotonic() - started
        ensure_bare_table()
        # The cache keys hold tally run ids, which another benchmark database sharing this Redis db also has.
        cache.clear()
        run = Run(scale=scale, seed=seed, port=port, stdout=self.stdout)
        results = []
        with override_settings(ROOT_URLCONF="villages.bench_site.urls"):
            for module in bench_modules():
                for measure in getattr(module, "MEASURES", []):
                    if only and measure.__name__.removeprefix("measure_") not in only.split(","):
                        continue
                    step = time.monotonic()
                    for result in measure(run):
                        results.append(result)
                        self.stdout.write(f"  {result.key}: {result.value} ({result.detail})")
                    self.stdout.write(f"  ({measure.__module__}.{measure.__name__}: {time.monotonic() - step:.1f} s)")
        self._table(results)
        if only:  # a partial run is for a developer's eyes: the results files keep the last whole run
            return
        document = {
            "scale": scale,
            "seed": seed,
            "seconds": round(time.monotonic() - started, 1),
            "generation_seconds": round(generated, 1),
            "metrics": {
                r.key: {"value": r.value, "target": r.target, "ok": r.ok, "detail": r.detail, **r.extra}
                for r in results
            },
        }
        text = json.dumps(document, ensure_ascii=False, indent=2)
        base = Path(settings.BASE_DIR)
        (base / output).write_text(text + "\n")
        (base / f"bench-results-{scale}.json").write_text(text + "\n")
        self.stdout.write(f"wrote {output} ({document['seconds']} s in all)")

    def _table(self, results):
        rows = [("key", "value", "target", "holds")]
        rows += [(r.key, str(r.value), r.target, {True: "yes", False: "NO", None: "?"}[r.ok]) for r in results]
        widths = [max(len(row[i]) for row in rows) for i in range(4)]
        self.stdout.write("")
        for n, row in enumerate(rows):
            self.stdout.write("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))
            if n == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
        self.stdout.write("")
