"""Create divisions from the platform's official list (NBS statistical division codes, 2023).

``manage.py divisions_load --county 411103`` (repeatable) and/or ``--province 41`` (repeatable): the province →
city → county → township chain with the official codes, names and kinds, in one transaction. Idempotent: a second
run creates nothing, updates names and kinds that changed, and reports created, updated and unchanged counts.
"""

import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from villages import reference
from villages.onboarding.services import divisions_load


class Command(BaseCommand):
    help = (
        f"Create the province → city → county → township chain of counties or whole provinces from the official "
        f"list of {reference.CODE_YEAR} (idempotent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--county", action="append", default=[], help="a county-level code, e.g. 411103")
        parser.add_argument("--province", action="append", default=[], help="a province code, e.g. 41")

    def handle(self, *args, **options):
        counties = [c.strip() for c in options["county"]]
        provinces = [p.strip() for p in options["province"]]
        for code in counties:
            if not (code.isdigit() and (len(code) == 6 or (len(code) == 12 and code.endswith("000000")))):
                raise CommandError(f"A county code is 6 digits (or 12 ending in 000000): {code}")
        for code in provinces:
            if not (code.isdigit() and len(code) in (2, 12)):
                raise CommandError(f"A province code is 2 digits (or 12): {code}")
        if not counties and not provinces:
            raise CommandError("Name at least one --county or --province.")
        started = time.monotonic()
        try:
            result = divisions_load(actor=None, province_codes=provinces, county_codes=counties)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        self.stdout.write(
            f"{len(result.counties)} counties from the official list of {reference.CODE_YEAR}: "
            f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged "
            f"({time.monotonic() - started:.1f} s)"
        )
        if result.conflicts:
            self.stderr.write(
                "left as they are (the platform has them at another level): " + ", ".join(result.conflicts)
            )
