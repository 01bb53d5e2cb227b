"""The tabs on a division's page. Each app's AppConfig may list its own sections, so the base app links to
pages of the domain apps without importing them:

    division_sections = [("reviews:board", _("Look-back review"), {"township", "village"})]

Each entry is a URL name taking the division ``code``, its label, and the levels where it appears; a fourth
element, where the page requires roles, names that role set (a dotted path to the very set the view checks, so
the two cannot drift): the tab shows only to users holding one of them at the division (``sections_open_to``), so
no tab answers 403.
"""

from django.apps import apps
from django.urls import reverse
from django.utils.module_loading import import_string

from .hooks import app_hooks
from .scopes import roles_for


class Section(tuple):
    """(url, label), with the division's ``code`` and the ``roles`` path its page requires (or None)."""

    code: str = ""
    roles: str | None = None


def division_sections(division) -> list[Section]:
    sections = []
    for config in apps.get_app_configs():
        for url_name, label, levels, *roles in getattr(config, "division_sections", ()):
            if division.level in levels:
                section = Section((reverse(url_name, kwargs={"code": division.code}), str(label)))
                section.code, section.roles = division.code, roles[0] if roles else None
                sections.append(section)
    return sections


def sections_open_to(user, sections) -> list:
    """The sections whose page the user may open at their division."""
    held: dict[str, set] = {}
    shown = []
    for section in sections:
        roles = getattr(section, "roles", None)
        if roles is not None:
            code = section.code
            if code not in held:
                held[code] = roles_for(user, code)
            if not held[code] & set(import_string(roles)):
                continue
        shown.append(section)
    return shown


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
