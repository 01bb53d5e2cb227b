"""HTML pages of the villages app. A view parses, calls a selector or a service, and renders."""

import hashlib

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .choices import CADRE_EDITOR_ROLES, Committee, Level, Role
from .dashboard import (
    DASHBOARD_TTL,
    app_panels,
    app_portrait,
    campaign_options,
    dashboard,
    division_for_page,
    figures_over_time,
    missing_steps,
    panels_key,
    provenance_sheet,
    release,
    request_versions,
    selected_campaign,
    viewer_key,
)
from .dashboard import table_rows as dashboard_table_rows
from .excel import xlsx_response
from .forms import AdjustmentForm, CadreForm, PostForm, SearchForm
from .history import readable_history
from .ledgers import (
    CADRE_COLUMNS,
    DIVISION_COLUMNS,
    cadre_ledger_rows,
    division_ledger_rows,
)
from .metrics import Period
from .models import Cadre, Division, Post
from .nav import nav_links
from .personal_data import PERSONAL_FIELDS, log_full_access
from .replica import reads_from_replica
from .scopes import (
    can_manage_users,
    can_see,
    get_visible_or_404,
    has_role,
    is_unrestricted,
    require_role,
    sees_personal_data,
)
from .sections import division_sections, with_adjustment_bases
from .snapshots import latest_run
from .stars import village_stars
from .stats import county_code_of, iso
from .todo import actionable_count, todo_items
from .todo import todo_count as todo_count_of


def apply_form_errors(form, exc: ValidationError) -> None:
    """Put a service's ValidationError beside the form fields it names (the rest on top of the form)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@login_required
def home(request):
    """Every role's home: its to-do list (我的待办), most urgent first, with its divisions' pages one click away.
    A system administrator is never told to ask the county: with no data they start here."""
    divisions = selectors.user_home_divisions(request.user)
    superuser = is_unrestricted(request.user)
    if not divisions:
        return render(request, "villages/home.html", {"divisions": divisions, "superuser": superuser})
    items = todo_items(request.user)
    links = nav_links(request.user)
    return render(
        request,
        "villages/home.html",
        {
            "todo": items,
            "todo_count": actionable_count(items),
            "divisions": divisions,
            "superuser": superuser,
            "lead_links": [link for link in links if link["lead"]],
        },
    )


@login_required
def todo_count(request):
    """The badge on 我的待办 in the navigation, fetched by the page after it loads (so no page pays for it)."""
    return render(request, "villages/_todo_badge.html", {"todo_count": todo_count_of(request.user)})


@login_required
@require_http_methods(["POST"])
def sign_out_everywhere(request):
    """End every session of the user, this one included, and revoke their API tokens (a plain logout ends only
    the session it is sent from)."""
    services.user_sign_out_everywhere(user=request.user)
    logout(request)
    messages.success(request, _("You have been signed out on every device, and your API tokens were revoked."))
    return redirect("login")


@reads_from_replica
@login_required
def division_detail(request, code):
    # The ancestors come with the division (a village is four levels down), so the breadcrumbs cost no query.
    division = division_for_page(request, code)
    context = {
        "division": division,
        "breadcrumbs": _loaded_breadcrumbs(request.user, division),
        "can_edit_cadres": has_role(request.user, division.code, CADRE_EDITOR_ROLES),
        "full_personal_data": sees_personal_data(request.user, division.code),
        "sections": SimpleLazyObject(lambda: division_sections(division)),
    }
    if division.is_village:
        posts = selectors.village_committees(division=division)["posts"]
        cadres = list(selectors.cadre_list(user=request.user, division=division).order_by("name"))
        if context["full_personal_data"]:
            log_full_access(user=request.user, records=cadres, context="page", request=request)
        year = timezone.localdate().year
        context.update(
            committees=[(c, label, [p for p in posts if p.committee == c]) for c, label in Committee.choices],
            cadres=cadres,
            adjustments=with_adjustment_bases(selectors.adjustment_list(user=request.user, division=division)[:50]),
            year=year,
            missing=SimpleLazyObject(lambda: missing_steps(division)),
            **portrait_parts(division=division, year=year, request=request),
        )
        return render(request, "villages/village_detail.html", context)
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page_number = request.GET.get("page") or "1"
    page = SimpleLazyObject(
        lambda: Paginator(selectors.division_children_with_counts(division=division, q=q), 50).get_page(page_number)
    )
    context.update(form=form, q=q, page=page)
    if request.htmx:
        return render(request, "villages/_children.html", context)
    period = _period(request)
    campaign = selected_campaign(division=division, request=request)
    if request.GET.get("format") == "json" and request.GET.get("panel"):
        # A map panel's data, which the page fetches (villages.dashboard.app_panels).
        panel = _panel_or_404(division, period, request, wanted=request.GET["panel"], part="map")
        return JsonResponse(panel["map"]["data"])
    if request.GET.get("format") == "xlsx" and request.GET.get("table"):
        # One panel's table, as the page shows it.
        wanted = request.GET["table"]
        panel = _panel_or_404(division, period, request, wanted=wanted, part="table")
        table = panel["table"]
        # The workbook says where its figures come from: the metrics the panel declares, or the live records.
        note = "" if panel.get("metrics") else _("This table reads the live records as they stood when downloaded.")
        provenance = provenance_sheet(
            division=division,
            period=panel.get("metrics_period") or period,
            metrics=panel.get("metrics") or [],
            note=note,
        )
        return xlsx_response(
            f"{division.name}-{wanted}-{period}.xlsx",
            [(wanted[:31], [str(c) for c in table["columns"]], table["rows"]), provenance],
        )
    if request.GET.get("format") == "xlsx":
        board = dashboard(division=division, period=period)
        columns, rows = dashboard_table_rows(board)
        # Every figure says when it was computed and under which rules: the tally the table was read from.
        tallied = division.level in (Level.COUNTY, Level.TOWNSHIP)
        run = latest_run(county_code_of(division.code), period) if tallied else None
        provenance = [iso(run.finished_at), run.rule_version] if run else [None, None]
        columns, rows = [*columns, "计算时间", "规则版本"], [[*row, *provenance] for row in rows]
        metrics = [*(f["key"] for f in board["headline"]), "villages.village_count", "villages.households"]
        sheets = [(period, columns, rows), provenance_sheet(division=division, period=period, metrics=metrics)]
        return xlsx_response(f"{division.name}-{period}.xlsx", sheets)
    # The page (but the navigation) is one fragment, cached under the county's data versions, the viewer, the
    # language (panels_key) and the directory's search and page: a view after the first reads and renders none of it.
    directory = hashlib.blake2b(f"{q}:{page_number}".encode(), digest_size=8).hexdigest()
    body_key = f"{panels_key(division=division, period=period, request=request)}:{directory}"
    context.update(
        village_count=SimpleLazyObject(lambda: selectors.village_count_below(division)),
        can_import=has_role(request.user, division.code, {Role.COUNTY_OFFICIAL}),
        can_manage_users=can_manage_users(request.user, division.code),
        board=SimpleLazyObject(lambda: dashboard(division=division, period=period)),
        missing=SimpleLazyObject(lambda: missing_steps(division)),
        body_key=body_key,
        board_ttl=DASHBOARD_TTL,
        period=period,
        panels=SimpleLazyObject(lambda: app_panels(division=division, period=period, request=request, key=body_key)),
        periods=_period_choices,
        campaign=campaign,
        campaigns=campaign_options(request),
    )
    return render(request, "villages/division_detail.html", context)


def _panel_or_404(division, period, request, *, wanted: str, part: str) -> dict:
    """The dashboard's panel with this id that has this part (a "map", a "table"), else 404."""
    for panel in app_panels(division=division, period=period, request=request):
        if panel.get("id") == wanted and panel.get(part):
            return panel
    raise Http404


PORTRAIT_TTL = 300


def portrait_parts(*, division, year: int, request) -> dict:
    """The village's stars, figures over time and the apps' sections: cached under the county's data versions,
    the viewer, the language and the day, and for five minutes at most (a section may count what is overdue
    by the hour)."""
    viewer = hashlib.blake2b(viewer_key(request.user, division.code).encode(), digest_size=8).hexdigest()
    language = translation.get_language()
    key = f"portrait:{release()}:{division.code}:{request_versions(request, division)}:{viewer}:{language}:{year}"
    parts = cache.get(key)
    if parts is None:
        parts = {
            "stars": village_stars(village=division, year=year),
            "over_time": figures_over_time(division=division),
            "portrait": app_portrait(village=division, request=request),
        }
        cache.set(key, parts, PORTRAIT_TTL)
    return parts


def _period(request) -> str:
    try:
        period = Period.parse(request.GET.get("period", ""))
        if period.kind == "campaign":  # campaigns have their own selector
            raise ValueError
        return period.key
    except ValueError:
        return Period.current_year().key


def _period_choices() -> list[str]:
    today = timezone.localdate()
    years = [str(today.year - i) for i in range(3)]
    quarter = Period.current_quarter()
    quarters = []
    for _i in range(4):
        quarters.append(quarter.key)
        quarter = quarter.previous
    months = []
    year, month = today.year, today.month
    for _i in range(12):
        months.append(f"{year}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return years + quarters + months


def _loaded_breadcrumbs(user, division):
    """Like ``_breadcrumbs``, from the parents already loaded with the division (top first)."""
    chain = []
    parent = division.parent
    while parent is not None:
        chain.append(parent)
        parent = parent.parent if parent.parent_id else None
    return [d for d in reversed(chain) if can_see(user, d.code)]


def _breadcrumbs(user, division):
    codes = division.ancestor_codes()
    visible = {d.code: d for d in Division.objects.visible_to(user).filter(code__in=codes)}
    return [visible[c] for c in codes if c in visible]


@login_required
def cadre_detail(request, pk):
    cadre = get_visible_or_404(Cadre.objects.select_related("division"), request.user, pk=pk)
    full = sees_personal_data(request.user, cadre.division.code)
    if full:
        log_full_access(user=request.user, records=[cadre], context="page", request=request)
    return render(
        request,
        "villages/cadre_detail.html",
        {
            "cadre": cadre,
            "division": cadre.division,
            "posts": cadre.posts.order_by("-end_date", "start_date"),
            "adjustments": with_adjustment_bases(
                selectors.adjustment_list(user=request.user).filter(Q(outgoing=cadre) | Q(incoming=cadre))
            ),
            "history": readable_history(cadre, full_personal_data=full),
            "full_personal_data": full,
            "can_edit": has_role(request.user, cadre.division.code, CADRE_EDITOR_ROLES),
            "post_form": PostForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def cadre_create(request, code):
    village = get_visible_or_404(Division.objects.villages(), request.user, code=code)
    require_role(request.user, village.code, CADRE_EDITOR_ROLES)
    form = CadreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            cadre = services.cadre_create(actor=request.user, division=village, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Cadre %(name)s added.") % {"name": cadre.name})
            return redirect(cadre)
    return render(request, "villages/cadre_form.html", {"form": form, "division": village, "cadre": None})


@login_required
@require_http_methods(["GET", "POST"])
def cadre_edit(request, pk):
    cadre = get_visible_or_404(Cadre.objects.select_related("division"), request.user, pk=pk)
    require_role(request.user, cadre.division.code, CADRE_EDITOR_ROLES)
    full = sees_personal_data(request.user, cadre.division.code)
    form = CadreForm(request.POST or None, instance=cadre)
    if full and request.method == "GET":
        log_full_access(user=request.user, records=[cadre], context="page", request=request)
    if not full:
        # Who may not read the full values (numbers, birth date) may not see them pre-filled either; blank keeps them.
        for field in PERSONAL_FIELDS:
            form.fields[field].required = False
            form.fields[field].help_text = _("Stored: %(v)s. Leave blank to keep it.") % {
                "v": getattr(cadre, f"masked_{field}")
            }
            form.initial[field] = ""
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in form.fields}
        if not full:
            for field in PERSONAL_FIELDS:
                if not changes[field]:
                    changes.pop(field)
        try:
            services.cadre_update(actor=request.user, cadre=Cadre.objects.get(pk=cadre.pk), **changes)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(cadre)
    return render(request, "villages/cadre_form.html", {"form": form, "division": cadre.division, "cadre": cadre})


@login_required
@require_http_methods(["POST"])
def post_add(request, pk):
    cadre = get_visible_or_404(Cadre.objects.select_related("division"), request.user, pk=pk)
    require_role(request.user, cadre.division.code, CADRE_EDITOR_ROLES)
    form = PostForm(request.POST)
    if form.is_valid():
        try:
            services.post_add(actor=request.user, cadre=cadre, **form.cleaned_data)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Post added."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(cadre)


@login_required
@require_http_methods(["GET", "POST"])
def post_adjust(request, pk):
    post = get_visible_or_404(Post.objects.select_related("cadre", "division"), request.user, pk=pk)
    require_role(request.user, post.division.code, CADRE_EDITOR_ROLES)
    form = AdjustmentForm(request.POST or None, village=post.division, exclude=post.cadre)
    if request.method == "POST" and form.is_valid():
        try:
            services.cadre_adjust(actor=request.user, post=post, **form.cleaned_data)
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Adjustment recorded."))
            return redirect(post.division)
    return render(request, "villages/adjust_form.html", {"form": form, "post": post, "division": post.division})


@reads_from_replica
@login_required
def division_ledger(request, code):
    """The divisions below this one, as the same .xlsx layout the import reads."""
    division = get_visible_or_404(Division.objects, request.user, code=code)
    rows = division_ledger_rows(Division.objects.below(division).order_by("code"))
    return xlsx_response(f"{division.name}-区划台账.xlsx", [(division.name, list(DIVISION_COLUMNS), rows)])


@reads_from_replica
@login_required
def cadre_ledger(request, code):
    """The current cadres at or under this division; personal data masked unless the role needs it."""
    division = get_visible_or_404(Division.objects, request.user, code=code)
    cadres = (
        selectors.cadre_list(user=request.user, division=division)
        .filter(active=True)
        .order_by("division__code", "name")
    )
    full = sees_personal_data(request.user, division.code)
    cadres = list(cadres)
    if full:
        log_full_access(user=request.user, records=cadres, context="export", request=request)
    rows = cadre_ledger_rows(cadres, full_personal_data=full)
    return xlsx_response(f"{division.name}-村干部台账.xlsx", [(division.name, list(CADRE_COLUMNS), rows)])


@login_required
def ledger_import_moved(request, code):
    """The old add-only import page: its ledgers now import through villages.imports (preview, upsert). A bookmark
    lands on the new page of the same ledger (``?kind=``), or on the division's imports."""
    division = get_visible_or_404(Division.objects, request.user, code=code)
    kind = request.GET.get("kind")
    if kind in ("divisions", "cadres"):
        return redirect("villages:import_upload", code=division.code, kind=kind, permanent=True)
    return redirect("villages:imports", code=division.code, permanent=True)
