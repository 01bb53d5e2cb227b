"""The watch list: villages that need the county's attention, on evidence from more than one source.

Every signal reads one metric of the tallies' snapshots and fires only on evidence, under the county's thresholds
(``WatchRules``; the defaults when it has set none):

- a **flag** (the team graded 一般 or 差) fires when it is set;
- a **count** (petitions, overdue measures or requests) fires when the village has at least ``min_cases`` and its
  count per 1,000 households (or, for measures, the count itself) is above the ``quantile`` of the county's own
  villages: a county where every village has a few petitions lists none for it;
- a **rate** fires only on a denominator of at least ``min_denominator``, below the mirror quantile of the county's
  villages with such a denominator and below the ``rate_floor``;
- a **rise** fires only against a period before with at least ``trend_baseline`` cases (never 0 → 7).

A spread of fewer than ``MIN_SPREAD`` villages is no baseline: its signal does not fire. A village is listed when
its signals come from at least ``min_sources`` sources; the list is ranked by the number of sources, then by the
summed weight of the signals. Each signal carries its rule, its threshold, its figures and a link to the records
behind it. The whole county's snapshots are read in one query (the spread is the county's, whatever part of it
is shown), the listed villages' names in a second.
"""

import math
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from .choices import Level
from .metrics import Period
from .models import Division, Snapshot, WatchRules

MIN_SPREAD = 8  # villages with a figure, below which a county's spread is no baseline

SOURCES = {
    "reviews": gettext_lazy("Look-back review"),
    "petitions": gettext_lazy("Petitions"),
    "grids": gettext_lazy("Grid services"),
}
HOUSEHOLDS = "villages.households"


@dataclass(frozen=True)
class Signal:
    key: str  # as the page's filter names it
    metric: str
    rule: str  # "flag", "count", "rate" or "rise"
    label: str
    weight: float  # how much the signal weighs in the ranking
    per_households: bool = False  # a count compared per 1,000 households
    facts: str = ""  # the URL name of the records behind it (taking the village's code)
    query: str = ""  # and its filter

    @property
    def source(self) -> str:
        return self.metric.split(".", 1)[0]


SIGNALS = [
    Signal("team_grade", "reviews.team_average_or_poor", "flag",
           gettext_lazy("Team graded Average or Poor in the look-back review"), 3, facts="reviews:board"),
    Signal("rectification_overdue", "reviews.rectification_overdue", "count",
           gettext_lazy("Rectification measures overdue"), 2, facts="followup:overview"),
    Signal("petitions_many", "petitions.received", "count",
           gettext_lazy("Many petitions for the village's size"), 1, per_households=True, facts="petitions:list",
           query="period={period}"),
    Signal("petitions_rising", "petitions.received", "rise",
           gettext_lazy("Petitions rising"), 1, facts="petitions:list", query="period={period}"),
    Signal("petitions_overdue", "petitions.overdue", "count",
           gettext_lazy("Petitions overdue"), 2, per_households=True, facts="petitions:list", query="overdue=true"),
    Signal("level_skipping", "petitions.level_skipping", "count",
           gettext_lazy("Level-skipping petitions"), 2, per_households=True, facts="petitions:list",
           query="flag=level_skipping&period={period}"),
    Signal("petitions_on_time", "petitions.on_time_completion", "rate",
           gettext_lazy("Petitions concluded on time: low"), 1.5, facts="petitions:list", query="period={period}"),
    Signal("dispute_resolution", "petitions.dispute_resolution", "rate",
           gettext_lazy("Disputes resolved: low"), 1, facts="petitions:disputes"),
    Signal("requests_overdue", "grids.requests_overdue", "count",
           gettext_lazy("Service requests overdue"), 1.5, per_households=True, facts="grids:request_list",
           query="overdue=on"),
    Signal("requests_on_time", "grids.requests_on_time", "rate",
           gettext_lazy("Service requests closed on time: low"), 1, facts="grids:request_list"),
    Signal("visit_coverage", "grids.visit_coverage", "rate",
           gettext_lazy("Households visited: low"), 1, facts="grids:board"),
]  # fmt: skip
SIGNAL_CHOICES = [(s.key, s.label) for s in SIGNALS]
RULE_LABELS = {
    "flag": pgettext_lazy("watch rule", "Flag"),
    "count": pgettext_lazy("watch rule", "Count"),
    "rate": pgettext_lazy("watch rule", "Rate"),
    "rise": pgettext_lazy("watch rule", "Rise"),
}


def quantile(values: list[float], q: float) -> float:
    """The q-quantile (0…1) of the values, interpolated between the two nearest (as a spreadsheet's PERCENTILE)."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _number(value: float) -> str:
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


def _percent(value: float) -> str:
    return f"{value * 100:.1f}%"


def watch_list(*, division: Division, period: str, rules: WatchRules | None = None, county_rows=None) -> list[dict]:
    """The listed villages under ``division`` for ``period``, ranked, each with its signals (see the module).

    ``rules``: thresholds to apply instead of the county's saved ones (the settings form's preview);
    ``county_rows``: the county's snapshot rows already read (``county_figures``), so a preview of several
    thresholds reads them once.
    """
    parsed = Period.parse(period)
    rules = rules if rules is not None else WatchRules.for_code(division.code)
    if county_rows is None:
        county_rows = county_figures(division=division, period=parsed.key)
    now, before = county_rows
    listed = _evaluate(now, before, rules, parsed)
    listed = {code: e for code, e in listed.items() if code.startswith(division.prefix)}
    if not listed:
        return []
    villages = (
        Division.objects.filter(code__in=list(listed))
        .select_related("parent")
        .only("code", "name", "parent__code", "parent__name")
    )
    for village in villages:
        entry = listed[village.code]
        entry["name"] = village.name
        entry["township"] = village.parent.name if village.parent else ""
        entry["township_code"] = village.parent.code if village.parent else ""
    entries = [e for e in listed.values() if "name" in e]
    return sorted(entries, key=lambda e: (-len(e["sources"]), -e["weight"], -len(e["signals"]), e["code"]))


def listed_count(*, division: Division, period: str, rules: WatchRules, county_rows=None) -> int:
    """How many villages under ``division`` these thresholds would list (no name is read)."""
    parsed = Period.parse(period)
    if county_rows is None:
        county_rows = county_figures(division=division, period=parsed.key)
    listed = _evaluate(*county_rows, rules, parsed)
    return sum(1 for code in listed if code.startswith(division.prefix))


def county_figures(*, division: Division, period: str):
    """The snapshot figures of every village of the division's county that the signals read, for the period and
    the one before: ``({code: {metric: (numerator, denominator)}}, {code: {metric: numerator}})``, one query."""
    parsed = Period.parse(period)
    county = division.code[:6] + "000000"
    metrics = sorted({s.metric for s in SIGNALS} | {HOUSEHOLDS})
    rows = Snapshot.objects.filter(
        division_code__startswith=county[:6],
        metric__in=metrics,
        period__in=[parsed.key, parsed.previous.key],
        division__level=Level.VILLAGE,
    ).values_list("division_code", "metric", "period", "numerator", "denominator")
    now: dict[str, dict] = {}
    before: dict[str, dict] = {}
    for code, metric, row_period, numerator, denominator in rows:
        if row_period == parsed.key:
            now.setdefault(code, {})[metric] = (numerator, denominator)
        else:
            before.setdefault(code, {})[metric] = numerator
    return now, before


def _evaluate(now: dict, before: dict, rules: WatchRules, parsed: Period) -> dict[str, dict]:
    fired: dict[str, list[dict]] = {}
    for signal in SIGNALS:
        for code, fact in _fire(signal, now, before, rules):
            fact["url"] = _facts_url(signal, code, parsed)
            fired.setdefault(code, []).append(fact)
    listed = {}
    for code, signals in fired.items():
        sources = sorted({s["source"] for s in signals})
        if len(sources) < rules.min_sources:
            continue
        signals.sort(key=lambda s: (-s["weight"], s["key"]))
        listed[code] = {
            "code": code,
            "url": reverse("villages:division", args=[code]),
            "signals": signals,
            "sources": sources,
            "source_labels": [str(SOURCES[s]) for s in sources],
            "weight": round(sum(s["weight"] for s in signals), 1),
            # The name the dashboard's list has always shown each fact by.
            "facts": [{"metric": s["metric"], "text": f"{s['label']}: {s['figures']}"} for s in signals],
        }
    return listed


def _fact(signal: Signal, *, figures: str, threshold: str) -> dict:
    return {
        "key": signal.key,
        "metric": signal.metric,
        "label": str(signal.label),
        "source": signal.source,
        "source_label": str(SOURCES[signal.source]),
        "rule": str(RULE_LABELS[signal.rule]),
        "weight": signal.weight,
        "figures": figures,
        "threshold": threshold,
    }


def _fire(signal: Signal, now: dict, before: dict, rules: WatchRules):
    """(code, fact) for every village of the county where the signal fires."""
    if signal.rule == "flag":
        for code, figures in now.items():
            numerator = figures.get(signal.metric, (0, None))[0]
            if numerator >= 1:
                yield (
                    code,
                    _fact(
                        signal, figures=_("graded Average or Poor"), threshold=_("the final grade of the latest review")
                    ),
                )
        return
    if signal.rule == "rise":
        for code, figures in now.items():
            count = figures.get(signal.metric, (0, None))[0]
            last = before.get(code, {}).get(signal.metric)
            if last is None or last < rules.trend_baseline:
                continue  # no baseline to rise from
            if count >= last * (100 + rules.trend_rise) / 100:
                yield (
                    code,
                    _fact(
                        signal,
                        figures=_("%(before)s → %(now)s") % {"before": _number(last), "now": _number(count)},
                        threshold=_("up by %(rise)d%% or more on at least %(base)d in the period before")
                        % {"rise": rules.trend_rise, "base": rules.trend_baseline},
                    ),
                )
        return
    if signal.rule == "count":
        values = {}
        for code, figures in now.items():
            count = figures.get(signal.metric, (0, None))[0]
            if signal.per_households:
                households = figures.get(HOUSEHOLDS, (0, None))[0]
                if not households:
                    continue  # no size to compare by
                values[code] = (count, count * 1000 / households)
            else:
                values[code] = (count, count)
        if len(values) < MIN_SPREAD:
            return
        cut = quantile([v for _c, v in values.values()], rules.quantile / 100)
        for code, (count, value) in values.items():
            if count >= rules.min_cases and value > cut:
                if signal.per_households:
                    figures = _("%(n)s cases, %(per)s per 1,000 households") % {
                        "n": _number(count),
                        "per": _number(round(value, 1)),
                    }
                    threshold = _("at least %(min)d cases and above the county's P%(q)d (%(cut)s per 1,000)") % {
                        "min": rules.min_cases,
                        "q": rules.quantile,
                        "cut": _number(round(cut, 1)),
                    }
                else:
                    figures = _("%(n)s cases") % {"n": _number(count)}
                    threshold = _("at least %(min)d and above the county's P%(q)d (%(cut)s)") % {
                        "min": rules.min_cases,
                        "q": rules.quantile,
                        "cut": _number(round(cut, 1)),
                    }
                yield code, _fact(signal, figures=figures, threshold=threshold)
        return
    # A rate: only on enough cases, against the county's villages with enough cases.
    rates = {}
    for code, figures in now.items():
        numerator, denominator = figures.get(signal.metric, (0, None))
        if denominator and denominator >= rules.min_denominator:
            rates[code] = (numerator, denominator, numerator / denominator)
    if len(rates) < MIN_SPREAD:
        return
    lower = 100 - rules.quantile
    cut = quantile([r for _n, _d, r in rates.values()], lower / 100)
    floor = rules.rate_floor / 100
    for code, (numerator, denominator, rate) in rates.items():
        if rate < cut and rate < floor:
            yield (
                code,
                _fact(
                    signal,
                    figures=f"{_percent(rate)} ({numerator:,}/{denominator:,})",
                    threshold=_("below the county's P%(q)d (%(cut)s) and %(floor)d%%, on at least %(min)d cases")
                    % {"q": lower, "cut": _percent(cut), "floor": rules.rate_floor, "min": rules.min_denominator},
                ),
            )


def _facts_url(signal: Signal, code: str, parsed: Period) -> str:
    if not signal.facts:
        return ""
    try:
        url = reverse(signal.facts, args=[code])
    except NoReverseMatch:  # the app that keeps these records is not installed
        return ""
    query = signal.query.format(period=parsed.key) if parsed.kind != "campaign" else ""
    return f"{url}?{query}" if query else url


def filter_entries(entries: list[dict], *, township: str = "", signal: str = "", source: str = "") -> list[dict]:
    """The page's filters: villages of a township, with a signal, with a signal from a source."""
    if township:
        entries = [e for e in entries if e.get("township_code") == township]
    if signal:
        entries = [e for e in entries if any(s["key"] == signal for s in e["signals"])]
    if source:
        entries = [e for e in entries if source in e["sources"]]
    return entries


def export_rows(entries: list[dict]) -> tuple[list[str], list[list]]:
    """The list as .xlsx columns and rows: one row per signal, its village repeated."""
    columns = [
        _("Rank"), _("Division code"), _("Village"), _("Township"), _("Sources"), _("Weight"),
        _("Signal"), _("Rule"), _("Figures"), _("Threshold"),
    ]  # fmt: skip
    rows = []
    for rank, entry in enumerate(entries, start=1):
        for s in entry["signals"]:
            rows.append([
                rank, entry["code"], entry["name"], entry["township"], "、".join(entry["source_labels"]),
                entry["weight"], s["label"], s["rule"], s["figures"], s["threshold"],
            ])  # fmt: skip
    return [str(c) for c in columns], rows
