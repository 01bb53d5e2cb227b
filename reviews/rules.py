"""A scorecard template's rules (its items with their elements and checks, and its vetoes), cached per process.

A template that a campaign uses is frozen (the services and the admin refuse changes to it), so its rules are read
once per process rather than twice per save. The cache key holds the template's ``revision``, which every save or
delete of one of its checks, elements, items or vetoes moves (``bump_revision``, connected in ``apps.ready``): a
change made anyway (a data migration, a shell) is seen at once, and no stale rule survives it. The key also holds
the database's name and the template's creation time, so a test database reusing an id never finds another's rules.

The items are shared between requests: read them, never set attributes on them (``copies`` gives private copies,
for the scorecard page, which annotates each item with what the user typed).
"""

import copy
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection
from django.db.models import F

_MAX_ENTRIES = 64
_cache: dict[tuple, "TemplateRules"] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class TemplateRules:
    items: tuple  # Item, in order, each with its element and the element's check loaded
    vetoes: tuple  # VetoRule, in order
    by_id: dict = field(repr=False)
    condition_ids: frozenset = frozenset()  # the named conditions a reviewer ticks (vetoes without an item)
    max_total: Decimal = Decimal(0)

    def copies(self) -> list:
        """The items as private copies (their element and check still shared, and read-only)."""
        return [copy.copy(item) for item in self.items]


def _key(template) -> tuple:
    return (connection.settings_dict["NAME"], template.pk, template.revision, template.created_at)


def template_rules(template) -> TemplateRules:
    """The template's rules: two queries the first time in a process (and after any change), none after."""
    key = _key(template)
    found = _cache.get(key)
    if found is not None:
        return found
    from . import selectors
    from .models import VetoRule

    items = tuple(selectors.template_items(template.pk))
    vetoes = tuple(VetoRule.objects.filter(template_id=template.pk))
    found = TemplateRules(
        items=items,
        vetoes=vetoes,
        by_id={item.pk: item for item in items},
        condition_ids=frozenset(v.pk for v in vetoes if v.item_id is None),
        max_total=sum((item.max_points for item in items), Decimal(0)),
    )
    with _lock:
        if len(_cache) >= _MAX_ENTRIES:
            _cache.clear()
        _cache[key] = found
    return found


def clear() -> None:
    with _lock:
        _cache.clear()


def bump_revision(sender, instance, **kwargs) -> None:
    """Receiver of ``post_save``/``post_delete`` for a template's parts: its cached rules are stale now."""
    from .models import Check, Element, ScorecardTemplate

    if sender is Element:
        templates = ScorecardTemplate.objects.filter(
            pk__in=Check.objects.filter(pk=instance.parent_check_id).values("template_id")
        )
    else:
        templates = ScorecardTemplate.objects.filter(pk=instance.template_id)
    templates.update(revision=F("revision") + 1)
