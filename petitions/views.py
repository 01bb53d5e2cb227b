"""HTML pages of petitions and disputes. A view parses, calls a selector or a service, and renders.

Every step of a case is one POST to ``case_action`` (or ``dispute_action``): the view asks the service's own
guard whether the step is open (404 out of scope, 403 without the role, a message when the state does not
allow it), validates the step's form, and calls the service; the service's field errors go back onto the form.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from villages.choices import Level, Role
from villages.excel import xlsx_response
from villages.models import Division
from villages.pagination import DeferredPaginator
from villages.personal_data import log_full_access
from villages.scopes import get_visible_or_404, has_role, require_role, sees_personal_data, user_scopes
from villages.sections import division_sections
from villages.views import apply_form_errors

from . import forms, selectors, services, tallies
from .api.filters import DisputeFilter, PetitionFilter
from .choices import (
    DISPUTE_ENTRY_ROLES,
    DISPUTE_READER_ROLES,
    PETITION_READER_ROLES,
    REGISTRAR_ROLES,
    DisputeSource,
    DisputeStatus,
)
from .history import readable_history
from .ledgers import DISPUTE_COLUMNS, PETITION_COLUMNS, dispute_rows, petition_rows
from .models import DeadlineRules, Dispute, Petition, PetitionAttachment

PAGE_SIZE = 50
DUE_SOON_DAYS = 7


@dataclass
class Step:
    """A step of a case as the page offers it: its form, the service it calls and the button's words."""

    form: type
    service: Any
    label: Any
    icon: str
    style: str = "primary"
    extra: dict = field(default_factory=dict)


PETITION_STEPS = {
    "accept": Step(forms.AcceptForm, services.petition_accept, gettext_lazy("Accept"), "check2-circle"),
    "assign": Step(forms.AssignForm, services.petition_assign, gettext_lazy("Route to a unit"), "send"),
    "refuse": Step(forms.RefuseForm, services.petition_refuse, gettext_lazy("Do not accept"), "x-circle", "danger"),
    "extend": Step(forms.ExtendForm, services.petition_extend, gettext_lazy("Extend the deadline"), "hourglass-split",
                   "secondary"),
    "conclude": Step(forms.ConcludeForm, services.petition_conclude, gettext_lazy("Conclude"), "file-earmark-check"),
    "deliver": Step(forms.DeliverForm, services.petition_deliver, gettext_lazy("Record delivery"), "envelope-check"),
    "rate": Step(forms.RateForm, services.petition_rate, gettext_lazy("Record satisfaction"), "emoji-smile"),
    "return_visit": Step(forms.ReturnVisitForm, services.petition_return_visit, gettext_lazy("Record return visit"),
                         "house-check", "secondary"),
    "review_request": Step(forms.ReviewRequestForm, services.petition_request_review,
                           gettext_lazy("Record a request for review"), "arrow-repeat", "secondary"),
    "review_answer": Step(forms.ReviewAnswerForm, services.petition_answer_review,
                          gettext_lazy("Record the review's answer"), "journal-check"),
    "rereview_request": Step(forms.ReviewRequestForm, services.petition_request_review,
                             gettext_lazy("Record a request for re-review"), "arrow-repeat", "secondary",
                             {"rereview": True}),
    "rereview_answer": Step(forms.ReviewAnswerForm, services.petition_answer_review,
                            gettext_lazy("Record the re-review's answer"), "journal-check", "primary",
                            {"rereview": True}),
    "supervise": Step(forms.SuperviseForm, services.petition_supervise, gettext_lazy("Supervise"),
                      "megaphone", "warning"),
}  # fmt: skip
DISPUTE_STEPS = {
    "mediate": Step(forms.MediationForm, services.dispute_mediate, gettext_lazy("Record mediation"), "people"),
    "follow_up": Step(forms.FollowUpForm, services.dispute_follow_up, gettext_lazy("Record follow-up"),
                      "house-check", "secondary"),
    "escalate": Step(forms.EscalateForm, services.dispute_escalate, gettext_lazy("Escalate"), "arrow-up-right-circle",
                     "warning"),
}  # fmt: skip


def _breadcrumbs(user, division):
    codes = [*division.ancestor_codes(), division.code]
    visible = {d.code: d for d in Division.objects.visible_to(user).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


def _apply_errors(form, exc: ValidationError, lists: dict[str, list] | None = None) -> None:
    """Service errors onto the form; keys named in ``lists`` (the people tables) are collected there instead."""
    if lists and hasattr(exc, "error_dict"):
        rest = {}
        for key, errors in exc.error_dict.items():
            if key in lists:
                lists[key].extend(m for e in errors for m in e.messages)
            else:
                rest[key] = errors
        if not rest:
            return
        exc = ValidationError(rest)
    apply_form_errors(form, exc)


def _people_rows(formset) -> list[dict]:
    return [f.cleaned_data for f in formset.forms if f.cleaned_data and f.cleaned_data.get("name")]


@login_required
def index(request):
    """The petitions start page of the user's first unit: the board, or for village roles the disputes."""
    for scope in user_scopes(request.user):
        if scope.role in PETITION_READER_ROLES and scope.level in {Level.COUNTY, Level.TOWNSHIP}:
            return redirect("petitions:board", code=scope.code)
    for scope in user_scopes(request.user):
        if scope.role in DISPUTE_READER_ROLES:
            return redirect("petitions:disputes", code=scope.code)
    return redirect("home")


# ---------------------------------------------------------------------------------------------- petitions


def _reader_division(request, code, roles=PETITION_READER_ROLES):
    division = get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)
    require_role(request.user, division.code, roles)
    return division


@login_required
def board(request, code):
    """A unit's petitions at a glance: its open and overdue cases, and every rate for a period, by child unit."""
    division = _reader_division(request, code)
    try:
        period = tallies.parse_period(request.GET.get("period"))
    except ValidationError as exc:
        messages.error(request, exc.message_dict["period"][0])
        period = tallies.parse_period(None)
    rates = tallies.petition_rates(division=division, period=period)
    chart = {
        "labels": [c["name"] for c in rates["children"]],
        "series": [
            {"key": key, "name": str(tallies.LABELS[key]), "data": [c["rates"][key]["rate"] for c in rates["children"]]}
            for key in ("timely_acceptance", "on_time_completion", "dispute_resolution", "satisfaction")
        ],
    }
    return render(
        request,
        "petitions/board.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division)[:-1],
            "sections": division_sections(division),
            "period": period,
            "rates": rates,
            "rate_rows": [(key, tallies.LABELS[key], rates["rates"][key]) for key in tallies.RATE_KEYS],
            "rate_keys": tallies.RATE_KEYS,
            "rate_labels": [tallies.LABELS[key] for key in tallies.RATE_KEYS],
            "counts": selectors.petition_counts(user=request.user, division=division, soon_days=DUE_SOON_DAYS),
            "chart": chart,
            "soon_days": DUE_SOON_DAYS,
            "can_register": division.level in services.UNIT_LEVELS
            and has_role(request.user, division.code, REGISTRAR_ROLES),
        },
    )


def _filtered_cases(request, division):
    filterset = PetitionFilter(
        request.GET or None,
        queryset=selectors.petition_list(user=request.user, division=division),
        request=request,
    )
    qs = filterset.qs
    if request.GET.get("overdue") or request.GET.get("due_within"):
        qs = qs.order_by("due_on", "pk")
    return filterset, qs


@login_required
def case_list(request, code):
    division = _reader_division(request, code)
    filterset, qs = _filtered_cases(request, division)
    page = DeferredPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "division": division,
        "breadcrumbs": _breadcrumbs(request.user, division)[:-1],
        "sections": division_sections(division),
        "filter": filterset,
        "units": Division.objects.filter(code__startswith=division.prefix, level__in=services.UNIT_LEVELS).order_by(
            "code"
        ),
        "page": page,
        "query": query.urlencode(),
        "today": timezone.localdate(),
        "soon_days": DUE_SOON_DAYS,
        "can_register": division.level in services.UNIT_LEVELS
        and has_role(request.user, division.code, REGISTRAR_ROLES),
    }
    template = "petitions/_case_table.html" if request.htmx else "petitions/case_list.html"
    return render(request, template, context)


@login_required
def ledger(request, code):
    """The petition ledger (台账) with the list's filters; ID and phone numbers masked unless the role needs them."""
    division = _reader_division(request, code)
    _filterset, qs = _filtered_cases(request, division)
    shown: list = []
    rows = petition_rows(qs.order_by("received_on", "pk"), user=request.user, shown=shown)
    response = xlsx_response(f"{division.name}-信访台账.xlsx", [("信访台账", PETITION_COLUMNS, rows)])
    log_full_access(user=request.user, records=shown, context="export", request=request)
    return response


@login_required
@require_http_methods(["GET", "POST"])
def register(request, code):
    """登记. Earlier cases of the same petitioner on a similar matter are shown for the officer to confirm."""
    registry = _reader_division(request, code, REGISTRAR_ROLES)
    if registry.level not in services.UNIT_LEVELS:
        raise Http404
    rules = DeadlineRules.for_code(registry.code)
    places = selectors.divisions_under(user=request.user, division=registry, levels=services.CASE_LEVELS)
    formset_class = forms.petitioner_formset(rules.max_representatives)
    dispute = None
    dispute_pk = request.POST.get("dispute") or request.GET.get("dispute")
    if dispute_pk and str(dispute_pk).isdigit():
        dispute = Dispute.objects.visible_to(request.user).select_related("division").filter(pk=dispute_pk).first()
    petitioner_errors: list = []
    candidates = []
    if request.method == "POST":
        form = forms.PetitionForm(request.POST, request.FILES, places=places)
        formset = formset_class(request.POST, prefix="p")
        if form.is_valid() and formset.is_valid():
            people = _people_rows(formset)
            data = form.cleaned_data
            candidates = selectors.repeat_candidates(user=request.user, petitioners=people, subject=data["subject"])
            if candidates:
                form = forms.PetitionForm(request.POST, request.FILES, places=places, candidates=candidates)
                form.is_valid()
                data = form.cleaned_data
            if candidates and not request.POST.get("repeat_checked"):
                messages.warning(
                    request,
                    _(
                        "Earlier cases of the same petitioner on a similar matter were found. Say whether this is "
                        "the same matter, then save again."
                    )
                    + (_(" Choose the attachments again.") if data.get("attachments") else ""),
                )
            else:
                previous = next((c for c in candidates if c.pk == data.get("previous")), None)
                try:
                    petition = services.petition_register(
                        actor=request.user,
                        registry_unit=registry,
                        petitioners=people,
                        previous=previous,
                        dispute=dispute,
                        **{k: v for k, v in data.items() if k not in {"previous"}},
                    )
                except ValidationError as exc:
                    _apply_errors(form, exc, {"petitioners": petitioner_errors})
                else:
                    messages.success(
                        request, _("Case %(number)s registered. Decide on it by %(due)s.") % {
                            "number": petition.number, "due": petition.acceptance_due.isoformat()}
                    )  # fmt: skip
                    return redirect(petition)
    else:
        initial, people_initial = {}, []
        if dispute is not None:
            initial = {
                "subject": dispute.get_category_display(),
                "content": dispute.summary,
                "division": dispute.division if places.filter(pk=dispute.division_id).exists() else None,
                "grid_reference": dispute.grid_reference,
            }
            full = sees_personal_data(request.user, dispute.division.code)
            parties = list(dispute.parties.all()[: rules.max_representatives])
            if full:
                log_full_access(user=request.user, records=parties, context="page", request=request)
            people_initial = [
                {
                    "name": p.name,
                    "id_number": p.id_number if full else "",
                    "phone": p.phone if full else "",
                }
                for p in parties
            ]
        form = forms.PetitionForm(places=places, initial=initial)
        formset = formset_class(prefix="p", initial=people_initial or None)
    return render(
        request,
        "petitions/register.html",
        {
            "division": registry,
            "breadcrumbs": _breadcrumbs(request.user, registry)[:-1],
            "form": form,
            "formset": formset,
            "petitioner_errors": petitioner_errors,
            "candidates": candidates,
            "dispute": dispute,
            "rules": rules,
        },
    )


def _step_form(action, user, petition, data=None):
    step = PETITION_STEPS[action]
    kwargs: dict = {}
    if action == "assign":
        kwargs["units"] = selectors.unit_choices(user=user, petition=petition)
    elif action == "return_visit":
        kwargs["petition"] = petition
    initial = {}
    if action in {"review_answer", "rereview_answer"} and petition.responsible_unit_id:
        unit = petition.responsible_unit
        above = unit.parent if unit.level == Level.TOWNSHIP and unit.parent_id else None
        # A suggestion the officer may correct: the petition bureau of the unit above.
        if action == "review_answer" and above is not None:
            initial["reviewing_body"] = f"{above.name}信访局"
    # Several step forms share a page: the prefix keeps their fields' ids apart.
    return step.form(data, initial=initial, prefix=action, **kwargs)


def _render_case(request, petition, *, bound: dict | None = None, status=200):
    user = request.user
    full = sees_personal_data(user, petition.division.code)
    if full:
        log_full_access(user=user, records=list(petition.petitioners.all()), context="page", request=request)
    open_steps = services.steps_open_to(user, petition)
    bound = bound or {}
    step_forms = [
        (action, PETITION_STEPS[action], bound.get(action) or _step_form(action, user, petition))
        for action in open_steps
        if action in PETITION_STEPS
    ]
    today = timezone.localdate()
    return render(
        request,
        "petitions/case_detail.html",
        {
            "petition": petition,
            "division": petition.division,
            "breadcrumbs": _breadcrumbs(user, petition.division),
            "full_personal_data": full,
            "steps": petition.steps.all(),
            "step_forms": step_forms,
            "expanded": next(iter(bound), None) or (step_forms[0][0] if step_forms else None),
            "attachment_form": forms.AttachmentForm() if "attach" in open_steps else None,
            "history": readable_history(petition, full_personal_data=full),
            "today": today,
            "overdue": petition.is_overdue(today),
            "days_left": (petition.due_on - today).days if petition.due_on else None,
        },
        status=status,
    )


@login_required
def case_detail(request, pk):
    petition = get_visible_or_404(selectors.petition_detail_queryset(), request.user, pk=pk)
    return _render_case(request, petition)


@login_required
@require_POST
def case_action(request, pk, action):
    if action not in PETITION_STEPS:
        raise Http404
    petition = get_visible_or_404(selectors.petition_detail_queryset(), request.user, pk=pk)
    try:
        services.check_step(request.user, petition, action)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(petition)
    step = PETITION_STEPS[action]
    form = _step_form(action, request.user, petition, data=request.POST)
    if form.is_valid():
        kwargs = form.service_kwargs() if hasattr(form, "service_kwargs") else dict(form.cleaned_data)
        try:
            step.service(actor=request.user, petition=petition, **kwargs, **step.extra)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("%(step)s: done.") % {"step": step.label})
            return redirect(petition)
    return _render_case(request, petition, bound={action: form})


@login_required
@require_POST
def attachment_add(request, pk):
    petition = get_visible_or_404(selectors.petition_detail_queryset(), request.user, pk=pk)
    services.check_step(request.user, petition, "attach")
    form = forms.AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            attachment = services.attachment_add(actor=request.user, petition=petition, file=form.cleaned_data["file"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(name)s attached.") % {"name": attachment.original_name})
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(petition)


@login_required
def attachment(request, pk):
    """Files are served only through their case's scope, under the name they were uploaded with."""
    item = get_visible_or_404(PetitionAttachment.objects.select_related("petition__division"), request.user, pk=pk)
    return FileResponse(
        item.file.open("rb"), as_attachment=True, filename=item.original_name, content_type=item.content_type
    )


# ---------------------------------------------------------------------------------------------- disputes


def _filtered_disputes(request, division):
    queryset = selectors.dispute_list(user=request.user, division=division)
    filterset = DisputeFilter(request.GET or None, queryset=queryset)
    return filterset, filterset.qs


@login_required
def disputes(request, code):
    division = _reader_division(request, code, DISPUTE_READER_ROLES)
    filterset, qs = _filtered_disputes(request, division)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    totals = qs.order_by().aggregate(
        screened=Count("pk"),
        resolved=Count("pk", filter=Q(status=DisputeStatus.RESOLVED)),
        high=Count("pk", filter=Q(risk_level="high") & ~Q(status=DisputeStatus.RESOLVED)),
    )
    context = {
        "division": division,
        "breadcrumbs": _breadcrumbs(request.user, division)[:-1],
        "sections": division_sections(division),
        "filter": filterset,
        "page": page,
        "query": query.urlencode(),
        "totals": totals,
        "can_create": has_role(request.user, division.code, DISPUTE_ENTRY_ROLES),
    }
    template = "petitions/_dispute_table.html" if request.htmx else "petitions/dispute_list.html"
    return render(request, template, context)


@login_required
def dispute_ledger(request, code):
    division = _reader_division(request, code, DISPUTE_READER_ROLES)
    _filterset, qs = _filtered_disputes(request, division)
    shown: list = []
    rows = dispute_rows(qs.order_by("screened_on", "pk"), user=request.user, shown=shown)
    response = xlsx_response(f"{division.name}-矛盾纠纷台账.xlsx", [("矛盾纠纷台账", DISPUTE_COLUMNS, rows)])
    log_full_access(user=request.user, records=shown, context="export", request=request)
    return response


def _default_source(user, division) -> str:
    roles = {s.role for s in user_scopes(user) if s.covers(division.code)}
    if roles == {Role.GRID_WORKER}:
        return DisputeSource.GRID
    return DisputeSource.VILLAGE if division.level == Level.VILLAGE else DisputeSource.TOWNSHIP


@login_required
@require_http_methods(["GET", "POST"])
def dispute_create(request, code):
    division = _reader_division(request, code, DISPUTE_ENTRY_ROLES)
    places = selectors.divisions_under(user=request.user, division=division, levels={Level.TOWNSHIP, Level.VILLAGE})
    party_errors: list = []
    if request.method == "POST":
        form = forms.DisputeForm(request.POST, places=places)
        formset = forms.PartyFormSet(request.POST, prefix="p")
        if form.is_valid() and formset.is_valid():
            try:
                dispute = services.dispute_screen(
                    actor=request.user, parties=_people_rows(formset), **form.cleaned_data
                )
            except ValidationError as exc:
                _apply_errors(form, exc, {"parties": party_errors})
            else:
                messages.success(request, _("Dispute %(number)s recorded.") % {"number": dispute.number})
                return redirect(dispute)
    else:
        initial = {"source": _default_source(request.user, division)}
        if division.level in {Level.TOWNSHIP, Level.VILLAGE}:
            initial["division"] = division
        form = forms.DisputeForm(places=places, initial=initial)
        formset = forms.PartyFormSet(prefix="p")
    return render(
        request,
        "petitions/dispute_form.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division)[:-1],
            "form": form,
            "formset": formset,
            "party_errors": party_errors,
        },
    )


def _dispute_form(action, user, dispute, data=None):
    kwargs = {"petitions": Petition.objects.visible_to(user)} if action == "escalate" else {}
    return DISPUTE_STEPS[action].form(data, prefix=action, **kwargs)


def _registry_for(user, dispute) -> str | None:
    """The code of the user's petition office that could register this dispute as a petition."""
    offices = [s for s in user_scopes(user) if s.role == Role.PETITION_OFFICER and s.covers(dispute.division.code)]
    offices = [s for s in offices if s.level in services.UNIT_LEVELS]
    return max(offices, key=lambda s: len(s.prefix)).code if offices else None


def _render_dispute(request, dispute, *, bound: dict | None = None):
    user = request.user
    full = sees_personal_data(user, dispute.division.code)
    if full:
        log_full_access(user=user, records=list(dispute.parties.all()), context="page", request=request)
    open_steps = services.dispute_steps_open_to(user, dispute)
    bound = bound or {}
    step_forms = [
        (action, DISPUTE_STEPS[action], bound.get(action) or _dispute_form(action, user, dispute))
        for action in open_steps
    ]
    return render(
        request,
        "petitions/dispute_detail.html",
        {
            "dispute": dispute,
            "division": dispute.division,
            "breadcrumbs": _breadcrumbs(user, dispute.division),
            "full_personal_data": full,
            "step_forms": step_forms,
            "expanded": next(iter(bound), None) or (step_forms[0][0] if step_forms else None),
            "registry_code": _registry_for(user, dispute) if "escalate" in open_steps else None,
            "history": readable_history(dispute, full_personal_data=full),
        },
    )


@login_required
def dispute_detail(request, pk):
    dispute = get_visible_or_404(selectors.dispute_detail_queryset(), request.user, pk=pk)
    return _render_dispute(request, dispute)


@login_required
@require_POST
def dispute_action(request, pk, action):
    if action not in DISPUTE_STEPS:
        raise Http404
    dispute = get_visible_or_404(selectors.dispute_detail_queryset(), request.user, pk=pk)
    try:
        services.check_dispute_step(request.user, dispute, action)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return redirect(dispute)
    step = DISPUTE_STEPS[action]
    form = _dispute_form(action, request.user, dispute, data=request.POST)
    if form.is_valid():
        kwargs = form.service_kwargs() if hasattr(form, "service_kwargs") else dict(form.cleaned_data)
        try:
            step.service(actor=request.user, dispute=dispute, **kwargs)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("%(step)s: done.") % {"step": step.label})
            return redirect(dispute)
    return _render_dispute(request, dispute, bound={action: form})
