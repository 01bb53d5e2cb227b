"""HTML pages of the reviews app. A view parses, calls a selector or a service, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_http_methods, require_POST

from villages.choices import Level
from villages.excel import xlsx_response
from villages.models import Division, Post
from villages.people import display_name
from villages.scopes import get_visible_or_404, has_role, is_unrestricted, refusal, require_role, user_scopes
from villages.sections import division_sections
from villages.views import apply_form_errors

from . import grading, ledgers, selectors, services
from .choices import (
    COUNTY_ROLES,
    POST_RATER_ROLES,
    READER_ROLES,
    STAGE_ORDER,
    STAGE_ROLES,
    SUPERVISOR_ROLES,
    Grade,
    LevelStatus,
    Stage,
    TemplateStatus,
    stage_above,
)
from .forms import (
    BoardFilterForm,
    CampaignForm,
    PostRatingForm,
    ReasonForm,
    SampleDrawForm,
    ScorecardForm,
    SubmitForm,
    TemplateCopyForm,
    TemplateForm,
    VetoForm,
)
from .models import Campaign, Review, ReviewLevel, SampleDraw, ScorecardTemplate, VetoRule, require_county_role
from .rules import template_rules
from .visibility import (
    level_readable,
    readable_stages,
    sees_open_upper_levels_under,
    sees_upper_levels,
    who_may_change,
)

BOARD_PAGE_SIZE = 100


def _breadcrumbs(user, division) -> list[Division]:
    """The divisions above ``division`` that the user may see, from the top (one query)."""
    codes = division.ancestor_codes()
    visible = {d.code: d for d in Division.objects.visible_to(user).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


def _division(request, code) -> Division:
    division = get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)
    require_role(request.user, division.code, READER_ROLES)
    return division


def _review(request, pk) -> Review:
    review = get_visible_or_404(
        Review.objects.select_related("village__parent", "campaign__template", "campaign__division"),
        request.user,
        pk=pk,
    )
    require_role(request.user, review.village.code, READER_ROLES)
    return review


# What a level's pages show with it; a save needs less (what it does not load is read only if a page shows it).
_LEVEL_RELATED = (
    "review__village__parent",
    "review__campaign__template",
    "review__campaign__division",
    "updated_by",
    "submitted_by",
    "returned_by",
    "reopened_by",
    "review__township_opened_early_by",
)
_LEVEL_SAVE_RELATED = ("review__village", "review__campaign__template")


def _level(request, pk, level, related=_LEVEL_RELATED) -> ReviewLevel:
    """The level with its review, village, campaign and template, in one query, under the same scope rule as the
    review's (the level's own scope field is the review's village)."""
    found = (
        ReviewLevel.objects.visible_to(request.user).filter(review_id=pk, level=level).select_related(*related).first()
    )
    if found is None:
        _review(request, pk)  # 404 or 403 for the review itself, as its own page answers
        raise Http404  # the county level exists only for the villages in the county's sample
    require_role(request.user, found.review.village.code, READER_ROLES)
    if not level_readable(request.user, found):
        raise Http404  # not the reader's yet (reviews.visibility): as if it did not exist
    return found


def _campaign_choice(request, division):
    campaigns = selectors.campaigns_for(user=request.user, division=division)
    chosen = request.GET.get("campaign")
    campaign = None
    if chosen and chosen.isdigit():
        campaign = campaigns.filter(pk=int(chosen)).first()
    return campaigns, campaign or campaigns.first()


# The board


@login_required
def board(request, code):
    """Every village under the division with its three levels: status, grade, who acted last; filters; progress."""
    division = _division(request, code)
    campaigns, campaign = _campaign_choice(request, division)
    form = BoardFilterForm(request.GET or None, campaigns=campaigns, initial={"campaign": campaign})
    filters = form.cleaned_data if form.is_valid() else {}
    context = {
        "division": division,
        "breadcrumbs": _breadcrumbs(request.user, division),
        "sections": division_sections(division),
        "campaign": campaign,
        "form": form,
        "stages": STAGE_ORDER,
        "can_create_campaign": division.level == Level.COUNTY and has_role(request.user, division.code, COUNTY_ROLES),
    }
    if campaign is not None:
        reviews = selectors.board_reviews(
            user=request.user,
            campaign=campaign,
            division=division,
            stage=filters.get("stage", ""),
            status=filters.get("status", ""),
            grade=filters.get("grade", ""),
            q=filters.get("q", ""),
        )
        page = Paginator(reviews, BOARD_PAGE_SIZE).get_page(request.GET.get("page"))
        rows = selectors.board_rows(page.object_list)
        for row in rows:
            row["readable"] = readable_stages(request.user, row["review"], dict(row["levels"]))
            row["show_final"] = Stage.TOWNSHIP in row["readable"]
        context.update(
            page=page,
            rows=rows,
            progress=selectors.board_progress(campaign=campaign, division=division),
            stats=selectors.review_stats(campaign=campaign, division=division)
            if division.level != Level.VILLAGE
            else None,
            query=_query_without_page(request),
        )
    template = "reviews/_board_rows.html" if request.htmx and campaign else "reviews/board.html"
    return render(request, template, context)


def _query_without_page(request) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@login_required
def gaps(request, code):
    """How far each division's villages rate themselves above their township, and the township above the county."""
    division = _division(request, code)
    campaigns, campaign = _campaign_choice(request, division)
    closed_only = not sees_open_upper_levels_under(request.user, division.code)
    rows = selectors.level_gaps(campaign=campaign, division=division, closed_only=closed_only) if campaign else []
    chart = {
        "labels": [row["division"].name for row in rows],
        "gap": [float(row["gap"]) if row["gap"] is not None else None for row in rows],
        "county_gap": [float(row["county_gap"]) if row["county_gap"] is not None else None for row in rows],
        "gapLabel": _("Self minus township"),
        "countyGapLabel": _("Township minus county"),
    }
    return render(
        request,
        "reviews/gaps.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division),
            "sections": division_sections(division),
            "campaign": campaign,
            "campaigns": campaigns,
            "rows": rows,
            "chart": chart,
        },
    )


@login_required
def ledger(request, code):
    """The campaign ledger: one row per village under the division, with each level's scores and grades."""
    division = _division(request, code)
    _campaigns, campaign = _campaign_choice(request, division)
    if campaign is None:
        raise Http404
    reviews = (
        Review.objects.visible_to(request.user)
        .filter(campaign=campaign, village__code__startswith=division.prefix)
        .select_related("village__parent")
        .prefetch_related("levels")
        .order_by("village__code")
    )
    headers, rows = ledgers.campaign_ledger(
        campaign=campaign,
        division=division,
        reviews=reviews,
        readable=lambda review, levels: readable_stages(request.user, review, levels),
    )
    return xlsx_response(f"{division.name}-{campaign.name}-台账.xlsx", [(division.name, headers, rows)])


# Campaigns


@login_required
@require_http_methods(["GET", "POST"])
def campaign_create(request, code):
    division = get_visible_or_404(Division.objects, request.user, code=code, level=Level.COUNTY)
    require_role(request.user, division.code, COUNTY_ROLES)
    templates = ScorecardTemplate.objects.filter(status=TemplateStatus.PUBLISHED).filter(
        Q(division__isnull=True) | Q(division=division)
    )
    form = CampaignForm(request.POST or None, templates=templates)
    if request.method == "POST" and form.is_valid():
        try:
            campaign = services.campaign_create(actor=request.user, division=division, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Campaign created with %(n)d reviews.") % {"n": campaign.reviews.count()})
            return redirect(campaign)
    return render(
        request,
        "reviews/campaign_form.html",
        {"form": form, "division": division, "breadcrumbs": _breadcrumbs(request.user, division)},
    )


@login_required
def campaign_detail(request, pk):
    campaign = get_visible_or_404(Campaign.objects.select_related("division", "template"), request.user, pk=pk)
    if not Campaign.objects.visible_to(request.user, roles=READER_ROLES).filter(pk=campaign.pk).exists():
        raise refusal(READER_ROLES)
    draw = SampleDraw.objects.filter(campaign=campaign).select_related("drawn_by").first()
    drawn = []
    if draw is not None:
        drawn = list(
            Review.objects.visible_to(request.user)
            .filter(campaign=campaign, sampled=True)
            .select_related("village__parent")
            .order_by("village__code")
        )
    for review in drawn:
        review.shown_grade = (
            review.get_final_grade_display() if review.is_closed or sees_upper_levels(request.user, review) else ""
        )
    can_draw = draw is None and has_role(request.user, campaign.division.code, COUNTY_ROLES)
    return render(
        request,
        "reviews/campaign_detail.html",
        {
            "campaign": campaign,
            "draw": draw,
            "verified": services.sample_verify(draw) if draw else None,
            "drawn": drawn,
            "can_draw": can_draw,
            "form": SampleDrawForm() if can_draw else None,
            "homes": _home_divisions(request.user, campaign),
            "review_count": campaign.reviews.count(),
            "ready_to_close": campaign.reviews.filter(selectors.ready_to_close_q()).count()
            if has_role(request.user, campaign.division.code, COUNTY_ROLES)
            else 0,
        },
    )


def _home_divisions(user, campaign) -> list[Division]:
    """Where the user's board for this campaign lives: the county, or the user's own divisions in it."""
    county = campaign.division
    if is_unrestricted(user) or has_role(user, county.code, READER_ROLES):
        return [county]
    ids = [s.division_id for s in user_scopes(user) if s.code.startswith(county.prefix)]
    return list(Division.objects.filter(pk__in=ids).order_by("code"))


@login_required
@require_POST
def sample_draw(request, pk):
    campaign = get_visible_or_404(Campaign.objects.select_related("division"), request.user, pk=pk)
    require_county_role(request.user, campaign.division.code, COUNTY_ROLES)
    form = SampleDrawForm(request.POST)
    if form.is_valid():
        try:
            draw = services.sample_draw(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(
                request, _("%(n)d villages drawn with seed %(seed)d.") % {"n": len(draw.drawn_codes), "seed": draw.seed}
            )
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(campaign)


# One review


def _change_notices(user, review, levels: dict[str, ReviewLevel]) -> dict[str, str]:
    """For each submitted level the user cannot send back or reopen: whom to ask (乡镇问诊已提交：如需修改，请联系
    县委组织部退回)."""
    code = review.village.code
    notices = {}
    for stage, level in levels.items():
        if level is None or not level.is_submitted:
            continue
        if review.is_closed:
            notices[stage] = _("The county has closed this review: its levels are final.")
        elif not has_role(user, code, SUPERVISOR_ROLES[stage]):
            notices[stage] = _("%(level)s has been submitted: to change it, ask %(who)s to return it.") % {
                "level": Stage(stage).label,
                "who": who_may_change(stage),
            }
    return notices


def _actions(user, review, levels: dict[str, ReviewLevel]) -> dict[str, dict]:
    """What this user may do at each level, given the roles they hold for the village."""
    code = review.village.code
    actions = {}
    for stage in STAGE_ORDER:
        level = levels.get(stage)
        above = levels.get(stage_above(stage)) if stage_above(stage) else None
        upper_open = (above is None or not above.is_submitted) and not review.is_closed
        supervises = (
            level is not None and level.is_submitted and upper_open and has_role(user, code, SUPERVISOR_ROLES[stage])
        )
        actions[stage] = {
            "edit": level is not None
            and level.is_editable
            and not review.is_closed
            and has_role(user, code, STAGE_ROLES[stage])
            and services.level_open(review, levels, stage),
            "return": supervises and stage != Stage.COUNTY,
            "reopen": supervises,
        }
    return actions


@login_required
def review_detail(request, pk):
    review = _review(request, pk)
    levels = {
        lv.level: lv for lv in review.levels.select_related("updated_by", "submitted_by", "returned_by", "reopened_by")
    }
    posts = list(
        Post.objects.filter(division=review.village, end_date__isnull=True).select_related("cadre").order_by("pk")
    )
    ratings = {r.post_id: r for r in review.post_ratings.select_related("rated_by")}
    open_stages = {s for s, lv in levels.items() if lv.is_editable}
    code = review.village.code
    can_rate = not review.is_closed and (
        (Stage.TOWNSHIP in open_stages and has_role(request.user, code, STAGE_ROLES[Stage.TOWNSHIP]))
        or (Stage.COUNTY in open_stages and has_role(request.user, code, STAGE_ROLES[Stage.COUNTY]))
    )
    readable = readable_stages(request.user, review, levels)
    county_may = has_role(request.user, code, COUNTY_ROLES)
    village = levels.get(Stage.VILLAGE)
    return render(
        request,
        "reviews/review_detail.html",
        {
            "review": review,
            "division": review.village,
            "breadcrumbs": _breadcrumbs(request.user, review.village),
            "levels": [(stage, Stage(stage).label, levels.get(stage)) for stage in STAGE_ORDER],
            "readable": readable,
            "show_upper": Stage.TOWNSHIP in readable,
            "notices": _change_notices(request.user, review, levels),
            "actions": _actions(request.user, review, levels),
            "post_rows": [(post, ratings.get(post.pk)) for post in posts] if Stage.TOWNSHIP in readable else [],
            "can_rate": can_rate,
            "grades": Grade.choices,
            "timeline": selectors.level_timeline(review, stages=readable),
            "reason_form": ReasonForm(),
            "can_close": county_may and not services.close_blockers(review, levels),
            "close_blockers": services.close_blockers(review, levels) if county_may else [],
            "can_open_early": county_may
            and not review.is_closed
            and review.township_opened_early_at is None
            and village is not None
            and not village.is_submitted,
        },
    )


@login_required
@require_POST
def post_rating(request, pk):
    review = _review(request, pk)
    require_role(request.user, review.village.code, POST_RATER_ROLES)
    form = PostRatingForm(request.POST)
    if form.is_valid():
        post = Post.objects.filter(pk=form.cleaned_data["post"], division=review.village).first()
        if post is None:
            messages.error(request, _("This post belongs to another village."))
            return redirect(review)
        try:
            services.post_rating_set(
                actor=request.user,
                review=review,
                post=post,
                grade=form.cleaned_data["grade"],
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Rating saved."))
    else:
        messages.error(request, _("Choose a grade."))
    return redirect(f"{review.get_absolute_url()}#ratings")


@login_required
def compare(request, pk):
    review = _review(request, pk)
    readable = readable_stages(request.user, review, {lv.level: lv for lv in review.levels.all()})
    data = selectors.comparison(review, stages=readable)
    township = review.village.parent
    township_gap = None
    if township is not None and township.parent_id:
        county = Division.objects.get(pk=township.parent_id)
        closed_only = not sees_open_upper_levels_under(request.user, review.village.code)
        township_gap = next(
            (
                row
                for row in selectors.level_gaps(campaign=review.campaign, division=county, closed_only=closed_only)
                if row["division"].pk == township.pk
            ),
            None,
        )
    totals = {stage: (data["levels"][stage].total_score if stage in data["levels"] else None) for stage in STAGE_ORDER}
    return render(
        request,
        "reviews/compare.html",
        {
            "review": review,
            "division": review.village,
            "breadcrumbs": _breadcrumbs(request.user, review.village),
            "checks": data["checks"],
            "levels": data["levels"],
            "totals": totals,
            "stages": [(stage, Stage(stage).label) for stage in STAGE_ORDER],
            "township_gap": township_gap,
        },
    )


# One level: the scorecard


def _scorecard_context(request, level, *, form=None, errors=None, warnings=None, status_message="", conflict=None):
    """What the scorecard needs: the structure with each item's value, errors and warnings, and the totals."""
    review = level.review
    template = review.campaign.template
    rules = template_rules(template)
    items = rules.copies()  # annotated below with what this request shows
    vetoes = rules.vetoes
    saved = {s.item_id: s for s in level.scores.all()}
    conditions = {str(pk) for pk in level.conditions.values_list("pk", flat=True)}
    errors = errors or {}
    entries = {}
    for item in items:
        score = saved.get(item.pk)
        entries[item.pk] = grading.ScoreInput(
            score=score.score if score else None,
            passed=score.passed if score else None,
            note=score.note if score else "",
        )
    if form is not None and form.is_bound:
        # Show what the user typed, not what is stored: a refused save must lose nothing. The hints and the
        # totals follow the typed entries too (when they parse at all).
        entries = form.entries() if form.is_valid() else {}
        if warnings is None:
            warnings = grading.note_warnings(items, entries) if entries else {}
        data = form.data
        conditions = set(data.getlist("conditions"))
        for item in items:
            item.value_score = data.get(f"score_{item.pk}", "")
            item.value_passed = data.get(f"passed_{item.pk}", "")
            item.value_note = data.get(f"note_{item.pk}", "")
        onsite = {name: data.get(name, "") for name in services.ONSITE_FIELDS}
    else:
        for item in items:
            entry = entries[item.pk]
            item.value_score = "" if entry.score is None else grading.format_points(entry.score)
            item.value_passed = "" if entry.passed is None else ("1" if entry.passed else "0")
            item.value_note = entry.note
        onsite = {name: getattr(level, name) for name in services.ONSITE_FIELDS}
        onsite = {k: "" if v is None else v for k, v in onsite.items()}
    warnings = warnings if warnings is not None else grading.note_warnings(items, entries)
    for item in items:
        item.errors = errors.get(item.pk, [])
        item.warning = warnings.get(item.pk, "")
        item.earned = grading.points(item, entries.get(item.pk))
    structure = selectors.group_items(items)
    levels = {lv.level: lv for lv in review.levels.all()}
    levels[level.level] = level
    can_edit = (
        level.is_editable
        and not review.is_closed
        and has_role(request.user, review.village.code, STAGE_ROLES[level.level])
        and services.level_open(review, levels, level.level)
    )
    post_rows = _rating_rows(review, level, form) if level.level in (Stage.TOWNSHIP, Stage.COUNTY) else []
    field_errors = errors.get("fields", {})
    for row in post_rows:
        row["errors"] = field_errors.get(f"rating_{row['post'].pk}", [])
    rated = sum(1 for row in post_rows if row["grade"])
    return {
        "summary": _error_summary(items, post_rows, errors),
        "notices": _change_notices(request.user, review, {level.level: level}),
        "banner": _level_banner(review, level, levels),
        "post_rows": post_rows,
        "rated_count": rated,
        "grades": Grade.choices,
        "review": review,
        "level": level,
        "template": template,
        "division": review.village,
        "breadcrumbs": _breadcrumbs(request.user, review.village),
        "structure": structure,
        "condition_vetoes": [v for v in vetoes if v.item_id is None],
        "item_vetoes": [v for v in vetoes if v.item_id],
        "conditions": conditions,
        "onsite": onsite,
        "can_edit": can_edit,
        "dirty": form is not None and form.is_bound,
        "max_total": rules.max_total,
        "item_count": len(items),
        "onsite_counts": [
            ("onsite_visits", _("Households visited")),
            ("onsite_talks", _("People talked to")),
            ("onsite_documents", _("Documents checked")),
        ],
        "status_message": status_message,
        "conflict": conflict,
        "general_errors": errors.get("general", []),
        "field_errors": errors.get("fields", {}),
        "scoring": {
            "cutoffs": [
                [Grade.GOOD, float(template.good_min)],
                [Grade.FAIRLY_GOOD, float(template.fairly_good_min)],
                [Grade.AVERAGE, float(template.average_min)],
            ],
            "grades": dict(Grade.choices),
            "vetoes": [{"id": v.pk, "item": v.item_id, "grade": v.grade, "name": v.name} for v in vetoes],
            "messages": {
                "range": _("Give between 0 and %(max)s points."),
                "step": _("Score in steps of 0.5 points."),
                "number": _("Enter a number of points."),
                "note": _("Add a note before submitting: a deduction needs one."),
                "unsaved": _("Unsaved changes: save the draft before submitting."),
            },
        },
    }


def _rating_rows(review, level, form) -> list[dict]:
    """The post holders rated at this level (岗位履职评价) with what is saved, or what was typed when a save or a
    submit was refused."""
    posts = list(services.current_posts(review).select_related("cadre").order_by("pk"))
    ratings = {r.post_id: r for r in review.post_ratings.all()}
    data = form.data if form is not None and form.is_bound else None
    rows = []
    for post in posts:
        rating = ratings.get(post.pk)
        if data is not None and f"rating_{post.pk}" in data:
            grade, note = data.get(f"rating_{post.pk}", ""), data.get(f"rating_note_{post.pk}", "")
        else:
            grade, note = (rating.grade, rating.note) if rating else ("", "")
        rows.append({"post": post, "rating": rating, "grade": grade, "note": note})
    return rows


def _posted_ratings(request, review) -> dict[int, tuple[str, str]]:
    """The ratings posted with a scorecard (``rating_<post id>``, ``rating_note_<post id>``)."""
    ratings = {}
    for key, value in request.POST.items():
        if key.startswith("rating_") and key[7:].isdigit():
            ratings[int(key[7:])] = (value.strip(), request.POST.get(f"rating_note_{key[7:]}", ""))
    return ratings


FIELD_LABELS = {
    "first_evaluation": _lazy("First evaluation of the township review meeting"),
    "onsite_visits": _lazy("Households visited"),
    "onsite_talks": _lazy("People talked to"),
    "onsite_documents": _lazy("Documents checked"),
    "onsite_notes": _lazy("On-site findings"),
    "conditions": _lazy("One-vote vetoes found"),
}


def _error_summary(items, post_rows, errors) -> list[dict]:
    """Every problem of a refused save or submit, in page order, each with the anchor of its field."""
    if not errors:
        return []
    summary = [{"anchor": "", "label": "", "message": m} for m in errors.get("general", [])]
    for item in items:
        for message in errors.get(item.pk, []):
            summary.append(
                {"anchor": f"item-{item.pk}", "label": _("Item %(n)d") % {"n": item.number}, "message": message}
            )
    fields = errors.get("fields", {})
    for name, label in FIELD_LABELS.items():
        for message in fields.get(name, []):
            summary.append({"anchor": f"id_{name}", "label": str(label), "message": message})
    for row in post_rows:
        for message in fields.get(f"rating_{row['post'].pk}", []):
            label = f"{row['post']} {row['post'].cadre.name}"
            summary.append({"anchor": f"rating-{row['post'].pk}", "label": label, "message": message})
    shown = {f"rating_{row['post'].pk}" for row in post_rows} | set(FIELD_LABELS)
    for name, messages_ in fields.items():
        if name not in shown:
            summary += [{"anchor": "", "label": "", "message": m} for m in messages_]
    return summary


def _level_banner(review, level, levels) -> dict | None:
    """Why the level is open again (returned or reopened, with the reason), or why it is not open yet."""
    if review.is_closed:
        return None
    if level.status == LevelStatus.RETURNED and level.returned_reason:
        return {
            "kind": "returned",
            "title": _("Returned by %(who)s on %(when)s")
            % {"who": display_name(level.returned_by) or "—", "when": _when(level.returned_at)},
            "reason": level.returned_reason,
        }
    if level.is_editable and level.reopened_at and level.reopened_reason:
        return {
            "kind": "reopened",
            "title": _("Reopened by %(who)s on %(when)s")
            % {"who": display_name(level.reopened_by) or "—", "when": _when(level.reopened_at)},
            "reason": level.reopened_reason,
        }
    if level.is_editable and not services.level_open(review, levels, level.level):
        return {
            "kind": "waiting",
            "title": _("The township diagnosis opens when the village has submitted its self-diagnosis."),
            "reason": _("To start earlier, ask the county organization department to open it."),
        }
    if level.level == Stage.TOWNSHIP and level.is_editable and review.township_opened_early_at:
        return {
            "kind": "early",
            "title": _("Opened before the self-diagnosis by %(who)s on %(when)s")
            % {
                "who": display_name(review.township_opened_early_by) or "—",
                "when": _when(review.township_opened_early_at),
            },
            "reason": review.township_opened_early_reason,
        }
    return None


def _when(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M") if moment else ""


def _split_errors(exc: ValidationError) -> tuple[dict, bool]:
    """A service's errors as {item id: [...], "general": [...], "fields": {name: [...]}}, and whether the save
    was refused because somebody else saved first."""
    result: dict = {"general": [], "fields": {}}
    stale = False
    if not hasattr(exc, "error_dict"):
        result["general"] = list(exc.messages)
        return result, stale
    for key, errors in exc.error_dict.items():
        messages_ = [m for e in errors for m in e.messages]
        if key.startswith("item_") and key[5:].isdigit():
            result[int(key[5:])] = messages_
        elif key in ("version", "__all__", "scores"):
            result["general"] += messages_
            stale = stale or any(e.code == "stale" for e in errors)
        else:
            result["fields"][key] = messages_
    return result, stale


@login_required
def level_detail(request, pk, level):
    level_obj = _level(request, pk, level)
    context = _scorecard_context(request, level_obj)
    return render(request, "reviews/level.html", context)


@login_required
@require_POST
def level_save(request, pk, level):
    level_obj = _level(request, pk, level, related=_LEVEL_SAVE_RELATED)
    require_role(request.user, level_obj.review.village.code, STAGE_ROLES[level_obj.level])
    rules = template_rules(level_obj.review.campaign.template)
    form = ScorecardForm(request.POST, items=rules.items, vetoes=rules.vetoes, stage=level_obj.level)
    status = 200
    conflict = None
    if form.is_valid():
        try:
            saved = services.review_level_save_draft(
                actor=request.user,
                level=level_obj,
                scores=form.entries(),
                expected_version=form.expected_version(),
                conditions=[int(pk) for pk in form.cleaned_data["conditions"]],
                onsite=form.onsite(),
                ratings=_posted_ratings(request, level_obj.review),
            )
        except ValidationError as exc:
            errors, stale = _split_errors(exc)
            status = 409 if stale else 400
            level_obj.refresh_from_db()
            if stale:
                conflict = {"version": level_obj.version, "posted_version": form.cleaned_data["version"]}
            context = _scorecard_context(request, level_obj, form=form, errors=errors)
        else:
            if not request.htmx:
                messages.success(request, _("Draft saved."))
                return redirect(level_obj)
            level_obj = saved  # the service set what it wrote on the level it was given
            saved_at = timezone.localtime(level_obj.updated_at).strftime("%H:%M:%S")
            context = _scorecard_context(
                request,
                level_obj,
                status_message=_("Draft saved at %(time)s (version %(v)d).")
                % {"time": saved_at, "v": level_obj.version},
            )
    else:
        status = 400
        errors = form.item_errors()
        errors["general"] = [_("Some entries are not valid; nothing was saved.")]
        errors["fields"] = {k: v for k, v in form.errors.items() if not k.startswith(("score_", "passed_", "note_"))}
        context = _scorecard_context(request, level_obj, form=form, errors=errors)
    context["conflict"] = conflict
    page = "reviews/_scorecard_form.html" if request.htmx else "reviews/level.html"
    return render(request, page, context, status=status)


@login_required
@require_POST
def level_submit(request, pk, level):
    level_obj = _level(request, pk, level)
    require_role(request.user, level_obj.review.village.code, STAGE_ROLES[level_obj.level])
    form = SubmitForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Reload the page and try again."))
        return redirect(level_obj)
    try:
        services.review_level_submit(actor=request.user, level=level_obj, expected_version=form.cleaned_data["version"])
    except ValidationError as exc:
        errors, _stale = _split_errors(exc)
        count = sum(len(v) for k, v in errors.items() if isinstance(k, int))
        count += sum(len(v) for v in errors["fields"].values()) + len(errors["general"])
        errors["general"] = [
            _("The level was not submitted: %(n)d problems to fix, listed here with links to each.") % {"n": count},
            *errors["general"],
        ]
        level_obj.refresh_from_db()
        context = _scorecard_context(request, level_obj, errors=errors)
        return render(request, "reviews/level.html", context, status=400)
    messages.success(request, _("%(level)s submitted and locked.") % {"level": level_obj.get_level_display()})
    return redirect(level_obj)


def _supervise(request, pk, level, service, done_message):
    level_obj = _level(request, pk, level)
    require_role(request.user, level_obj.review.village.code, SUPERVISOR_ROLES[level_obj.level])
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
        return redirect(level_obj.review)
    try:
        service(actor=request.user, level=level_obj, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done_message % {"level": level_obj.get_level_display()})
    return redirect(level_obj.review)


@login_required
@require_POST
def review_close(request, pk):
    review = _review(request, pk)
    require_role(request.user, review.village.code, COUNTY_ROLES)
    try:
        services.review_close(actor=request.user, review=review)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Review closed: its levels are final, and the village can now read them."))
    return redirect(review)


@login_required
@require_POST
def campaign_close_ready(request, pk):
    campaign = get_visible_or_404(Campaign.objects.select_related("division"), request.user, pk=pk)
    require_county_role(request.user, campaign.division.code, COUNTY_ROLES)
    closed = services.campaign_close_ready(actor=request.user, campaign=campaign)
    if closed:
        messages.success(request, _("%(n)d reviews closed: their levels are final.") % {"n": closed})
    else:
        messages.info(
            request,
            _(
                "No review is ready to close: the township diagnosis (and, when sampled, the county "
                "re-diagnosis) must be submitted first."
            ),
        )
    return redirect(campaign)


@login_required
@require_POST
def township_open_early(request, pk):
    review = _review(request, pk)
    require_role(request.user, review.village.code, COUNTY_ROLES)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
        return redirect(review)
    try:
        services.review_township_open_early(actor=request.user, review=review, reason=form.cleaned_data["reason"])
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request, _("The township diagnosis is open before the self-diagnosis; the reason is recorded.")
        )
    return redirect(review)


@login_required
@require_POST
def level_return(request, pk, level):
    return _supervise(request, pk, level, services.review_level_return, _("%(level)s returned with your reason."))


@login_required
@require_POST
def level_reopen(request, pk, level):
    return _supervise(
        request, pk, level, services.review_level_reopen, _("%(level)s reopened; the reason is recorded.")
    )


@login_required
def level_print(request, pk, level):
    level_obj = _level(request, pk, level)
    context = _scorecard_context(request, level_obj)
    context["printed_at"] = timezone.localtime()
    return render(request, "reviews/level_print.html", context)


# Templates


@login_required
def template_list(request):
    templates = selectors.template_list(user=request.user)
    return render(request, "reviews/template_list.html", {"templates": templates})


def _template(request, pk) -> ScorecardTemplate:
    return get_visible_or_404(
        ScorecardTemplate.objects.select_related("division", "copied_from").annotate(campaign_count=Count("campaigns")),
        request.user,
        pk=pk,
    )


def _owns(user, template) -> bool:
    if template.division_id is None:
        return is_unrestricted(user)
    return has_role(user, template.division.code, COUNTY_ROLES)


def _require_owner(user, template) -> None:
    if not _owns(user, template):
        raise PermissionDenied


def _user_counties(user) -> list[Division]:
    codes = {s.code[:6].ljust(12, "0") for s in user_scopes(user) if s.role in COUNTY_ROLES and len(s.prefix) <= 6}
    return list(Division.objects.filter(code__in=codes, level=Level.COUNTY).order_by("code"))


@login_required
def template_detail(request, pk):
    template = _template(request, pk)
    owner = _owns(request.user, template)
    counties = _user_counties(request.user)
    may_copy = bool(counties) or is_unrestricted(request.user)
    return render(
        request,
        "reviews/template_detail.html",
        {
            "template": template,
            "structure": selectors.template_structure(template.pk),
            "vetoes": template.vetoes.select_related("item"),
            "can_edit": owner and not template.in_use,
            "can_publish": owner and template.status == TemplateStatus.DRAFT,
            "copy_form": TemplateCopyForm(
                counties=counties,
                shared_allowed=is_unrestricted(request.user),
                initial={"year": timezone.localdate().year, "name": template.name},
            )
            if may_copy
            else None,
            "veto_form": VetoForm(template=template) if owner and not template.in_use else None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def template_edit(request, pk):
    template = _template(request, pk)
    _require_owner(request.user, template)
    form = TemplateForm(request.POST or None, instance=ScorecardTemplate.objects.get(pk=template.pk))
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.fields}
        try:
            services.template_update(actor=request.user, template=template, **changes)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(template)
    return render(request, "reviews/template_form.html", {"form": form, "template": template})


@login_required
@require_POST
def template_copy(request, pk):
    template = _template(request, pk)
    counties = _user_counties(request.user)
    if not counties and not is_unrestricted(request.user):
        raise PermissionDenied
    form = TemplateCopyForm(request.POST, counties=counties, shared_allowed=is_unrestricted(request.user))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(template)
    code = form.cleaned_data["division"]
    division = next((d for d in counties if d.code == code), None) if code else None
    try:
        copy = services.template_copy(
            actor=request.user,
            template=template,
            division=division,
            year=form.cleaned_data["year"],
            name=form.cleaned_data["name"],
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(template)
    messages.success(request, _("Copied into version %(v)d of %(year)d.") % {"v": copy.version, "year": copy.year})
    return redirect(copy)


@login_required
@require_POST
def template_publish(request, pk):
    template = _template(request, pk)
    _require_owner(request.user, template)
    try:
        services.template_publish(actor=request.user, template=template)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Template published: campaigns can now use it."))
    return redirect(template)


@login_required
@require_POST
def veto_add(request, pk):
    template = _template(request, pk)
    _require_owner(request.user, template)
    form = VetoForm(request.POST, template=template)
    if form.is_valid():
        try:
            services.veto_rule_add(actor=request.user, template=template, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Veto added."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(template)


@login_required
@require_POST
def veto_delete(request, pk):
    rule = _veto(request, pk)
    _require_owner(request.user, rule.template)
    try:
        services.veto_rule_delete(actor=request.user, rule=rule)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Veto removed."))
    return redirect(rule.template)


def _veto(request, pk) -> VetoRule:
    rule = VetoRule.objects.select_related("template__division").filter(pk=pk).first()
    if rule is None or not ScorecardTemplate.objects.visible_to(request.user).filter(pk=rule.template_id).exists():
        raise Http404
    return rule
