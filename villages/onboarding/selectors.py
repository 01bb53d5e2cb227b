"""Reads of a county's first steps: whose users an administrator manages, and the county's checklist."""

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..choices import Level
from ..hooks import app_hooks
from ..models import Cadre, Division, TallyRequest, TallyRun, UserScope
from ..scopes import can_manage_users, is_unrestricted, managed_prefixes

User = get_user_model()

__all__ = [
    "can_manage_users",
    "checklist",
    "grantable_divisions",
    "managed_users",
    "step",
    "user_list",
    "visible_users",
]


def visible_users(actor):
    """The accounts holding a scope the actor can see (any role): the others answer 404 to the actor."""
    if is_unrestricted(actor):
        return User.objects.all()
    ids = UserScope.objects.visible_to(actor).values("user_id")
    return User.objects.filter(pk__in=ids, is_superuser=False)


def managed_users(actor):
    """The accounts the actor may manage: those holding a scope under a division whose users the actor manages.
    A superuser is managed only by a superuser."""
    if is_unrestricted(actor):
        return User.objects.all()
    prefixes = managed_prefixes(actor)
    if not prefixes:
        return User.objects.none()
    q = Q()
    for prefix in prefixes:
        q |= Q(division__code__startswith=prefix)
    return User.objects.filter(pk__in=UserScope.objects.filter(q).values("user_id"), is_superuser=False)


def user_list(*, actor, division: Division, q: str = ""):
    """The accounts holding a scope at or under the division, each with those scopes only (a scope elsewhere is
    not the county's business), by account name; ``q`` matches the account or the person's name. Three queries
    with the page's count."""
    in_division = UserScope.objects.filter(division__code__startswith=division.prefix)
    users = User.objects.filter(pk__in=in_division.values("user_id"))
    if not is_unrestricted(actor):
        users = users.filter(is_superuser=False)
    if q:
        users = users.filter(Q(username__icontains=q) | Q(first_name__icontains=q))
    return users.prefetch_related(
        Prefetch(
            "scopes",
            queryset=in_division.select_related("division").order_by("division__code", "role"),
            to_attr="county_scopes",
        )
    ).order_by("username")


def grantable_divisions(*, actor, division: Division | None):
    """The divisions at or under ``division`` (None: anywhere) down to the townships (villages are many: they are
    given by code) in which the actor may grant scopes."""
    qs = Division.objects.exclude(level=Level.VILLAGE).current()
    if division is not None:
        qs = qs.filter(code__startswith=division.prefix)
    if not is_unrestricted(actor):
        q = Q(pk__in=[])
        for prefix in managed_prefixes(actor):
            q |= Q(code__startswith=prefix)
        qs = qs.filter(q)
    return qs.order_by("code")


def checklist(*, county: Division) -> list[dict]:
    """What a county has loaded, what is missing and where each is done: one row per step, in the order a county
    takes them, each with a count, done or not, and the page that does it (None where no page does it yet). The
    apps add their own steps (the ``checklist_steps`` hook: grids, households, the first review campaign)."""
    prefix = county.prefix
    code = county.code
    counts = Division.objects.filter(code__startswith=prefix).aggregate(
        townships=Count("pk", filter=Q(level=Level.TOWNSHIP)), villages=Count("pk", filter=Q(level=Level.VILLAGE))
    )
    rows = [
        step(
            10,
            "divisions",
            _("Townships (from the official list)"),
            counts["townships"],
            None,
            _("Start here (system administrator) or manage.py divisions_load"),
        ),
        step(
            20,
            "villages",
            _("Villages and communities"),
            counts["villages"],
            None,
            _("Division ledger import"),
            county=county,
            import_kind="divisions",
        ),
        step(
            30,
            "cadres",
            _("Village cadres"),
            Cadre.objects.filter(division__code__startswith=prefix, active=True).count(),
            None,
            _("Cadre ledger import"),
            county=county,
            import_kind="cadres",
        ),
        step(
            60,
            "users",
            _("Users and scopes"),
            UserScope.objects.filter(division__code__startswith=prefix).values("user_id").distinct().count(),
            reverse("villages:onboard_users", kwargs={"code": code}),
            _("Users and scopes"),
        ),
    ]
    for _config, _path, steps in app_hooks("checklist_steps"):
        rows.extend(steps(county=county))
    return sorted(rows, key=lambda row: row["order"])


def step(
    order: int, key: str, label, count: int, url: str | None, action, *, county=None, import_kind: str | None = None
) -> dict:
    """One row of a county's checklist (the apps' ``checklist_steps`` return these too), placed by ``order``:
    divisions 10, villages 20, cadres 30, grids 40, party members 45, households 50, users 60, review campaigns 70.
    A step filled by an import (``import_kind``, villages.imports) links its upload (the row's page), its template
    and the county's import history."""
    row = {
        "order": order,
        "key": key,
        "label": label,
        "count": count,
        "done": bool(count),
        "url": url,
        "action": action,
        "template_url": None,
        "history_url": None,
    }
    if import_kind is not None:
        kwargs = {"code": county.code, "kind": import_kind}
        row["url"] = reverse("villages:import_upload", kwargs=kwargs)
        row["template_url"] = reverse("villages:import_template", kwargs=kwargs)
        row["history_url"] = reverse("villages:imports", kwargs={"code": county.code})
    return row


def figures_status(*, county: Division) -> dict:
    """When the county's figures were last computed (统计于 …) and how many recompute requests still wait: two
    queries."""
    last = (
        TallyRun.objects.filter(county=county, status=TallyRun.Status.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    waiting = TallyRequest.objects.filter(county=county, done_at__isnull=True).count()
    return {"computed_at": last, "waiting": waiting}
