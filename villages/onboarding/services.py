"""Writes of a county's first steps: divisions from the official list, users and their scopes. One transaction each,
raising ValidationError (field by field where a form has the field)."""

from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .. import reference
from ..choices import LEVEL_ORDER, Level, Role
from ..models import Division, TallyRequest, UserScope
from ..scopes import forget_cached_scopes, is_unrestricted, require_role
from ..stats import data_changed
from .selectors import can_manage_users, managed_users

User = get_user_model()

BATCH = 2000


@dataclass
class LoadResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # Codes the list has at another level than the platform's division of that code: left as they are.
    conflicts: list[str] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)


@transaction.atomic
def divisions_load(*, actor, province_codes=(), county_codes=()) -> LoadResult:
    """Create the official list's chain (province → city → county → township) for whole provinces and single
    counties, with its codes, names and kinds, each division marked with the list's year. Idempotent: what exists
    is matched by code; a changed name or kind is updated; nothing else is touched. ``actor`` None is the system
    (the command); otherwise a superuser only, since it adds divisions above any county."""
    if actor is not None and not is_unrestricted(actor):
        raise PermissionDenied
    if not province_codes and not county_codes:
        raise ValidationError({"counties": _("Choose a province or at least one county.")})
    try:
        rows = reference.selection(province_codes=province_codes, county_codes=county_codes)
    except KeyError as exc:
        raise ValidationError(
            {"counties": _("The code %(code)s is not in the official list of %(year)d.")
             % {"code": exc.args[0], "year": reference.CODE_YEAR}}
        ) from None  # fmt: skip
    result = LoadResult(counties=[r.code for r in rows if r.level == Level.COUNTY])
    by_code: dict[str, Division] = {}
    codes = [r.code for r in rows]
    for start in range(0, len(codes), BATCH):
        by_code.update((d.code, d) for d in Division.objects.filter(code__in=codes[start : start + BATCH]))
    changed: list[Division] = []
    for level in LEVEL_ORDER:
        new: list[Division] = []
        for row in (r for r in rows if r.level == level):
            division = by_code.get(row.code)
            if division is None:
                new.append(
                    Division(
                        code=row.code,
                        name=row.name,
                        level=row.level,
                        kind=row.kind,
                        parent=by_code.get(row.parent_code) if row.parent_code else None,
                        code_year=reference.CODE_YEAR,
                    )
                )
            elif division.level != row.level:
                result.conflicts.append(row.code)
            elif (division.name, division.kind, division.code_year) != (row.name, row.kind, reference.CODE_YEAR):
                division.name, division.kind, division.code_year = row.name, row.kind, reference.CODE_YEAR
                changed.append(division)
            else:
                result.unchanged += 1
        if new:
            # A level at a time, parents first: the children's parent ids are those just returned by the insert.
            bulk_create_with_history(new, Division, batch_size=BATCH, default_user=actor)
            by_code.update((d.code, d) for d in new)
            result.created += len(new)
    if changed:
        bulk_update_with_history(changed, Division, ["name", "kind", "code_year"], batch_size=BATCH, default_user=actor)
        result.updated = len(changed)
        forget_cached_scopes(UserScope.objects.filter(division__in=changed).values_list("user_id", flat=True))
    if result.created or result.updated:
        data_changed(None)
    return result


def _check_grant(actor, division: Division, role: str) -> None:
    """A scope may be granted at or below a division the actor manages users of, with one of the platform's roles."""
    errors = {}
    if not can_manage_users(actor, division.code):
        errors["division"] = _("You may grant scopes only at or below the divisions whose users you manage.")
    if role not in Role.values:
        errors["role"] = _("Choose one of the roles.")
    if errors:
        raise ValidationError(errors)


def _manages_flag(actor, manages_users: bool, role: str) -> bool:
    if manages_users and role != Role.COUNTY_OFFICIAL:
        raise ValidationError({"manages_users": _("Only a county official can manage users.")})
    return bool(manages_users)


@transaction.atomic
def user_create(
    *,
    actor,
    username: str,
    name: str,
    password: str,
    division: Division,
    role: str,
    manages_users: bool = False,
):
    """A new account with its first scope. The password is checked by the platform's password rules."""
    _check_grant(actor, division, role)
    errors = {}
    username = (username or "").strip()
    if not username:
        errors["username"] = _("Give the account name.")
    elif User.objects.filter(username__iexact=username).exists():
        errors["username"] = _("An account with this name exists already.")
    user = User(username=username, first_name=(name or "").strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    user.set_password(password)
    user.full_clean()
    user.save()
    scope = UserScope(user=user, division=division, role=role, manages_users=_manages_flag(actor, manages_users, role))
    scope._history_user = actor
    scope.save()
    return user


def _require_manages(actor, user) -> None:
    """The user must be one the actor manages (404 if the actor cannot see them at all: see the views)."""
    if not managed_users(actor).filter(pk=user.pk).exists():
        raise PermissionDenied


@transaction.atomic
def scope_grant(*, actor, user, division: Division, role: str, manages_users: bool = False) -> UserScope:
    _require_manages(actor, user)
    _check_grant(actor, division, role)
    if UserScope.objects.filter(user=user, division=division, role=role).exists():
        raise ValidationError({"role": _("The user holds this role in this division already.")})
    scope = UserScope(user=user, division=division, role=role, manages_users=_manages_flag(actor, manages_users, role))
    scope._history_user = actor
    scope.full_clean()
    scope.save()
    return scope


@transaction.atomic
def scope_revoke(*, actor, scope: UserScope) -> None:
    scope = UserScope.objects.select_for_update().select_related("division", "user").get(pk=scope.pk)
    if not can_manage_users(actor, scope.division.code) or (scope.user.is_superuser and not is_unrestricted(actor)):
        raise PermissionDenied
    if scope.user_id == actor.pk and scope.manages_users:
        raise ValidationError(_("You cannot take away your own right to manage users."))
    if not UserScope.objects.filter(user_id=scope.user_id).exclude(pk=scope.pk).exists():
        raise ValidationError(_("This is the user's last scope: deactivate the account instead."))
    scope._history_user = actor
    scope.delete()


@transaction.atomic
def user_set_active(*, actor, user, active: bool):
    _require_manages(actor, user)
    if user.pk == actor.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active"])
    return user


@transaction.atomic
def user_set_password(*, actor, user, password: str):
    _require_manages(actor, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from None
    user.set_password(password)
    user.save(update_fields=["password"])
    return user


@transaction.atomic
def county_recompute(*, actor, county: Division) -> list[str]:
    """The county's administrator asks for its figures now (the checklist's "recompute now"): every period beat
    keeps fresh and those changes asked for, tallied at once after the commit — by the process's own runner in
    the embedded set-up, by the workers on the full stack (no coalescing delay). Returns the periods."""
    from ..recompute import embedded, runner
    from ..snapshots import publish_requests
    from ..tasks import current_periods

    require_role(actor, county.code, {Role.COUNTY_OFFICIAL})
    if county.level != Level.COUNTY:
        raise ValidationError(_("Only a county's figures are recomputed."))
    waiting = TallyRequest.objects.filter(county=county, done_at__isnull=True).values_list("period", flat=True)
    periods = list(dict.fromkeys([*current_periods(county_code=county.code), *sorted(set(waiting))]))
    requests = TallyRequest.objects.bulk_create([TallyRequest(county=county, period=p) for p in periods])
    ids = [r.pk for r in requests]
    if embedded():
        transaction.on_commit(lambda: runner.schedule(county.code, periods, delay=0))
    else:
        transaction.on_commit(lambda: publish_requests(ids=ids))
    return periods
