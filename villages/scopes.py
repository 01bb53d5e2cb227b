"""Who sees and changes what: the one place scope is decided.

A user holds scopes (a division and a role in it). An object is visible when its division code starts with
the code prefix of one of the user's scopes. Querysets call ``scope_q``; views and API views call
``get_visible_or_404`` and ``require_role``. An object outside the user's scope answers 404, never 403, so
its existence does not leak.
"""

from collections.abc import Iterable

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext as _

from .choices import LEVEL_PREFIX_LENGTH, PERSONAL_DATA_ROLES, READ_ONLY_ROLES, Role
from .sessions import auth_version, bump_auth_versions, forget_auth_version

_CACHE_ATTR = "_shanzhi_scopes"


class Scope:
    __slots__ = ("code", "division_id", "level", "manages_users", "name", "prefix", "role")

    def __init__(self, *, role, code, prefix, level, division_id, name, manages_users=False):
        self.role = role
        self.manages_users = manages_users
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


# A user's scopes are also kept in the cache (Redis in production) between requests, under a key holding the user's
# authentication version (villages.sessions), read with the user on every request. Saving or deleting one of their
# UserScope rows, or the division of one, moves the version in the same transaction (``forget_cached_scopes``), so
# the next request on any node reads them from the database, even when the node that made the change could not
# reach Redis. A write that sends no signal (a bulk insert) calls ``forget_cached_scopes`` itself.
SCOPES_TTL = 300


def _scopes_key(user_id, version) -> str:
    # Keyed by database: ids belong to one database, and a Redis may serve several (test workers, the bench).
    # v2: the rows hold the manages-users flag (a cache written by the previous release is not read).
    return f"user-scopes:v2:{connection.settings_dict['NAME']}:{user_id}:{version}"


def scopes_cache_key(user) -> str | None:
    """Where the user's scopes are cached, None if they are read already this request, or for no one, or the
    user's version was not read with the user (then they come from the database)."""
    if not getattr(user, "is_authenticated", False) or hasattr(user, _CACHE_ATTR):
        return None
    version = auth_version(user)
    return None if version is None else _scopes_key(user.pk, version)


def user_scopes(user, *, found: dict | None = None) -> list[Scope]:
    """The user's scopes: read once per request (kept on the user object), from the cache or one query.
    ``found``: the result of a ``get_many`` that read the scopes' cache key among others."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is None:
        key = scopes_cache_key(user)
        rows = None if key is None else found.get(key) if found is not None else cache.get(key)
        if rows is None:
            from .models import UserScope

            held = UserScope.objects.filter(user=user).select_related("division").order_by("division__code")
            rows = [
                (
                    row.role,
                    row.division.code,
                    row.division.prefix,
                    row.division.level,
                    row.division_id,
                    row.division.name,
                    row.manages_users,
                )
                for row in held
            ]
            if key is not None:
                cache.set(key, rows, SCOPES_TTL)
        cached = [
            Scope(
                role=role,
                code=code,
                prefix=prefix,
                level=level,
                division_id=division_id,
                name=name,
                manages_users=manages_users,
            )
            for role, code, prefix, level, division_id, name, manages_users in rows
        ]
        setattr(user, _CACHE_ATTR, cached)
    return cached


def forget_scopes(user) -> None:
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)
    forget_cached_scopes([user.pk])
    forget_auth_version(user)


def forget_cached_scopes(user_ids) -> None:
    """Move these users' versions (in the caller's transaction): the scopes cached under the old one are read no
    more, on any node."""
    bump_auth_versions(user_ids)


def scopes_changed(sender, instance, **kwargs) -> None:
    """Receiver of ``post_save``/``post_delete`` of UserScope and Division: the cached scopes it touches go."""
    from .models import Division, UserScope

    if isinstance(instance, UserScope):
        forget_cached_scopes([instance.user_id])
    elif isinstance(instance, Division) and instance.pk:
        forget_cached_scopes(UserScope.objects.filter(division_id=instance.pk).values_list("user_id", flat=True))


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


def division_chain_key(code: str) -> str:
    return f"division-chain:{connection.settings_dict['NAME']}:{code}"


def get_division_or_404(user, code: str, *, versions: str | None = None, found: dict | None = None):
    """A division by code with its ancestors loaded as its parent chain (for breadcrumbs), if the user may see
    it, else 404. One query on the codes the code itself names (cheaper than joining up the tree), then the
    same scope test as ``scope_q`` (the user's prefixes) in Python.

    With ``versions`` (its county's data versions, ``villages.stats.data_versions``) the rows are cached with
    them: a saved or deleted division moves them (``note_change``), so a cached chain is never used stale.
    ``found``: the result of a ``get_many`` that already read ``division_chain_key(code)``."""
    from .models import Division
    from .stats import cached_under

    if not can_see(user, code):
        raise Http404

    def read():
        codes = {code} | {code[:n].ljust(12, "0") for n in (2, 4, 6, 9)}
        return list(Division.objects.filter(code__in=codes))

    if versions:
        rows = cached_under(division_chain_key(code), versions, read, timeout=SCOPES_TTL, found=found)
    else:
        rows = read()
    by_pk = {d.pk: d for d in rows}
    division = next((d for d in rows if d.code == code), None)
    if division is None:
        raise Http404
    node = division
    while node.parent_id in by_pk:
        node.parent = by_pk[node.parent_id]
        node = node.parent
    return division


def refusal(roles: Iterable[str]) -> PermissionDenied:
    """The 403 of a user in scope without a role that may act, saying which roles may (the refusal page shows it:
    "需要乡镇工作人员角色"), in the request's language."""
    labels = [str(Role(r).label) for r in sorted(set(roles)) if r in Role.values]
    if not labels:
        return PermissionDenied(_("Your role does not allow this."))
    return PermissionDenied(_("This needs the role of %(roles)s.") % {"roles": _(" or ").join(labels)})


def require_role(user, code: str, roles: Iterable[str]) -> None:
    """Raise 404 if the division is out of the user's scope, 403 if in scope without a role that may act."""
    held = roles_for(user, code)
    if not held:
        raise Http404
    if is_unrestricted(user):
        return
    if not held & set(roles):
        raise refusal(roles)


def managed_prefixes(user) -> list[str]:
    """The code prefixes under which the user creates users and grants scopes: their county-official scopes with
    the manages-users flag. A superuser manages everyone (check ``is_unrestricted`` first)."""
    return sorted({s.prefix for s in user_scopes(user) if s.manages_users and s.role == Role.COUNTY_OFFICIAL})


def can_manage_users(user, code: str) -> bool:
    if is_unrestricted(user):
        return True
    return any(code.startswith(p) for p in managed_prefixes(user))


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
