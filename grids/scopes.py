"""Scope for grid data: the villages rule (a code prefix) plus one more for grid workers.

A grid worker is scoped to a village, but sees and works on only the grids they are currently assigned to.
Each of a user's scopes is applied on its own, so a user who is grid worker in one village and township staff
of another township sees their assigned grids in the first and everything in the second.
"""

from django.db.models import Q
from django.http import Http404

from villages.choices import Role
from villages.scopes import is_unrestricted, refusal, roles_for, user_scopes

_ASSIGNED_ATTR = "_shanzhi_assigned_grids"


def assigned_grid_ids(user) -> set[int]:
    """The grids the user is assigned to today (read once per request, cached on the user)."""
    cached = getattr(user, _ASSIGNED_ATTR, None)
    if cached is None:
        from .models import GridAssignment

        cached = set(GridAssignment.objects.current().filter(user=user).values_list("grid_id", flat=True))
        setattr(user, _ASSIGNED_ATTR, cached)
    return cached


def forget_assignments(user) -> None:
    if hasattr(user, _ASSIGNED_ATTR):
        delattr(user, _ASSIGNED_ATTR)


def grid_scope_q(user, code_field: str, grid_field: str, roles=None) -> Q:
    """Rows whose division code (``code_field``) lies in the user's scopes; for a grid-worker scope, only the
    rows whose grid (``grid_field``) the user is currently assigned to."""
    if is_unrestricted(user):
        return Q()
    from .models import GridAssignment

    q = Q(pk__in=[])
    roles = set(roles) if roles is not None else None
    for scope in user_scopes(user):
        if roles is not None and scope.role not in roles:
            continue
        part = Q(**{f"{code_field}__startswith": scope.prefix})
        if scope.role == Role.GRID_WORKER:
            # A subquery, not a list of ids, so the rule holds however many grids a worker covers.
            part &= Q(**{f"{grid_field}__in": GridAssignment.objects.current().filter(user=user).values("grid_id")})
        q |= part
    return q


def grid_roles(user, grid) -> set[str]:
    """The user's roles over this grid: those covering its village, less grid worker when not assigned to it."""
    held = roles_for(user, grid.village.code)
    if Role.GRID_WORKER in held and not is_unrestricted(user) and grid.pk not in assigned_grid_ids(user):
        held = held - {Role.GRID_WORKER}
    return held


def require_grid_role(user, grid, roles) -> None:
    """404 when the grid is out of the user's scope, 403 when in scope without a role that may act."""
    held = grid_roles(user, grid)
    if not held:
        raise Http404
    if is_unrestricted(user):
        return
    if not held & set(roles):
        raise refusal(roles)


def has_grid_role(user, grid, roles) -> bool:
    return is_unrestricted(user) or bool(grid_roles(user, grid) & set(roles))
