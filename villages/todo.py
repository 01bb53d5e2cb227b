"""Each user's to-do list (我的待办): what waits for their action, most urgent first.

The apps contribute their items through their AppConfig, the way they contribute dashboard panels:

    todo_items = "reviews.todo.items"

A contributor is ``items(user, *, today) -> list[TodoItem]``: a constant number of queries whatever the data size,
reading the rows the user may act on through the same role sets and guards the services check, and — where it
helps the user to know — the rows that wait on someone else (``waiting_on``: who must act, shown as 等待…处理).
"""

import dataclasses
import datetime

from django.core.cache import cache
from django.db import connection
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import Role
from .hooks import app_hooks
from .scopes import is_read_only, user_scopes
from .stats import cached_under, county_code_of, version_keys, versions_of

# The badge's count is kept this long at most (a write in one of the user's counties drops it at once).
COUNT_TTL = 300
# Within so many days of its deadline an item is "due soon" (the petitions' legal clocks set their own).
SOON_DAYS = 7


class Urgency:
    OVERDUE = "overdue"
    SOON = "soon"
    OPEN = "open"
    WAITING = "waiting"


URGENCY_ORDER = {Urgency.OVERDUE: 0, Urgency.SOON: 1, Urgency.OPEN: 2, Urgency.WAITING: 3}
URGENCY_BADGES = {
    Urgency.OVERDUE: "text-bg-danger",
    Urgency.SOON: "text-bg-warning",
    Urgency.OPEN: "text-bg-primary",
    Urgency.WAITING: "text-bg-light border",
}
URGENCY_LABELS = {
    Urgency.OVERDUE: _("Overdue"),
    Urgency.SOON: _("Due soon"),
    Urgency.OPEN: _("To do"),
    Urgency.WAITING: _("Waiting"),
}


@dataclasses.dataclass(frozen=True)
class TodoItem:
    """One thing to do: ``kind`` names it (``reviews.level.township``), ``url`` opens the page or form that does
    it, ``actor`` is the role that acts; ``waiting_on`` is set (to that role's name) when it is not the user."""

    kind: str
    title: str
    division: str
    url: str
    actor: str
    due: datetime.date | None = None
    waiting_on: str = ""
    soon_days: int = SOON_DAYS
    key: str = ""

    def urgency(self, today: datetime.date) -> str:
        if self.waiting_on:
            return Urgency.WAITING
        if self.due is not None and self.due < today:
            return Urgency.OVERDUE
        if self.due is not None and self.due <= today + datetime.timedelta(days=self.soon_days):
            return Urgency.SOON
        return Urgency.OPEN


def role_name(role: str) -> str:
    return str(Role(role).label)


def todo_items(user, *, today: datetime.date | None = None) -> list[dict]:
    """The user's to-do list, most urgent first (overdue, due soon, the rest by deadline), then what waits on
    others. Each item as a dict for the template, with its ``urgency`` and its label."""
    if not getattr(user, "is_authenticated", False) or is_read_only(user) or not user_scopes(user):
        return []
    today = today or timezone.localdate()
    items: list[TodoItem] = []
    for _config, _path, items_of in app_hooks("todo_items"):
        items.extend(items_of(user, today=today))
    rows = []
    for item in items:
        urgency = item.urgency(today)
        rows.append(
            {
                **dataclasses.asdict(item),
                "urgency": urgency,
                "urgency_label": URGENCY_LABELS[urgency],
                "urgency_badge": URGENCY_BADGES[urgency],
                "days_left": (item.due - today).days if item.due else None,
                "days_overdue": (today - item.due).days if item.due else None,
            }
        )
    rows.sort(key=lambda r: (URGENCY_ORDER[r["urgency"]], r["due"] or datetime.date.max, r["title"], r["key"]))
    return rows


def actionable_count(rows: list[dict]) -> int:
    return sum(1 for r in rows if r["urgency"] != Urgency.WAITING)


def month_end(day: datetime.date) -> datetime.date:
    following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return following - datetime.timedelta(days=1)


def todo_count(user) -> int:
    """The badge's figure: how many items the user may act on. Cached under the data versions of the user's
    counties (every write there moves them, villages.stats) and the day (deadlines and months move with it), so a
    page pays one cache read for it, and an item done leaves the count at once."""
    scopes = user_scopes(user)
    if not scopes or is_read_only(user):
        return 0
    today = timezone.localdate()
    keys = [k for code in sorted({county_code_of(s.code) for s in scopes}) for k in version_keys(code)]
    key = f"todo-count:{connection.settings_dict['NAME']}:{user.pk}"
    found = cache.get_many([*keys, key])
    versions = f"{versions_of(found, keys)}:{today.isoformat()}"
    return cached_under(
        key, versions, lambda: actionable_count(todo_items(user, today=today)), timeout=COUNT_TTL, found=found
    )
