"""Five-star branches (五星支部): proposals computed from the snapshot figures, and the award flow.

Every year's tally proposes each village's stars from its rules (data: ``StarType`` and ``StarCondition``),
keeping each condition's figure, threshold and verdict, so an official can read why a village has three stars
and not four. The county confirms the final award through the flow in the services below.
"""

import datetime
from decimal import Decimal
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from .bulk import replace_rows
from .choices import (
    LEVEL_PREFIX_LENGTH,
    Comparison,
    CountyDecision,
    DivisionKind,
    Level,
    Measure,
    Role,
    StarSet,
    StarStatus,
)
from .metrics import RULE_VERSION
from .models import Division, StarAward, StarProposal, StarType, TallyRun
from .scopes import require_role

NOTICE_DAYS = 5
_COMPARE = {
    Comparison.GTE: lambda v, t: v >= t,
    Comparison.GT: lambda v, t: v > t,
    Comparison.LTE: lambda v, t: v <= t,
    Comparison.LT: lambda v, t: v < t,
    Comparison.EQ: lambda v, t: v == t,
}


def star_set_of(division: Division) -> str:
    return StarSet.COMMUNITY if division.kind == DivisionKind.COMMUNITY else StarSet.VILLAGE


def _format(value: Decimal, condition) -> str:
    if condition.measure == Measure.RATE:
        return f"{(value * 100).quantize(Decimal('0.1'))}%"
    text = f"{value.normalize():f}"
    return f"{text}{condition.unit}"


class _Rule(NamedTuple):
    """A star condition's fixed parts, worked out once per tally rather than once per village."""

    label: str
    metric: str
    measure: str
    comparison: str
    compare: object
    threshold: Decimal
    shown_threshold: str
    shown_comparison: str
    negated: str
    no_data_passes: bool
    unit: str


def _rule(condition) -> _Rule:
    return _Rule(
        label=condition.label,
        metric=condition.metric,
        measure=condition.measure,
        comparison=condition.comparison,
        compare=_COMPARE[condition.comparison],
        threshold=condition.threshold,
        shown_threshold=_format(condition.threshold, condition),
        shown_comparison=str(condition.get_comparison_display()),
        negated=_negate(condition.comparison),
        no_data_passes=condition.no_data_passes,
        unit=condition.unit,
    )


def _evaluate(rule: _Rule, snapshot) -> dict:
    """One condition for one village, from its snapshot row (anything with ``numerator`` and ``denominator``)."""
    if snapshot is None or (rule.measure == Measure.RATE and not snapshot.denominator):
        met = rule.no_data_passes
        # Keys in jsonb's order (shorter first, then bytewise): a stored reason is compared as jsonb gives it back.
        return {"met": met, "text": f"{rule.label}: 无数据" + ("(不影响评定)" if met else ""), "label": rule.label,
                "value": None, "metric": rule.metric, "threshold": rule.shown_threshold,
                "comparison": rule.shown_comparison}  # fmt: skip
    if rule.measure == Measure.RATE:
        value = Decimal(snapshot.numerator) / Decimal(snapshot.denominator)
        detail = f" ({snapshot.numerator}/{snapshot.denominator})"
    else:
        value = Decimal(snapshot.numerator)
        detail = ""
    met = rule.compare(value, rule.threshold)
    relation = rule.shown_comparison if met else rule.negated
    shown = _format(value, rule)
    return {
        "met": met, "text": f"{rule.label} {shown}{detail} {relation} {rule.shown_threshold}", "label": rule.label,
        "value": shown, "metric": rule.metric, "numerator": snapshot.numerator, "threshold": rule.shown_threshold,
        "comparison": rule.shown_comparison, "denominator": snapshot.denominator,
    }  # fmt: skip


def _no_data(rules: list[_Rule], reasons: list[dict]) -> bool:
    """A star has no verdict (no data, never won) when the figures its conditions read hold nothing to judge: every
    rate it reads has a zero denominator (a county with no petitions at all reads 0/0 for every petition rate,
    and its zero counts of level-skipping visits prove nothing), or none of its conditions has a figure."""
    if not reasons:
        return False
    rates = [reason for rule, reason in zip(rules, reasons, strict=True) if rule.measure == Measure.RATE]
    if rates:
        return all(reason["value"] is None for reason in rates)
    return all(reason["value"] is None for reason in reasons)


def _negate(comparison: str) -> str:
    return {"gte": "<", "gt": "≤", "lte": ">", "lt": "≥", "eq": "≠"}[comparison]


class ProposalRow(NamedTuple):
    """A star proposal as written (its fields are StarProposal's column attributes): a county's proposals are
    many, and a model instance each would cost more than working them out."""

    division_id: int
    year: int
    star_type_id: int
    earned: bool
    reasons: list
    summary: str
    rule_version: str
    run_id: int


def propose(*, county: Division, year: int, rows: list, run: TallyRun) -> list[ProposalRow]:
    """The proposals for every village of the county, from this tally's snapshot rows (no extra queries per
    village: the rules are read once and the figures are already in memory)."""
    star_types = list(StarType.objects.filter(active=True).prefetch_related("conditions").order_by("position"))
    if not star_types:
        return []
    rules = {star.pk: [_rule(c) for c in star.conditions.all()] for star in star_types}
    wanted = {r.metric for found in rules.values() for r in found}
    figures = {(s.division_code, s.metric): s for s in rows if s.metric in wanted}
    villages = (
        Division.objects.filter(code__startswith=county.prefix, level=Level.VILLAGE)
        .current(datetime.date(year, 12, 31))
        .values_list("pk", "code", "kind")
    )
    kinds_of = {
        star_set: [t for t in star_types if t.star_set == star_set] for star_set in {t.star_set for t in star_types}
    }
    proposals = []
    for village_id, code, kind in villages:
        kinds = kinds_of.get(StarSet.COMMUNITY if kind == DivisionKind.COMMUNITY else StarSet.VILLAGE, [])
        verdicts = {}
        for star in kinds:
            reasons = [_evaluate(r, figures.get((code, r.metric))) for r in rules[star.pk]]
            if _no_data(rules[star.pk], reasons):
                verdicts[star.pk] = (None, reasons)
            else:
                verdicts[star.pk] = (bool(reasons) and all(r["met"] for r in reasons), reasons)
        others_all_earned = all(verdicts[t.pk][0] for t in kinds if not t.capstone)
        for star in kinds:
            earned, reasons = verdicts[star.pk]
            if star.capstone and earned and not others_all_earned:
                earned = False
                reasons = [*reasons, {"met": False, "text": "其余各星未全部获得", "label": ""}]
            if earned is None:
                summary = f"{star.name}: 无数据，不作评定 — " + "; ".join(
                    r["text"] for r in reasons if r["value"] is None
                )
            elif earned:
                summary = f"{star.name}: 拟获得 — " + "; ".join(r["text"] for r in reasons)
            elif not reasons:
                summary = f"{star.name}: 未获得 — 尚未设置评定条件"
            else:
                summary = f"{star.name}: 未获得 — " + "; ".join(r["text"] for r in reasons if not r["met"])
            proposals.append(ProposalRow(village_id, year, star.pk, earned, reasons, summary, RULE_VERSION, run.pk))
    return proposals


def replace_proposals(*, county: Division, year: int, proposals: list[StarProposal]) -> None:
    """The county's proposals for the year become ``proposals``: only those that changed are written (an unchanged
    one keeps the run that proposed it; its rule version is compared)."""
    # By the ids of the county's divisions (current or not), not a join on their codes: the planner, with the
    # year's proposals only just written (statistics not yet up to date), read every proposal of the year.
    divisions = list(Division.objects.filter(code__startswith=county.prefix).values_list("pk", flat=True))
    replace_rows(
        StarProposal.objects.filter(division_id__in=divisions, year=year),
        proposals,
        key=("division", "star_type"),
        compare=("earned", "reasons", "summary", "rule_version"),
    )


# --- the award flow -------------------------------------------------------------------------------------------


def _award(pk_or_obj) -> StarAward:
    pk = pk_or_obj.pk if isinstance(pk_or_obj, StarAward) else pk_or_obj
    return StarAward.objects.select_for_update().select_related("division", "star_type").get(pk=pk)


def _save(award: StarAward, actor, fields: list[str]) -> StarAward:
    award.updated_by = actor
    award.updated_at = timezone.now()
    award._history_user = actor
    award.full_clean()
    award.save(update_fields=[*fields, "updated_by", "updated_at"])
    return award


# The award flow's steps that wait on someone, as a table: the status a step starts from and the roles that take
# it. The services check it, and the to-do lists (villages.todo) read it to say whose turn it is.
AWARD_STEP_ROLES = {
    StarStatus.APPLIED: {Role.TOWNSHIP_STAFF},  # the township's first review
    StarStatus.TOWNSHIP_REVIEWED: {Role.COUNTY_OFFICIAL},  # the county decides
    StarStatus.COUNTY_DECIDED: {Role.COUNTY_OFFICIAL},  # the county publishes the notice
    StarStatus.NOTICE: {Role.COUNTY_OFFICIAL},  # the county awards once the notice is over
}


@transaction.atomic
def star_apply(*, actor, village: Division, year: int, star_type: StarType, note: str = "") -> StarAward:
    """The village applies for a star (or the township on its behalf)."""
    require_role(actor, village.code, {Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF})
    if star_type.star_set != star_set_of(village):
        raise ValidationError({"star_type": _("This star is not awarded to this kind of village.")})
    if StarAward.objects.filter(division=village, year=year, star_type=star_type).exists():
        raise ValidationError({"star_type": _("The village has already applied for this star this year.")})
    proposal = StarProposal.objects.filter(division=village, year=year, star_type=star_type).first()
    award = StarAward(division=village, year=year, star_type=star_type, application_note=note,
                      proposed=proposal.earned if proposal else None, updated_by=actor)  # fmt: skip
    award._history_user = actor
    award.full_clean()
    award.save()
    return award


@transaction.atomic
def star_township_review(*, actor, award: StarAward, opinion: str, support: bool) -> StarAward:
    award = _award(award)
    require_role(actor, award.division.code, AWARD_STEP_ROLES[StarStatus.APPLIED])
    if award.status != StarStatus.APPLIED:
        raise ValidationError(_("Only an application waiting for the township can be reviewed."))
    if not opinion.strip():
        raise ValidationError({"township_opinion": _("Write the township's opinion.")})
    award.township_opinion = opinion.strip()
    award.status = StarStatus.TOWNSHIP_REVIEWED if support else StarStatus.REJECTED
    return _save(award, actor, ["township_opinion", "status"])


@transaction.atomic
def star_county_decide(*, actor, award: StarAward, award_star: bool, reason: str = "") -> StarAward:
    """The county confirms or changes the data's proposal; changing it needs a reason."""
    award = _award(award)
    require_role(actor, award.division.code, AWARD_STEP_ROLES[StarStatus.TOWNSHIP_REVIEWED])
    if award.status != StarStatus.TOWNSHIP_REVIEWED:
        raise ValidationError(_("The county decides after the township's first review."))
    changes = award.proposed is not None and award_star != award.proposed
    if changes and not reason.strip():
        raise ValidationError({"decision_reason": _("The decision differs from the proposal: give the reason.")})
    award.decision = CountyDecision.CHANGE if changes else CountyDecision.CONFIRM
    award.decision_reason = reason.strip()
    award.status = StarStatus.COUNTY_DECIDED if award_star else StarStatus.REJECTED
    return _save(award, actor, ["decision", "decision_reason", "status"])


@transaction.atomic
def star_publish_notice(*, actor, award: StarAward, start: datetime.date) -> StarAward:
    award = _award(award)
    require_role(actor, award.division.code, AWARD_STEP_ROLES[StarStatus.COUNTY_DECIDED])
    if award.status != StarStatus.COUNTY_DECIDED:
        raise ValidationError(_("Only a star the county has decided to award goes to public notice."))
    award.notice_from = start
    award.notice_until = start + datetime.timedelta(days=NOTICE_DAYS)
    award.status = StarStatus.NOTICE
    return _save(award, actor, ["notice_from", "notice_until", "status"])


@transaction.atomic
def star_confirm_award(*, actor, award: StarAward, today: datetime.date | None = None) -> StarAward:
    award = _award(award)
    require_role(actor, award.division.code, AWARD_STEP_ROLES[StarStatus.NOTICE])
    today = today or timezone.localdate()
    if award.status != StarStatus.NOTICE:
        raise ValidationError(_("A star is awarded after its public notice."))
    if today < award.notice_until:
        raise ValidationError(
            _("The public notice runs until %(date)s; the star can be awarded after it.")
            % {"date": award.notice_until.isoformat()}
        )
    award.status = StarStatus.AWARDED
    return _save(award, actor, ["status"])


@transaction.atomic
def star_remove(*, actor, award: StarAward, reason: str) -> StarAward:
    """Take a star away (摘星), e.g. after a discipline case; the record stays, with the reason."""
    award = _award(award)
    require_role(actor, award.division.code, {Role.COUNTY_OFFICIAL})
    if award.status != StarStatus.AWARDED:
        raise ValidationError(_("Only an awarded star can be removed."))
    if not reason.strip():
        raise ValidationError({"decision_reason": _("Give the reason for removing the star.")})
    award.status = StarStatus.REMOVED
    award.decision_reason = reason.strip()
    return _save(award, actor, ["status", "decision_reason"])


# --- reading ----------------------------------------------------------------------------------------------------


def star_counts(*, division: Division, year: int) -> dict:
    """For the division and each child: villages by number of stars (awarded and proposed) and by star type.

    GROUP BY queries over the villages' awards and proposals, keyed by the child's code prefix.
    """
    n = LEVEL_PREFIX_LENGTH[division.child_level] if division.child_level else 12
    children = list(division.children.order_by("code")) if division.child_level else []
    below = Q(division__code__startswith=division.prefix, year=year)
    totals = {
        row["u"]: row["c"]
        for row in Division.objects.filter(code__startswith=division.prefix, level=Level.VILLAGE)
        .annotate(u=Substr("code", 1, n))
        .values("u")
        .annotate(c=Count("pk"))
        .order_by()
    }
    sources = {
        "awarded": StarAward.objects.filter(below, status=StarStatus.AWARDED),
        "proposed": StarProposal.objects.filter(below, earned=True),
    }
    figures: dict[str, dict] = {u: {"villages": c} for u, c in totals.items()}
    for name, qs in sources.items():
        for unit in figures.values():
            unit[name] = {"by_level": {str(k): 0 for k in range(6)}, "by_type": {}}
        for row in qs.values("division__code").annotate(c=Count("pk")).order_by():
            unit = figures.get(row["division__code"][:n])
            if unit is not None:
                unit[name]["by_level"][str(min(row["c"], 5))] += 1
        for row in (
            qs.annotate(u=Substr("division__code", 1, n))
            .values("u", "star_type__code")
            .annotate(c=Count("pk"))
            .order_by()
        ):
            if row["u"] in figures:
                figures[row["u"]][name]["by_type"][row["star_type__code"]] = row["c"]
        for unit in figures.values():
            unit[name]["by_level"]["0"] = unit["villages"] - sum(unit[name]["by_level"].values())

    def entry(unit: Division, figure: dict | None) -> dict:
        empty = {"by_level": {str(k): 0 for k in range(6)}, "by_type": {}}
        figure = figure or {"villages": 0, "awarded": empty, "proposed": empty}
        return {"code": unit.code, "name": unit.name, **figure}

    child_entries = [entry(c, figures.get(c.code[:n])) for c in children]
    own = {"villages": sum(f["villages"] for f in figures.values())}
    for name in sources:
        levels = {str(k): sum(f[name]["by_level"][str(k)] for f in figures.values()) for k in range(6)}
        types: dict[str, int] = {}
        for f in figures.values():
            for code, count in f[name]["by_type"].items():
                types[code] = types.get(code, 0) + count
        own[name] = {"by_level": levels, "by_type": types}
    return {"division": entry(division, own), "children": child_entries}


def village_stars(*, village: Division, year: int) -> list[dict]:
    """Each star of the village's set: proposal with its reasons, the award's state, and last year's award."""
    types = StarType.objects.filter(active=True, star_set=star_set_of(village)).order_by("position")
    proposals = {p.star_type_id: p for p in StarProposal.objects.filter(division=village, year=year)}
    awards = {
        (a.star_type_id, a.year): a for a in StarAward.objects.filter(division=village, year__in=[year, year - 1])
    }
    rows = []
    for star in types:
        award = awards.get((star.pk, year))
        last = awards.get((star.pk, year - 1))
        held_last = last is not None and last.status == StarStatus.AWARDED
        held_now = award is not None and award.status == StarStatus.AWARDED
        change = "gained" if held_now and not held_last else "removed" if held_last and not held_now else ""
        rows.append({"star": star, "proposal": proposals.get(star.pk), "award": award, "change": change})
    return rows


def star_level_counts_by_village(*, division: Division, year: int):
    """Villages under the division with their count of awarded and proposed stars (one query)."""
    return (
        Division.objects.filter(code__startswith=division.prefix, level=Level.VILLAGE)
        .annotate(
            awarded=Count("stars", filter=Q(stars__year=year, stars__status=StarStatus.AWARDED), distinct=True),
        )
        .order_by("code")
    )
