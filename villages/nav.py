"""The navigation: only what the user's roles may open.

Each app names its entries on its AppConfig, with the role set its view requires (a dotted path to the very set
the view passes to ``require_role``, so the two cannot drift) and the levels of scope where the view answers:

    nav_entries = [
        {"url": "petitions:index", "label": _("Petitions"), "icon": "envelope-paper",
         "roles": "petitions.choices.PETITION_READER_ROLES", "levels": {"county", "township"},
         "lead_for": {"petition_officer"}},
    ]

An entry is shown when one of the user's scopes holds one of the roles at one of the levels; ``lead_for`` puts it
first on the home page of users holding those roles (the petition officer's home leads to the petitions board).
"""

from django.apps import apps
from django.urls import reverse
from django.utils.module_loading import import_string

from .scopes import user_scopes


def _entries():
    for config in apps.get_app_configs():
        yield from getattr(config, "nav_entries", ())


def may_open(user, entry: dict) -> bool:
    roles = set(import_string(entry["roles"])) if isinstance(entry.get("roles"), str) else entry.get("roles")
    levels = entry.get("levels")
    return any((roles is None or s.role in roles) and (not levels or s.level in levels) for s in user_scopes(user))


def nav_links(user) -> list[dict]:
    """The apps' entries the user may open: {url, label, icon, lead} (``lead``: first on their home page)."""
    held = {s.role for s in user_scopes(user)}
    links = []
    for entry in _entries():
        if may_open(user, entry):
            links.append(
                {
                    "url": reverse(entry["url"]),
                    "label": str(entry["label"]),
                    "icon": entry.get("icon", ""),
                    "lead": bool(held & set(entry.get("lead_for", ()))),
                }
            )
    return links
