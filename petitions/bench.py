"""Petitions (with their petitioners) and disputes for the benchmark (``manage.py bench_data``), and the
petition list measurement (``manage.py bench``)."""

import datetime

from villages.bench import person
from villages.benchkit import (
    DATA_END,
    DATA_YEAR,
    Context,
    Copier,
    Result,
    Run,
    holds,
    id_number,
    p95,
    phone,
    reset_sequences,
    timed,
)
from villages.choices import Level
from villages.models import Division

from .choices import (
    Channel,
    Decision,
    Delivery,
    DisputeCategory,
    DisputeSource,
    DisputeStatus,
    Intake,
    Kind,
    RiskLevel,
    Satisfaction,
    Status,
)
from .models import CaseCounter, Dispute, Petition, Petitioner

_CHANNELS = list(Channel.values)
_KINDS = list(Kind.values)
_CATEGORIES = list(DisputeCategory.values)
_RISKS = [RiskLevel.LOW] * 6 + [RiskLevel.MEDIUM] * 3 + [RiskLevel.HIGH]
_SATISFACTION = [Satisfaction.SATISFIED] * 7 + [Satisfaction.BASIC] * 2 + [Satisfaction.DISSATISFIED]
_DAYS = (DATA_END - datetime.date(DATA_YEAR, 1, 1)).days
_PETITION_COLUMNS = [
    "id", "number", "registry_unit_id", "division_id", "channel", "kind", "subject", "content", "received_on",
    "acceptance_due", "status", "due_on", "intake", "decided_on", "refusal_reason", "responsible_unit_id",
    "first_unit_id", "accepted_on", "handling_due", "concluded_on", "decision", "decision_text", "delivered_on",
    "delivery_method", "satisfaction", "rated_on",
]  # fmt: skip


# The petition's course, in the order of _PETITION_COLUMNS after acceptance_due.
_COURSE_FIELDS = _PETITION_COLUMNS[_PETITION_COLUMNS.index("acceptance_due") + 1 :]
_COURSE_DATES = [
    "due_on", "decided_on", "responsible_unit_id", "first_unit_id", "accepted_on", "handling_due", "concluded_on",
    "delivered_on", "rated_on",
]  # fmt: skip


def _day(n: int) -> datetime.date:
    return datetime.date(DATA_YEAR, 1, 1) + datetime.timedelta(days=n)


def _petition(pk, number, county_id, village_id, township_id, rng):
    received = _day(rng.randrange(_DAYS))
    course = pk % 10
    row = dict.fromkeys(_COURSE_FIELDS, "")
    row.update(status=Status.REGISTERED, due_on=received + datetime.timedelta(days=15))
    for name in _COURSE_DATES:
        row[name] = None
    if course == 1:
        decided = received + datetime.timedelta(days=rng.randint(1, 15))
        row.update(status=Status.REFUSED, intake=Intake.REFUSED, decided_on=decided, due_on=None)
        row["refusal_reason"] = "已经依法处理，不予受理"
    elif course >= 2:
        accepted = received + datetime.timedelta(days=rng.randint(1, 15))
        handling_due = accepted + datetime.timedelta(days=60)
        row.update(
            status=Status.HANDLING, intake=Intake.ACCEPTED, decided_on=accepted, accepted_on=accepted,
            responsible_unit_id=township_id, first_unit_id=township_id, handling_due=handling_due,
            due_on=handling_due,
        )  # fmt: skip
        if course >= 4:
            concluded = accepted + datetime.timedelta(days=rng.randint(5, 65))
            delivered = concluded + datetime.timedelta(days=rng.randint(0, 5))
            row.update(
                status=Status.DELIVERED, concluded_on=concluded, decision=Decision.SUPPORT if course % 2 else
                Decision.EXPLAIN, decision_text="经调查核实，答复如下。", delivered_on=delivered,
                delivery_method=Delivery.IN_PERSON, due_on=None, satisfaction=_SATISFACTION[pk % 10],
                rated_on=delivered + datetime.timedelta(days=rng.randint(1, 10)),
            )  # fmt: skip
    subject = "反映道路修缮问题" if pk % 3 else "反映土地承包问题"
    return (
        pk, number, county_id, village_id, _CHANNELS[pk % 4], _KINDS[pk % 4], subject,
        f"信访人{subject}，请求依法处理。", received, received + datetime.timedelta(days=15), *row.values(),
    )  # fmt: skip


def generate(ctx: Context) -> dict:
    rng = ctx.rng("petitions")
    total = ctx.counts["cases"]
    n_petitions = total * 2 // 3
    villages = ctx.villages
    townships = ctx.townships
    counters: dict[tuple[int, str], int] = {}

    def number(k: int, kind: str, prefix: str) -> str:
        counters[(k, kind)] = counters.get((k, kind), 0) + 1
        return f"{prefix}{ctx.counties[k][1][:6]}{DATA_YEAR}{counters[(k, kind)]:05d}"

    with (
        Copier(Petition, _PETITION_COLUMNS) as out,
        Copier(Petitioner, ["petition_id", "position", "name", "id_number", "phone", "address"]) as people,
    ):
        for pk in range(1, n_petitions + 1):
            village_id, code, t, k = villages[pk % len(villages)]
            out.add(_petition(pk, number(k, "petition", "XF"), ctx.counties[k][0], village_id, townships[t][0], rng))
            people.add((pk, 1, person(pk + 11), id_number(code[:6], pk), phone(pk + 5), ""))
    n_disputes = total - n_petitions
    with Copier(
        Dispute,
        ["id", "number", "division_id", "source", "screened_on", "category", "risk_level", "summary", "status",
         "resolved_on"],
    ) as out:  # fmt: skip
        for pk in range(1, n_disputes + 1):
            village_id, _code, _t, k = villages[pk % len(villages)]
            screened = _day(rng.randrange(_DAYS))
            status = [DisputeStatus.RESOLVED] * 7 + [DisputeStatus.SCREENED, DisputeStatus.MEDIATING] * 1
            status = status[pk % len(status)]
            resolved = (
                screened + datetime.timedelta(days=rng.randint(0, 30)) if status == DisputeStatus.RESOLVED else None
            )
            out.add(
                (
                    pk, number(k, "dispute", "JF"), village_id, DisputeSource.GRID, screened, _CATEGORIES[pk % 8],
                    _RISKS[pk % 10], "邻里纠纷，双方各执一词", status, resolved,
                )
            )  # fmt: skip
    CaseCounter.objects.bulk_create(
        [
            CaseCounter(division_id=ctx.counties[k][0], year=DATA_YEAR, kind=kind, last=last)
            for (k, kind), last in sorted(counters.items())
        ]
    )
    reset_sequences([Petition, Petitioner, Dispute])
    return {"petitions": n_petitions, "disputes": n_disputes}


def counts() -> dict:
    return {"cases": Petition.objects.count() + Dispute.objects.count()}


# --- measurement (``manage.py bench``) -------------------------------------------------------------------------


def measure_list(run: Run) -> list[Result]:
    """p95 of the petition list's last page against its first, as the county official reads it."""
    from django.urls import reverse

    county = Division.objects.filter(level=Level.COUNTY).order_by("code").first()
    client = run.client("bench_county")
    url = reverse("petitions:list", args=[county.code])
    # A page past the end is answered with the last page (Paginator.get_page).
    first, last = f"{url}?page=1", f"{url}?page=999999"
    for page in (first, last):
        assert client.get(page).status_code == 200, page  # noqa: S101
    first_times = timed(lambda: client.get(first), run.page_requests)
    last_times = timed(lambda: client.get(last), run.page_requests)
    ratio = p95(last_times) / p95(first_times)
    return [
        Result(
            "list_last_vs_first",
            round(ratio, 2),
            "<= 2",
            holds(ratio, "<=", 2),
            f"p95 {p95(last_times) * 1000:.1f} ms against {p95(first_times) * 1000:.1f} ms",
        )
    ]


MEASURES = [measure_list]
