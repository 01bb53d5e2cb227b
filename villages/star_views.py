"""Pages of the five-star branches: a village's stars with their reasons and the award flow; the distribution
of star levels under a township or county."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import stars
from .choices import Role, StarStatus
from .excel import xlsx_response
from .forms import StarApplyForm, StarCountyForm, StarNoticeForm, StarRemoveForm, StarTownshipForm
from .models import Division, StarAward, StarType
from .replica import reads_from_replica
from .scopes import get_visible_or_404, has_role, require_role
from .sections import division_sections
from .views import _breadcrumbs

# "两年创三星、三年创五星": stars a village should hold N years after the campaign began.
STAR_TARGETS = {2: 3, 3: 5}


def _year(request) -> int:
    value = request.GET.get("year", "")
    return int(value) if value.isdigit() and len(value) == 4 else timezone.localdate().year


def target_for(year: int) -> int | None:
    elapsed = year - settings.SHANZHI_STAR_PLAN_START + 1
    reached = [stars_ for years, stars_ in sorted(STAR_TARGETS.items()) if elapsed >= years]
    return reached[-1] if reached else None


@reads_from_replica
@login_required
def division_stars(request, code):
    division = get_visible_or_404(Division.objects.select_related("parent"), request.user, code=code)
    year = _year(request)
    context = {
        "division": division,
        "year": year,
        "years": range(timezone.localdate().year, timezone.localdate().year - 4, -1),
        "breadcrumbs": _breadcrumbs(request.user, division),
        "sections": division_sections(division),
    }
    if not division.is_village:
        counts = stars.star_counts(division=division, year=year)
        star_types = list(StarType.objects.filter(active=True).order_by("star_set", "position"))
        if request.GET.get("format") == "xlsx":
            return _distribution_xlsx(division, year, counts, star_types)
        context.update(counts=counts, star_types=star_types, levels=[str(n) for n in range(6)])
        return render(request, "villages/stars_distribution.html", context)
    rows = stars.village_stars(village=division, year=year)
    held = sum(1 for r in rows if r["award"] and r["award"].status == StarStatus.AWARDED)
    proposed = sum(1 for r in rows if r["proposal"] and r["proposal"].earned)
    target = target_for(year)
    user = request.user
    can_apply = has_role(user, division.code, {Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF})
    context.update(
        rows=rows,
        held=held,
        proposed=proposed,
        target=target,
        gap=max(target - held, 0) if target is not None else None,
        can_apply=can_apply,
        is_township=has_role(user, division.code, {Role.TOWNSHIP_STAFF}),
        is_county=has_role(user, division.code, {Role.COUNTY_OFFICIAL}),
        apply_form=StarApplyForm(
            star_types=StarType.objects.filter(pk__in=[r["star"].pk for r in rows if r["award"] is None])
        ),
        township_form=StarTownshipForm(),
        county_form=StarCountyForm(),
        notice_form=StarNoticeForm(initial={"start": timezone.localdate()}),
        remove_form=StarRemoveForm(),
    )
    return render(request, "villages/stars_village.html", context)


def _distribution_xlsx(division, year, counts, star_types):
    columns = [
        "区划代码", "名称", "村(社区)数", *[f"{n}星(已授予)" for n in range(6)],
        *[f"{t.name}({t.get_star_set_display()})" for t in star_types],
    ]  # fmt: skip
    rows = [
        [u["code"], u["name"], u["villages"], *[u["awarded"]["by_level"][str(n)] for n in range(6)],
         *[u["awarded"]["by_type"].get(t.code, 0) for t in star_types]]
        for u in [counts["division"], *counts["children"]]
    ]  # fmt: skip
    return xlsx_response(f"{division.name}-{year}-五星支部.xlsx", [(str(year), columns, rows)])


def _flow(request, pk, action, roles):
    award = get_visible_or_404(StarAward.objects.select_related("division", "star_type"), request.user, pk=pk)
    require_role(request.user, award.division.code, roles)
    try:
        action(award)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("%(star)s: saved.") % {"star": award.star_type.name})
    return redirect(f"{award.division.get_absolute_url()}stars/?year={award.year}")


@login_required
@require_POST
def star_apply(request, code):
    village = get_visible_or_404(Division.objects.villages(), request.user, code=code)
    require_role(request.user, village.code, APPLICANTS)
    year = _year(request)
    form = StarApplyForm(request.POST, star_types=StarType.objects.filter(active=True))
    if form.is_valid():
        try:
            stars.star_apply(actor=request.user, village=village, year=year, star_type=form.cleaned_data["star_type"],
                             note=form.cleaned_data["note"])  # fmt: skip
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Application recorded."))
    else:
        messages.error(request, _("Choose the star to apply for."))
    return redirect(f"{village.get_absolute_url()}stars/?year={year}")


def _form_action(form_class, roles, service):
    @login_required
    @require_POST
    def view(request, pk):
        form = form_class(request.POST)

        def act(award):
            if not form.is_valid():
                raise ValidationError([m for errors in form.errors.values() for m in errors])
            service(request.user, award, form.cleaned_data)

        return _flow(request, pk, act, roles)

    return view


APPLICANTS = {Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF}
COUNTY = {Role.COUNTY_OFFICIAL}

star_township_review = _form_action(
    StarTownshipForm,
    {Role.TOWNSHIP_STAFF},
    lambda user, award, data: stars.star_township_review(
        actor=user, award=award, opinion=data["opinion"], support=data["support"]
    ),
)
star_county_decide = _form_action(
    StarCountyForm,
    COUNTY,
    lambda user, award, data: stars.star_county_decide(
        actor=user, award=award, award_star=data["award_star"], reason=data["reason"]
    ),
)
star_publish_notice = _form_action(
    StarNoticeForm,
    COUNTY,
    lambda user, award, data: stars.star_publish_notice(actor=user, award=award, start=data["start"]),
)
star_remove = _form_action(
    StarRemoveForm, COUNTY, lambda user, award, data: stars.star_remove(actor=user, award=award, reason=data["reason"])
)


@login_required
@require_POST
def star_confirm(request, pk):
    return _flow(request, pk, lambda award: stars.star_confirm_award(actor=request.user, award=award), COUNTY)
