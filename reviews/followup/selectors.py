"""Reads of the follow-up records: scoped querysets with the joins their pages need, and set-based figures for
the county's and township's view (a fixed number of queries whatever the number of villages)."""

from collections import defaultdict

from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce, Substr
from django.utils import timezone

from villages.choices import LEVEL_PREFIX_LENGTH, Level
from villages.models import Division

from ..models import Campaign, Check
from .choices import FOLLOWUP_READERS, Book, MeasureStatus, ProblemKind
from .models import (
    Evaluation,
    EvaluationMeeting,
    Measure,
    Problem,
    ProblemVillage,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)

# Plans by progress: no measure yet; some still in progress; every measure done (awaiting verification) or
# closed; every measure closed.
PROGRESS_KEYS = ["empty", "in_progress", "done", "closed"]


def latest_campaign(division: Division) -> Campaign | None:
    """The campaign the follow-up works on: the county's latest with problems found, else its latest. A new
    look-back in progress has found nothing yet, while the last one's plans and measures are still being worked
    through (and fall overdue): the follow-up pages keep showing those until the new one finds its own."""
    county_code = division.code[:6].ljust(12, "0")
    campaigns = Campaign.objects.filter(division__code=county_code).order_by("-start_date", "-pk")
    return campaigns.filter(Exists(Problem.objects.filter(campaign=OuterRef("pk")))).first() or campaigns.first()


def problem_list(*, user, division: Division, campaign: Campaign | None = None, kind: str = "", check=None):
    below = ProblemVillage.objects.filter(problem=OuterRef("pk"), village__code__startswith=division.prefix)
    qs = (
        Problem.objects.visible_to(user, roles=FOLLOWUP_READERS)
        .filter(Exists(below))
        .select_related("check_item", "campaign")
        .annotate(village_count=Count("links", distinct=True), measure_count=Count("common_measures", distinct=True))
        .order_by("check_item__number", "kind", "pk")
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    if kind:
        qs = qs.filter(kind=kind)
    if check:
        qs = qs.filter(check_item=check)
    return qs


def problems_by_check(*, division: Division, campaign: Campaign) -> dict:
    """Distinct problems touching the division's villages, per check and kind (one query), with the checks."""
    rows = (
        ProblemVillage.objects.filter(problem__campaign=campaign, village__code__startswith=division.prefix)
        .values("problem__check_item", "problem__kind")
        .annotate(n=Count("problem", distinct=True))
        .order_by()
    )
    counts = {(r["problem__check_item"], r["problem__kind"]): r["n"] for r in rows}
    checks = list(Check.objects.filter(template_id=campaign.template_id).order_by("number"))
    table = [
        {
            "check": c,
            "common": counts.get((c.pk, ProblemKind.COMMON), 0),
            "particular": counts.get((c.pk, ProblemKind.PARTICULAR), 0),
        }
        for c in checks
    ]
    return {
        "rows": table,
        "common": sum(r["common"] for r in table),
        "particular": sum(r["particular"] for r in table),
    }


def plan_progress(*, division: Division, campaign: Campaign) -> dict:
    """Plans under the division by progress, and measures by status with the overdue ones (two queries)."""
    today = timezone.localdate()
    plans = (
        RectificationPlan.objects.filter(campaign=campaign, village__code__startswith=division.prefix)
        .annotate(
            total=Count("measures"),
            open=Count("measures", filter=Q(measures__status=MeasureStatus.IN_PROGRESS)),
            closed=Count("measures", filter=Q(measures__status=MeasureStatus.CLOSED)),
        )
        .values_list("total", "open", "closed")
    )
    progress = dict.fromkeys(PROGRESS_KEYS, 0)
    for total, open_, closed in plans:
        if not total:
            progress["empty"] += 1
        elif open_:
            progress["in_progress"] += 1
        elif closed == total:
            progress["closed"] += 1
        else:
            progress["done"] += 1
    measures = Measure.objects.filter(plan__campaign=campaign, plan__village__code__startswith=division.prefix)
    status = measures.aggregate(
        total=Count("pk"),
        in_progress=Count("pk", filter=Q(status=MeasureStatus.IN_PROGRESS)),
        done=Count("pk", filter=Q(status=MeasureStatus.DONE)),
        closed=Count("pk", filter=Q(status=MeasureStatus.CLOSED)),
        overdue=Count("pk", filter=Q(status=MeasureStatus.IN_PROGRESS, deadline__lt=today)),
    )
    return {"plans": sum(progress.values()), "progress": progress, "measures": status}


def overdue_by_child(*, division: Division, campaign: Campaign) -> list[dict]:
    """Each child division with its overdue and open measures: one GROUP BY over the code prefix."""
    if division.child_level is None:
        return []
    length = LEVEL_PREFIX_LENGTH[division.child_level]
    today = timezone.localdate()
    rows = (
        Measure.objects.filter(plan__campaign=campaign, plan__village__code__startswith=division.prefix)
        .annotate(_code=Substr("plan__village__code", 1, length))
        .values("_code")
        .annotate(
            total=Count("pk"),
            overdue=Count("pk", filter=Q(status=MeasureStatus.IN_PROGRESS, deadline__lt=today)),
            closed=Count("pk", filter=Q(status=MeasureStatus.CLOSED)),
        )
        .order_by()
    )
    by_code = {r["_code"].ljust(12, "0"): r for r in rows}
    children = Division.objects.filter(parent=division).order_by("code")
    return [
        {"division": c, **by_code.get(c.code, {"total": 0, "overdue": 0, "closed": 0})}
        for c in children
        if c.code in by_code
    ]


def measure_list(*, user, division: Division, campaign: Campaign | None = None, overdue: bool = False):
    qs = (
        Measure.objects.visible_to(user, roles=FOLLOWUP_READERS)
        .filter(plan__village__code__startswith=division.prefix)
        .select_related("plan__village__parent", "problem")
        .order_by("deadline", "pk")
    )
    if campaign is not None:
        qs = qs.filter(plan__campaign=campaign)
    if overdue:
        qs = qs.overdue()
    return qs


def plan_list(*, user, division: Division, campaign: Campaign | None = None):
    qs = (
        RectificationPlan.objects.visible_to(user, roles=FOLLOWUP_READERS)
        .filter(village__code__startswith=division.prefix)
        .select_related("village", "campaign")
        .annotate(
            total=Count("measures"),
            open=Count("measures", filter=Q(measures__status=MeasureStatus.IN_PROGRESS)),
            closed=Count("measures", filter=Q(measures__status=MeasureStatus.CLOSED)),
            overdue=Count(
                "measures",
                filter=Q(measures__status=MeasureStatus.IN_PROGRESS, measures__deadline__lt=timezone.localdate()),
            ),
        )
        .order_by("village__code")
    )
    if campaign is not None:
        qs = qs.filter(campaign=campaign)
    return qs


def plan_detail(plan: RectificationPlan) -> list[Measure]:
    return list(
        plan.measures.select_related("problem", "common_measure")
        .prefetch_related("evidence")
        .order_by("deadline", "pk")
    )


def evaluation_list(*, user, division: Division, flagged_only: bool = False):
    qs = (
        Evaluation.objects.visible_to(user, roles=FOLLOWUP_READERS)
        .filter(meeting__village__code__startswith=division.prefix)
        .select_related("cadre", "meeting__village", "meeting__scale")
        .order_by("-year", "meeting__village__code", "cadre__name")
    )
    if flagged_only:
        qs = qs.filter(flagged=True)
    return qs


def meeting_list(*, user, division: Division):
    return (
        EvaluationMeeting.objects.visible_to(user, roles=FOLLOWUP_READERS)
        .filter(village__code__startswith=division.prefix)
        .select_related("village", "scale")
        .annotate(cadres=Count("evaluations"), failing=Count("evaluations", filter=Q(evaluations__failing=True)))
        .order_by("-year", "village__code")
    )


def talk_list(*, user, division: Division):
    return (
        Talk.objects.visible_to(user, roles=FOLLOWUP_READERS)
        .filter(village__code__startswith=division.prefix)
        .select_related("cadre", "village")
        .order_by("-held_at", "-pk")
    )


def record_books(*, village: Division) -> list[dict]:
    """Each cadre of the village with their entries per book (two queries)."""
    from villages.models import Cadre

    entries = RecordEntry.objects.filter(village=village).select_related("written_by").order_by("date", "pk")
    cadres = (
        Cadre.objects.filter(division=village)
        .prefetch_related(Prefetch("record_entries", queryset=entries, to_attr="entries"))
        .order_by("-active", "name")
    )
    result = []
    for cadre in cadres:
        books = defaultdict(list)
        for e in cadre.entries:
            books[e.book].append(e)
        result.append({"cadre": cadre, "books": dict(books), "count": len(cadre.entries)})
    return result


def publications(*, village: Division):
    return RecordBookPublication.objects.filter(village=village).select_related("published_by").order_by("-period")


def _count(queryset, group: str):
    """A correlated COUNT for one village (0 when it has none), to annotate the village with."""
    rows = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")[:1]
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def village_summary(*, village: Division) -> dict:
    """The portrait's figures of one village: every count in one query, then its evaluations and talks."""
    today = timezone.localdate()
    here = OuterRef("pk")
    measures = Measure.objects.filter(plan__village=here)
    links = ProblemVillage.objects.filter(village=here)
    entries = RecordEntry.objects.filter(village=here)
    latest_plan = RectificationPlan.objects.filter(village=here).order_by("-campaign__start_date", "-pk")
    row = (
        Division.objects.filter(pk=village.pk)
        .annotate(
            m_total=_count(measures, "plan__village"),
            m_closed=_count(measures.filter(status=MeasureStatus.CLOSED), "plan__village"),
            m_done=_count(measures.filter(status=MeasureStatus.DONE), "plan__village"),
            m_overdue=_count(measures.filter(status=MeasureStatus.IN_PROGRESS, deadline__lt=today), "plan__village"),
            p_common=_count(links.filter(problem__kind=ProblemKind.COMMON), "village"),
            p_particular=_count(links.filter(problem__kind=ProblemKind.PARTICULAR), "village"),
            **{f"b_{book}": _count(entries.filter(book=book), "village") for book in Book.values},
            plan_id=Subquery(latest_plan.values("pk")[:1]),
        )
        .values()
        .get()
    )
    return {
        "measures": {k: row[f"m_{k}"] for k in ("total", "closed", "done", "overdue")},
        "problems": {"common": row["p_common"], "particular": row["p_particular"]},
        "books": {book: row[f"b_{book}"] for book in Book.values},
        "plan_id": row["plan_id"],
        "evaluations": list(
            Evaluation.objects.filter(meeting__village=village)
            .select_related("cadre")
            .order_by("-year", "cadre__name")[:20]
        ),
        "talks": list(Talk.objects.filter(village=village).select_related("cadre").order_by("-held_at")[:10]),
    }


def is_village(division: Division) -> bool:
    return division.level == Level.VILLAGE
