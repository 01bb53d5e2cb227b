"""The watch list: villages that need the county's attention, from several sources at once.

Each signal reads one metric of the tallies' snapshot (and, for a trend, the previous period's), so the list is
one query however many villages there are. A village is listed when any signal fires, most signals first, each
with the facts that put it there.
"""

from dataclasses import dataclass

from django.urls import reverse

from .choices import Level
from .metrics import Period
from .models import Division, Snapshot


@dataclass(frozen=True)
class Signal:
    metric: str
    label: str  # how the watch list names the fact, in the county's words
    minimum: int = 1  # fires when the period's count is at least this
    rising: bool = False  # fires only when the count also rose against the previous period
    unit: str = "件"


SIGNALS = [
    Signal("reviews.team_average_or_poor", "回头看班子评价为一般或差", unit="次"),
    Signal("reviews.rectification_overdue", "整改措施逾期未完成", unit="项"),
    Signal("petitions.received", "信访件数上升", minimum=3, rising=True),
    Signal("petitions.overdue", "信访件超期未办结"),
    Signal("petitions.level_skipping", "越级访"),
    Signal("grids.requests_overdue", "网格服务超时未办结", minimum=3),
]


def watch_list(*, division: Division, period: str) -> list[dict]:
    parsed = Period.parse(period)
    metrics = [s.metric for s in SIGNALS]
    rows = (
        Snapshot.objects.filter(
            division_code__startswith=division.prefix,
            metric__in=metrics,
            period__in=[parsed.key, parsed.previous.key],
            division__level=Level.VILLAGE,
        )
        .select_related("division__parent")
        .order_by("division_code")
    )
    current: dict[tuple[str, str], Snapshot] = {}
    previous: dict[tuple[str, str], int] = {}
    for s in rows:
        if s.period == parsed.key:
            current[(s.division_code, s.metric)] = s
        else:
            previous[(s.division_code, s.metric)] = s.numerator
    entries: dict[str, dict] = {}
    for (code, metric), snap in current.items():
        signal = next(s for s in SIGNALS if s.metric == metric)
        count = snap.numerator
        before = previous.get((code, metric), 0)
        if count < signal.minimum or (signal.rising and count <= before):
            continue
        fact = f"{signal.label}: {count}{signal.unit}"
        if signal.rising:
            fact = f"{signal.label}: {before} → {count}{signal.unit}"
        village = snap.division
        entry = entries.setdefault(
            code,
            {
                "code": code,
                "name": village.name,
                "township": village.parent.name if village.parent else "",
                "url": reverse("villages:division", args=[code]),
                "facts": [],
            },
        )
        entry["facts"].append({"metric": metric, "text": fact, "count": count, "previous": before})
    return sorted(entries.values(), key=lambda e: (-len(e["facts"]), e["code"]))
