"""The grids' part of the to-do lists (villages.todo): open service requests at the step their owners take
(``step_owners``: the grid worker runs the errand in their own grids, the township dispatches and verifies), the
grid worker's overdue errands shown to the township as waiting on them, and the households of a grid worker's
grids not visited within the county's coverage window."""

import datetime

from django.db.models import Count, Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from villages.choices import Role
from villages.scopes import is_unrestricted, roles_for, scope_q
from villages.todo import TodoItem, role_name

from .choices import FORWARD, OPEN_STATUSES, StepAction, step_owners
from .models import GridRules, Household, ServiceRequest, Visit
from .scopes import assigned_grid_ids
from .selectors import coverage_since

TITLES = {
    StepAction.ACCEPT: gettext_lazy("Accept the service request: %(item)s"),
    StepAction.DISPATCH: gettext_lazy("Dispatch the service request: %(item)s"),
    StepAction.HANDLE: gettext_lazy("Handle the service request: %(item)s"),
    StepAction.VERIFY: gettext_lazy("Verify the handled service request: %(item)s"),
    StepAction.CLOSE: gettext_lazy("Close the verified service request: %(item)s"),
}


def _requests(user, today):
    assigned = assigned_grid_ids(user)
    mine_q = Q(pk__in=[])
    waiting_q = Q(pk__in=[])
    steps = {status: FORWARD[status][0] for status in OPEN_STATUSES}
    for status, action in steps.items():
        owners = step_owners(action)
        if Role.GRID_WORKER in owners:
            mine_q |= Q(status=status) & (Q(grid_id__in=assigned) | Q(handler=user))
            # The township sees an overdue errand as waiting on the grid worker.
            waiting_q |= Q(status=status, due_at__lt=timezone.now()) & scope_q(
                user, "grid__village__code", {Role.TOWNSHIP_STAFF}
            )
        else:
            mine_q |= Q(status=status) & scope_q(user, "grid__village__code", owners)
    requests = (
        ServiceRequest.objects.filter(mine_q | waiting_q)
        .select_related("grid__village", "item")
        .order_by("due_at", "pk")[:200]
    )
    items = []
    for r in requests:
        action = steps[r.status]
        owners = step_owners(action)
        if Role.GRID_WORKER in owners:
            mine = r.grid_id in assigned or r.handler_id == user.pk or is_unrestricted(user)
        else:
            mine = bool(roles_for(user, r.grid.village.code) & owners)
        items.append(
            TodoItem(
                kind=f"grids.request.{action}",
                title=str(TITLES[action]) % {"item": r.item.name},
                division=r.grid.label,
                url=reverse("grids:request", kwargs={"pk": r.pk}),
                actor=role_name(min(owners)),
                due=timezone.localtime(r.due_at).date(),
                waiting_on="" if mine else role_name(min(owners)),
                soon_days=1,
                key=f"request-{r.pk}",
            )
        )
    return items


def _visits(user, today):
    assigned = assigned_grid_ids(user)
    if not assigned:
        return []
    rows = list(
        Household.objects.filter(grid_id__in=assigned)
        .values("grid_id", "grid__name", "grid__village__name", "grid__village__code")
        .annotate(n=Count("pk"))
        .order_by("grid__village__code", "grid_id")
    )
    if not rows:
        return []
    rules = GridRules.for_code(rows[0]["grid__village__code"])
    since = coverage_since(rules, today)
    visited = dict(
        Household.objects.filter(grid_id__in=assigned)
        .filter(Exists(Visit.objects.filter(household_id=OuterRef("pk"), visited_on__gte=since)))
        .values("grid_id")
        .annotate(n=Count("pk"))
        .values_list("grid_id", "n")
    )
    return [
        TodoItem(
            kind="grids.visits",
            title=_("Visit %(n)d households not visited in the last %(days)d days (%(grid)s)")
            % {"n": row["n"] - visited.get(row["grid_id"], 0), "days": rules.coverage_days, "grid": row["grid__name"]},
            division=row["grid__village__name"],
            url=reverse("grids:grid", kwargs={"pk": row["grid_id"]}),
            actor=role_name(Role.GRID_WORKER),
            key=f"visits-{row['grid_id']}",
        )
        for row in rows
        if row["n"] > visited.get(row["grid_id"], 0)
    ]


def items(user, *, today: datetime.date) -> list[TodoItem]:
    return _requests(user, today) + _visits(user, today)
