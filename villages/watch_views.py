"""Pages of the watch list (the whole list, filtered, paged and downloadable; the county's thresholds with a
preview) and of the county's cadre adjustments."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import selectors, services
from .choices import AdjustmentKind, ApprovingLevel, Level, PostTitle, Role
from .excel import xlsx_response
from .forms import AdjustmentFilterForm, WatchFilterForm, WatchRulesForm
from .models import Division, WatchRules
from .scopes import get_visible_or_404, has_role, require_role
from .sections import division_sections, with_adjustment_bases
from .views import _breadcrumbs, _period, _period_choices, apply_form_errors
from .watch import SIGNAL_CHOICES, SOURCES, county_figures, export_rows, filter_entries, listed_count, watch_list

PAGE_SIZE = 25
ADJUSTMENT_PAGE_SIZE = 50


def _unit_or_404(request, code) -> Division:
    """A county or township in the user's scope (the pages list villages below one), else 404."""
    division = get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)
    if division.level not in (Level.COUNTY, Level.TOWNSHIP):
        raise Http404
    return division


@login_required
def watch_page(request, code):
    division = _unit_or_404(request, code)
    period = _period(request)
    rules = WatchRules.for_code(division.code)
    townships = Division.objects.filter(parent=division).order_by("code") if division.level == Level.COUNTY else []
    form = WatchFilterForm(request.GET or None, townships=townships, signals=SIGNAL_CHOICES, sources=SOURCES.items())
    entries = watch_list(division=division, period=period, rules=rules)
    total = len(entries)
    if form.is_valid():
        entries = filter_entries(entries, **{k: form.cleaned_data[k] for k in ("township", "signal", "source")})
    if request.GET.get("format") == "xlsx":
        columns, rows = export_rows(entries)
        return xlsx_response(f"{division.name}-{_('Watch list')}-{period}.xlsx", [(period, columns, rows)])
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "villages/watch.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division),
            "sections": division_sections(division),
            "form": form,
            "page": page,
            "rank_offset": page.start_index() - 1 if entries else 0,
            "total": total,
            "shown": len(entries),
            "period": period,
            "periods": _period_choices(),
            "rules": rules,
            "query": query.urlencode(),
            "can_set": division.level == Level.COUNTY and has_role(request.user, division.code, {Role.COUNTY_OFFICIAL}),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def watch_settings(request, code):
    county = get_visible_or_404(Division.objects, request.user, code=code, level=Level.COUNTY)
    require_role(request.user, county.code, {Role.COUNTY_OFFICIAL})
    period = _period(request)
    saved = WatchRules.for_code(county.code)
    form = WatchRulesForm(request.POST or None, instance=WatchRules.for_code(county.code))
    figures = county_figures(division=county, period=period)  # read once for both counts
    preview = None
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in form.Meta.fields}
        if "save" in request.POST:
            try:
                services.watch_rules_set(actor=request.user, county=county, **values)
            except ValidationError as exc:
                apply_form_errors(form, exc)
            else:
                messages.success(request, _("The watch list thresholds were saved."))
                return redirect(f"{reverse('villages:watch', args=[county.code])}?period={period}")
        else:
            preview = listed_count(division=county, period=period, rules=form.instance, county_rows=figures)
    return render(
        request,
        "villages/watch_settings.html",
        {
            "division": county,
            "breadcrumbs": _breadcrumbs(request.user, county),
            "form": form,
            "period": period,
            "current": listed_count(division=county, period=period, rules=saved, county_rows=figures),
            "preview": preview,
            "villages": Division.objects.filter(code__startswith=county.prefix, level=Level.VILLAGE).count(),
        },
    )


@login_required
def adjustments_page(request, code):
    """The cadre adjustments (调整) under a county or township: who was replaced or removed, why, on what basis and
    when, with the totals by kind; filtered, paged, downloadable."""
    division = _unit_or_404(request, code)
    townships = Division.objects.filter(parent=division).order_by("code") if division.level == Level.COUNTY else []
    form = AdjustmentFilterForm(request.GET or None, townships=townships)
    qs = selectors.adjustment_list(user=request.user, division=division).select_related("division__parent")
    if form.is_valid():
        data = form.cleaned_data
        if data["township"]:
            qs = qs.filter(division__code__startswith=data["township"][:9])
        if data["kind"]:
            qs = qs.filter(kind=data["kind"])
        if data["approved_by"]:
            qs = qs.filter(approved_by=data["approved_by"])
        if data["year"]:
            qs = qs.filter(date__year=data["year"])
        if data["q"]:
            q = data["q"]
            qs = qs.filter(
                Q(outgoing__name__icontains=q)
                | Q(incoming__name__icontains=q)
                | Q(division__name__icontains=q)
                | Q(reason__icontains=q)
            )
    totals = qs.order_by().aggregate(
        total=Count("pk"), **{kind: Count("pk", filter=Q(kind=kind)) for kind in AdjustmentKind.values}
    )
    secretaries = qs.filter(post__title=PostTitle.SECRETARY).count()
    if request.GET.get("format") == "xlsx":
        rows = with_adjustment_bases(qs)
        return xlsx_response(
            f"{division.name}-{_('Adjustments')}.xlsx", [(division.name, _adjustment_columns(), _adjustment_rows(rows))]
        )
    page = Paginator(qs, ADJUSTMENT_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "villages/adjustments.html",
        {
            "division": division,
            "breadcrumbs": _breadcrumbs(request.user, division),
            "sections": division_sections(division),
            "form": form,
            "page": page,
            "adjustments": with_adjustment_bases(page.object_list),
            "totals": [(label, totals[kind]) for kind, label in AdjustmentKind.choices],
            "total": totals["total"],
            "secretaries": secretaries,
            "query": query.urlencode(),
        },
    )


def _adjustment_columns() -> list[str]:
    return [
        _("Date"), _("Township"), _("Village"), _("Kind"), _("Post"), _("Outgoing"), _("Incoming"), _("Reason"),
        _("Approved by"), _("Basis"),
    ]  # fmt: skip


def _adjustment_rows(adjustments):
    for a in adjustments:
        yield [
            a.date, a.division.parent.name if a.division.parent else "", a.division.name, str(a.get_kind_display()),
            str(a.post), a.outgoing.name, a.incoming.name if a.incoming else "", a.reason,
            str(ApprovingLevel(a.approved_by).label) if a.approved_by else "", str(a.basis[0]) if a.basis else "",
        ]  # fmt: skip
