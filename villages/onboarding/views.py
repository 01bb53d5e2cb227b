"""Pages of a county's first steps: start here (divisions from the official list), the county's checklist, and its
users and their scopes. A view parses, calls a selector or a service, and renders."""

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import reference
from ..choices import Level, Role
from ..forms import SearchForm
from ..models import Division, UserScope
from ..scopes import get_visible_or_404, is_unrestricted, require_role
from ..views import apply_form_errors
from . import selectors, services
from .forms import PasswordSetForm, ScopeGrantForm, StartForm, UserCreateForm

User = get_user_model()


def _require_superuser(user) -> None:
    if not is_unrestricted(user):
        raise PermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def start(request):
    """Start here (从这里开始): a system administrator picks a province, then counties of it (or all of it), and the
    platform creates them from the official list."""
    _require_superuser(request.user)
    province = (request.POST.get("province") or request.GET.get("province") or "")[:2]
    if province and reference.province_row(province) is None:
        raise Http404
    form = StartForm(request.POST or None, province=province or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            result = services.divisions_load(
                actor=request.user,
                province_codes=[data["province"]] if data["whole_province"] else [],
                county_codes=[] if data["whole_province"] else data["counties"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(
                request,
                _("%(created)d divisions created, %(updated)d updated, %(unchanged)d unchanged.")
                % {"created": result.created, "updated": result.updated, "unchanged": result.unchanged},
            )
            if len(result.counties) == 1:
                return redirect("villages:onboard_checklist", code=result.counties[0])
            return redirect("villages:division", code=province.ljust(12, "0"))
    context = {"form": form, "province": province, "provinces": reference.provinces(), "year": reference.CODE_YEAR}
    if province:
        counties = reference.counties_of(province)
        existing = set(Division.objects.filter(code__in=[c.code for c in counties]).values_list("code", flat=True))
        cities = {c.code: c.name for c in reference.cities()}
        groups: dict[str, list] = {}
        for county in counties:
            city = cities.get(county.parent_code) or reference.province_row(province).name
            groups.setdefault(city, []).append((county, county.code in existing))
        chosen = set(form["counties"].value() or [])
        context.update(
            province_row=reference.province_row(province),
            groups=list(groups.items()),
            chosen=chosen,
            existing_count=len(existing),
        )
    if request.htmx and request.method == "GET":
        return render(request, "villages/onboarding/_start_counties.html", context)
    return render(request, "villages/onboarding/start.html", context)


@login_required
def checklist(request, code):
    county = get_visible_or_404(Division.objects, request.user, code=code, level=Level.COUNTY)
    require_role(request.user, county.code, {Role.COUNTY_OFFICIAL})
    rows = selectors.checklist(county=county)
    return render(
        request,
        "villages/onboarding/checklist.html",
        {
            "division": county,
            "rows": rows,
            "next_step": next((row for row in rows if not row["done"]), None),
            "can_manage_users": selectors.can_manage_users(request.user, county.code),
            "figures": selectors.figures_status(county=county),
        },
    )


@login_required
@require_http_methods(["POST"])
def recompute(request, code):
    """Recompute now (立即重新统计): the county's figures, tallied at once after this request (never in it)."""
    county = get_visible_or_404(Division.objects, request.user, code=code, level=Level.COUNTY)
    try:
        periods = services.county_recompute(actor=request.user, county=county)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(
            request,
            _(
                "The figures of %(name)s are being recomputed (%(periods)s). They are ready in a few seconds to a "
                "minute: reload the dashboard then."
            )
            % {"name": county.name, "periods": ", ".join(periods)},
        )
    return redirect("villages:onboard_checklist", code=county.code)


def _managed_division(request, code) -> Division:
    division = get_visible_or_404(Division.objects, request.user, code=code)
    if not selectors.can_manage_users(request.user, division.code):
        raise PermissionDenied
    return division


@login_required
def user_list(request, code):
    division = _managed_division(request, code)
    form = SearchForm(request.GET)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = Paginator(selectors.user_list(actor=request.user, division=division, q=q), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request, "villages/onboarding/user_list.html", {"division": division, "form": form, "q": q, "page": page}
    )


def _scope_division(form) -> Division:
    return form.cleaned_data.get("village") or form.cleaned_data["division"]


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request, code):
    division = _managed_division(request, code)
    form = UserCreateForm(
        request.POST or None,
        divisions=selectors.grantable_divisions(actor=request.user, division=division),
        initial={"division": division},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.user_create(
                actor=request.user,
                username=data["username"],
                name=data["name"],
                password=data["password"],
                division=_scope_division(form),
                role=data["role"],
                manages_users=data["manages_users"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Account %(name)s created.") % {"name": user.username})
            return redirect("villages:onboard_user", pk=user.pk)
    return render(request, "villages/onboarding/user_form.html", {"division": division, "form": form})


def _managed_user(request, pk):
    """The account if the actor manages it: 404 if the actor sees none of its scopes, 403 if they see it but do
    not manage users there."""
    user = selectors.visible_users(request.user).filter(pk=pk).first()
    if user is None:
        raise Http404
    if not selectors.managed_users(request.user).filter(pk=pk).exists():
        raise PermissionDenied
    return user


def _user_page(request, account, *, grant_form=None, password_form=None, status=200):
    scopes = list(
        UserScope.objects.visible_to(request.user)
        .filter(user=account)
        .select_related("division")
        .order_by("division__code", "role")
    )
    home = scopes[0].division if scopes else None
    return render(
        request,
        "villages/onboarding/user_detail.html",
        {
            "account": account,
            "scopes": scopes,
            "home": home,
            "breadcrumbs": [home] if home else [],
            "grant_form": grant_form
            or ScopeGrantForm(divisions=selectors.grantable_divisions(actor=request.user, division=None)),
            "password_form": password_form or PasswordSetForm(),
        },
        status=status,
    )


@login_required
def user_detail(request, pk):
    return _user_page(request, _managed_user(request, pk))


@login_required
@require_http_methods(["POST"])
def scope_grant(request, pk):
    account = _managed_user(request, pk)
    form = ScopeGrantForm(request.POST, divisions=selectors.grantable_divisions(actor=request.user, division=None))
    if form.is_valid():
        try:
            services.scope_grant(
                actor=request.user,
                user=account,
                division=_scope_division(form),
                role=form.cleaned_data["role"],
                manages_users=form.cleaned_data["manages_users"],
            )
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Scope granted."))
            return redirect("villages:onboard_user", pk=account.pk)
    return _user_page(request, account, grant_form=form)


@login_required
@require_http_methods(["POST"])
def scope_revoke(request, pk):
    scope = get_visible_or_404(UserScope.objects.select_related("division", "user"), request.user, pk=pk)
    if scope.user.is_superuser and not is_unrestricted(request.user):
        raise Http404  # as on the user's page: a superuser is not another user's business
    if not selectors.can_manage_users(request.user, scope.division.code):
        raise PermissionDenied
    try:
        services.scope_revoke(actor=request.user, scope=scope)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Scope taken away."))
    return redirect("villages:onboard_user", pk=scope.user_id)


@login_required
@require_http_methods(["POST"])
def user_active(request, pk):
    account = _managed_user(request, pk)
    active = request.POST.get("active") == "1"
    try:
        services.user_set_active(actor=request.user, user=account, active=active)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Account activated.") if active else _("Account deactivated."))
    return redirect("villages:onboard_user", pk=account.pk)


@login_required
@require_http_methods(["POST"])
def user_password(request, pk):
    account = _managed_user(request, pk)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            services.user_set_password(actor=request.user, user=account, password=form.cleaned_data["password"])
        except ValidationError as exc:
            apply_form_errors(form, exc)
        else:
            messages.success(request, _("Password set."))
            return redirect(reverse("villages:onboard_user", kwargs={"pk": account.pk}))
    return _user_page(request, account, password_form=form)
