"""Every write to the grids app: one function per action, one transaction each, raising ValidationError.

Scope is checked here, for the browser and the API alike: ``require_grid_role`` answers 404 for a grid out of
the user's scope (a grid worker's unassigned grids included) and 403 for a role that may not act.
"""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from villages.choices import Level
from villages.history import audited_save
from villages.models import Division
from villages.people import display_name
from villages.scopes import is_unrestricted, require_role, roles_for, user_scopes

from .choices import (
    ACTION_ROLES,
    BACKWARD,
    FORWARD,
    GRID_EDITOR_ROLES,
    HOUSEHOLD_EDITOR_ROLES,
    SUPERVISION_RANK,
    SUPERVISOR_ROLES,
    Rating,
    RequestStatus,
    StepAction,
)
from .geo import normalize_boundary
from .models import (
    BuildingPartyGroup,
    Grid,
    GridAssignment,
    GridPartyBranch,
    Household,
    PartyMember,
    RequestStep,
    ServiceItem,
    ServiceRequest,
    Supervision,
    Visit,
)
from .scopes import forget_assignments, grid_roles, require_grid_role

GRID_FIELDS = ("name", "kind", "dedicated_type", "boundary")
HOUSEHOLD_FIELDS = ("grid", "address", "head_name", "members_count", "phone", "linked_member")
MEMBER_FIELDS = ("name", "phone", "branch", "grid", "party_group", "is_central_household")


_save = audited_save  # validated; a save that changes nothing writes no history (villages.history)


def _strip(value) -> str:
    return (value or "").strip()


# Grids ------------------------------------------------------------------------------------------------------


@transaction.atomic
def grid_create(
    *, actor, village: Division, code: str, name: str, kind: str, dedicated_type: str = "", boundary=None
) -> Grid:
    require_role(actor, village.code, GRID_EDITOR_ROLES)
    if village.level != Level.VILLAGE:
        raise ValidationError({"village": _("Grids belong to a village or community.")})
    grid = Grid(
        village=village,
        code=_strip(code),
        name=_strip(name),
        kind=kind,
        dedicated_type=dedicated_type or "",
        boundary=normalize_boundary(boundary) or None,
    )
    return _save(grid, actor=actor)


@transaction.atomic
def grid_update(*, actor, grid: Grid, **changes) -> Grid:
    require_grid_role(actor, grid, GRID_EDITOR_ROLES)
    unknown = set(changes) - set(GRID_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(f)s") % {"f": ", ".join(sorted(unknown))})
    grid = Grid.objects.select_for_update().select_related("village").get(pk=grid.pk)
    if "boundary" in changes:
        changes["boundary"] = normalize_boundary(changes["boundary"]) or None
    for field, value in changes.items():
        setattr(grid, field, value if value is not None or field == "boundary" else "")
    return _save(grid, actor=actor)


def next_grid_code(village: Division) -> str:
    """The village's code and the next unused three-digit number."""
    codes = Grid.objects.filter(village=village).values_list("code", flat=True)
    used = {int(c[12:]) for c in codes if c[12:].isdigit()}
    number = next(n for n in range(1, 1000) if n not in used) if len(used) < 999 else 999
    return f"{village.code}{number:03d}"


@transaction.atomic
def assignment_add(
    *,
    actor,
    grid: Grid,
    role: str,
    start_date: datetime.date,
    user=None,
    person_name: str = "",
    phone: str = "",
    end_date: datetime.date | None = None,
) -> GridAssignment:
    require_grid_role(actor, grid, GRID_EDITOR_ROLES)
    if user is not None and not roles_for(user, grid.village.code):
        # An account with no scope here could never open the grid; name the person instead, or scope them first.
        raise ValidationError(
            {"user": _("%(user)s has no scope in %(village)s.") % {"user": user, "village": grid.village}}
        )
    assignment = GridAssignment(
        grid=grid,
        role=role,
        user=user,
        person_name=_strip(person_name),
        phone=_strip(phone),
        start_date=start_date,
        end_date=end_date,
    )
    _save(assignment, actor=actor)
    if user is not None:
        forget_assignments(user)
    return assignment


@transaction.atomic
def assignment_end(*, actor, assignment: GridAssignment, end_date: datetime.date) -> GridAssignment:
    require_grid_role(actor, assignment.grid, GRID_EDITOR_ROLES)
    assignment = GridAssignment.objects.select_for_update().get(pk=assignment.pk)
    if assignment.end_date is not None and assignment.end_date <= end_date:
        raise ValidationError(_("This role has already ended."))
    assignment.end_date = end_date
    _save(assignment, actor=actor, update_fields=["end_date"])
    if assignment.user_id:
        forget_assignments(assignment.user)
    return assignment


@transaction.atomic
def party_branch_save(*, actor, grid: Grid, name: str, secretary: PartyMember | None = None) -> GridPartyBranch:
    """The grid's party branch: created the first time, renamed or given a secretary after."""
    require_grid_role(actor, grid, GRID_EDITOR_ROLES)
    branch = GridPartyBranch.objects.filter(grid=grid).first() or GridPartyBranch(grid=grid)
    branch.name = _strip(name)
    branch.secretary = secretary
    if secretary is not None and secretary.village_id != grid.village_id:
        raise ValidationError({"secretary": _("The secretary must be a party member of the same village.")})
    return _save(branch, actor=actor)


@transaction.atomic
def party_group_create(
    *, actor, branch: GridPartyBranch, name: str, building: str = "", leader: PartyMember | None = None
) -> BuildingPartyGroup:
    require_grid_role(actor, branch.grid, GRID_EDITOR_ROLES)
    if leader is not None and leader.village_id != branch.grid.village_id:
        raise ValidationError({"leader": _("The leader must be a party member of the same village.")})
    group = BuildingPartyGroup(branch=branch, name=_strip(name), building=_strip(building), leader=leader)
    return _save(group, actor=actor)


# Party members and households -------------------------------------------------------------------------------


@transaction.atomic
def member_create(*, actor, village: Division, **fields) -> PartyMember:
    grid = fields.get("grid")
    if grid is not None:
        require_grid_role(actor, grid, HOUSEHOLD_EDITOR_ROLES)
    else:
        # Without a grid the member belongs to the whole village: not a grid worker's to add.
        require_role(actor, village.code, GRID_EDITOR_ROLES)
    member = PartyMember(village=village, **{k: v for k, v in fields.items() if k in MEMBER_FIELDS})
    member.name, member.phone, member.branch = _strip(member.name), _strip(member.phone), _strip(member.branch)
    return _save(member, actor=actor)


@transaction.atomic
def member_update(*, actor, member: PartyMember, **changes) -> PartyMember:
    _require_member_editor(actor, member)
    member = PartyMember.objects.select_for_update().get(pk=member.pk)
    for field, value in changes.items():
        if field not in MEMBER_FIELDS:
            raise ValidationError(_("The field %(f)s cannot be changed here.") % {"f": field})
        setattr(member, field, _strip(value) if field in ("name", "phone", "branch") else value)
    if member.grid_id:
        _require_member_editor(actor, member)
    return _save(member, actor=actor)


def _require_member_editor(actor, member: PartyMember) -> None:
    if member.grid_id:
        require_grid_role(actor, member.grid, HOUSEHOLD_EDITOR_ROLES)
    else:
        require_role(actor, member.village.code, GRID_EDITOR_ROLES)


@transaction.atomic
def household_create(
    *,
    actor,
    grid: Grid,
    address: str,
    head_name: str,
    members_count: int = 1,
    phone: str = "",
    care_tags=(),
    linked_member: PartyMember | None = None,
) -> Household:
    require_grid_role(actor, grid, HOUSEHOLD_EDITOR_ROLES)
    household = Household(
        grid=grid,
        address=_strip(address),
        head_name=_strip(head_name),
        members_count=members_count,
        phone=_strip(phone),
        linked_member=linked_member,
    )
    _save(household, actor=actor)
    if care_tags:
        household.care_tags.set(care_tags)
    return household


@transaction.atomic
def household_update(*, actor, household: Household, care_tags=None, **changes) -> Household:
    require_grid_role(actor, household.grid, HOUSEHOLD_EDITOR_ROLES)
    household = Household.objects.select_for_update().select_related("grid__village").get(pk=household.pk)
    for field, value in changes.items():
        if field not in HOUSEHOLD_FIELDS:
            raise ValidationError(_("The field %(f)s cannot be changed here.") % {"f": field})
        setattr(household, field, _strip(value) if field in ("address", "head_name", "phone") else value)
    if "grid" in changes:
        # Moving a household needs the right on the grid it moves to as well.
        require_grid_role(actor, household.grid, HOUSEHOLD_EDITOR_ROLES)
    _save(household, actor=actor)
    if care_tags is not None:
        household.care_tags.set(care_tags)
    return household


@transaction.atomic
def visit_record(
    *,
    actor,
    household: Household,
    visited_on: datetime.date | None = None,
    kind: str = "routine",
    visitor_member: PartyMember | None = None,
    note: str = "",
) -> Visit:
    """A visit by the actor, or by the household's linked party member as the actor records it."""
    require_grid_role(actor, household.grid, HOUSEHOLD_EDITOR_ROLES)
    visited_on = visited_on or timezone.localdate()
    errors = {}
    if visited_on > timezone.localdate():
        errors["visited_on"] = _("A visit cannot be recorded before it happens.")
    if visitor_member is not None and visitor_member.pk != household.linked_member_id:
        errors["visitor_member"] = _("Only the party member linked to this household visits it as such.")
    if errors:
        raise ValidationError(errors)
    visit = Visit(
        household=household,
        visited_on=visited_on,
        kind=kind,
        visitor_user=None if visitor_member is not None else actor,
        visitor_member=visitor_member,
        note=_strip(note),
        created_by=actor,
    )
    visit.full_clean()
    visit.save()
    return visit


# Service requests -------------------------------------------------------------------------------------------


def _township_name(grid: Grid) -> str:
    parent = grid.village.parent
    return parent.name if parent is not None else grid.village.name


def _actor_unit(actor, code: str, roles) -> str:
    """The division the actor acts for: the widest of their scopes over ``code`` with one of ``roles``."""
    for scope in user_scopes(actor):
        if scope.covers(code) and scope.role in roles:
            return scope.name
    return display_name(actor)


def _step(request, *, actor, action, from_status, from_unit, to_unit, note="", at=None) -> RequestStep:
    step = RequestStep(
        request=request,
        action=action,
        from_status=from_status,
        to_status=request.status,
        actor=actor,
        at=at or timezone.now(),
        from_unit=from_unit[:120],
        to_unit=to_unit[:120],
        note=note,
    )
    step.full_clean()
    step.save()
    return step


@transaction.atomic
def request_create(
    *,
    actor,
    grid: Grid,
    item: ServiceItem,
    description: str,
    channel: str = "household",
    household: Household | None = None,
    requester_name: str = "",
    requester_phone: str = "",
) -> ServiceRequest:
    """上报/点单: the request is reported to its grid; its due time follows from the item's time limit."""
    require_grid_role(actor, grid, ACTION_ROLES[StepAction.REPORT])
    if not item.active:
        raise ValidationError({"item": _("This service is no longer offered.")})
    if household is not None:
        requester_name = _strip(requester_name) or household.head_name
        requester_phone = _strip(requester_phone) or household.phone
    now = timezone.now()
    request = ServiceRequest(
        grid=grid,
        household=household,
        item=item,
        channel=channel,
        requester_name=_strip(requester_name),
        requester_phone=_strip(requester_phone),
        description=_strip(description),
        status=RequestStatus.REPORTED,
        reported_at=now,
        due_at=item.due_from(now),
        current_unit=grid.label[:120],
        created_by=actor,
    )
    _save(request, actor=actor)
    _step(
        request,
        actor=actor,
        action=StepAction.REPORT,
        from_status="",
        from_unit=request.requester_name,
        to_unit=request.current_unit,
        note=request.get_channel_display(),
        at=now,
    )
    return request


def allowed_actions(user, request: ServiceRequest, held_roles: set[str]) -> list[str]:
    """The steps this user may take on the request now (for the buttons; the service checks again)."""
    actions = []
    if request.status in FORWARD:
        forward = FORWARD[request.status][0]
        if is_unrestricted(user) or held_roles & ACTION_ROLES[forward]:
            actions.append(forward)
            if request.status in BACKWARD:
                actions.append(StepAction.SEND_BACK)
    return actions


@transaction.atomic
def request_transition(
    *,
    actor,
    request: ServiceRequest,
    action: str,
    note: str = "",
    rating: str = "",
    to_unit: str = "",
    handler=None,
) -> ServiceRequest:
    """Move a request one step: forward along 上报 → 受理 → 派遣 → 处置 → 核查 → 结案 → 评价, or back one stage.

    Refused with 403 when the actor's role may not take the step, with a ValidationError when the request's
    status does not allow it or something the step needs is missing.
    """
    request = (
        ServiceRequest.objects.select_for_update(of=("self",))
        .select_related("grid__village__parent", "item")
        .get(pk=request.pk)
    )
    # Scope before state: someone who may not see the request learns nothing about where it stands.
    if not grid_roles(actor, request.grid) and not is_unrestricted(actor):
        raise Http404
    status = request.status
    if action == StepAction.SEND_BACK:
        if status not in BACKWARD:
            raise ValidationError({"action": _("A request that is %(s)s cannot be sent back.") % {"s": _label(status)}})
        needed = ACTION_ROLES[FORWARD[status][0]]
    else:
        if status not in FORWARD or FORWARD[status][0] != action:
            raise ValidationError(
                {
                    "action": _("A request that is %(s)s cannot be given the step “%(a)s”.")
                    % {"s": _label(status), "a": StepAction(action).label if action in StepAction.values else action}
                }
            )
        needed = ACTION_ROLES[action]
    require_grid_role(actor, request.grid, needed)
    note = _strip(note)
    grid_unit = request.grid.label[:120]
    township = _township_name(request.grid)
    from_unit = request.current_unit
    now = timezone.now()
    update = ["status", "current_unit"]
    if action == StepAction.SEND_BACK:
        if not note:
            raise ValidationError({"note": _("Give the reason for sending the request back.")})
        previous = request.steps.filter(to_status=status).exclude(action=StepAction.SEND_BACK).order_by("-at", "-pk")
        entered = previous.first()
        request.status = BACKWARD[status]
        request.current_unit = entered.from_unit if entered else grid_unit
    elif action == StepAction.ACCEPT:
        request.status = RequestStatus.ACCEPTED
        request.current_unit = grid_unit
    elif action == StepAction.DISPATCH:
        if handler is not None:
            if not roles_for(handler, request.grid.village.code):
                raise ValidationError({"handler": _("%(user)s has no scope in this village.") % {"user": handler}})
            request.handler = handler
            update.append("handler")
        from_unit = _actor_unit(actor, request.grid.village.code, needed)
        request.status = RequestStatus.DISPATCHED
        request.current_unit = (_strip(to_unit) or display_name(handler) or grid_unit)[:120]
    elif action == StepAction.HANDLE:
        if not note:
            raise ValidationError({"note": _("Say what was done.")})
        request.status = RequestStatus.HANDLED
        request.current_unit = township
    elif action == StepAction.VERIFY:
        from_unit = _actor_unit(actor, request.grid.village.code, needed)
        request.status = RequestStatus.VERIFIED
        request.current_unit = grid_unit
    elif action == StepAction.CLOSE:
        request.status = RequestStatus.CLOSED
        request.closed_at = now
        request.current_unit = request.requester_name
        update.append("closed_at")
    elif action == StepAction.RATE:
        if rating not in Rating.values:
            raise ValidationError({"rating": _("Choose the requester's rating.")})
        request.status = RequestStatus.RATED
        request.rating = rating
        request.rating_comment = note
        from_unit = request.requester_name
        request.current_unit = grid_unit
        update += ["rating", "rating_comment"]
    _save(request, actor=actor, update_fields=update)
    _step(
        request,
        actor=actor,
        action=action,
        from_status=status,
        from_unit=from_unit,
        to_unit=request.current_unit,
        note=note,
        at=now,
    )
    return request


def _label(status: str) -> str:
    return str(RequestStatus(status).label) if status in RequestStatus.values else status


@transaction.atomic
def request_supervise(*, actor, request: ServiceRequest, level: str, reason: str) -> Supervision:
    """督办 an overdue open request. A supervision never lowers the level already given."""
    request = ServiceRequest.objects.select_for_update(of=("self",)).select_related("grid__village").get(pk=request.pk)
    require_grid_role(actor, request.grid, SUPERVISOR_ROLES)
    errors = {}
    if not request.is_open:
        errors["level"] = _("Only an open request can be supervised.")
    elif not request.is_overdue():
        errors["level"] = _("Only an overdue request can be supervised; this one is due %(due)s.") % {
            "due": timezone.localtime(request.due_at).strftime("%Y-%m-%d %H:%M")
        }
    elif SUPERVISION_RANK.get(level, 0) < SUPERVISION_RANK[request.supervision_level or ""]:
        errors["level"] = _("The request already has a %(level)s; a supervision cannot lower it.") % {
            "level": request.get_supervision_level_display()
        }
    if not _strip(reason):
        errors["reason"] = _("Give the reason for the supervision.")
    if errors:
        raise ValidationError(errors)
    supervision = Supervision(
        request=request,
        level=level,
        reason=_strip(reason),
        unit=_actor_unit(actor, request.grid.village.code, SUPERVISOR_ROLES),
        by=actor,
    )
    supervision.full_clean()
    supervision.save()
    request.supervision_level = level
    _save(request, actor=actor, update_fields=["supervision_level"])
    return supervision
