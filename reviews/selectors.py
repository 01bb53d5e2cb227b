"""Reads for the reviews app: scoped querysets with the joins their pages need, and set-based aggregates."""

from collections import defaultdict
from decimal import Decimal

from django.db.models import Avg, Count, Prefetch, Q, Sum
from django.db.models.functions import Substr

from villages.choices import LEVEL_PREFIX_LENGTH, Level
from villages.models import Division

from .choices import STAGE_ORDER, Grade, LevelStatus, Stage
from .models import Campaign, Check, Item, ItemScore, Review, ReviewLevel, ScorecardTemplate

STAT_KEYS = [*Grade.values, "pending"]


def template_items(template_id: int) -> list[Item]:
    """A template's items in order, each with its element and check (one query)."""
    return list(Item.objects.filter(template_id=template_id).select_related("element__parent_check").order_by("number"))


def template_structure(template_id: int) -> list[dict]:
    """The template's items grouped by check and element, from one query."""
    return group_items(template_items(template_id))


def group_items(items) -> list[dict]:
    """[{check, max, earned, elements: [{element, items}]}] in item order; ``earned`` adds up what the items
    carry in an ``earned`` attribute (the scorecard sets it), else 0."""
    checks: dict[int, dict] = {}
    for item in items:
        element = item.element
        check = element.parent_check
        entry = checks.setdefault(check.pk, {"check": check, "max": Decimal(0), "earned": Decimal(0), "elements": {}})
        entry["max"] += item.max_points
        entry["earned"] += getattr(item, "earned", None) or 0
        entry["elements"].setdefault(element.pk, {"element": element, "items": []})["items"].append(item)
    return [{**c, "elements": list(c["elements"].values())} for c in checks.values()]


def template_list(*, user):
    return (
        ScorecardTemplate.objects.visible_to(user)
        .select_related("division")
        .annotate(
            campaign_count=Count("campaigns", distinct=True),
            item_count=Count("items", distinct=True),
        )
    )


def campaign_list(*, user):
    return (
        Campaign.objects.visible_to(user)
        .select_related("division", "template")
        .annotate(review_count=Count("reviews"))
        .order_by("-start_date", "-pk")
    )


def campaigns_for(*, user, division: Division):
    """The campaigns that cover ``division``: those of its county."""
    return campaign_list(user=user).filter(division__code=division.code[:6].ljust(12, "0"))


def ready_to_close_q(prefix: str = "") -> Q:
    """Reviews (rows reached through ``prefix``) the county can close: open, the township's level submitted, and
    the county's too when sampled (``services.close_blockers`` says the same of one review)."""
    township_done = ReviewLevel.objects.filter(level=Stage.TOWNSHIP, status=LevelStatus.SUBMITTED)
    county_done = ReviewLevel.objects.filter(level=Stage.COUNTY, status=LevelStatus.SUBMITTED)
    return (
        Q(**{f"{prefix}closed_at__isnull": True})
        & Q(**{f"{prefix}pk__in": township_done.values("review_id")})
        & (Q(**{f"{prefix}sampled": False}) | Q(**{f"{prefix}pk__in": county_done.values("review_id")}))
    )


def levels_by_stage(review: Review) -> dict[str, ReviewLevel]:
    return {lv.level: lv for lv in review.levels.all()}


def board_reviews(
    *, user, campaign: Campaign, division: Division, stage: str = "", status: str = "", grade: str = "", q: str = ""
):
    """The reviews of the villages under ``division``, with their levels and who acted last (two queries)."""
    prefix = division.prefix
    reviews = (
        Review.objects.visible_to(user)
        .filter(campaign=campaign, village__code__startswith=prefix)
        .select_related("village__parent")
        .prefetch_related(
            Prefetch("levels", queryset=ReviewLevel.objects.select_related("updated_by").order_by("level"))
        )
        .order_by("village__code")
    )
    if q:
        reviews = reviews.filter(village__name__icontains=q)
    if grade:
        reviews = reviews.filter(final_grade="" if grade == "pending" else grade)
    if stage and status:
        if status == "none":
            reviews = reviews.exclude(levels__level=stage)
        elif status == "not_started":
            reviews = reviews.filter(levels__level=stage, levels__status=LevelStatus.DRAFT, levels__version=0)
        else:
            reviews = reviews.filter(levels__level=stage, levels__status=status)
    elif stage == Stage.COUNTY:
        reviews = reviews.filter(sampled=True)
    return reviews


def board_rows(reviews) -> list[dict]:
    rows = []
    for review in reviews:
        levels = levels_by_stage(review)
        acted = [lv for lv in levels.values() if lv.updated_at]
        last = max(acted, key=lambda lv: lv.updated_at) if acted else None
        rows.append(
            {
                "review": review,
                "levels": [(stage, levels.get(stage)) for stage in STAGE_ORDER],
                "last": last,
            }
        )
    return rows


def board_progress(*, campaign: Campaign, division: Division) -> dict:
    """Per level: how many levels are in each status, and how many reviews are in scope (one query)."""
    rows = (
        ReviewLevel.objects.filter(review__campaign=campaign, review__village__code__startswith=division.prefix)
        .values("level", "status")
        .annotate(n=Count("pk"), untouched=Count("pk", filter=Q(version=0)))
    )
    progress = {stage: {"total": 0, "not_started": 0, **dict.fromkeys(LevelStatus.values, 0)} for stage in STAGE_ORDER}
    for row in rows:
        # A level opened with the campaign and never saved is a draft nobody has started.
        progress[row["level"]][row["status"]] += row["n"] - row["untouched"]
        progress[row["level"]]["not_started"] += row["untouched"]
        progress[row["level"]]["total"] += row["n"]
    villages = Review.objects.filter(campaign=campaign, village__code__startswith=division.prefix).count()
    return {"villages": villages, "stages": [(stage, Stage(stage).label, progress[stage]) for stage in STAGE_ORDER]}


def scores_by_level(review: Review) -> dict[int, dict[int, ItemScore]]:
    """{level id: {item id: score}} for every level of the review (one query)."""
    result: dict[int, dict[int, ItemScore]] = defaultdict(dict)
    for score in ItemScore.objects.filter(level__review=review).select_related("item"):
        result[score.level_id][score.item_id] = score
    return result


def comparison(review: Review, stages=None) -> dict:
    """Self vs township vs county, per item and per check; only the ``stages`` given (those the reader may read,
    reviews.visibility), or all."""
    levels = {s: lv for s, lv in levels_by_stage(review).items() if stages is None or s in stages}
    scores = scores_by_level(review)
    structure = template_structure(review.campaign.template_id)
    check_rows = []
    for check in structure:
        totals = dict.fromkeys(STAGE_ORDER)
        item_rows = []
        for element in check["elements"]:
            for item in element["items"]:
                row = {"item": item, "element": element["element"], "points": {}}
                for stage in STAGE_ORDER:
                    level = levels.get(stage)
                    score = scores.get(level.pk, {}).get(item.pk) if level else None
                    earned = score.points if score else None
                    row["points"][stage] = earned
                    if earned is not None:
                        totals[stage] = (totals[stage] or Decimal(0)) + earned
                row["gap"] = _gap(row["points"][Stage.VILLAGE], row["points"][Stage.TOWNSHIP])
                row["county_gap"] = _gap(row["points"][Stage.TOWNSHIP], row["points"][Stage.COUNTY])
                row["notes"] = {
                    stage: scores.get(levels[stage].pk, {}).get(item.pk).note
                    for stage in STAGE_ORDER
                    if stage in levels and scores.get(levels[stage].pk, {}).get(item.pk)
                }
                item_rows.append(row)
        check_rows.append(
            {
                "check": check["check"],
                "max": check["max"],
                "totals": totals,
                "gap": _gap(totals[Stage.VILLAGE], totals[Stage.TOWNSHIP]),
                "county_gap": _gap(totals[Stage.TOWNSHIP], totals[Stage.COUNTY]),
                "items": item_rows,
            }
        )
    return {"levels": levels, "checks": check_rows}


def _gap(higher, lower):
    return None if higher is None or lower is None else higher - lower


def _prefix_expr(length: int):
    return Substr("review__village__code", 1, length)


def level_gaps(*, campaign: Campaign, division: Division, closed_only: bool = False) -> list[dict]:
    """For each division directly under ``division`` (or the village itself): the average self-assessment, the
    township's and the county's average over the reviews where both were submitted, and the gaps between them.
    ``closed_only``: only the reviews the county has closed (what a village's own reader may compare).

    Two GROUP BY queries, whatever the number of villages.
    """
    child_level = division.child_level or division.level
    length = LEVEL_PREFIX_LENGTH[child_level]
    base = ReviewLevel.objects.filter(
        review__campaign=campaign, review__village__code__startswith=division.prefix, status=LevelStatus.SUBMITTED
    )
    if closed_only:
        base = base.filter(review__closed_at__isnull=False)

    def pair(lower: str, upper: str):
        both = Review.objects.filter(campaign=campaign, village__code__startswith=division.prefix)
        both = both.filter(levels__level=lower, levels__status=LevelStatus.SUBMITTED)
        both = both.filter(levels__level=upper, levels__status=LevelStatus.SUBMITTED)
        return {
            row["prefix"]: row
            for row in base.filter(review__in=both.values("pk"), level__in=[lower, upper])
            .annotate(prefix=_prefix_expr(length))
            .values("prefix")
            .annotate(
                lower=Avg("total_score", filter=Q(level=lower)),
                upper=Avg("total_score", filter=Q(level=upper)),
                n=Count("review", distinct=True),
            )
        }

    self_vs_township = pair(Stage.VILLAGE, Stage.TOWNSHIP)
    township_vs_county = pair(Stage.TOWNSHIP, Stage.COUNTY)
    children = _children(division)
    rows = []
    for child in children:
        key = child.code[:length]
        a, b = self_vs_township.get(key), township_vs_county.get(key)
        rows.append(
            {
                "division": child,
                "n": a["n"] if a else 0,
                "self": _round(a["lower"]) if a else None,
                "township": _round(a["upper"]) if a else None,
                "gap": _round(a["lower"] - a["upper"]) if a else None,
                "county_n": b["n"] if b else 0,
                "county_township": _round(b["lower"]) if b else None,
                "county": _round(b["upper"]) if b else None,
                "county_gap": _round(b["lower"] - b["upper"]) if b else None,
            }
        )
    return rows


def _round(value):
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _children(division: Division) -> list[Division]:
    if division.level == Level.VILLAGE:
        return [division]
    return list(division.children.order_by("code"))


def _count_block() -> dict:
    return dict.fromkeys(STAT_KEYS, 0) | {"total": 0}


def review_stats(*, campaign: Campaign, division: Division, closed_only: bool = False) -> dict:
    """Final grades and each level's grades, for ``division`` and each division directly under it.
    ``closed_only``: the township's and the county's levels and the final grades of closed reviews only (what a
    village's own reader may count); its self-diagnoses all.

    Two GROUP BY queries over the code prefix (the final grades on reviews, the levels' grades on levels),
    never a loop over villages. A level counts as pending until it is submitted; the county level exists only
    for the villages in the county's sample.
    """
    length = LEVEL_PREFIX_LENGTH[division.child_level or division.level]
    children = _children(division)
    keys = {child.code[:length]: child for child in children}
    blocks = {key: {"final": _count_block(), "levels": {s: _count_block() for s in STAGE_ORDER}} for key in keys}
    reviews = Review.objects.filter(campaign=campaign, village__code__startswith=division.prefix)
    level_rows = ReviewLevel.objects.filter(
        review__campaign=campaign, review__village__code__startswith=division.prefix
    )
    if closed_only:
        reviews = reviews.filter(closed_at__isnull=False)
        level_rows = level_rows.filter(Q(level=Stage.VILLAGE) | Q(review__closed_at__isnull=False))
    finals = (
        reviews.annotate(prefix=Substr("village__code", 1, length))
        .values("prefix", "final_grade")
        .annotate(n=Count("pk"))
    )
    for row in finals:
        block = blocks.get(row["prefix"])
        if block is not None:
            key = row["final_grade"] or "pending"
            block["final"][key] += row["n"]
            block["final"]["total"] += row["n"]
    levels = (
        level_rows.annotate(prefix=_prefix_expr(length))
        .values("prefix", "level", "status", "grade")
        .annotate(n=Count("pk"))
    )
    for row in levels:
        block = blocks.get(row["prefix"])
        if block is not None:
            key = row["grade"] if row["status"] == LevelStatus.SUBMITTED else "pending"
            block["levels"][row["level"]][key] += row["n"]
            block["levels"][row["level"]]["total"] += row["n"]
    total = {"final": _count_block(), "levels": {s: _count_block() for s in STAGE_ORDER}}
    for block in blocks.values():
        for k, v in block["final"].items():
            total["final"][k] += v
        for stage in STAGE_ORDER:
            for k, v in block["levels"][stage].items():
                total["levels"][stage][k] += v
    for block in [*blocks.values(), total]:
        for counts in [block["final"], *block["levels"].values()]:
            counts["submitted"] = counts["total"] - counts["pending"]
    return {
        "total": total,
        "children": [(child, blocks[child.code[:length]]) for child in children],
    }


def check_subtotals(*, campaign: Campaign, division: Division) -> dict[tuple[int, str], dict[int, Decimal]]:
    """{(review id, stage): {check number: points}} for the ledger: one GROUP BY over the item scores.

    Pass/fail items count their points when passed; that part is summed separately and added.
    """
    scores = ItemScore.objects.filter(
        level__review__campaign=campaign, level__review__village__code__startswith=division.prefix
    )
    result: dict[tuple[int, str], dict[int, Decimal]] = defaultdict(dict)
    rows = scores.values("level__review_id", "level__level", "item__element__parent_check__number").annotate(
        points=Sum("score"),
        passed=Sum("item__max_points", filter=Q(passed=True)),
    )
    for row in rows:
        key = (row["level__review_id"], row["level__level"])
        result[key][row["item__element__parent_check__number"]] = (row["points"] or Decimal(0)) + (
            row["passed"] or Decimal(0)
        )
    return result


def template_checks(template_id: int) -> list[Check]:
    return list(Check.objects.filter(template_id=template_id).order_by("number"))


def level_timeline(review: Review, limit: int = 200, stages=None) -> list[dict]:
    """Every recorded write to the review's levels (of the ``stages`` given, or all), newest first: opened, saved,
    submitted, returned, reopened, with who, when, the version, total and grade, and the reason given (one
    query)."""
    history = ReviewLevel.history.filter(review_id=review.pk)
    if stages is not None:
        history = history.filter(level__in=list(stages))
    records = list(history.select_related("history_user").order_by("id", "history_date", "history_id"))
    previous: dict[int, object] = {}
    entries = []
    for record in records:
        before = previous.get(record.id)
        if record.history_type == "+":
            # Levels arrive open; imported ones may arrive already submitted.
            action = "submitted" if record.status == LevelStatus.SUBMITTED else "opened"
        elif before is not None and before.status != record.status:
            if record.status == LevelStatus.SUBMITTED:
                action = "submitted"
            elif record.status == LevelStatus.RETURNED:
                action = "returned"
            else:
                action = "reopened"
        else:
            action = "saved"
        previous[record.id] = record
        entries.append(
            {
                "date": record.history_date,
                "user": record.history_user,
                "stage": Stage(record.level).label,
                "action": action,
                "status": LevelStatus(record.status).label,
                "version": record.version,
                "total": record.total_score,
                "grade": Grade(record.grade).label if record.grade else "",
                "reason": record.history_change_reason or "",
            }
        )
    entries.sort(key=lambda e: e["date"], reverse=True)
    return entries[:limit]
