"""Reads for the grids app: scoped querysets with the joins their pages need, and set-based figures.

Figures are counted in the database, never by looping over rows in Python: per grid with correlated
subqueries (one query for any number of grids), per child division with GROUP BY over a prefix of the code.
"""

import datetime
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, IntegerField, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce, Substr
from django.urls import reverse
from django.utils import timezone

from villages.choices import LEVEL_PREFIX_LENGTH, Level, Role
from villages.models import Division

from .choices import OPEN_STATUSES, GridKind, SupervisionLevel
from .models import (
    BuildingPartyGroup,
    Grid,
    GridAssignment,
    GridRules,
    Household,
    PartyMember,
    RequestStep,
    ServiceCategory,
    ServiceItem,
    ServiceRequest,
    ServiceSubcategory,
    Supervision,
    Visit,
)


def coverage_since(rules: GridRules, today: datetime.date | None = None) -> datetime.date:
    """The first day of the coverage window: the last ``coverage_days`` days, today included."""
    today = today or timezone.localdate()
    return today - datetime.timedelta(days=rules.coverage_days - 1)


def _per_grid(queryset, grid_field: str, count: str = "pk", distinct: bool = False):
    """A correlated count per grid row: one subquery in the grid query, not one query per grid."""
    sub = (
        queryset.filter(**{grid_field: OuterRef("pk")})
        .order_by()
        .values(grid_field)
        .annotate(n=Count(count, distinct=distinct))
        .values("n")[:1]
    )
    return Coalesce(Subquery(sub, output_field=IntegerField()), Value(0))


def grid_list(*, user, division: Division | None = None):
    qs = Grid.objects.visible_to(user).select_related("village")
    if division is not None:
        qs = qs.filter(village__code__startswith=division.prefix)
    return qs.order_by("code")


def with_figures(grids, *, since: datetime.date, now: datetime.datetime | None = None):
    """Grids annotated with households, households visited since ``since``, open, overdue and supervised
    requests. One query, whatever the number of grids."""
    now = now or timezone.now()
    open_requests = ServiceRequest.objects.filter(status__in=OPEN_STATUSES)
    return grids.annotate(
        households_count=_per_grid(Household.objects.all(), "grid"),
        visited_count=_per_grid(
            Visit.objects.filter(visited_on__gte=since), "household__grid", count="household", distinct=True
        ),
        open_count=_per_grid(open_requests, "grid"),
        overdue_count=_per_grid(open_requests.filter(due_at__lt=now), "grid"),
        supervised_count=_per_grid(open_requests.exclude(supervision_level=""), "grid"),
    )


def rule_flag(grid, rules: GridRules) -> str:
    """'low' or 'high' when a comprehensive grid falls outside the county's household range, else ''."""
    if grid.kind != GridKind.COMPREHENSIVE:
        return ""
    if grid.households_count < rules.households_min:
        return "low"
    if grid.households_count > rules.households_max:
        return "high"
    return ""


def grids_with_figures(*, user, division: Division, now=None) -> tuple[list[Grid], GridRules, datetime.date]:
    rules = GridRules.for_code(division.code)
    since = coverage_since(rules)
    grids = list(with_figures(grid_list(user=user, division=division), since=since, now=now))
    for grid in grids:
        grid.rule_flag = rule_flag(grid, rules)
    return grids, rules, since


def map_features(grids) -> dict:
    """A GeoJSON FeatureCollection of the grids that have a boundary, with the figures the map colours by."""
    features = []
    for grid in grids:
        if not grid.boundary:
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": grid.boundary,
                "properties": {
                    "id": grid.pk,
                    "code": grid.code,
                    "name": grid.name,
                    "village": grid.village.name,
                    "kind": grid.kind,
                    "kind_label": str(grid.get_kind_display()),
                    "url": reverse("grids:grid", args=[grid.pk]),
                    "households": grid.households_count,
                    "visited": grid.visited_count,
                    "open_requests": grid.open_count,
                    "overdue": grid.overdue_count,
                    "coverage": round(grid.visited_count / grid.households_count, 4) if grid.households_count else None,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}


@dataclass
class BoardRow:
    division: Division
    grids: int = 0
    comprehensive: int = 0
    dedicated: int = 0
    outside_rule: int = 0
    households: int = 0
    visited: int = 0
    open: int = 0
    overdue: int = 0
    supervised: dict = field(default_factory=dict)

    @property
    def coverage(self) -> float | None:
        return self.visited / self.households if self.households else None

    @property
    def supervised_total(self) -> int:
        return sum(self.supervised.values())


def division_board(*, user, division: Division, now=None) -> tuple[list[BoardRow], BoardRow, GridRules]:
    """Per child division: grids, households, coverage, open, overdue and supervised requests; and the total.

    Four GROUP BY queries over the code prefix of the child level, whatever the number of children.
    """
    now = now or timezone.now()
    rules = GridRules.for_code(division.code)
    since = coverage_since(rules)
    n = LEVEL_PREFIX_LENGTH[division.child_level]
    prefix = division.prefix
    children = list(Division.objects.filter(parent=division).order_by("code"))
    rows = {c.code[:n]: BoardRow(division=c) for c in children}
    total = BoardRow(division=division)

    def add(key, **values):
        row = rows.get(key)
        for target in (row, total) if row is not None else (total,):
            for name, value in values.items():
                if name == "supervised":
                    for level, count in value.items():
                        target.supervised[level] = target.supervised.get(level, 0) + count
                else:
                    setattr(target, name, getattr(target, name) + value)

    households = Household.objects.filter(grid=OuterRef("pk")).order_by().values("grid").annotate(c=Count("pk"))
    grids = (
        Grid.objects.visible_to(user)
        .filter(village__code__startswith=prefix)
        .annotate(hh=Coalesce(Subquery(households.values("c")[:1], output_field=IntegerField()), Value(0)))
        .annotate(child=Substr("village__code", 1, n))
        .order_by()
        .values("child")
        .annotate(
            grids=Count("pk"),
            comprehensive=Count("pk", filter=Q(kind=GridKind.COMPREHENSIVE)),
            outside=Count(
                "pk",
                filter=Q(kind=GridKind.COMPREHENSIVE)
                & (Q(hh__lt=rules.households_min) | Q(hh__gt=rules.households_max)),
            ),
        )
    )
    for g in grids:
        add(g["child"], grids=g["grids"], comprehensive=g["comprehensive"], dedicated=g["grids"] - g["comprehensive"])
        add(g["child"], outside_rule=g["outside"])
    house_rows = (
        Household.objects.visible_to(user)
        .filter(grid__village__code__startswith=prefix)
        .annotate(child=Substr("grid__village__code", 1, n))
        .order_by()
        .values("child")
        .annotate(n=Count("pk"))
    )
    for h in house_rows:
        add(h["child"], households=h["n"])
    visited_rows = (
        Visit.objects.visible_to(user)
        .filter(household__grid__village__code__startswith=prefix, visited_on__gte=since)
        .annotate(child=Substr("household__grid__village__code", 1, n))
        .order_by()
        .values("child")
        .annotate(n=Count("household", distinct=True))
    )
    for v in visited_rows:
        add(v["child"], visited=v["n"])
    open_q = Q(status__in=OPEN_STATUSES)
    request_rows = (
        ServiceRequest.objects.visible_to(user)
        .filter(grid__village__code__startswith=prefix)
        .annotate(child=Substr("grid__village__code", 1, n))
        .order_by()
        .values("child")
        .annotate(
            open=Count("pk", filter=open_q),
            overdue=Count("pk", filter=open_q & Q(due_at__lt=now)),
            **{
                f"sup_{level}": Count("pk", filter=open_q & Q(supervision_level=level))
                for level in SupervisionLevel.values
            },
        )
    )
    for r in request_rows:
        add(
            r["child"],
            open=r["open"],
            overdue=r["overdue"],
            supervised={level: r[f"sup_{level}"] for level in SupervisionLevel.values if r[f"sup_{level}"]},
        )
    return list(rows.values()), total, rules


def request_list(*, user, division: Division | None = None):
    qs = ServiceRequest.objects.visible_to(user).select_related("grid__village", "item__subcategory__category")
    if division is not None:
        qs = qs.filter(grid__village__code__startswith=division.prefix)
    return qs


def my_open_requests(*, user):
    """Open requests of the grids the user is assigned to, or handed to them by name, soonest due first."""
    assigned = GridAssignment.objects.current().filter(user=user).values("grid_id")
    return (
        ServiceRequest.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(grid_id__in=assigned) | Q(handler=user))
        .select_related("grid__village", "item", "household")
        .order_by("due_at", "pk")
    )


def request_detail_queryset():
    return ServiceRequest.objects.select_related(
        "grid__village__parent", "household", "item__subcategory__category", "handler", "created_by"
    )


def request_steps(request: ServiceRequest):
    return RequestStep.objects.filter(request=request).select_related("actor").order_by("at", "pk")


def request_supervisions(request: ServiceRequest):
    return Supervision.objects.filter(request=request).select_related("by").order_by("at", "pk")


def supervised_requests(*, user, division: Division, now=None):
    """Open requests under the division that are overdue or supervised: red cards first, then yellow, ordinary,
    and within each the longest overdue first."""
    rank = Case(
        When(supervision_level=SupervisionLevel.RED, then=Value(3)),
        When(supervision_level=SupervisionLevel.YELLOW, then=Value(2)),
        When(supervision_level=SupervisionLevel.ORDINARY, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )
    return (
        request_list(user=user, division=division)
        .filter(status__in=OPEN_STATUSES)
        .filter(Q(due_at__lt=now or timezone.now()) | ~Q(supervision_level=""))
        .annotate(rank=rank)
        .order_by("-rank", "due_at", "pk")
    )


def grid_assignments(grid: Grid):
    return GridAssignment.objects.filter(grid=grid).select_related("user").order_by("-end_date", "role", "start_date")


def grid_party_chain(grid: Grid):
    """The grid's party branch with its building groups and their members, or None."""
    branch = getattr(grid, "party_branch", None) if hasattr(grid, "party_branch") else None
    if branch is None:
        return None, []
    groups = (
        BuildingPartyGroup.objects.filter(branch=branch)
        .select_related("leader")
        .prefetch_related(
            Prefetch(
                "members",
                queryset=PartyMember.objects.annotate(linked=Count("linked_households")).order_by("name"),
            )
        )
    )
    return branch, list(groups)


def household_list(*, user, grid: Grid | None = None, division: Division | None = None):
    qs = (
        Household.objects.visible_to(user)
        .select_related("grid__village", "linked_member")
        .prefetch_related("care_tags")
    )
    if grid is not None:
        qs = qs.filter(grid=grid)
    if division is not None:
        qs = qs.filter(grid__village__code__startswith=division.prefix)
    return qs


def member_list(*, user, division: Division | None = None):
    qs = (
        PartyMember.objects.visible_to(user)
        .select_related("village", "grid", "party_group")
        .annotate(linked=Count("linked_households"))
    )
    if division is not None:
        qs = qs.filter(village__code__startswith=division.prefix)
    return qs.order_by("grid__code", "name")


def household_visits(household: Household, limit: int = 50):
    return Visit.objects.filter(household=household).select_related("visitor_user", "visitor_member")[:limit]


def catalogue():
    """Categories → subcategories → active items, in three queries."""
    return ServiceCategory.objects.prefetch_related(
        Prefetch(
            "subcategories",
            queryset=ServiceSubcategory.objects.order_by("order", "pk").prefetch_related(
                Prefetch("items", queryset=ServiceItem.objects.filter(active=True).order_by("order", "pk"))
            ),
        )
    ).order_by("order", "pk")


def active_items():
    return ServiceItem.objects.filter(active=True).select_related("subcategory__category")


def dispatch_handlers(grid: Grid):
    """Accounts currently assigned to the grid that hold a grid-worker scope: whom a dispatch can name."""
    return (
        get_user_model()
        .objects.filter(
            pk__in=GridAssignment.objects.current().filter(grid=grid, user__isnull=False).values("user_id"),
            scopes__role=Role.GRID_WORKER,
        )
        .distinct()
        .order_by("username")
    )


def assignable_users(grid: Grid):
    """Accounts that may hold a role on the grid: those with a scope over its village."""
    code = grid.village.code
    codes = [code[: LEVEL_PREFIX_LENGTH[level]].ljust(12, "0") for level in Level.values]
    return (
        get_user_model()
        .objects.filter(is_active=True, scopes__division__code__in=codes)
        .distinct()
        .order_by("username")
    )
