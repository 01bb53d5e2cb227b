"""The metric registry and the pieces every app's tallies.py uses.

An app declares a metric in its ``tallies.py``::

    @metric("petitions.dispute_resolution", label=_("Dispute resolution"),
            definition=_("Disputes resolved ÷ disputes screened in the period."))
    def dispute_resolution(county, period):
        return rollup(Dispute.objects.filter(...), "village__code", county,
                      numerator=Count("pk", filter=Q(resolved=True)), denominator=Count("pk"))

A metric function takes the county (a Division) and a Period and returns ``{division code: Figure}`` for the
county, its townships and its villages, computed set-based (a GROUP BY per level, never a query per village).
Metrics are found by importing every installed app's ``tallies`` module, so the base app imports none of them.
"""

import calendar
import contextlib
import contextvars
import dataclasses
import datetime
import re
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import Field, QuerySet, Value
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from .choices import Level

# Bumped when a rule changes meaning, so every snapshot says which rules produced it.
RULE_VERSION = "2026.1"


@dataclass(frozen=True)
class Figure:
    numerator: int
    denominator: int | None = None
    inputs: dict = field(default_factory=dict)


# The kinds of period a tally covers. Calendar periods suit every metric; a campaign period (the dates of one
# look-back review campaign) only those metrics that say they read it.
CALENDAR = frozenset({"year", "quarter", "month"})
ALL_PERIODS = CALENDAR | {"campaign"}


class Source(NamedTuple):
    """Where a row of a model a metric reads belongs: the attribute path from the row to its division (or to
    anything whose ``code`` starts with the division's: a grid), "" for a division itself; and, for the review
    metrics, the path to the row's campaign id (a change to a campaign's data asks for the periods that read it)."""

    division: str
    campaign: str = ""


@dataclass(frozen=True)
class Metric:
    key: str
    label: str
    definition: str
    kind: str  # "rate" (numerator ÷ denominator) or "count" (numerator only)
    compute: Callable
    periods: frozenset = CALENDAR
    # The models whose rows the metric reads, each with the path to its division: a write to any of them asks for
    # the county's recompute (villages.recompute).
    reads: tuple = ()


_REGISTRY: dict[str, Metric] = {}
_DISCOVERED = False
_RUN_MEMO: contextvars.ContextVar[dict | None] = contextvars.ContextVar("tally_run_memo", default=None)


class run_memo:
    """A dict shared by the metrics of one tally run (and only that run), so metrics that read the same
    GROUP BY (the four grades of one review level) run it once. Outside a run every call gets a fresh dict."""

    def __enter__(self):
        self._token = _RUN_MEMO.set({})
        return self

    def __exit__(self, *exc):
        _RUN_MEMO.reset(self._token)


def memo() -> dict:
    current = _RUN_MEMO.get()
    return current if current is not None else {}


def metric(key: str, *, label, definition, reads: dict, kind: str = "rate", periods=CALENDAR):
    """Register a metric. ``reads``: every model whose rows it reads → its ``Source`` (or the path to the
    division alone), so that a write to any of them asks for the county's recompute."""
    declared = tuple((model, path if isinstance(path, Source) else Source(path)) for model, path in reads.items())
    if not declared:
        raise ValueError(f"The metric {key} must declare the models it reads.")

    def register(func):
        _REGISTRY[key] = Metric(
            key=key,
            label=label,
            definition=definition,
            kind=kind,
            compute=func,
            periods=frozenset(periods),
            reads=declared,
        )
        return func

    return register


_READ_MODELS: dict | None = None


def read_models() -> dict:
    """Every model a registered metric reads → where its rows belong (the first declaration of the model)."""
    global _READ_MODELS
    if _READ_MODELS is None:
        found: dict = {}
        for spec in registry().values():
            for model, source in spec.reads:
                found.setdefault(model, source)
        _READ_MODELS = found
    return _READ_MODELS


@dataclass(frozen=True)
class CampaignInfo:
    """A review campaign as the base app sees it (the reviews app owns the table)."""

    id: int
    name: str
    county_code: str
    start: datetime.date
    end: datetime.date  # the campaign's last day

    @property
    def key(self) -> str:
        return f"C{self.id}"


_CAMPAIGN_SOURCE: Callable | None = None


def campaign_source(func):
    """Registers the function that lists campaigns: ``func(county_code=None, ids=None) -> list[CampaignInfo]``,
    newest first. The reviews app provides it from its tallies module, so the base app never imports it."""
    global _CAMPAIGN_SOURCE
    _CAMPAIGN_SOURCE = func
    return func


def campaigns(*, county_code: str | None = None, ids=None) -> list[CampaignInfo]:
    registry()
    if _CAMPAIGN_SOURCE is None:
        return []
    return list(_CAMPAIGN_SOURCE(county_code=county_code, ids=ids))


def registry() -> dict[str, Metric]:
    global _DISCOVERED
    if not _DISCOVERED:
        autodiscover_modules("tallies")
        _DISCOVERED = True
    return dict(sorted(_REGISTRY.items()))


@contextlib.contextmanager
def watching_metrics() -> Iterator[Callable[[], bool]]:
    """Within it, every metric's computation is watched: it yields a function that tells whether one is running
    now, so that a statement can be told to be a metric's or the tally's own (the benchmark's floor replays
    the metrics' SQL; the tally's tests count its own statements)."""
    running = [False]

    def watched(compute):
        def run(*args, **kwargs):
            running[0] = True
            try:
                return compute(*args, **kwargs)
            finally:
                running[0] = False

        return run

    originals = registry()
    for key, spec in originals.items():
        _REGISTRY[key] = dataclasses.replace(spec, compute=watched(spec.compute))
    try:
        yield lambda: running[0]
    finally:
        _REGISTRY.update(originals)


_PERIOD_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2]))?$")
_QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")
_CAMPAIGN_RE = re.compile(r"^C([1-9]\d{0,5})$")


@dataclass(frozen=True)
class Period:
    """A calendar year ("2026"), quarter ("2026-Q3") or month ("2026-11"), bounded at Asia/Shanghai midnight;
    or a review campaign ("C12": campaign 12, from its first to its last day)."""

    key: str
    start: datetime.date
    end: datetime.date  # exclusive
    name: str = ""

    @classmethod
    def parse(cls, key: str) -> "Period":
        key = key or ""
        quarter = _QUARTER_RE.match(key)
        if quarter:
            year, q = int(quarter.group(1)), int(quarter.group(2))
            end = datetime.date(year + 1, 1, 1) if q == 4 else datetime.date(year, 3 * q + 1, 1)
            return cls(key, datetime.date(year, 3 * q - 2, 1), end)
        campaign = _CAMPAIGN_RE.match(key)
        if campaign:
            found = campaigns(ids=[int(campaign.group(1))])
            if not found:
                raise ValueError(_("There is no review campaign %(key)s.") % {"key": key})
            info = found[0]
            return cls(key, info.start, info.end + datetime.timedelta(1), info.name)
        match = _PERIOD_RE.match(key)
        if not match:
            raise ValueError(
                _("A period is a year (2026), a quarter (2026-Q3), a month (2026-11) or a review campaign (C12).")
            )
        year = int(match.group(1))
        if match.group(2):
            month = int(match.group(2))
            last = calendar.monthrange(year, month)[1]
            return cls(key, datetime.date(year, month, 1), datetime.date(year, month, last) + datetime.timedelta(1))
        return cls(key, datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))

    @classmethod
    def of_campaign(cls, info: CampaignInfo) -> "Period":
        return cls(info.key, info.start, info.end + datetime.timedelta(1), info.name)

    @classmethod
    def current_quarter(cls) -> "Period":
        today = timezone.localdate()
        return cls.parse(f"{today.year}-Q{(today.month - 1) // 3 + 1}")

    @property
    def kind(self) -> str:
        if self.key.startswith("C"):
            return "campaign"
        if "Q" in self.key:
            return "quarter"
        return "year" if len(self.key) == 4 else "month"

    @property
    def campaign_id(self) -> int | None:
        return int(self.key[1:]) if self.kind == "campaign" else None

    @classmethod
    def current_year(cls) -> "Period":
        return cls.parse(str(timezone.localdate().year))

    @property
    def start_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.start, datetime.time.min))

    @property
    def end_at(self) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(self.end, datetime.time.min))

    @property
    def is_year(self) -> bool:
        return len(self.key) == 4

    @property
    def last_day(self) -> datetime.date:
        return self.end - datetime.timedelta(days=1)

    @property
    def previous(self) -> "Period":
        """The period before, of the same kind; a campaign's is itself (campaigns are compared by choice)."""
        if self.kind == "campaign":
            return self
        if self.kind == "year":
            return Period.parse(str(int(self.key) - 1))
        before = self.start - datetime.timedelta(days=1)
        if self.kind == "quarter":
            return Period.parse(f"{before.year}-Q{(before.month - 1) // 3 + 1}")
        return Period.parse(f"{before.year}-{before.month:02d}")

    @property
    def label(self) -> str:
        return self.name or self.key

    def __str__(self):
        return self.key


SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
_RANGE_RE = re.compile(r"^([^.]+)\.\.([^.]+)$")
_RELATIVE_RE = re.compile(r"^(?:(THIS|LAST)_(MONTH|QUARTER|YEAR)|LAST_(\d{1,3})_(MONTH|QUARTER|YEAR)S)$")
# The most periods one expression may name (a range of 50 years of months is refused before it is expanded).
MAX_PERIODS = 600


def _calendar_key(kind: str, year: int, index: int) -> str:
    if kind == "month":
        return f"{year}-{index:02d}"
    return f"{year}-Q{index}" if kind == "quarter" else str(year)


def _ordinal(period: Period) -> tuple[str, int]:
    """The period's kind and its position on that kind's line (months, quarters or years since year 0)."""
    year = period.start.year
    if period.kind == "month":
        return "month", year * 12 + period.start.month - 1
    if period.kind == "quarter":
        return "quarter", year * 4 + (period.start.month - 1) // 3
    return "year", year


def _from_ordinal(kind: str, n: int) -> str:
    if kind == "month":
        return _calendar_key(kind, n // 12, n % 12 + 1)
    if kind == "quarter":
        return _calendar_key(kind, n // 4, n % 4 + 1)
    return str(n)


def resolve_periods(value: str, *, today: datetime.date | None = None) -> list[Period]:
    """The periods a ``period`` parameter names, in order and each once: a comma-separated list whose items are
    periods (``2026``, ``2026-Q3``, ``2026-11``, ``C12``), ranges of one kind (``2026-01..2026-06``,
    ``2025-Q3..2026-Q2``, ``2020..2026``) or relative periods resolved against ``today`` in Asia/Shanghai:
    ``THIS_MONTH``, ``LAST_MONTH``, ``THIS_QUARTER``, ``LAST_QUARTER``, ``THIS_YEAR``, ``LAST_YEAR`` and
    ``LAST_<n>_MONTHS`` / ``LAST_<n>_QUARTERS`` / ``LAST_<n>_YEARS`` (the n periods up to and including the
    current one). Raises ValueError with a message for the user."""
    today = today or timezone.localdate(timezone=SHANGHAI)
    found: dict[str, Period] = {}
    items = [item.strip() for item in (value or "").split(",")]
    if not any(items):
        raise ValueError(_("Give at least one period."))
    for item in items:
        if not item:
            continue
        try:
            resolved = _resolve_item(item, today)
        except OverflowError:  # a year past 9998: its end is past the calendar's
            raise ValueError(_("%(item)s is not a period I know.") % {"item": item}) from None
        for period in resolved:
            found.setdefault(period.key, period)
            if len(found) > MAX_PERIODS:
                raise ValueError(_("At most %(n)d periods at once.") % {"n": MAX_PERIODS})
    return list(found.values())


def _resolve_item(item: str, today: datetime.date) -> list[Period]:
    relative = _RELATIVE_RE.match(item.upper())
    if relative:
        which, single, count, plural = relative.groups()
        kind = (single or plural).lower()
        current = {"month": today.year * 12 + today.month - 1, "quarter": today.year * 4 + (today.month - 1) // 3}.get(
            kind, today.year
        )
        if which == "THIS":
            return [Period.parse(_from_ordinal(kind, current))]
        if which == "LAST":  # LAST_MONTH, LAST_QUARTER, LAST_YEAR: the one before this one
            return [Period.parse(_from_ordinal(kind, current - 1))]
        n = int(count)  # LAST_<n>_MONTHS …: the n up to and including this one
        if not 1 <= n <= MAX_PERIODS:
            raise ValueError(_("At most %(n)d periods at once.") % {"n": MAX_PERIODS})
        return [Period.parse(_from_ordinal(kind, k)) for k in range(current - n + 1, current + 1)]
    span = _RANGE_RE.match(item)
    if span:
        first, last = (
            [] if _CAMPAIGN_RE.match(end) else _resolve_item(end, today) for end in span.groups()
        )  # a campaign is no end of a range (and is not looked up)
        if len(first) != 1 or len(last) != 1:
            raise ValueError(
                _("A range runs from one month, quarter or year to another of the same kind: %(example)s.")
                % {"example": "2026-01..2026-06"}
            )
        (kind, start), (kind_end, end) = _ordinal(first[0]), _ordinal(last[0])
        if kind != kind_end:
            raise ValueError(
                _("A range runs from one month, quarter or year to another of the same kind: %(example)s.")
                % {"example": "2026-01..2026-06"}
            )
        if end < start:
            raise ValueError(_("The range %(item)s ends before it begins.") % {"item": item})
        if end - start + 1 > MAX_PERIODS:
            raise ValueError(_("At most %(n)d periods at once.") % {"n": MAX_PERIODS})
        return [Period.parse(_from_ordinal(kind, k)) for k in range(start, end + 1)]
    if item.isalpha() or "_" in item:
        raise ValueError(_("%(item)s is not a relative period I know.") % {"item": item})
    return [Period.parse(item)]


# Code prefix lengths of the levels a county tally covers.
_LEVELS = ((Level.COUNTY, 6), (Level.TOWNSHIP, 9), (Level.VILLAGE, 12))


class _Length:
    """Stands for the code prefix length in a rollup's compiled statement, found among its parameters by identity."""


def rollup(queryset: QuerySet, code_field: str, county, **aggregates) -> dict[str, dict]:
    """Aggregate a queryset for the county, each township and each village: one GROUP BY query per level.

    Returns ``{12-digit code: {aggregate name: value}}``; divisions with no rows are absent. The statement is
    built and compiled once and run for each level with that level's prefix length as its parameter (the ORM's
    converters applied to the rows as a queryset would).
    """
    rows_in_county = queryset.filter(**{f"{code_field}__startswith": county.prefix})
    length = _Length()
    grouped = (
        rows_in_county.annotate(_code=Substr(code_field, 1, Value(length, output_field=Field())))
        .values("_code")
        .annotate(**aggregates)
        .order_by()
    )
    query = grouped.query
    compiler = query.get_compiler(using=grouped.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:
        return {}
    slots = [i for i, p in enumerate(params) if p is length]
    if not slots:  # not expected; each level then builds its own statement
        return _rollup_by_level(rows_in_county, code_field, aggregates)
    converters = compiler.get_converters([s[0] for s in compiler.select[: compiler.col_count]])
    names = list(query.selected) if query.selected else [*query.values_select, *query.annotation_select]
    at = names.index("_code")
    result: dict[str, dict] = {}
    with connections[grouped.db].cursor() as cursor:
        for _level, n in _LEVELS:
            level_params = list(params)  # a list each: a query log keeps what it was given
            for i in slots:
                level_params[i] = n
            cursor.execute(sql, level_params)
            rows = cursor.fetchall()
            if converters:
                rows = compiler.apply_converters(rows, converters)
            for row in rows:
                code = row[at]
                # Rows attached above this level (a township's own cases) are counted at their own level only.
                if n > 6 and code[n - 3 :] == "000":
                    continue
                result[code.ljust(12, "0")] = {
                    name: value for name, value in zip(names, row, strict=True) if name != "_code"
                }
    return result


def _rollup_by_level(rows_in_county: QuerySet, code_field: str, aggregates: dict) -> dict[str, dict]:
    result: dict[str, dict] = {}
    for _level, length in _LEVELS:
        grouped = (
            rows_in_county.annotate(_code=Substr(code_field, 1, length))
            .values("_code")
            .annotate(**aggregates)
            .order_by()
        )
        for row in grouped:
            code = row.pop("_code")
            if length > 6 and code[length - 3 :] == "000":
                continue
            result[code.ljust(12, "0")] = row
    return result


def figures(grouped: dict[str, dict], numerator: str, denominator: str | None = None, inputs=()) -> dict:
    """Turn ``rollup`` rows into Figures, naming which aggregates are the numerator and the denominator."""
    return {
        code: Figure(
            numerator=int(row[numerator] or 0),
            denominator=int(row[denominator] or 0) if denominator else None,
            inputs={name: _plain(row[name]) for name in inputs},
        )
        for code, row in grouped.items()
    }


def _plain(value):
    if value is None or isinstance(value, int | float | str | bool):
        return value
    return str(value)
