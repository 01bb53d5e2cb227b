"""The tabs on a division's page. Each app's AppConfig may list its own sections, so the base app links to
pages of the domain apps without importing them:

    division_sections = [("reviews:board", _("Look-back review"), {"township", "village"})]

Each entry is a URL name taking the division ``code``, its label, and the levels where it appears.
"""

from django.apps import apps
from django.urls import reverse


def division_sections(division) -> list[tuple[str, str]]:
    sections = []
    for config in apps.get_app_configs():
        for url_name, label, levels in getattr(config, "division_sections", ()):
            if division.level in levels:
                sections.append((reverse(url_name, kwargs={"code": division.code}), str(label)))
    return sections
