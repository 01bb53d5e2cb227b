"""HTML pages of the follow-up records. A view parses, calls a selector or a service, and renders.

Out of scope is 404 (``get_visible_or_404``); in scope without a role that may act, 403 (``require_role``, and
the services check again).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from villages.choices import Level
from villages.excel import xlsx_response
from villages.models import Cadre, Division, Post
from villages.replica import reads_from_replica
from villages.scopes import get_visible_or_404, has_role, refusal, require_role
from villages.sections import division_sections
from villages.views import apply_form_errors

from ..models import Check, Review
from . import forms, ledgers, selectors, services
from .choices import (
    COUNTY_ONLY,
    FOLLOWUP_READERS,
    MEASURE_REPORTERS,
    MEASURE_VERIFIERS,
    RECORD_BOOK_PUBLISHERS,
    RECORD_BOOK_WRITERS,
    TALK_RUNG,
    TOWNSHIP_OR_COUNTY,
    Book,
    MeasureStatus,
    ProblemKind,
)
from .models import (
    CommonMeasure,
    Evaluation,
    EvaluationMeeting,
    Evidence,
    Measure,
    Problem,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)

PAGE_SIZE = 50


def _breadcrumbs(user, division) -> list[Division]:
    codes = division.ancestor_codes()
    visible = {d.code: d for d in Division.objects.visible_to(user).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


def _division(request, code, roles=FOLLOWUP_READERS, village=False) -> Division:
    division = get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)
    if village and division.level != Level.VILLAGE:
        raise Http404
    require_role(request.user, division.code, roles)
    return division


def _context(request, division, **extra) -> dict:
    return {
        "division": division,
        "breadcrumbs": _breadcrumbs(request.user, division),
        "sections": division_sections(division),
        **extra,
    }


def _page(request, queryset):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


# Overview and ledger


@login_required
def overview(request, code):
    """Problems by check and kind, plans by progress, overdue measures; per child division for a county."""
    division = _division(request, code)
    campaign = selectors.latest_campaign(division)
    context = _context(request, division, campaign=campaign, is_village=division.level == Level.VILLAGE)
    if campaign is not None:
        context.update(
            problems=selectors.problems_by_check(division=division, campaign=campaign),
            progress=selectors.plan_progress(division=division, campaign=campaign),
            children=selectors.overdue_by_child(division=division, campaign=campaign),
            overdue=list(
                selectors.measure_list(user=request.user, division=division, campaign=campaign, overdue=True)[
                    :PAGE_SIZE
                ]
            ),
            flagged=list(selectors.evaluation_list(user=request.user, division=division, flagged_only=True)[:50]),
            plans=_page(request, selectors.plan_list(user=request.user, division=division, campaign=campaign)),
            can_file=has_role(request.user, division.code, TOWNSHIP_OR_COUNTY),
            can_adopt=division.level == Level.COUNTY and has_role(request.user, division.code, COUNTY_ONLY),
            common_measures=CommonMeasure.objects.filter(campaign=campaign).order_by("pk")
            if division.level == Level.COUNTY
            else None,
        )
    return render(request, "reviews/followup/overview.html", context)


@reads_from_replica
@login_required
def ledger(request, code):
    division = _division(request, code)
    campaign = selectors.latest_campaign(division)
    if campaign is None:
        raise Http404
    sheets = ledgers.sheets(user=request.user, division=division, campaign=campaign)
    return xlsx_response(f"{division.name}-整改台账.xlsx", sheets)


# Problems and common measures


@login_required
def problems(request, code):
    division = _division(request, code)
    campaign = selectors.latest_campaign(division)
    kind = request.GET.get("kind", "")
    kind = kind if kind in ProblemKind.values else ""
    rows = selectors.problem_list(user=request.user, division=division, campaign=campaign, kind=kind)
    return render(
        request,
        "reviews/followup/problems.html",
        _context(
            request,
            division,
            page=_page(request, rows),
            kind=kind,
            kinds=ProblemKind.choices,
            can_file=has_role(request.user, division.code, TOWNSHIP_OR_COUNTY),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def problem_create(request, code):
    division = _division(request, code, roles=TOWNSHIP_OR_COUNTY)
    campaign = selectors.latest_campaign(division)
    if campaign is None:
        raise Http404
    villages = (
        Division.objects.villages().current().below(division)
        if not division.is_village
        else (Division.objects.filter(pk=division.pk))
    )
    form = forms.ProblemForm(
        request.POST or None,
        checks=Check.objects.filter(template_id=campaign.template_id),
        villages=villages.order_by("code"),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            problem = services.problem_create(
                actor=request.user,
                campaign=campaign,
                check=data["check_item"],
                kind=data["kind"],
                title=data["title"],
                description=data["description"],
                villages=data["villages"],
                source=data["source"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Problem filed."))
            return redirect(problem)
    return render(
        request, "reviews/followup/form.html", _context(request, division, form=form, title=_("File a problem"))
    )


@login_required
def problem(request, pk):
    item = get_visible_or_404(
        Problem.objects.select_related("check_item", "campaign", "county", "review__village"), request.user, pk=pk
    )
    code = next(iter(item.links.values_list("village__code", flat=True)), item.county.code)
    require_role_any(request.user, item, FOLLOWUP_READERS)
    villages = Division.objects.visible_to(request.user).filter(review_problems=item).order_by("code")
    return render(
        request,
        "reviews/followup/problem.html",
        {
            "problem": item,
            "villages": villages,
            "common_measures": item.common_measures.order_by("pk"),
            "measures": Measure.objects.visible_to(request.user).filter(problem=item).select_related("plan__village"),
            "division": Division.objects.filter(code=code).first(),
        },
    )


def require_role_any(user, problem: Problem, roles) -> None:
    """A problem touches many villages: reading it needs a reading role over any of them."""
    if not Problem.objects.visible_to(user, roles=roles).filter(pk=problem.pk).exists():
        raise refusal(roles)


@login_required
@require_http_methods(["GET", "POST"])
def common_measure_create(request, code):
    division = _division(request, code, roles=COUNTY_ONLY)
    if division.level != Level.COUNTY:
        raise Http404
    campaign = selectors.latest_campaign(division)
    if campaign is None:
        raise Http404
    form = forms.CommonMeasureForm(
        request.POST or None, problems=Problem.objects.filter(campaign=campaign, kind=ProblemKind.COMMON)
    )
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.common_measure_create(actor=request.user, campaign=campaign, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Common measure adopted."))
            return redirect(measure)
    return render(
        request, "reviews/followup/form.html", _context(request, division, form=form, title=_("Adopt a common measure"))
    )


@login_required
def common_measure(request, pk):
    item = get_visible_or_404(CommonMeasure.objects.select_related("county", "campaign"), request.user, pk=pk)
    if not CommonMeasure.objects.visible_to(request.user, roles=FOLLOWUP_READERS).filter(pk=item.pk).exists():
        raise refusal(FOLLOWUP_READERS)
    return render(
        request,
        "reviews/followup/common_measure.html",
        {
            "measure": item,
            "problems": Problem.objects.visible_to(request.user)
            .filter(common_measures=item)
            .select_related("check_item"),
            "applied": Measure.objects.visible_to(request.user)
            .filter(common_measure=item)
            .select_related("plan__village")[:200],
        },
    )


# Plans and measures


@login_required
@require_http_methods(["GET", "POST"])
def plan_create(request, code):
    village = _division(request, code, roles=TOWNSHIP_OR_COUNTY, village=True)
    campaign = selectors.latest_campaign(village)
    if campaign is None:
        raise Http404
    existing = RectificationPlan.objects.filter(campaign=campaign, village=village).first()
    if existing is not None:
        return redirect(existing)
    form = forms.PlanForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(actor=request.user, campaign=campaign, village=village, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            return redirect(plan)
    return render(
        request, "reviews/followup/form.html", _context(request, village, form=form, title=_("Rectification plan"))
    )


def _plan(request, pk, roles=FOLLOWUP_READERS) -> RectificationPlan:
    plan = get_visible_or_404(
        RectificationPlan.objects.select_related("village__parent", "campaign"), request.user, pk=pk
    )
    require_role(request.user, plan.village.code, roles)
    return plan


def _measure_form(plan, data=None):
    return forms.MeasureForm(
        data,
        problems=Problem.objects.filter(links__village=plan.village, campaign=plan.campaign),
        common_measures=CommonMeasure.objects.filter(campaign=plan.campaign),
    )


@login_required
def plan(request, pk):
    item = _plan(request, pk)
    can_add = has_role(request.user, item.village.code, TOWNSHIP_OR_COUNTY)
    return render(
        request,
        "reviews/followup/plan.html",
        _context(
            request,
            item.village,
            plan=item,
            measures=selectors.plan_detail(item),
            problems=Problem.objects.filter(links__village=item.village, campaign=item.campaign).select_related(
                "check_item"
            ),
            form=_measure_form(item) if can_add else None,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def measure_add(request, pk):
    item = _plan(request, pk, roles=TOWNSHIP_OR_COUNTY)
    form = _measure_form(item, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            measure = services.measure_add(actor=request.user, plan=item, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Measure added."))
            return redirect(measure)
    return render(
        request, "reviews/followup/form.html", _context(request, item.village, form=form, title=_("Add a measure"))
    )


def _measure(request, pk, roles=FOLLOWUP_READERS) -> Measure:
    measure = get_visible_or_404(
        Measure.objects.select_related("plan__village__parent", "plan__campaign", "problem", "common_measure"),
        request.user,
        pk=pk,
    )
    require_role(request.user, measure.plan.village.code, roles)
    return measure


def _measure_page(request, measure, **forms_given):
    code = measure.plan.village.code
    can_report = has_role(request.user, code, MEASURE_REPORTERS)
    can_verify = has_role(request.user, code, MEASURE_VERIFIERS)
    context = _context(
        request,
        measure.plan.village,
        measure=measure,
        evidence=measure.evidence.select_related("uploaded_by"),
        can_report=can_report and measure.status == MeasureStatus.IN_PROGRESS,
        can_upload=can_report and measure.status != MeasureStatus.CLOSED,
        can_verify=can_verify and measure.status == MeasureStatus.DONE,
        evidence_form=forms_given.get("evidence_form") or forms.EvidenceForm(),
        note_form=forms_given.get("note_form") or forms.NoteForm(),
        reason_form=forms_given.get("reason_form") or forms.ReasonForm(),
        history=measure.history.select_related("history_user").order_by("-history_date")[:20],
    )
    status = 400 if forms_given else 200
    return render(request, "reviews/followup/measure.html", context, status=status)


@login_required
def measure(request, pk):
    return _measure_page(request, _measure(request, pk))


def _transition(request, pk, roles, call, success, form_name=None, form_class=None):
    item = _measure(request, pk, roles=roles)
    form = form_class(request.POST) if form_class else None
    if form is not None and not form.is_valid():
        return _measure_page(request, item, **{form_name: form})
    try:
        call(item, form.cleaned_data if form else {})
    except ValidationError as exc:
        form = form or forms.NoteForm(request.POST)
        form.is_valid()
        apply_form_errors(form, exc)
        return _measure_page(request, item, **{form_name or "note_form": form})
    messages.success(request, success)
    return redirect(item)


@login_required
@require_POST
def measure_done(request, pk):
    return _transition(
        request,
        pk,
        MEASURE_REPORTERS,
        lambda m, d: services.measure_report_done(actor=request.user, measure=m),
        _("Measure reported done."),
    )


@login_required
@require_POST
def measure_close(request, pk):
    return _transition(
        request,
        pk,
        MEASURE_VERIFIERS,
        lambda m, d: services.measure_close(actor=request.user, measure=m, note=d["note"]),
        _("Measure verified and closed."),
        "note_form",
        forms.NoteForm,
    )


@login_required
@require_POST
def measure_send_back(request, pk):
    return _transition(
        request,
        pk,
        MEASURE_VERIFIERS,
        lambda m, d: services.measure_send_back(actor=request.user, measure=m, reason=d["reason"]),
        _("Measure sent back."),
        "reason_form",
        forms.ReasonForm,
    )


@login_required
@require_POST
def evidence_upload(request, pk):
    item = _measure(request, pk, roles=MEASURE_REPORTERS)
    form = forms.EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.evidence_upload(actor=request.user, measure=item, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Evidence uploaded."))
            return redirect(item)
    return _measure_page(request, item, evidence_form=form)


@login_required
def evidence(request, pk):
    """Files are served only through their measure's scope, as downloads, under the name they were uploaded with."""
    item = get_visible_or_404(Evidence.objects.select_related("measure__plan__village"), request.user, pk=pk)
    require_role(request.user, item.measure.plan.village.code, FOLLOWUP_READERS)
    response = FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.original_name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Democratic evaluation


@login_required
def evaluations(request, code):
    division = _division(request, code)
    return render(
        request,
        "reviews/followup/evaluations.html",
        _context(
            request,
            division,
            meetings=_page(request, selectors.meeting_list(user=request.user, division=division)),
            flagged=selectors.evaluation_list(user=request.user, division=division, flagged_only=True)[:200],
            can_record=division.is_village and has_role(request.user, division.code, TOWNSHIP_OR_COUNTY),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def evaluation_create(request, code):
    village = _division(request, code, roles=TOWNSHIP_OR_COUNTY, village=True)
    cadres = Cadre.objects.filter(division=village, active=True).order_by("name")
    form = forms.EvaluationForm(request.POST or None, cadres=cadres)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.evaluation_record(
                actor=request.user,
                village=village,
                year=data["year"],
                date=data["date"],
                organizer=data["organizer"],
                expected=data["expected"],
                attendance=data["attendance"],
                scale=data["scale"],
                results=form.results(),
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Evaluation recorded."))
            return redirect(meeting)
    return render(request, "reviews/followup/evaluation_form.html", _context(request, village, form=form))


@login_required
def evaluation_meeting(request, pk):
    meeting = get_visible_or_404(
        EvaluationMeeting.objects.select_related("village__parent", "scale", "created_by"), request.user, pk=pk
    )
    require_role(request.user, meeting.village.code, FOLLOWUP_READERS)
    rows = meeting.evaluations.select_related("cadre").order_by("cadre__name")
    return render(
        request,
        "reviews/followup/evaluation_meeting.html",
        _context(request, meeting.village, meeting=meeting, rows=rows),
    )


# Talks


@login_required
def talks(request, code):
    division = _division(request, code)
    return render(
        request,
        "reviews/followup/talks.html",
        _context(
            request,
            division,
            page=_page(request, selectors.talk_list(user=request.user, division=division)),
            can_record=division.is_village and has_role(request.user, division.code, TOWNSHIP_OR_COUNTY),
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def talk_create(request, code):
    village = _division(request, code, roles=TOWNSHIP_OR_COUNTY, village=True)
    form = forms.TalkForm(
        request.POST or None,
        initial={"cadre": request.GET.get("cadre")},
        cadres=Cadre.objects.filter(division=village).order_by("-active", "name"),
        reviews=Review.objects.filter(village=village).select_related("campaign"),
        evaluations=Evaluation.objects.filter(cadre__division=village).select_related("cadre"),
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        number = data.pop("petition")
        petition = None
        if number:
            from petitions.models import Petition  # the one link into the petitions app, one way

            petition = Petition.objects.visible_to(request.user).filter(number=number).first()
            if petition is None:
                form.add_error("petition", _("No petition with this case number in your scope."))
        if not form.errors:
            try:
                talk = services.talk_record(actor=request.user, petition=petition, **data)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("Talk recorded."))
                return redirect(talk)
    return render(
        request, "reviews/followup/form.html", _context(request, village, form=form, title=_("Record a talk"))
    )


@login_required
@require_http_methods(["GET", "POST"])
def talk(request, pk):
    item = get_visible_or_404(
        Talk.objects.select_related("village__parent", "cadre", "review__campaign", "evaluation", "petition"),
        request.user,
        pk=pk,
    )
    require_role(request.user, item.village.code, FOLLOWUP_READERS)
    can_follow = has_role(request.user, item.village.code, TOWNSHIP_OR_COUNTY)
    form = forms.FollowUpForm(initial={"follow_up": item.follow_up, "outcome": item.outcome})
    status = 200
    if request.method == "POST":
        require_role(request.user, item.village.code, TOWNSHIP_OR_COUNTY)
        form = forms.FollowUpForm(request.POST)
        if form.is_valid():
            try:
                services.talk_follow_up(actor=request.user, talk=item, **form.cleaned_data)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("Follow-up recorded."))
                return redirect(item)
        status = 400
    return render(
        request,
        "reviews/followup/talk.html",
        _context(
            request,
            item.village,
            talk=item,
            form=form if can_follow else None,
            adjustments=item.adjustments.select_related("adjustment__outgoing"),
            posts=Post.objects.filter(cadre=item.cadre, end_date__isnull=True) if can_follow else (),
            ladder=[(t, TALK_RUNG[t.kind]) for t in Talk.objects.filter(cadre=item.cadre).order_by("held_at", "pk")],
        ),
        status=status,
    )


# Record books


def _entry_form(village, data=None, initial=None):
    return forms.RecordEntryForm(
        data,
        initial=initial,
        cadres=Cadre.objects.filter(division=village).order_by("-active", "name"),
        entries=RecordEntry.objects.filter(village=village).select_related("cadre").order_by("-date", "-pk"),
    )


@login_required
def books(request, code):
    village = _division(request, code, village=True)
    can_write = has_role(request.user, village.code, RECORD_BOOK_WRITERS)
    return render(
        request,
        "reviews/followup/books.html",
        _context(
            request,
            village,
            cadres=selectors.record_books(village=village),
            books=Book.choices,
            publications=selectors.publications(village=village),
            form=_entry_form(village) if can_write else None,
            publish_form=forms.PublishForm() if has_role(request.user, village.code, RECORD_BOOK_PUBLISHERS) else None,
        ),
    )


@login_required
@require_http_methods(["GET", "POST"])
def entry_add(request, code):
    village = _division(request, code, roles=RECORD_BOOK_WRITERS, village=True)
    form = _entry_form(village, request.POST or None, initial={"corrects": request.GET.get("corrects")})
    if request.method == "POST" and form.is_valid():
        try:
            services.record_entry_add(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Entry added."))
            return redirect("followup:books", code=village.code)
    return render(
        request, "reviews/followup/form.html", _context(request, village, form=form, title=_("Add a record-book entry"))
    )


@login_required
@require_POST
def publish(request, code):
    village = _division(request, code, roles=RECORD_BOOK_PUBLISHERS, village=True)
    form = forms.PublishForm(request.POST)
    if form.is_valid():
        try:
            publication = services.record_books_publish(
                actor=request.user, village=village, period=form.cleaned_data["period"]
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Published."))
            return redirect(publication)
    return render(
        request,
        "reviews/followup/form.html",
        _context(request, village, form=form, title=_("Publish a month of the books")),
        status=400,
    )


@login_required
def publication(request, pk):
    item = get_visible_or_404(
        RecordBookPublication.objects.select_related("village__parent", "published_by"), request.user, pk=pk
    )
    require_role(request.user, item.village.code, FOLLOWUP_READERS)
    grouped: dict[str, dict[str, list]] = {}
    for entry in item.entries:
        grouped.setdefault(entry["cadre"], {}).setdefault(entry["book"], []).append(entry)
    return render(
        request,
        "reviews/followup/publication.html",
        {"publication": item, "division": item.village, "grouped": grouped, "books": Book.choices},
    )


# Adjustments on a basis


@login_required
@require_http_methods(["GET", "POST"])
def adjust(request, pk):
    post = get_visible_or_404(Post.objects.select_related("cadre", "division"), request.user, pk=pk)
    require_role(request.user, post.division.code, TOWNSHIP_OR_COUNTY)
    form = forms.AdjustForm(
        request.POST or None,
        incoming=Cadre.objects.filter(division=post.division, active=True).exclude(pk=post.cadre_id),
        reviews=Review.objects.filter(village=post.division).select_related("campaign"),
        evaluations=Evaluation.objects.filter(cadre=post.cadre),
        talks=Talk.objects.filter(cadre=post.cadre),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.cadre_adjust_on_basis(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Adjustment recorded."))
            return redirect(post.division)
    return render(
        request,
        "reviews/followup/form.html",
        _context(
            request,
            post.division,
            form=form,
            title=_("Adjust %(post)s %(name)s") % {"post": post, "name": post.cadre.name},
        ),
    )
