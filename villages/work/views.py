"""HTML pages of the village work records. A view parses, calls a selector or a service, and renders.

Records of the nine simple kinds (income, project, workshop, station, team, activity, infrastructure,
inspection, training) share one create, one detail and one edit view, driven by ``RECORD_KINDS``; meetings
(with their matters), project returns and training attendance have their own.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.defaultfilters import floatformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from villages.choices import Level
from villages.history import readable_history
from villages.models import Division
from villages.replica import reads_from_replica
from villages.scopes import can_see, get_visible_or_404, has_role, refusal, user_scopes
from villages.sections import division_sections
from villages.views import apply_form_errors

from . import exports, forms, selectors, services
from .choices import TRAINING_ORGANIZER_ROLES, WORK_EDITOR_ROLES, MatterOutcome, StationLevel
from .models import (
    CollectiveIncome,
    CollectiveProject,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    PracticeStation,
    TrainingAttendance,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)
from .services import COUNTY_OR_TOWNSHIP, TOWNSHIP_OR_VILLAGE, VILLAGE

TOPICS = {
    "economy": gettext_lazy("Collective economy"),
    "meetings": gettext_lazy("Meetings with villagers"),
    "volunteers": gettext_lazy("Volunteer service"),
    "livability": gettext_lazy("Livability"),
    "training": gettext_lazy("Cadre training"),
}
PAGE_SIZE = 50


@dataclass(frozen=True)
class RecordKind:
    key: str
    model: type
    form: type
    create: Callable
    update: Callable
    param: str  # the update service's name for the record
    levels: set
    topic: str
    detail_fields: list[str]
    roles: set = field(default_factory=lambda: WORK_EDITOR_ROLES)

    @property
    def label(self):
        return self.model._meta.verbose_name


RECORD_KINDS = {
    kind.key: kind
    for kind in [
        RecordKind(
            "income", CollectiveIncome, forms.IncomeForm, services.income_record, services.income_update, "income",
            VILLAGE, "economy",
            ["year", "land_transfer", "land_transfer_area", "rent", "dividends", "services", "other", "assets",
             "notes"],
        ),
        RecordKind(
            "project", CollectiveProject, forms.ProjectForm, services.project_create, services.project_update,
            "project", VILLAGE, "economy",
            ["kind", "status", "branch_led", "investment", "funding_source", "funding_note", "start_date",
             "payback_years", "payback_date", "description"],
        ),
        RecordKind(
            "workshop", CommonProsperityWorkshop, forms.WorkshopForm, services.workshop_create,
            services.workshop_update, "workshop", VILLAGE, "economy",
            ["partner", "opened_on", "closed_on", "jobs", "annual_rent", "annual_income", "description"],
        ),
        RecordKind(
            "station", PracticeStation, forms.StationForm, services.station_create, services.station_update,
            "station", {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}, "volunteers",
            ["level", "parent", "address", "opened_on"],
        ),
        RecordKind(
            "team", VolunteerTeam, forms.TeamForm, services.team_create, services.team_update, "team",
            TOWNSHIP_OR_VILLAGE, "volunteers", ["focus", "members", "station", "leader", "founded_on"],
        ),
        RecordKind(
            "activity", VolunteerActivity, forms.ActivityForm, services.activity_record, services.activity_update,
            "activity", TOWNSHIP_OR_VILLAGE, "volunteers",
            ["date", "kind", "participants", "beneficiaries", "team", "station"],
        ),
        RecordKind(
            "infrastructure", InfrastructureProject, forms.InfrastructureForm, services.infrastructure_create,
            services.infrastructure_update, "project", VILLAGE, "livability",
            ["kind", "status", "start_date", "completed_on", "investment", "funding_source", "notes"],
        ),
        RecordKind(
            "inspection", EnvironmentInspection, forms.InspectionForm, services.inspection_record,
            services.inspection_update, "inspection", VILLAGE, "livability",
            ["date", "inspector", "result", "score", "findings", "rectify_by"],
        ),
        RecordKind(
            "training", TrainingSession, forms.TrainingForm, services.training_create, services.training_update,
            "session", COUNTY_OR_TOWNSHIP, "training",
            ["kind", "series", "date", "end_date", "place", "hours", "speakers", "notes"],
            roles=TRAINING_ORGANIZER_ROLES,
        ),
    ]
}  # fmt: skip


def _kind_or_404(kind: str) -> RecordKind:
    try:
        return RECORD_KINDS[kind]
    except KeyError:
        raise Http404 from None


def _breadcrumbs(user, division):
    codes = division.ancestor_codes()
    visible = {d.code: d for d in Division.objects.visible_to(user).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


def _require_editor(user, code: str, roles) -> None:
    """For a record the user can already see: 403 unless a role that may edit covers its division."""
    if not has_role(user, code, roles):
        raise refusal(roles)


def _places(user, division: Division, levels: set, roles) -> list[Division]:
    """Where a record entered from this division's page may go: itself and the divisions below at those levels.

    None at all is 404 (no such records belong here); none the user may edit is 403.
    """
    candidates = [division] if division.level in levels else []
    below = Division.objects.below(division).current().filter(level__in=levels).select_related("parent")
    candidates += list(below.order_by("code"))
    if not candidates:
        raise Http404
    places = [d for d in candidates if has_role(user, d.code, roles)]
    if not places:
        raise refusal(roles)
    return places


def _nearby(model, division: Division):
    """Stations or teams a record of this division may name: those above it (its township's, its county's) and
    those at or below it."""
    return model.objects.filter(
        Q(division__code__in=division.ancestor_codes()) | Q(division__code__startswith=division.prefix)
    ).select_related("division")


def _form_kwargs(kind: RecordKind, division: Division) -> dict:
    # Entered from a township page, a record may name anything in the township; the model checks the match.
    if kind.key == "station":
        return {"parents": _nearby(PracticeStation, division).exclude(level=StationLevel.STATION)}
    if kind.key == "team":
        return {"stations": _nearby(PracticeStation, division)}
    if kind.key == "activity":
        return {"stations": _nearby(PracticeStation, division), "teams": _nearby(VolunteerTeam, division)}
    return {}


def _attendance_code(user, session: TrainingSession) -> str | None:
    """Where the user marks attendance at this session: the organizer's division, or their own part of it."""
    if has_role(user, session.division.code, WORK_EDITOR_ROLES):
        return session.division.code
    for scope in user_scopes(user):
        if scope.role in WORK_EDITOR_ROLES and scope.prefix.startswith(session.division.prefix):
            return scope.code
    return None


def _page_context(request, division: Division, **extra) -> dict:
    return {
        "division": division,
        "breadcrumbs": _breadcrumbs(request.user, division),
        "sections": division_sections(division),
        "topics": TOPICS,
        "topic_label": TOPICS.get(extra.get("topic")),
        "can_edit": has_role(request.user, division.code, WORK_EDITOR_ROLES),
        "can_organize": has_role(request.user, division.code, TRAINING_ORGANIZER_ROLES)
        and division.level in COUNTY_OR_TOWNSHIP,
        **extra,
    }


def _visible_division(request, code) -> Division:
    return get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)


def _villages_below(division: Division):
    if division.is_village:
        return []
    return Division.objects.below(division).current().villages().order_by("code").only("code", "name")


def _filtered(request, division: Division, form_class, *, by_village=True):
    """The list filters: the year (this year unless chosen) and, above a village, one village to narrow to."""
    form = form_class(request.GET or None, villages=_villages_below(division) if by_village else ())
    year = form.chosen_year()
    village_code = form.value("village")
    where = division
    if village_code:
        where = Division.objects.filter(code=village_code, code__startswith=division.prefix).first() or division
    return form, year, where


def _page(request, queryset, param="page"):
    return Paginator(queryset, PAGE_SIZE).get_page(request.GET.get(param))


# ─── Overview and topic lists ───────────────────────────────────────────────────────────────────────────────


@login_required
def work_overview(request, code):
    division = _visible_division(request, code)
    form, year, _where = _filtered(request, division, forms.WorkFilterForm, by_village=False)
    total, children = selectors.division_figures(division=division, year=year)
    context = _page_context(
        request,
        division,
        topic="overview",
        form=form,
        year=year,
        figures=total,
        children=children,
        chart={
            "names": [child.name for child, _f in children],
            "current": [float(f.income) for _c, f in children],
            "previous": [float(f.income_previous) for _c, f in children],
        },
    )
    if division.is_village:
        context.update(
            meetings=selectors.meeting_list(user=request.user, division=division, year=year)[:5],
            projects=selectors.project_list(user=request.user, division=division, year=year)[:5],
        )
    return render(request, "villages/work/overview.html", context)


@login_required
def work_economy(request, code):
    division = _visible_division(request, code)
    form, year, where = _filtered(request, division, forms.EconomyFilterForm)
    projects = selectors.project_list(user=request.user, division=where, year=year)
    if form.value("kind"):
        projects = projects.filter(kind=form.value("kind"))
    if form.value("status"):
        projects = projects.filter(status=form.value("status"))
    context = _page_context(
        request,
        division,
        topic="economy",
        form=form,
        year=year,
        incomes=_page(request, selectors.income_list(user=request.user, division=where, year=year)),
        projects=_page(request, projects, "ppage"),
        workshops=selectors.workshop_list(user=request.user, division=where),
    )
    return render(request, "villages/work/economy.html", context)


@login_required
def work_meetings(request, code):
    division = _visible_division(request, code)
    form, year, where = _filtered(request, division, forms.MeetingFilterForm)
    meetings = selectors.meeting_list(user=request.user, division=where, year=year)
    if form.value("kind"):
        meetings = meetings.filter(kind=form.value("kind"))
    if form.value("outcome"):
        meetings = meetings.filter(matters__outcome=form.value("outcome")).distinct()
    figures, _children = selectors.division_figures(division=where, year=year)
    context = _page_context(
        request,
        division,
        topic="meetings",
        form=form,
        year=year,
        figures=figures,
        page=_page(request, meetings),
        outcomes=MatterOutcome,
    )
    return render(request, "villages/work/meetings.html", context)


@login_required
def work_volunteers(request, code):
    division = _visible_division(request, code)
    form, year, where = _filtered(request, division, forms.VolunteerFilterForm)
    activities = selectors.activity_list(user=request.user, division=where, year=year)
    if form.value("kind"):
        activities = activities.filter(kind=form.value("kind"))
    context = _page_context(
        request,
        division,
        topic="volunteers",
        form=form,
        year=year,
        stations=selectors.station_list(user=request.user, division=where),
        teams=selectors.team_list(user=request.user, division=where),
        page=_page(request, activities),
    )
    return render(request, "villages/work/volunteers.html", context)


@login_required
def work_livability(request, code):
    division = _visible_division(request, code)
    form, year, where = _filtered(request, division, forms.LivabilityFilterForm)
    projects = selectors.infrastructure_list(user=request.user, division=where)
    if form.value("status"):
        projects = projects.filter(status=form.value("status"))
    inspections = selectors.inspection_list(user=request.user, division=where, year=year)
    if form.value("result"):
        inspections = inspections.filter(result=form.value("result"))
    context = _page_context(
        request,
        division,
        topic="livability",
        form=form,
        year=year,
        projects=_page(request, projects),
        inspections=_page(request, inspections, "ipage"),
    )
    return render(request, "villages/work/livability.html", context)


@login_required
def work_training(request, code):
    division = _visible_division(request, code)
    form, year, where = _filtered(request, division, forms.TrainingFilterForm)
    sessions = selectors.training_list(user=request.user, division=where, year=year)
    if form.value("kind"):
        sessions = sessions.filter(kind=form.value("kind"))
    context = _page_context(request, division, topic="training", form=form, year=year, page=_page(request, sessions))
    return render(request, "villages/work/training.html", context)


@reads_from_replica
@login_required
def work_export(request, code, topic):
    """The topic's records at or under the division for the chosen year, as .xlsx (same filters as the page)."""
    division = _visible_division(request, code)
    if topic not in TOPICS:
        raise Http404
    _form, year, where = _filtered(request, division, forms.WorkFilterForm)
    return exports.topic_response(topic, user=request.user, division=where, year=year)


# ─── Records of the simple kinds ────────────────────────────────────────────────────────────────────────────


@login_required
@require_http_methods(["GET", "POST"])
def work_create(request, code, kind):
    spec = _kind_or_404(kind)
    division = _visible_division(request, code)
    places = _places(request.user, division, spec.levels, spec.roles)
    form = spec.form(request.POST or None, places=places, **_form_kwargs(spec, division))
    if request.method == "POST" and form.is_valid():
        try:
            record = spec.create(actor=request.user, division=form.chosen_place(), **form.record_fields())
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("%(kind)s saved.") % {"kind": str(spec.label).capitalize()})
            return redirect(record)
    context = _page_context(request, division, topic=spec.topic, form=form, spec=spec, record=None)
    return render(request, "villages/work/record_form.html", context)


def _record_or_404(request, spec: RecordKind, pk: int):
    return get_visible_or_404(spec.model.objects.select_related("division__parent"), request.user, pk=pk)


@login_required
def work_record(request, kind, pk):
    spec = _kind_or_404(kind)
    record = _record_or_404(request, spec, pk)
    rows = []
    for name in spec.detail_fields:
        model_field = spec.model._meta.get_field(name)
        value = getattr(record, f"get_{name}_display")() if model_field.choices else getattr(record, name)
        if isinstance(value, Decimal):
            value = intcomma(floatformat(value, -2))
        rows.append((model_field.verbose_name, value))
    context = {
        **_page_context(request, record.division, topic=spec.topic),
        "spec": spec,
        "record": record,
        "rows": rows,
        "can_edit_record": has_role(request.user, record.division.code, spec.roles),
        # A village's cadres see the township's training they attended, not the township's own pages: its name
        # in the breadcrumbs is then not a link (a link the user can see is a page the user may open).
        "division_visible": can_see(request.user, record.division.code),
        "history": readable_history(record),
    }
    if kind == "project":
        context.update(returns=selectors.project_returns(record), return_form=forms.ProjectReturnForm())
    if kind == "training":
        context.update(
            attendance=selectors.attendance_list(user=request.user, session=record)[:500],
            attendance_code=_attendance_code(request.user, record),
        )
    if kind == "station":
        children = PracticeStation.objects.visible_to(request.user).filter(parent=record).select_related("division")
        context.update(children=children.order_by("division__code", "name"))
    return render(request, "villages/work/record_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def work_edit(request, kind, pk):
    spec = _kind_or_404(kind)
    record = _record_or_404(request, spec, pk)
    _require_editor(request.user, record.division.code, spec.roles)
    form = spec.form(request.POST or None, instance=record, **_form_kwargs(spec, record.division))
    if request.method == "POST" and form.is_valid():
        try:
            spec.update(actor=request.user, **{spec.param: record}, **form.record_fields())
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(record)
    context = _page_context(request, record.division, topic=spec.topic, form=form, spec=spec, record=record)
    return render(request, "villages/work/record_form.html", context)


@login_required
@require_http_methods(["POST"])
def work_project_return(request, pk):
    project = get_visible_or_404(CollectiveProject.objects.select_related("division"), request.user, pk=pk)
    _require_editor(request.user, project.division.code, WORK_EDITOR_ROLES)
    form = forms.ProjectReturnForm(request.POST)
    if form.is_valid():
        try:
            services.project_return_set(actor=request.user, project=project, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Return recorded."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(project)


@login_required
@require_http_methods(["GET", "POST"])
def work_attendance(request, pk, code):
    """Mark attendance at a session for the cadres under ``code`` (a township marks its villages' cadres)."""
    session = get_visible_or_404(TrainingSession.objects.select_related("division"), request.user, pk=pk)
    division = _visible_division(request, code)
    _require_editor(request.user, division.code, WORK_EDITOR_ROLES)
    cadres = selectors.cadres_for_attendance(user=request.user, session=session, division=division)
    recorded = {a.cadre_id: a for a in TrainingAttendance.objects.filter(session=session, cadre__in=cadres)}
    form = forms.AttendanceForm(request.POST or None, cadres=cadres, recorded=recorded)
    if request.method == "POST" and form.is_valid():
        try:
            services.attendance_set(actor=request.user, session=session, entries=form.entries())
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Attendance saved."))
            return redirect(session)
    context = _page_context(request, division, topic="training", session=session, form=form)
    return render(request, "villages/work/attendance.html", context)


# ─── Meetings ───────────────────────────────────────────────────────────────────────────────────────────────


def _matter_formset(request, meeting=None):
    initial = None
    if meeting is not None:
        initial = [
            {
                "id": m.pk,
                "description": m.description,
                "outcome": m.outcome,
                "reference": m.reference,
                "settled_on": m.settled_on,
            }
            for m in meeting.matters.order_by("position", "pk")
        ]
    return forms.MatterFormSet(request.POST or None, initial=initial, prefix="matters")


def _meeting_form_response(request, division, form, formset, meeting):
    context = _page_context(
        request, division, topic="meetings", form=form, formset=formset, meeting=meeting, outcomes=MatterOutcome
    )
    return render(request, "villages/work/meeting_form.html", context)


def _apply_matter_errors(form, formset, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict") and "matters" in exc.error_dict:
        errors = exc.error_dict.pop("matters")
        formset._non_form_errors = formset.error_class([m for e in errors for m in e.messages])
        if not exc.error_dict:
            return
    apply_form_errors(form, exc)


@login_required
@require_http_methods(["GET", "POST"])
def work_meeting_create(request, code):
    division = _visible_division(request, code)
    places = _places(request.user, division, VILLAGE, WORK_EDITOR_ROLES)
    form = forms.MeetingForm(request.POST or None, places=places)
    formset = _matter_formset(request)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            meeting = services.meeting_record(
                actor=request.user, division=form.chosen_place(), matters=formset.matters(), **form.record_fields()
            )
        except ValidationError as exc:
            _apply_matter_errors(form, formset, exc)
        else:
            messages.success(request, _("Meeting recorded."))
            return redirect(meeting)
    return _meeting_form_response(request, division, form, formset, None)


@login_required
def work_meeting(request, pk):
    meeting = get_visible_or_404(
        VillagerMeeting.objects.select_related("division__parent", "kind"), request.user, pk=pk
    )
    context = {
        **_page_context(request, meeting.division, topic="meetings"),
        "meeting": meeting,
        "matters": meeting.matters.order_by("position", "pk"),
        "history": readable_history(meeting),
        "matter_history": selectors.matter_history(meeting),
    }
    return render(request, "villages/work/meeting_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def work_meeting_edit(request, pk):
    meeting = get_visible_or_404(
        VillagerMeeting.objects.select_related("division__parent", "kind"), request.user, pk=pk
    )
    _require_editor(request.user, meeting.division.code, WORK_EDITOR_ROLES)
    form = forms.MeetingForm(request.POST or None, instance=meeting)
    formset = _matter_formset(request, meeting)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        try:
            services.meeting_update(
                actor=request.user, meeting=meeting, matters=formset.matters(), **form.record_fields()
            )
        except ValidationError as exc:
            _apply_matter_errors(form, formset, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(meeting)
    return _meeting_form_response(request, meeting.division, form, formset, meeting)
