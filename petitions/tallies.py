"""The rates of domain.md §4, each as numerator, denominator and the rule that picks them.

Each rule is written once, as the aggregates below (``Count(filter=Q(...))``), and used two ways:

- ``petition_rates``: live, for one division and one period, grouped by the code prefix of the divisions
  directly below it — three queries in all (petitions by the place they concern, petitions by the unit that
  first handled them, disputes by where they arose). The division's own figures are the sum of its groups,
  so no row is counted twice and none is missed. This serves ``/api/v1/stats/petitions/`` and the board.
- the ``petitions.*`` metrics of the tally framework (villages.metrics): per county, for the county, each
  township and each village, written to the snapshots the five-star rules read.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, F, OuterRef, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villages.choices import LEVEL_PREFIX_LENGTH
from villages.metrics import Period, figures, memo, metric, rollup
from villages.models import Division

from .choices import Channel, DisputeStatus, Kind, Satisfaction
from .models import DeadlineRules, Dispute, Petition

RATE_KEYS = [
    "timely_acceptance",
    "on_time_completion",
    "completion",
    "dispute_resolution",
    "first_time_resolution",
    "participation",
    "satisfaction",
]
LABELS = {
    "timely_acceptance": gettext_lazy("Timely acceptance"),
    "on_time_completion": gettext_lazy("On-time completion"),
    "completion": gettext_lazy("Completion"),
    "dispute_resolution": gettext_lazy("Dispute resolution"),
    "first_time_resolution": gettext_lazy("One-time resolution"),
    "participation": gettext_lazy("Participation in rating"),
    "satisfaction": gettext_lazy("Satisfaction"),
}
SATISFIED_RULE = {
    None: gettext_lazy("满意, and 基本满意 where the county counts it"),
    True: gettext_lazy("满意 or 基本满意"),
    False: gettext_lazy("满意 only"),
}
# Which rows each rate counts: cases by the place they concern, cases credited to the unit that first handled
# them, or disputes by where they arose.
SOURCE = {
    "timely_acceptance": "place",
    "on_time_completion": "place",
    "completion": "place",
    "dispute_resolution": "disputes",
    "first_time_resolution": "credited",
    "participation": "credited",
    "satisfaction": "credited",
}


def parse_period(text: str | None) -> Period:
    """``YYYY`` or ``YYYY-MM``; missing means this year (in Asia/Shanghai)."""
    text = (text or "").strip() or str(timezone.localdate().year)
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError({"period": str(exc)}) from None


def definitions(basic_counts: bool | None = None) -> dict[str, str]:
    satisfied = SATISFIED_RULE[basic_counts]
    return {
        "timely_acceptance": _(
            "Petitions received in the period that were accepted, routed to a unit or refused within the "
            "acceptance deadline (15 days unless the county set another) ÷ petitions received in the period."
        ),
        "on_time_completion": _(
            "Cases concluded by their handling deadline (an approved extension moves it) ÷ cases whose deadline "
            "fell in the period and has passed or been met."
        ),
        "completion": _(
            "Cases taken on (accepted, assigned or forwarded) in the period that have been concluded ÷ cases "
            "taken on in the period."
        ),
        "dispute_resolution": _(
            "Disputes screened in the period that were resolved by mediation ÷ disputes screened in the period."
        ),
        "first_time_resolution": _(
            "First-time cases concluded in the period at the first handling — no review asked, no repeat "
            "petition, the petitioner satisfied (%(satisfied)s) — ÷ first-time cases concluded in the period. "
            "Credited to the unit that first handled the case."
        )
        % {"satisfied": satisfied},
        "participation": _(
            "First-time, accepted cases concluded in the period whose petitioner gave a rating ÷ those cases. "
            "Credited to the unit that first handled the case."
        ),
        "satisfaction": _(
            "Rated cases whose petitioner was satisfied (%(satisfied)s) ÷ rated first-time cases concluded in "
            "the period. Credited to the unit that first handled the case."
        )
        % {"satisfied": satisfied},
    }


# ------------------------------------------------------------------------------------------------ the rules


def _window(period: Period) -> tuple[datetime.date, datetime.date]:
    return period.start, period.last_day


def _place_rows(prefix: str, window):
    return Petition.objects.filter(division__code__startswith=prefix).filter(
        Q(received_on__range=window) | Q(handling_due__range=window) | Q(accepted_on__range=window)
    )


def _place_rules(window, today: datetime.date) -> dict:
    received = Q(received_on__range=window)
    due = Q(handling_due__range=window)
    taken_on = Q(accepted_on__range=window)
    return {
        "timely_acceptance": (received & Q(decided_on__lte=F("acceptance_due")), received),
        "on_time_completion": (
            due & Q(concluded_on__lte=F("handling_due")),
            due & (Q(concluded_on__isnull=False) | Q(handling_due__lt=today)),
        ),
        "completion": (taken_on & Q(concluded_on__isnull=False), taken_on),
    }


def _credited_rows(prefix: str, window):
    return Petition.objects.filter(
        first_unit__code__startswith=prefix, is_repeat=False, concluded_on__range=window
    ).annotate(has_repeat=Exists(Petition.objects.filter(previous=OuterRef("pk"))))


def _credited_rules(satisfied: Q) -> dict:
    every = Q(pk__isnull=False)
    rated = ~Q(satisfaction="")
    return {
        "first_time_resolution": (Q(review_requested_on__isnull=True, has_repeat=False) & satisfied, every),
        "participation": (rated, every),
        "satisfaction": (rated & satisfied, rated),
    }


def _dispute_rows(prefix: str, window):
    return Dispute.objects.filter(division__code__startswith=prefix, screened_on__range=window)


def _dispute_rules() -> dict:
    return {"dispute_resolution": (Q(status=DisputeStatus.RESOLVED), Q(pk__isnull=False))}


def _aggregates(rules: dict, keys=None) -> dict:
    out = {}
    for key, (numerator, denominator) in rules.items():
        if keys is None or key in keys:
            out[f"{key}_n"] = Count("pk", filter=numerator)
            out[f"{key}_d"] = Count("pk", filter=denominator)
    return out


def satisfied_q(division: Division) -> tuple[Q, bool | None]:
    """Which ratings count as satisfied, by the rule of the county of the unit credited.

    Counties set the rule for 基本满意 (counted by default); the counties under the division that do not count
    it are few rows, read once, and excluded by their code prefix. Returns the Q and, when one county's rule
    applies to the whole division, that rule (for the definition's wording).
    """
    scope = division.code[:6] if len(division.prefix) >= 6 else division.prefix
    rules = dict(
        DeadlineRules.objects.filter(division__code__startswith=scope).values_list(
            "division__code", "satisfaction_counts_basic"
        )
    )
    not_counting = sorted(code[:6] for code, counts in rules.items() if not counts)
    basic = Q(satisfaction=Satisfaction.BASIC)
    for prefix in not_counting:
        basic &= ~Q(first_unit__code__startswith=prefix)
    if len(division.prefix) >= 6:
        basic_counts = rules.get(division.code[:6] + "0" * 6, True)
    else:
        basic_counts = None if not_counting else True
    return Q(satisfaction=Satisfaction.SATISFIED) | basic, basic_counts


# ------------------------------------------------------------------------------------- live, by child division


def _grouped(qs, code_field: str, n: int | None, aggregates: dict) -> dict[str, dict]:
    """``{code prefix of the child: {aggregate: value}}``; one group keyed "" when there are no children."""
    qs = qs.order_by()  # a default ordering would join the GROUP BY
    if n is None:
        return {"": qs.aggregate(**aggregates)}
    rows = qs.annotate(_child=Substr(code_field, 1, n)).values("_child").annotate(**aggregates)
    return {row.pop("_child"): row for row in rows}


def petition_rates(*, division: Division, period: Period, today: datetime.date | None = None) -> dict:
    """Every rate for the division and each child division, as numerators and denominators."""
    today = today or timezone.localdate()
    window = _window(period)
    child_level = division.child_level
    n = LEVEL_PREFIX_LENGTH[child_level] if child_level else None
    prefix = division.prefix
    satisfied, basic_counts = satisfied_q(division)
    groups = [
        _grouped(_place_rows(prefix, window), "division__code", n, _aggregates(_place_rules(window, today))),
        _grouped(_credited_rows(prefix, window), "first_unit__code", n, _aggregates(_credited_rules(satisfied))),
        _grouped(_dispute_rows(prefix, window), "division__code", n, _aggregates(_dispute_rules())),
    ]
    texts = definitions(basic_counts)

    def rates_for(keys_of) -> dict:
        out = {}
        for key in RATE_KEYS:
            numerator = denominator = 0
            for grouped in groups:
                for k in keys_of(grouped):
                    row = grouped.get(k) or {}
                    numerator += row.get(f"{key}_n") or 0
                    denominator += row.get(f"{key}_d") or 0
            out[key] = {
                "numerator": numerator,
                "denominator": denominator,
                "rate": round(numerator / denominator, 4) if denominator else None,
                "definition": texts[key],
            }
        return out

    children = []
    if n is not None:
        for child in Division.objects.filter(parent=division).order_by("code"):
            key = child.code[:n]
            children.append(
                {
                    "division": child.code,
                    "name": child.name,
                    "level": child.level,
                    "rates": rates_for(lambda g, k=key: [k]),
                }
            )
    return {
        "division": division.code,
        "name": division.name,
        "period": period.key,
        "start": period.start,
        "end": period.last_day,
        "rates": rates_for(list),
        "children": children,
    }


# -------------------------------------------------------------------------------- the tally framework's metrics


# The tables the petition metrics read, each with the path from a row to its division.
PETITIONS = {Petition: "division"}
RATES_READ = {Petition: "division", Dispute: "division", DeadlineRules: "division"}


def _rate_metric(key: str):
    def compute(county, period):
        window = _window(period)
        if SOURCE[key] == "place":
            rows, field, rules = _place_rows(county.prefix, window), "division__code", _place_rules(window, _today())
        elif SOURCE[key] == "credited":
            memo_key = ("petitions.satisfied_q", county.pk)
            run = memo()
            if memo_key not in run:  # the county's rule, read once per tally run
                run[memo_key] = satisfied_q(county)
            satisfied, _basic = run[memo_key]
            rows, field, rules = _credited_rows(county.prefix, window), "first_unit__code", _credited_rules(satisfied)
        else:
            rows, field, rules = _dispute_rows(county.prefix, window), "division__code", _dispute_rules()
        grouped = rollup(rows, field, county, **_aggregates(rules, keys={key}))
        return figures(grouped, f"{key}_n", f"{key}_d")

    compute.__name__ = key
    return compute


def _today() -> datetime.date:
    return timezone.localdate()


_METRIC_DEFINITIONS = {
    "timely_acceptance": gettext_lazy(
        "Petitions received in the period decided (accepted, routed or refused) within the acceptance deadline "
        "÷ petitions received in the period."
    ),
    "on_time_completion": gettext_lazy(
        "Cases concluded by their handling deadline (extensions counted) ÷ cases whose deadline fell in the "
        "period and has passed or been met."
    ),
    "completion": gettext_lazy("Cases taken on in the period that have been concluded ÷ cases taken on."),
    "dispute_resolution": gettext_lazy("Disputes screened in the period that were resolved ÷ disputes screened."),
    "first_time_resolution": gettext_lazy(
        "First-time cases concluded in the period with no review, no repeat and a satisfied petitioner ÷ "
        "first-time cases concluded; credited to the unit that first handled them."
    ),
    "participation": gettext_lazy(
        "First-time accepted cases concluded in the period that were rated ÷ those cases; credited to the unit "
        "that first handled them."
    ),
    "satisfaction": gettext_lazy(
        "Rated cases with a satisfied petitioner (基本满意 counted where the county counts it) ÷ rated cases; "
        "credited to the unit that first handled them."
    ),
}
for _key in RATE_KEYS:
    metric(f"petitions.{_key}", label=LABELS[_key], definition=_METRIC_DEFINITIONS[_key], reads=RATES_READ)(
        _rate_metric(_key)
    )


@metric(
    "petitions.level_skipping",
    reads=PETITIONS,
    label=gettext_lazy("Level-skipping petitions"),
    definition=gettext_lazy("Level-skipping petitions (越级访) received in the period about the place."),
    kind="count",
)
def level_skipping(county, period):
    rows = Petition.objects.filter(received_on__range=_window(period), is_level_skipping=True)
    return figures(rollup(rows, "division__code", county, n=Count("pk")), "n")


@metric(
    "petitions.group_visits",
    reads=PETITIONS,
    label=gettext_lazy("Group visits"),
    definition=gettext_lazy("Group visits (集体访) received in the period about the place."),
    kind="count",
)
def group_visits(county, period):
    rows = Petition.objects.filter(received_on__range=_window(period), is_group=True)
    return figures(rollup(rows, "division__code", county, n=Count("pk")), "n")


@metric(
    "petitions.overdue",
    reads=PETITIONS,
    label=gettext_lazy("Overdue cases"),
    definition=gettext_lazy(
        "Cases that missed a deadline falling in the period (and already past): not decided within the "
        "acceptance deadline, or not concluded by the handling deadline."
    ),
    kind="count",
)
def overdue(county, period):
    window, today = _window(period), _today()
    missed_acceptance = Q(acceptance_due__range=window, acceptance_due__lt=today) & (
        Q(decided_on__isnull=True) | Q(decided_on__gt=F("acceptance_due"))
    )
    missed_handling = Q(handling_due__range=window, handling_due__lt=today) & (
        Q(concluded_on__isnull=True) | Q(concluded_on__gt=F("handling_due"))
    )
    rows = Petition.objects.filter(missed_acceptance | missed_handling)
    return figures(rollup(rows, "division__code", county, n=Count("pk")), "n")


@metric(
    "petitions.received",
    reads=PETITIONS,
    label=gettext_lazy("Petitions received"),
    definition=gettext_lazy(
        "Petitions received in the period about the place; the inputs split them by channel (channel_*) and by "
        "kind (kind_*)."
    ),
    kind="count",
)
def received(county, period):
    rows = Petition.objects.filter(received_on__range=_window(period))
    parts = {f"channel_{c}": Count("pk", filter=Q(channel=c)) for c in Channel.values}
    parts |= {f"kind_{k}": Count("pk", filter=Q(kind=k)) for k in Kind.values}
    return figures(rollup(rows, "division__code", county, n=Count("pk"), **parts), "n", inputs=tuple(parts))
