"""Who sees and changes what: the one place scope is decided.

A user holds scopes (a division and a role in it). An object is visible when its division code starts with
the code prefix of one of the user's scopes. Querysets call ``scope_q``; views and API views call
``get_visible_or_404`` and ``require_role``. An object outside the user's scope answers 404, never 403, so
its existence does not leak.
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from .choices import LEVEL_PREFIX_LENGTH, PERSONAL_DATA_ROLES, READ_ONLY_ROLES, Role

_CACHE_ATTR = "_shanzhi_scopes"


class Scope:
    __slots__ = ("code", "division_id", "level", "name", "prefix", "role")

    def __init__(self, *, role, code, prefix, level, division_id, name):
        self.role = role
        self.code = code
        self.prefix = prefix
        self.level = level
        self.division_id = division_id
        self.name = name

    @property
    def role_label(self):
        return Role(self.role).label

    def covers(self, code: str) -> bool:
        return code.startswith(self.prefix)


def user_scopes(user) -> list[Scope]:
    """The user's scopes, read once per request (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        from .models import UserScope

        rows = UserScope.objects.filter(user=user).select_related("division").order_by("division__code")
        cached = [
            Scope(
                role=row.role,
                code=row.division.code,
                prefix=row.division.prefix,
                level=row.division.level,
                division_id=row.division_id,
                name=row.division.name,
            )
            for row in rows
        ]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_scopes(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def is_unrestricted(user) -> bool:
    return bool(getattr(user, "is_superuser", False))


def scope_q(user, field: str, roles: Iterable[str] | None = None) -> Q:
    """A Q object that keeps the rows whose ``field`` (a division code) lies within the user's scopes."""
    if is_unrestricted(user):
        return Q()
    roles = set(roles) if roles is not None else None
    prefixes = sorted({s.prefix for s in user_scopes(user) if roles is None or s.role in roles})
    if not prefixes:
        return Q(pk__in=[])
    q = Q()
    for prefix in prefixes:
        q |= Q(**{f"{field}__startswith": prefix})
    return q


def roles_for(user, code: str) -> set[str]:
    """The user's roles that cover the division with this code."""
    if is_unrestricted(user):
        return set(Role.values)
    return {s.role for s in user_scopes(user) if s.covers(code)}


def can_see(user, code: str) -> bool:
    return bool(roles_for(user, code))


def get_visible_or_404(queryset, user, **lookup):
    """The one lookup every detail view uses: the object if the user may see it, else 404."""
    obj = queryset.visible_to(user).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def get_division_or_404(user, code: str):
    """A division by code with its ancestors loaded as its parent chain (for breadcrumbs), if the user may see
    it, else 404. One query on the codes the code itself names (cheaper than joining up the tree), then the
    same scope test as ``scope_q`` (the user's prefixes) in Python."""
    from .models import Division

    codes = {code} | {code[:n].ljust(12, "0") for n in (2, 4, 6, 9)}
    rows = {d.pk: d for d in Division.objects.filter(code__in=codes)}
    division = next((d for d in rows.values() if d.code == code), None)
    if division is None or not can_see(user, code):
        raise Http404
    node = division
    while node.parent_id in rows:
        node.parent = rows[node.parent_id]
        node = node.parent
    return division


def require_role(user, code: str, roles: Iterable[str]) -> None:
    """Raise 404 if the division is out of the user's scope, 403 if in scope without a role that may act."""
    held = roles_for(user, code)
    if not held:
        raise Http404
    if is_unrestricted(user):
        return
    if not held & set(roles):
        raise PermissionDenied


def has_role(user, code: str, roles: Iterable[str]) -> bool:
    return bool(roles_for(user, code) & set(roles))


def is_read_only(user) -> bool:
    """Users whose every scope is read-only (API clients)."""
    if is_unrestricted(user):
        return False
    scopes = user_scopes(user)
    return bool(scopes) and all(s.role in READ_ONLY_ROLES for s in scopes)


def sees_personal_data(user, code: str) -> bool:
    """Full ID and phone numbers only for the roles that need them, within their scope."""
    return bool(roles_for(user, code) & PERSONAL_DATA_ROLES)


def prefix_for(level: str, code: str) -> str:
    return code[: LEVEL_PREFIX_LENGTH[level]]
