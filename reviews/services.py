"""Every write to the reviews app: one function per action, one transaction each, raising ValidationError.

The three levels of a review move draft → submitted; the level above may send a submitted level back
(returned, with a reason) or reopen it (back to draft, recorded with a reason) as long as the level above
has not itself been submitted. The village level must be submitted before the township level can be, and the
township level before the county level. The township's diagnosis (问诊) opens when the village's
self-diagnosis (自诊) is submitted; the county may open it earlier, recorded with who, when and why
(``review_township_open_early``). The county closes a review when its levels are done (``review_close``): from
then on nothing is returned or reopened, and the village sees the township's and the county's levels.
"""

import datetime
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Sum
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from villages.bulk import upsert_changed
from villages.choices import Level
from villages.history import audited_save, copy_to_history
from villages.models import Division, Post
from villages.people import display_name
from villages.scopes import is_unrestricted, require_role, roles_for
from villages.snapshots import recompute_after_change
from villages.stats import data_changed
from villages.validators import NOTE_MAX, TEXT_MAX

from . import grading
from .choices import (
    COUNTY_ROLES,
    EDITABLE_STATUSES,
    POST_RATER_ROLES,
    STAGE_ROLES,
    SUPERVISOR_ROLES,
    Grade,
    LevelStatus,
    Stage,
    TemplateStatus,
    below_done,
    stage_above,
    stage_below,
)
from .models import (
    Campaign,
    Check,
    Element,
    Item,
    ItemScore,
    PostRating,
    Review,
    ReviewLevel,
    SampleDraw,
    ScorecardTemplate,
    VetoRule,
    require_county_role,
)
from .rules import template_rules
from .sampling import draw_sample, sample_sizes

TEMPLATE_FIELDS = ("name", "good_min", "fairly_good_min", "average_min")
ONSITE_FIELDS = ("onsite_visits", "onsite_talks", "onsite_documents", "onsite_notes", "first_evaluation")
_SMALL_INT_MAX = 32767


_save = audited_save  # validated; a save that changes nothing writes no history (villages.history)


# Templates


def _require_template_owner(actor, template: ScorecardTemplate) -> None:
    """A county's template is changed by its organization department; the shared one only by an administrator."""
    if template.division_id is None:
        if not is_unrestricted(actor):
            raise PermissionDenied
        return
    require_county_role(actor, template.division.code, COUNTY_ROLES)


def _refuse_if_in_use(template: ScorecardTemplate) -> None:
    # The row lock makes a campaign being created on this template wait, or this change wait for it.
    ScorecardTemplate.objects.select_for_update().filter(pk=template.pk).first()
    if template.campaigns.exists():
        raise ValidationError(
            _("This template is in use by a campaign and cannot be changed. Copy it into a new version instead.")
        )


@transaction.atomic
def template_update(*, actor, template: ScorecardTemplate, **changes) -> ScorecardTemplate:
    """The name and the grade cut-offs, while no campaign uses the template."""
    _require_template_owner(actor, template)
    unknown = set(changes) - set(TEMPLATE_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    template = ScorecardTemplate.objects.get(pk=template.pk)
    _refuse_if_in_use(template)
    for field, value in changes.items():
        setattr(template, field, value)
    _refuse_unreachable(template)
    return _save(template, actor=actor)


def _refuse_unreachable(template: ScorecardTemplate) -> None:
    maximum = template.items.aggregate(total=Sum("max_points"))["total"] or Decimal(0)
    if maximum and template.good_min > maximum:
        message = _("No review can reach %(min)s: the items add up to %(max)s.")
        raise ValidationError({"good_min": message % {"min": template.good_min, "max": maximum}})


@transaction.atomic
def template_publish(*, actor, template: ScorecardTemplate) -> ScorecardTemplate:
    """Campaigns can be run only on a published template."""
    _require_template_owner(actor, template)
    template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status == TemplateStatus.PUBLISHED:
        raise ValidationError(_("This template is already published."))
    if not template.items.exists():
        raise ValidationError(_("A template needs items before it can be published."))
    _refuse_unreachable(template)
    template.status = TemplateStatus.PUBLISHED
    return _save(template, actor=actor, update_fields=["status"])


@transaction.atomic
def template_copy(
    *, actor, template: ScorecardTemplate, division: Division | None, year: int | None = None, name: str = ""
) -> ScorecardTemplate:
    """A new draft version of ``template`` (checks, elements, items and vetoes), for ``division``'s county or,
    with no division, as a shared template. The copy gets the next version number of its year."""
    if not ScorecardTemplate.objects.visible_to(actor).filter(pk=template.pk).exists():
        raise Http404
    if division is None:
        if not is_unrestricted(actor):
            raise ValidationError({"division": _("Choose the county the new version belongs to.")})
    else:
        require_role(actor, division.code, COUNTY_ROLES)
        if division.level != Level.COUNTY:
            raise ValidationError({"division": _("A template belongs to a county.")})
    year = year or template.year
    same_year = ScorecardTemplate.objects.filter(division=division, year=year)
    version = (same_year.aggregate(v=Max("version"))["v"] or 0) + 1
    copy = ScorecardTemplate(
        division=division,
        name=name or template.name,
        year=year,
        version=version,
        status=TemplateStatus.DRAFT,
        good_min=template.good_min,
        fairly_good_min=template.fairly_good_min,
        average_min=template.average_min,
        copied_from=template,
    )
    _save(copy, actor=actor)
    checks = list(template.checks.order_by("number"))
    new_checks = bulk_create_with_history(
        [Check(template=copy, number=c.number, name=c.name) for c in checks], Check, default_user=actor
    )
    check_ids = {old.pk: new.pk for old, new in zip(checks, new_checks, strict=True)}
    elements = list(Element.objects.filter(parent_check__template=template).order_by("parent_check__number", "number"))
    new_elements = bulk_create_with_history(
        [Element(parent_check_id=check_ids[e.parent_check_id], number=e.number, name=e.name) for e in elements],
        Element,
        default_user=actor,
    )
    element_ids = {old.pk: new.pk for old, new in zip(elements, new_elements, strict=True)}
    items = list(template.items.order_by("number"))
    new_items = bulk_create_with_history(
        [
            Item(
                template=copy,
                element_id=element_ids[i.element_id],
                number=i.number,
                content=i.content,
                explanation=i.explanation,
                rule=i.rule,
                max_points=i.max_points,
                note_required=i.note_required,
            )
            for i in items
        ],
        Item,
        default_user=actor,
    )
    item_ids = {old.pk: new.pk for old, new in zip(items, new_items, strict=True)}
    bulk_create_with_history(
        [
            VetoRule(template=copy, name=v.name, item_id=item_ids.get(v.item_id), grade=v.grade)
            for v in template.vetoes.order_by("pk")
        ],
        VetoRule,
        default_user=actor,
    )
    return copy


@transaction.atomic
def veto_rule_add(*, actor, template: ScorecardTemplate, name: str, grade: str, item: Item | None = None) -> VetoRule:
    _require_template_owner(actor, template)
    _refuse_if_in_use(template)
    return _save(VetoRule(template=template, name=(name or "").strip(), grade=grade, item=item), actor=actor)


@transaction.atomic
def veto_rule_delete(*, actor, rule: VetoRule) -> None:
    _require_template_owner(actor, rule.template)
    _refuse_if_in_use(rule.template)
    rule._history_user = actor
    rule.delete()


# Campaigns


@transaction.atomic
def campaign_create(
    *,
    actor,
    division: Division,
    template: ScorecardTemplate,
    name: str,
    start_date: datetime.date,
    end_date: datetime.date,
) -> Campaign:
    """A campaign for a county: one review per current village under it, each with its village and township
    levels ready (the county level comes with the sample), in bulk inserts."""
    require_role(actor, division.code, COUNTY_ROLES)
    # Locked so the template cannot change while it becomes in use (see _refuse_if_in_use).
    template = ScorecardTemplate.objects.select_for_update().get(pk=template.pk)
    errors = {}
    if division.level != Level.COUNTY:
        errors["division"] = _("A campaign is run by a county.")
    if template.status != TemplateStatus.PUBLISHED:
        errors["template"] = _("Publish the template before running a campaign on it.")
    elif template.division_id not in (None, division.pk):
        errors["template"] = _("This template belongs to another county.")
    if errors:
        raise ValidationError(errors)
    campaign = Campaign(
        division=division,
        template=template,
        name=(name or "").strip(),
        start_date=start_date,
        end_date=end_date,
        created_by=actor,
    )
    _save(campaign, actor=actor)
    village_ids = list(
        Division.objects.current().villages().below(division).order_by("code").values_list("pk", flat=True)
    )
    if not village_ids:
        raise ValidationError({"division": _("There are no current villages under this county.")})
    reviews = bulk_create_with_history(
        [Review(campaign=campaign, village_id=pk) for pk in village_ids], Review, default_user=actor
    )
    bulk_create_with_history(
        [ReviewLevel(review=r, level=stage) for r in reviews for stage in (Stage.VILLAGE, Stage.TOWNSHIP)],
        ReviewLevel,
        default_user=actor,
    )
    # The calendar periods from its start on read it now (a campaign entered late starts in the past).
    recompute_after_change(division_code=division.code, campaign_id=campaign.pk)
    return campaign


@transaction.atomic
def sample_draw(*, actor, campaign: Campaign, share: Decimal, minimum: int = 1, seed: int | None = None) -> SampleDraw:
    """Draw the county's sample (once per campaign) and open a county level for each village drawn."""
    require_county_role(actor, campaign.division.code, COUNTY_ROLES)
    if SampleDraw.objects.filter(campaign=campaign).exists():
        raise ValidationError(_("This campaign's sample has already been drawn; it is not drawn twice."))
    errors = {}
    if share is None or not (Decimal(0) < share <= 1):
        errors["share"] = _("The share is more than 0 and at most 1 (0.2 is one in five).")
    if minimum is None or minimum < 0:
        errors["minimum"] = _("The minimum per township cannot be negative.")
    if errors:
        raise ValidationError(errors)
    if seed is None:
        seed = secrets.randbelow(10**9)
    reviews = dict(campaign.reviews.values_list("village__code", "pk"))
    drawn = draw_sample(reviews, share=share, minimum=minimum, seed=seed)
    sizes = sample_sizes(reviews, share=share, minimum=minimum)
    rule = _(
        "From each township, %(pct)s of its villages rounded up, at least %(min)d (%(n)d townships, %(k)d "
        "villages): villages sorted by code, townships taken in code order, drawn with Python's "
        "random.Random(%(seed)d).sample."
    ) % {
        "pct": f"{format((share * 100).normalize(), 'f')}%",
        "min": minimum,
        "n": len(sizes),
        "k": len(drawn),
        "seed": seed,
    }
    draw = _save(
        SampleDraw(
            campaign=campaign, rule=rule, share=share, minimum=minimum, seed=seed, drawn_codes=drawn, drawn_by=actor
        ),
        actor=actor,
    )
    drawn_ids = [reviews[code] for code in drawn]
    Review.objects.filter(pk__in=drawn_ids).update(sampled=True)
    data_changed(campaign.division.code)
    bulk_create_with_history(
        [ReviewLevel(review_id=pk, level=Stage.COUNTY) for pk in drawn_ids], ReviewLevel, default_user=actor
    )
    return draw


def sample_verify(draw: SampleDraw) -> bool:
    """Re-run the recorded draw over the campaign's villages: True when it gives the same villages."""
    codes = draw.campaign.reviews.values_list("village__code", flat=True)
    return draw_sample(codes, share=draw.share, minimum=draw.minimum, seed=draw.seed) == sorted(draw.drawn_codes)


# The levels of a review


def _stale_error(level: ReviewLevel) -> ValidationError:
    current = ReviewLevel.objects.select_related("updated_by").get(pk=level.pk)
    if current.status not in EDITABLE_STATUSES:
        return ValidationError(
            {
                "version": ValidationError(
                    _("This level has been submitted and is locked; nothing was saved."), code="locked"
                )
            }
        )
    who = display_name(current.updated_by) or "—"
    when = timezone.localtime(current.updated_at).strftime("%H:%M") if current.updated_at else ""
    message = _(
        "%(who)s saved this level at %(when)s, after you opened it, so your changes were not saved. Nothing of "
        "theirs or yours is lost: your entries are still in the form. Open the saved version to compare, then "
        "save again."
    ) % {"who": who, "when": when}
    return ValidationError({"version": ValidationError(message, code="stale")})


def _validate_onsite(level: ReviewLevel, onsite: Mapping) -> dict:
    errors = {}
    if level.level != Stage.TOWNSHIP:
        if any(v not in (None, "") for v in onsite.values()):
            errors["onsite_visits"] = _("Only the township level records on-site checks and a first evaluation.")
        return errors
    for field, value in onsite.items():
        if field not in ONSITE_FIELDS:
            errors[field] = _("This field cannot be set here.")
        elif field in ("onsite_notes", "first_evaluation"):
            if not isinstance(value, str):
                errors[field] = _("Enter text.")
            elif len(value) > TEXT_MAX:  # written with an UPDATE, which no model validation sees
                counts = {"limit_value": TEXT_MAX, "show_value": len(value)}
                errors[field] = _("Ensure this value has at most %(limit_value)d characters (it has %(show_value)d).")
                errors[field] %= counts
        elif value is not None and (not isinstance(value, int) or not 0 <= value <= _SMALL_INT_MAX):
            errors[field] = _("Enter a whole number, 0 or more.")
    return errors


def _level_inputs(level: ReviewLevel, posted: Mapping | None = None):
    """The template, its rules (cached per process: ``reviews.rules``) and what the level holds now (one query
    whatever the item count). Not read when ``posted`` holds every item of the scorecard (as the page sends
    it): nothing saved then counts toward the result, and the upsert leaves the equal rows alone itself."""
    template = level.review.campaign.template
    rules = template_rules(template)
    if posted is not None and len(posted) >= len(rules.by_id) and all(pk in posted for pk in rules.by_id):
        return template, rules, None
    saved = {
        item_id: grading.ScoreInput(score=score, passed=passed, note=note)
        for item_id, score, passed, note in ItemScore.objects.filter(level=level)
        .order_by()
        .values_list("item_id", "score", "passed", "note")
    }
    return template, rules, saved


def _stored(entry: grading.ScoreInput) -> grading.ScoreInput:
    """The entry as an item score keeps it: the note without surrounding blanks."""
    note = (entry.note or "").strip()
    return entry if entry.note == note else grading.ScoreInput(score=entry.score, passed=entry.passed, note=note)


def _record(level: ReviewLevel, actor, reason: str = "") -> None:
    """The history row of a write made with a conditional UPDATE (which bypasses the model's save)."""
    copy_to_history(ReviewLevel, level.pk, user=actor, reason=reason)
    _recompute(level.review)


def _recompute(review: Review) -> None:
    """Every change to a review's levels or ratings moves its campaign's figures, however old the campaign: ask
    for the county's tally of the campaign's period and of the calendar periods that read it."""
    recompute_after_change(division_code=review.village.code, campaign_id=review.campaign_id)


@transaction.atomic
def review_level_save_draft(
    *,
    actor,
    level: ReviewLevel,
    scores: Mapping[int, grading.ScoreInput],
    expected_version: int,
    conditions: Iterable[int] | None = None,
    onsite: Mapping | None = None,
    ratings: Mapping[int, tuple[str, str]] | None = None,
) -> ReviewLevel:
    """Save what was entered (all items or some) as the level's draft, if nobody saved it since
    ``expected_version``. Out-of-range scores refuse the whole save; missing notes are allowed in a draft.
    ``ratings`` (post id → (grade, note); the township's and the county's levels) are the post holders' ratings
    (岗位履职评价) entered on the scorecard, written in the same transaction.

    A constant number of queries whatever the item count: the saved scores are read once (the template's items
    and vetoes come from the per-process cache), the level is updated with ``WHERE version = expected``, and the
    scores that changed are written in one upsert.
    """
    review = level.review
    require_role(actor, review.village.code, STAGE_ROLES[level.level])
    errors: dict[str, list[str]] = _closed_or_not_open(level)
    if errors:
        raise ValidationError(errors)
    template, rules, saved = _level_inputs(level, posted=scores)
    items, vetoes, by_id = rules.items, rules.vetoes, rules.by_id
    unknown = sorted(set(scores) - set(by_id))
    if unknown:
        errors["scores"] = [_("These are not items of this scorecard: %(ids)s") % {"ids": unknown}]
    for item_id, entry in scores.items():
        if item_id in by_id:
            problems = grading.item_errors(by_id[item_id], entry, complete=False)
            if problems:
                errors[f"item_{item_id}"] = problems
    condition_ids = None
    if conditions is not None:
        condition_ids = set(conditions)
        if condition_ids - rules.condition_ids:
            errors["conditions"] = [_("Only the named veto conditions of this scorecard can be ticked.")]
    onsite = dict(onsite or {})
    errors.update({k: [v] for k, v in _validate_onsite(level, onsite).items()})
    rating_rows = None
    if ratings:
        rating_rows, rating_errors = _validate_ratings(level, ratings)
        errors.update(rating_errors)
    if errors:
        raise ValidationError(errors)

    # What is written, as it is stored (notes stripped), and of it only what differs from what is saved (the
    # whole scorecard, when it was not read: the upsert then skips the equal rows).
    scores = {item_id: _stored(e) for item_id, e in scores.items()}
    if saved is None:
        changed, merged = scores, scores
    else:
        changed = {item_id: e for item_id, e in scores.items() if saved.get(item_id) != e}
        merged = {**saved, **scores}
    if condition_ids is None:
        condition_ids = set(level.conditions.values_list("pk", flat=True))
    result = grading.level_result(template, items, merged, vetoes, condition_ids)
    now = timezone.now()
    values = {
        "total_score": result.total,
        "scored_count": result.scored,
        "grade": result.grade,
        "veto_reasons": "；".join(result.vetoes),
        "updated_by": actor,
        "updated_at": now,
        **onsite,
    }
    updated = ReviewLevel.objects.filter(pk=level.pk, version=expected_version, status__in=EDITABLE_STATUSES).update(
        version=F("version") + 1, **values
    )
    if not updated:
        raise _stale_error(level)
    if changed:
        # No per-score history (see ItemScore): the level's history row below records the save.
        written = upsert_changed(
            ItemScore,
            [(level.pk, item_id, e.score, e.passed, e.note) for item_id, e in changed.items()],
            columns=["level_id", "item_id", "score", "passed", "note"],
            unique=["level", "item"],
        )
        if written:
            data_changed(review.village.code)  # an upsert sends no signal
    if conditions is not None:
        level.conditions.set(condition_ids)
    if rating_rows:
        _write_ratings(review, rating_rows, actor=actor, now=now)
    for field, value in values.items():
        setattr(level, field, value)
    level.version = expected_version + 1
    _record(level, actor)
    return level


def level_open(review: Review, levels: Mapping[str, ReviewLevel], stage: str) -> bool:
    """Whether the level's authors may work on it now: the township's diagnosis opens with the village's submitted
    self-diagnosis, or earlier when the county opened it (``review_township_open_early``)."""
    if stage != Stage.TOWNSHIP or review.township_opened_early_at is not None:
        return True
    village = levels.get(Stage.VILLAGE)
    return village is None or village.status == LevelStatus.SUBMITTED


def _closed_or_not_open(level: ReviewLevel) -> dict[str, list[str]]:
    """Why a level cannot be written now: its review is closed, or (the township's) the village has not submitted
    its self-diagnosis and the county has not opened the township's diagnosis early."""
    review = Review.objects.filter(pk=level.review_id).values("closed_at", "township_opened_early_at").first()
    if review["closed_at"] is not None:
        return {"__all__": [_("This review has been closed by the county; its levels can no longer be changed.")]}
    if level.level == Stage.TOWNSHIP and review["township_opened_early_at"] is None:
        village = ReviewLevel.objects.filter(review_id=level.review_id, level=Stage.VILLAGE).values("status").first()
        if village is not None and village["status"] != LevelStatus.SUBMITTED:
            return {
                "__all__": [
                    _(
                        "The township diagnosis opens when the village has submitted its self-diagnosis. To start "
                        "earlier, ask the county organization department to open it."
                    )
                ]
            }
    return {}


def current_posts(review: Review):
    """The posts rated in a review: those the village's cadres hold now."""
    return Post.objects.filter(division_id=review.village_id, end_date__isnull=True)


def _validate_ratings(level: ReviewLevel, ratings: Mapping[int, tuple[str, str]]):
    """The ratings entered on a scorecard, checked field by field (``rating_<post id>``); blank grades are left
    as they are (a draft need not rate everyone)."""
    errors: dict[str, list[str]] = {}
    if level.level not in (Stage.TOWNSHIP, Stage.COUNTY):
        return {}, {"ratings": [_("Post holders are rated at the township's and the county's levels.")]}
    posts = set(current_posts(level.review).values_list("pk", flat=True))
    rows = {}
    for post_id, (grade, note) in ratings.items():
        note = (note or "").strip()
        key = f"rating_{post_id}"
        if post_id not in posts:
            errors[key] = [_("This post is not held in this village now.")]
        elif not grade:
            if note:
                errors[key] = [_("Choose a grade for this post holder, or clear the note.")]
        elif grade not in Grade.values:
            errors[key] = [_("Choose a grade.")]
        elif grade in (Grade.AVERAGE, Grade.POOR) and not note:
            errors[key] = [_("Say why when rating a post Average or Poor.")]
        elif len(note) > NOTE_MAX:
            errors[key] = [_("Keep the note within %(n)d characters.") % {"n": NOTE_MAX}]
        else:
            rows[post_id] = (grade, note)
    return rows, errors


def _write_ratings(review: Review, rows: Mapping[int, tuple[str, str]], *, actor, now) -> None:
    """Create or change the ratings that differ, in bulk (with their history rows)."""
    existing = {r.post_id: r for r in PostRating.objects.select_for_update().filter(review=review, post_id__in=rows)}
    created, changed = [], []
    for post_id, (grade, note) in rows.items():
        rating = existing.get(post_id)
        if rating is None:
            created.append(
                PostRating(review=review, post_id=post_id, grade=grade, note=note, rated_by=actor, rated_at=now)
            )
        elif (rating.grade, rating.note) != (grade, note):
            rating.grade, rating.note, rating.rated_by, rating.rated_at = grade, note, actor, now
            changed.append(rating)
    if created:
        bulk_create_with_history(created, PostRating, default_user=actor)
    if changed:
        bulk_update_with_history(changed, PostRating, ["grade", "note", "rated_by", "rated_at"], default_user=actor)


def _unrated_posts(review: Review) -> dict[str, list[str]]:
    """The township's diagnosis rates every current post holder (岗位履职评价) before it is submitted."""
    rated = PostRating.objects.filter(review=review).values("post_id")
    missing = current_posts(review).exclude(pk__in=rated).values_list("pk", flat=True)
    return {f"rating_{pk}": [_("Rate this post holder before submitting.")] for pk in missing}


@transaction.atomic
def review_level_submit(*, actor, level: ReviewLevel, expected_version: int) -> ReviewLevel:
    """Lock the level as it was saved: every item scored, every deduction that needs a note explained, the level
    below submitted first, and (for the township) the review meeting's first evaluation written."""
    review = level.review
    require_role(actor, review.village.code, STAGE_ROLES[level.level])
    closed = _closed_or_not_open(level)
    if closed and level.level != Stage.TOWNSHIP:
        raise ValidationError(closed)
    template, rules, saved = _level_inputs(level)
    items, vetoes = rules.items, rules.vetoes
    errors: dict[str, list[str]] = {}
    for item in items:
        problems = grading.item_errors(item, saved.get(item.pk), complete=True)
        if problems:
            errors[f"item_{item.pk}"] = problems
    below = stage_below(level.level)
    if below:
        below_status = ReviewLevel.objects.filter(review=review, level=below).values_list("status", flat=True).first()
        if not below_done(level.level, below_status):
            errors["__all__"] = [_("The %(level)s must be submitted first.") % {"level": Stage(below).label}]
    if level.level == Stage.TOWNSHIP:
        current_text = ReviewLevel.objects.filter(pk=level.pk).values_list("first_evaluation", flat=True).first()
        if not (current_text or "").strip():
            errors["first_evaluation"] = [_("Write the review meeting's first evaluation before submitting.")]
        errors.update(_unrated_posts(review))
        if closed and "__all__" not in errors:
            errors["__all__"] = closed["__all__"]
    if errors:
        raise ValidationError(errors)
    condition_ids = set(level.conditions.values_list("pk", flat=True))
    result = grading.level_result(template, items, saved, vetoes, condition_ids)
    now = timezone.now()
    values = {
        "status": LevelStatus.SUBMITTED,
        "total_score": result.total,
        "scored_count": result.scored,
        "grade": result.grade,
        "veto_reasons": "；".join(result.vetoes),
        "submitted_by": actor,
        "submitted_at": now,
        "updated_by": actor,
        "updated_at": now,
    }
    changed = ReviewLevel.objects.filter(pk=level.pk, version=expected_version, status__in=EDITABLE_STATUSES).update(
        version=F("version") + 1, **values
    )
    if not changed:
        raise _stale_error(level)
    for field, value in values.items():
        setattr(level, field, value)
    level.version = expected_version + 1
    _record(level, actor)
    _refresh_final_grade(review, actor=actor)
    return level


def _supervise(actor, level: ReviewLevel, reason: str) -> ReviewLevel:
    """Checks shared by returning and reopening: the role above, a submitted level, a reason, and the level
    above not yet submitted (it rests on this one; reopen or return it first)."""
    require_role(actor, level.review.village.code, SUPERVISOR_ROLES[level.level])
    level = ReviewLevel.objects.select_for_update().select_related("review__village").get(pk=level.pk)
    errors = {}
    if level.status != LevelStatus.SUBMITTED:
        errors["__all__"] = [_("Only a submitted level can be sent back or reopened.")]
    if Review.objects.filter(pk=level.review_id, closed_at__isnull=False).exists():
        errors["__all__"] = [_("This review has been closed by the county; its levels can no longer be changed.")]
    above = stage_above(level.level)
    if (
        above
        and ReviewLevel.objects.filter(review_id=level.review_id, level=above, status=LevelStatus.SUBMITTED).exists()
    ):
        errors["__all__"] = [
            _("The %(level)s has already been submitted; it must be reopened first.") % {"level": Stage(above).label}
        ]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason.")]
    if errors:
        raise ValidationError(errors)
    return level


@transaction.atomic
def review_level_return(*, actor, level: ReviewLevel, reason: str) -> ReviewLevel:
    """The level above sends a submitted level back to its authors (退回), saying why."""
    require_role(actor, level.review.village.code, SUPERVISOR_ROLES[level.level])
    if level.level == Stage.COUNTY:
        raise ValidationError(_("The county level has no level above it to return it."))
    level = _supervise(actor, level, reason)
    now = timezone.now()
    level.status = LevelStatus.RETURNED
    level.returned_reason = reason.strip()
    level.returned_by = actor
    level.returned_at = now
    level.updated_by = actor
    level.updated_at = now
    level.version += 1
    _save(level, actor=actor, reason=level.returned_reason)
    _refresh_final_grade(level.review, actor=actor)
    _recompute(level.review)
    return level


@transaction.atomic
def review_level_reopen(*, actor, level: ReviewLevel, reason: str) -> ReviewLevel:
    """Unlock a submitted level for correction, as an explicit action of the level above, recorded with why."""
    level = _supervise(actor, level, reason)
    now = timezone.now()
    level.status = LevelStatus.DRAFT
    level.reopened_reason = reason.strip()
    level.reopened_by = actor
    level.reopened_at = now
    level.updated_by = actor
    level.updated_at = now
    level.version += 1
    _save(level, actor=actor, reason=level.reopened_reason)
    _refresh_final_grade(level.review, actor=actor)
    _recompute(level.review)
    return level


def _refresh_final_grade(review: Review, *, actor) -> None:
    """The final grade is the highest submitted level's, the village's own excepted."""
    submitted = dict(
        ReviewLevel.objects.filter(
            review=review, level__in=[Stage.TOWNSHIP, Stage.COUNTY], status=LevelStatus.SUBMITTED
        ).values_list("level", "grade")
    )
    stage = Stage.COUNTY if Stage.COUNTY in submitted else Stage.TOWNSHIP if Stage.TOWNSHIP in submitted else ""
    grade = submitted.get(stage, "")
    review = Review.objects.get(pk=review.pk)
    if (review.final_grade, review.final_stage) != (grade, stage):
        review.final_grade, review.final_stage = grade, stage
        _save(review, actor=actor, update_fields=["final_grade", "final_stage"])


# Opening early and closing


@transaction.atomic
def review_township_open_early(*, actor, review: Review, reason: str) -> Review:
    """The county lets the township start its diagnosis before the village has submitted its self-diagnosis
    (an on-site visit that cannot wait): recorded with who, when and why."""
    require_role(actor, review.village.code, COUNTY_ROLES)
    review = Review.objects.select_for_update().select_related("village").get(pk=review.pk)
    errors = {}
    if review.closed_at is not None:
        errors["__all__"] = [_("This review has been closed by the county; its levels can no longer be changed.")]
    elif review.township_opened_early_at is not None:
        errors["__all__"] = [_("The township diagnosis of this review has already been opened early.")]
    elif ReviewLevel.objects.filter(review=review, level=Stage.VILLAGE, status=LevelStatus.SUBMITTED).exists():
        errors["__all__"] = [_("The village has submitted its self-diagnosis: the township diagnosis is open.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Give the reason.")]
    if errors:
        raise ValidationError(errors)
    review.township_opened_early_by = actor
    review.township_opened_early_at = timezone.now()
    review.township_opened_early_reason = reason.strip()
    return _save(
        review,
        actor=actor,
        reason=review.township_opened_early_reason,
        update_fields=["township_opened_early_by", "township_opened_early_at", "township_opened_early_reason"],
    )


def close_blockers(review: Review, levels: Mapping[str, ReviewLevel]) -> list[str]:
    """Why the county cannot close a review yet (empty when it can): the township's diagnosis submitted, and the
    county's re-diagnosis too when the village is in the sample."""
    if review.closed_at is not None:
        return [_("This review is already closed.")]
    problems = []
    township = levels.get(Stage.TOWNSHIP)
    if township is None or township.status != LevelStatus.SUBMITTED:
        problems.append(_("The township diagnosis is not submitted yet."))
    if review.sampled:
        county = levels.get(Stage.COUNTY)
        if county is None or county.status != LevelStatus.SUBMITTED:
            problems.append(_("The village is in the county's sample: submit the county re-diagnosis first."))
    return problems


@transaction.atomic
def review_close(*, actor, review: Review) -> Review:
    """The county signs off a review (审定): its levels are locked for good, its final grade stands, and the village
    may read the township's and the county's levels from then on."""
    require_role(actor, review.village.code, COUNTY_ROLES)
    review = Review.objects.select_for_update().select_related("village").get(pk=review.pk)
    levels = {lv.level: lv for lv in ReviewLevel.objects.filter(review=review)}
    problems = close_blockers(review, levels)
    if problems:
        raise ValidationError({"__all__": problems})
    review.closed_by = actor
    review.closed_at = timezone.now()
    _save(review, actor=actor, update_fields=["closed_by", "closed_at"])
    _recompute(review)
    return review


@transaction.atomic
def campaign_close_ready(*, actor, campaign: Campaign) -> int:
    """Close every review of the campaign that is ready (``selectors.ready_to_close_q``) in one go: the county's
    sign-off of a township's submitted diagnoses. Returns how many were closed."""
    from .selectors import ready_to_close_q

    require_county_role(actor, campaign.division.code, COUNTY_ROLES)
    now = timezone.now()
    reviews = list(Review.objects.select_for_update().filter(ready_to_close_q(), campaign=campaign).order_by("pk"))
    for review in reviews:
        review.closed_by, review.closed_at = actor, now
    if reviews:
        bulk_update_with_history(reviews, Review, ["closed_by", "closed_at"], default_user=actor)
        recompute_after_change(division_code=campaign.division.code, campaign_id=campaign.pk)
    return len(reviews)


# Post ratings


@transaction.atomic
def post_rating_set(*, actor, review: Review, post: Post, grade: str, note: str = "") -> PostRating:
    """Rate a post holder. The township rates while its level is open; the county, for the villages in its
    sample, while its own level is open."""
    require_role(actor, review.village.code, POST_RATER_ROLES)
    if Review.objects.filter(pk=review.pk, closed_at__isnull=False).exists():
        raise ValidationError(_("This review has been closed by the county; its levels can no longer be changed."))
    held = roles_for(actor, review.village.code)
    open_stages = set(
        ReviewLevel.objects.filter(review=review, status__in=EDITABLE_STATUSES).values_list("level", flat=True)
    )
    may = (Stage.TOWNSHIP in open_stages and (held & STAGE_ROLES[Stage.TOWNSHIP])) or (
        Stage.COUNTY in open_stages and (held & STAGE_ROLES[Stage.COUNTY])
    )
    if not may:
        raise ValidationError(_("Post ratings can be changed only while your level of this review is open."))
    errors = {}
    if post.division_id != review.village_id:
        errors["post"] = _("This post belongs to another village.")
    elif post.end_date is not None and post.end_date < review.campaign.start_date:
        errors["post"] = _("This post had ended before the campaign began.")
    if grade not in Grade.values:
        errors["grade"] = _("Choose a grade.")
    if errors:
        raise ValidationError(errors)
    rating = PostRating.objects.select_for_update().filter(review=review, post=post).first()
    if rating is None:
        rating = PostRating(review=review, post=post)
    rating.grade = grade
    rating.note = (note or "").strip()
    rating.rated_by = actor
    rating.rated_at = timezone.now()
    _save(rating, actor=actor)
    _recompute(review)
    return rating
