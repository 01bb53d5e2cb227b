"""Compile every locale/*/LC_MESSAGES/*.po to .mo with polib, so no GNU gettext is needed to run."""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Compile the project's .po translation catalogues to .mo files (no GNU gettext needed)."

    def handle(self, *args, **options):
        for locale_dir in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_dir).glob("*/LC_MESSAGES/*.po")):
                po = polib.pofile(str(po_path))
                po.save_as_mofile(str(po_path.with_suffix(".mo")))
                self.stdout.write(
                    f"{po_path}: {len(po.translated_entries())} translated, "
                    f"{len(po.untranslated_entries())} untranslated, {len(po.fuzzy_entries())} fuzzy"
                )
