"""The tabs on a division's page. Each app's AppConfig may list its own sections, so the base app links to
pages of the domain apps without importing them:

    division_sections = [("reviews:board", _("Look-back review"), {"township", "village"})]

Each entry is a URL name taking the division ``code``, its label, and the levels where it appears.
"""

from django.apps import apps
from django.urls import reverse

from .hooks import app_hooks


def division_sections(division) -> list[tuple[str, str]]:
    sections = []
    for config in apps.get_app_configs():
        for url_name, label, levels in getattr(config, "division_sections", ()):
            if division.level in levels:
                sections.append((reverse(url_name, kwargs={"code": division.code}), str(label)))
    return sections


def with_adjustment_bases(adjustments) -> list:
    """The adjustments, each with ``basis``: (label, url) of what it acted on (a review, an evaluation, a talk), or
    None. The domain apps that record bases name a function on their AppConfig, ``adjustment_bases = "<path>"``,
    taking adjustment ids and returning ``{id: (label, url)}`` in one query, so villages imports none of them."""
    adjustments = list(adjustments)
    bases: dict = {}
    ids = [a.pk for a in adjustments]
    if ids:
        for _config, _path, bases_of in app_hooks("adjustment_bases"):
            bases.update(bases_of(ids))
    for a in adjustments:
        a.basis = bases.get(a.pk)
    return adjustments
