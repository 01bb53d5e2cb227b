"""HTML pages of the grids app. A view parses, calls a selector or a service, and renders."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from villages.choices import Level
from villages.excel import xlsx_response
from villages.history import readable_history
from villages.models import Division
from villages.scopes import get_visible_or_404, has_role, require_role, sees_personal_data
from villages.sections import division_sections
from villages.views import apply_form_errors

from . import selectors, services
from .choices import (
    ACTION_ROLES,
    GRID_EDITOR_ROLES,
    HOUSEHOLD_EDITOR_ROLES,
    OPEN_STATUSES,
    SUPERVISOR_ROLES,
    StepAction,
)
from .forms import (
    AssignmentEndForm,
    AssignmentForm,
    GridForm,
    HouseholdForm,
    MemberForm,
    RequestFilterForm,
    RequestForm,
    StepForm,
    SuperviseForm,
    VisitForm,
)
from .households import HOUSEHOLD_COLUMNS, household_ledger_rows
from .models import (
    BuildingPartyGroup,
    Grid,
    GridAssignment,
    GridRules,
    Household,
    PartyMember,
    Visit,
)
from .scopes import assigned_grid_ids, grid_roles, has_grid_role, require_grid_role

MAP_FIGURES = ("households", "open_requests", "coverage")


def _map_labels() -> dict:
    return {
        "households": _("Households"),
        "open_requests": _("Open requests"),
        "coverage": _("Visit coverage"),
        "no_data": _("No households"),
        "open": _("Open the grid"),
    }


def _breadcrumbs(user, division, include_self=False):
    codes = division.ancestor_codes() + ([division.code] if include_self else [])
    visible = {d.code: d for d in Division.objects.visible_to(user).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


def _division_page(request, code, levels=None):
    division = get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)
    if levels is not None and division.level not in levels:
        raise Http404
    return division


def _grid_context(user, grid):
    return {"grid": grid, "breadcrumbs": _breadcrumbs(user, grid.village, include_self=True)}


# Division pages -----------------------------------------------------------------------------------------------


@login_required
def board(request, code):
    """Grids under a division: per child division at county and township level, per grid in a village."""
    division = _division_page(request, code, {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE})
    context = {
        "division": division,
        "breadcrumbs": _breadcrumbs(request.user, division),
        "sections": division_sections(division),
        "full_personal_data": sees_personal_data(request.user, division.code),
    }
    if division.is_village:
        grids, rules, since = selectors.grids_with_figures(user=request.user, division=division)
        context.update(
            grids=grids,
            rules=rules,
            since=since,
            members=selectors.member_list(user=request.user, division=division),
            can_edit_grids=has_role(request.user, division.code, GRID_EDITOR_ROLES),
            can_edit_households=has_role(request.user, division.code, HOUSEHOLD_EDITOR_ROLES),
            has_assignments=bool(assigned_grid_ids(request.user)),
        )
        return render(request, "grids/village_board.html", context)
    rows, total, rules = selectors.division_board(user=request.user, division=division)
    context.update(
        rows=rows,
        total=total,
        rules=rules,
        watched=selectors.supervised_requests(user=request.user, division=division)[:30],
        can_import=has_role(request.user, division.code, HOUSEHOLD_EDITOR_ROLES),
    )
    return render(request, "grids/board.html", context)


@login_required
def grid_map(request, code):
    division = _division_page(request, code, {Level.TOWNSHIP, Level.VILLAGE})
    grids, rules, since = selectors.grids_with_figures(user=request.user, division=division)
    figure = request.GET.get("figure")
    return render(
        request,
        "grids/map.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division),
            "sections": division_sections(division),
            "features": selectors.map_features(grids),
            "labels": _map_labels(),
            "without_boundary": [g for g in grids if not g.boundary],
            "grid_count": len(grids),
            "figure": figure if figure in MAP_FIGURES else MAP_FIGURES[0],
            "figures": MAP_FIGURES,
            "rules": rules,
            "since": since,
        },
    )


@login_required
def request_list(request, code):
    division = _division_page(request, code)
    form = RequestFilterForm(request.GET or None)
    qs = selectors.request_list(user=request.user, division=division).order_by("due_at", "pk")
    if form.is_valid():
        status = form.cleaned_data["status"]
        if status == "open":
            qs = qs.filter(status__in=OPEN_STATUSES)
        elif status:
            qs = qs.filter(status=status)
        if form.cleaned_data["overdue"]:
            qs = qs.filter(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
        if form.cleaned_data["supervised"]:
            qs = qs.exclude(supervision_level="")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "grids/request_list.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division),
            "sections": division_sections(division),
            "form": form,
            "page": page,
            "now": timezone.now(),
            "query": _without_page(request.GET),
        },
    )


def _without_page(params) -> str:
    """The filters of the current page, for the pagination links to keep."""
    params = params.copy()
    params.pop("page", None)
    return params.urlencode()


@login_required
@require_http_methods(["GET", "POST"])
def grid_create(request, code):
    village = _division_page(request, code, {Level.VILLAGE})
    require_role(request.user, village.code, GRID_EDITOR_ROLES)
    form = GridForm(request.POST or None, initial={"code": services.next_grid_code(village)})
    if request.method == "POST" and form.is_valid():
        try:
            grid = services.grid_create(actor=request.user, village=village, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Grid %(name)s added.") % {"name": grid.name})
            return redirect(grid)
    return render(
        request,
        "grids/grid_form.html",
        {"form": form, "division": village, "breadcrumbs": _breadcrumbs(request.user, village), "grid": None},
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_create(request, code):
    village = _division_page(request, code, {Level.VILLAGE})
    require_role(request.user, village.code, HOUSEHOLD_EDITOR_ROLES)
    grids = selectors.grid_list(user=request.user, division=village)
    form = MemberForm(request.POST or None, grids=grids, groups=_groups(grids))
    if request.method == "POST" and form.is_valid():
        try:
            member = services.member_create(actor=request.user, village=village, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Party member %(name)s added.") % {"name": member.name})
            return redirect(member)
    return render(
        request,
        "grids/member_form.html",
        {"form": form, "division": village, "breadcrumbs": _breadcrumbs(request.user, village), "member": None},
    )


def _groups(grids):
    return BuildingPartyGroup.objects.filter(branch__grid__in=grids).select_related("branch")


@login_required
def household_import_moved(request, code):
    """The old add-only household import: households now import through villages.imports (preview, upsert by
    household number or head's ID). A bookmark lands on the new page of the same ledger."""
    division = _division_page(request, code, {Level.TOWNSHIP, Level.VILLAGE})
    return redirect("villages:import_upload", code=division.code, kind="households", permanent=True)


@login_required
def household_ledger(request, code):
    """The households at or under the division, in the import's layout; phones masked unless the role needs them."""
    division = _division_page(request, code)
    households = selectors.household_list(user=request.user, division=division).order_by("grid__code", "address")
    rows = household_ledger_rows(households, full_personal_data=sees_personal_data(request.user, division.code))
    return xlsx_response(f"{division.name}-网格住户台账.xlsx", [(division.name, list(HOUSEHOLD_COLUMNS), rows)])


# Grids ----------------------------------------------------------------------------------------------------------


@login_required
def grid_detail(request, pk):
    grid = get_visible_or_404(Grid.objects.select_related("village__parent"), request.user, pk=pk)
    rules = GridRules.for_code(grid.village.code)
    since = selectors.coverage_since(rules)
    figures = selectors.with_figures(Grid.objects.filter(pk=grid.pk), since=since).get()
    figures.rule_flag = selectors.rule_flag(figures, rules)
    households = selectors.household_list(user=request.user, grid=grid).order_by("address", "pk")
    page = Paginator(households, 50).get_page(request.GET.get("page"))
    branch, groups = selectors.grid_party_chain(grid)
    held = grid_roles(request.user, grid)
    context = _grid_context(request.user, grid) | {
        "division": grid.village,
        "figures": figures,
        "rules": rules,
        "since": since,
        "page": page,
        "assignments": selectors.grid_assignments(grid),
        "branch": branch,
        "groups": groups,
        "open_requests": selectors.request_list(user=request.user)
        .filter(grid=grid, status__in=OPEN_STATUSES)
        .order_by("due_at"),
        "features": selectors.map_features([figures]),
        "labels": _map_labels(),
        "full_personal_data": sees_personal_data(request.user, grid.village.code),
        "can_edit_grid": bool(held & GRID_EDITOR_ROLES),
        "can_edit_households": bool(held & HOUSEHOLD_EDITOR_ROLES),
        "can_report": bool(held & ACTION_ROLES[StepAction.REPORT]),
        "end_form": AssignmentEndForm(initial={"end_date": timezone.localdate()}),
        "history": readable_history(grid),
        "now": timezone.now(),
    }
    return render(request, "grids/grid_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def grid_edit(request, pk):
    grid = get_visible_or_404(Grid.objects.select_related("village"), request.user, pk=pk)
    require_grid_role(request.user, grid, GRID_EDITOR_ROLES)
    initial = {f: getattr(grid, f) for f in ("code", "name", "kind", "dedicated_type", "boundary")}
    form = GridForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in services.GRID_FIELDS}
        try:
            services.grid_update(actor=request.user, grid=grid, **changes)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(grid)
    return render(
        request, "grids/grid_form.html", _grid_context(request.user, grid) | {"form": form, "division": grid.village}
    )


@login_required
@require_http_methods(["GET", "POST"])
def assignment_add(request, pk):
    grid = get_visible_or_404(Grid.objects.select_related("village"), request.user, pk=pk)
    require_grid_role(request.user, grid, GRID_EDITOR_ROLES)
    form = AssignmentForm(
        request.POST or None,
        users=selectors.assignable_users(grid),
        initial={"start_date": timezone.localdate()},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.assignment_add(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Role added."))
            return redirect(grid)
    return render(
        request,
        "grids/assignment_form.html",
        _grid_context(request.user, grid) | {"form": form, "division": grid.village},
    )


@login_required
@require_POST
def assignment_end(request, pk):
    assignment = get_visible_or_404(GridAssignment.objects.select_related("grid__village"), request.user, pk=pk)
    require_grid_role(request.user, assignment.grid, GRID_EDITOR_ROLES)
    form = AssignmentEndForm(request.POST)
    if form.is_valid():
        try:
            services.assignment_end(actor=request.user, assignment=assignment, end_date=form.cleaned_data["end_date"])
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Role ended."))
    else:
        messages.error(request, _("Give the date the role ends."))
    return redirect(assignment.grid)


# Households and party members ---------------------------------------------------------------------------------


def _household_form(request, grid, instance=None):
    grids = selectors.grid_list(user=request.user, division=grid.village)
    # The members the user may see, and the one already linked (a grid worker may not see every grid's).
    linked = Q(pk=instance.linked_member_id) if instance is not None and instance.linked_member_id else Q(pk__in=[])
    members = PartyMember.objects.filter(
        Q(pk__in=PartyMember.objects.visible_to(request.user).filter(village=grid.village).values("pk")) | linked
    ).order_by("name")
    initial = {"grid": grid}
    return HouseholdForm(request.POST or None, instance=instance, initial=initial, grids=grids, members=members)


def _household_fields(form):
    data = dict(form.cleaned_data)
    care_tags = data.pop("care_tags", [])
    return data, care_tags


@login_required
@require_http_methods(["GET", "POST"])
def household_create(request, pk):
    grid = get_visible_or_404(Grid.objects.select_related("village"), request.user, pk=pk)
    require_grid_role(request.user, grid, HOUSEHOLD_EDITOR_ROLES)
    form = _household_form(request, grid)
    if request.method == "POST" and form.is_valid():
        data, care_tags = _household_fields(form)
        target = data.pop("grid")
        try:
            household = services.household_create(actor=request.user, grid=target, care_tags=care_tags, **data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Household added."))
            _warn_rule(request, household.grid)
            return redirect(household)
    return render(
        request,
        "grids/household_form.html",
        _grid_context(request.user, grid) | {"form": form, "division": grid.village, "household": None},
    )


def _warn_rule(request, grid):
    """The households-per-grid rule warns; it never blocks."""
    rules = GridRules.for_code(grid.village.code)
    grid.households_count = Household.objects.filter(grid=grid).count()
    if selectors.rule_flag(grid, rules):
        messages.warning(
            request,
            _("%(grid)s now has %(n)d households; the county's rule is %(low)d–%(high)d per comprehensive grid.")
            % {
                "grid": grid.name,
                "n": grid.households_count,
                "low": rules.households_min,
                "high": rules.households_max,
            },
        )


@login_required
def household_detail(request, pk):
    household = get_visible_or_404(
        Household.objects.select_related("grid__village", "linked_member").prefetch_related("care_tags"),
        request.user,
        pk=pk,
    )
    full = sees_personal_data(request.user, household.grid.village.code)
    can_edit = has_grid_role(request.user, household.grid, HOUSEHOLD_EDITOR_ROLES)
    return render(
        request,
        "grids/household_detail.html",
        _grid_context(request.user, household.grid)
        | {
            "household": household,
            "division": household.grid.village,
            "full_personal_data": full,
            "can_edit": can_edit,
            "can_report": has_grid_role(request.user, household.grid, ACTION_ROLES[StepAction.REPORT]),
            "visits": selectors.household_visits(household),
            "requests": household.requests.select_related("item").order_by("-reported_at")[:20],
            "visit_form": VisitForm(initial={"visited_on": timezone.localdate()}) if can_edit else None,
            "history": readable_history(household, full_personal_data=full),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def household_edit(request, pk):
    household = get_visible_or_404(Household.objects.select_related("grid__village"), request.user, pk=pk)
    grid = household.grid
    require_grid_role(request.user, grid, HOUSEHOLD_EDITOR_ROLES)
    full = sees_personal_data(request.user, grid.village.code)
    form = _household_form(request, grid, instance=household)
    if not full:
        # Who may not read the full number may not see it pre-filled either; blank keeps the stored one.
        form.fields["phone"].help_text = _("Stored: %(v)s. Leave blank to keep it.") % {"v": household.masked_phone}
        form.initial["phone"] = ""
    if request.method == "POST" and form.is_valid():
        data, care_tags = _household_fields(form)
        if not full and not data.get("phone"):
            data.pop("phone")
        try:
            updated = services.household_update(actor=request.user, household=household, care_tags=care_tags, **data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            if updated.grid_id != grid.pk:
                _warn_rule(request, updated.grid)
            return redirect(updated)
    return render(
        request,
        "grids/household_form.html",
        _grid_context(request.user, grid) | {"form": form, "division": grid.village, "household": household},
    )


@login_required
@require_POST
def visit_add(request, pk):
    household = get_visible_or_404(Household.objects.select_related("grid__village"), request.user, pk=pk)
    require_grid_role(request.user, household.grid, HOUSEHOLD_EDITOR_ROLES)
    form = VisitForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.visit_record(
                actor=request.user,
                household=household,
                visited_on=data["visited_on"],
                kind=data["kind"],
                visitor_member=household.linked_member if data["by_member"] else None,
                note=data["note"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Visit recorded."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(household)


@login_required
def member_detail(request, pk):
    member = get_visible_or_404(
        PartyMember.objects.select_related("village", "grid", "party_group__branch"), request.user, pk=pk
    )
    full = sees_personal_data(request.user, member.village.code)
    linked = (
        Household.objects.visible_to(request.user)
        .filter(linked_member=member)
        .select_related("grid")
        .prefetch_related("care_tags")
        .annotate(visit_count=Count("visits"))
        .order_by("address")
    )
    return render(
        request,
        "grids/member_detail.html",
        {
            "member": member,
            "division": member.village,
            "breadcrumbs": _breadcrumbs(request.user, member.village, include_self=True),
            "linked": linked,
            "full_personal_data": full,
            "can_edit": _can_edit_member(request.user, member),
            "visits": Visit.objects.visible_to(request.user)
            .filter(visitor_member=member)
            .select_related("household")[:20],
            "history": readable_history(member, full_personal_data=full),
        },
    )


def _can_edit_member(user, member) -> bool:
    if member.grid_id:
        return has_grid_role(user, member.grid, HOUSEHOLD_EDITOR_ROLES)
    return has_role(user, member.village.code, GRID_EDITOR_ROLES)


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, pk):
    member = get_visible_or_404(PartyMember.objects.select_related("village", "grid"), request.user, pk=pk)
    if not _can_edit_member(request.user, member):
        raise PermissionDenied
    grids = selectors.grid_list(user=request.user, division=member.village)
    full = sees_personal_data(request.user, member.village.code)
    form = MemberForm(request.POST or None, instance=member, grids=grids, groups=_groups(grids))
    if not full:
        form.fields["phone"].help_text = _("Stored: %(v)s. Leave blank to keep it.") % {"v": member.masked_phone}
        form.initial["phone"] = ""
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if not full and not changes.get("phone"):
            changes.pop("phone")
        try:
            services.member_update(actor=request.user, member=PartyMember.objects.get(pk=member.pk), **changes)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(member)
    return render(
        request,
        "grids/member_form.html",
        {
            "form": form,
            "division": member.village,
            "breadcrumbs": _breadcrumbs(request.user, member.village, include_self=True),
            "member": member,
        },
    )


# Service requests -------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def request_create(request, pk):
    grid = get_visible_or_404(Grid.objects.select_related("village"), request.user, pk=pk)
    require_grid_role(request.user, grid, ACTION_ROLES[StepAction.REPORT])
    households = Household.objects.filter(grid=grid).order_by("address")
    initial = {}
    household_id = request.GET.get("household")
    if household_id and household_id.isdigit():
        initial["household"] = households.filter(pk=household_id).first()
    form = RequestForm(request.POST or None, items=selectors.active_items(), households=households, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.request_create(actor=request.user, grid=grid, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Request #%(n)d reported.") % {"n": created.pk})
            return redirect(created)
    return render(
        request,
        "grids/request_form.html",
        _grid_context(request.user, grid) | {"form": form, "division": grid.village},
    )


@login_required
def request_detail(request, pk):
    service_request = get_visible_or_404(selectors.request_detail_queryset(), request.user, pk=pk)
    grid = service_request.grid
    held = grid_roles(request.user, grid)
    actions = services.allowed_actions(request.user, service_request, held)
    full = sees_personal_data(request.user, grid.village.code)
    can_supervise = (
        service_request.is_open and service_request.is_overdue() and has_grid_role(request.user, grid, SUPERVISOR_ROLES)
    )
    handlers = selectors.dispatch_handlers(grid)
    return render(
        request,
        "grids/request_detail.html",
        _grid_context(request.user, grid)
        | {
            "req": service_request,
            "division": grid.village,
            "steps": selectors.request_steps(service_request),
            "supervisions": selectors.request_supervisions(service_request),
            "actions": actions,
            "step_forms": {a: StepForm(initial={"action": a}, handlers=handlers) for a in actions},
            "supervise_form": SuperviseForm() if can_supervise else None,
            "full_personal_data": full,
            "now": timezone.now(),
            "step_labels": StepAction.choices,
        },
    )


@login_required
@require_POST
def request_step(request, pk):
    service_request = get_visible_or_404(selectors.request_detail_queryset(), request.user, pk=pk)
    form = StepForm(request.POST, handlers=selectors.dispatch_handlers(service_request.grid))
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(service_request)
    try:
        updated = services.request_transition(actor=request.user, request=service_request, **form.cleaned_data)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _("Request #%(n)d: %(step)s done; it is now %(status)s.")
            % {
                "n": updated.pk,
                "step": StepAction(form.cleaned_data["action"]).label,
                "status": updated.get_status_display(),
            },
        )
        if request.POST.get("next") == "mine" and not updated.is_open:
            return redirect("grids:my_requests")
    return redirect(service_request)


@login_required
@require_POST
def request_supervise(request, pk):
    service_request = get_visible_or_404(selectors.request_detail_queryset(), request.user, pk=pk)
    require_grid_role(request.user, service_request.grid, SUPERVISOR_ROLES)
    form = SuperviseForm(request.POST)
    if form.is_valid():
        try:
            services.request_supervise(actor=request.user, request=service_request, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Supervision recorded."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(service_request)


@login_required
def my_requests(request):
    """The grid worker's own page: open requests of their grids, soonest due first; made for a phone."""
    requests = list(selectors.my_open_requests(user=request.user)[:200])
    now = timezone.now()
    return render(
        request,
        "grids/my_requests.html",
        {"requests": requests, "now": now, "overdue": sum(1 for r in requests if r.due_at < now)},
    )


@login_required
def catalogue(request):
    return render(request, "grids/catalogue.html", {"categories": selectors.catalogue()})
