"""Every write to petitions and disputes: one function per step, one transaction each, raising ValidationError.

Each step checks, in this order: that the actor may read the case at all (else 404), that the actor holds a
role that may take this step where it is taken (else 403), that the case is in a state where the step belongs,
and then the input, field by field. Dates default to today in Asia/Shanghai; a step may be recorded for an
earlier day (the ledger is often written up after the fact) but never for a day to come, nor before the step
it follows.
"""

import datetime
import os

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from villages.choices import Level
from villages.excel import refuse_zip_bomb
from villages.history import audited_save
from villages.models import Division
from villages.scopes import has_role, is_unrestricted, refusal, user_scopes
from villages.validators import EARLIEST_EVENT, event_date, normalize_id_number

from .choices import (
    DISPUTE_ENTRY_ROLES,
    DISPUTE_READER_ROLES,
    ESCALATION_ROLES,
    HANDLER_ROLES,
    MEDIATION_ROLES,
    PETITION_READER_ROLES,
    REGISTRAR_ROLES,
    REVIEWER_ROLES,
    SUPERVISOR_ROLES,
    Decision,
    Delivery,
    DisputeStatus,
    Intake,
    ReviewResult,
    Satisfaction,
    Status,
    StepAction,
)
from .models import (
    CaseCounter,
    DeadlineRules,
    Dispute,
    DisputeParty,
    Mediation,
    Petition,
    PetitionAttachment,
    Petitioner,
    PetitionStep,
)
from .selectors import terminated_same_matter

PETITIONER_FIELDS = ("name", "id_number", "phone", "address")
PARTY_FIELDS = ("name", "id_number", "phone")
UNIT_LEVELS = {Level.COUNTY, Level.TOWNSHIP}
CASE_LEVELS = {Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE}

# Attachments: what a petition office receives (scans, photos, documents), recognised by their first bytes.
ATTACHMENT_TYPES = {
    ".pdf": ("application/pdf", (b"%PDF-",)),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (b"PK\x03\x04",)),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (b"PK\x03\x04",)),
}
ATTACHMENT_MAX_BYTES = getattr(settings, "PETITIONS_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
ATTACHMENTS_PER_CASE = 20


# ---------------------------------------------------------------------------------------------- helpers


def _today() -> datetime.date:
    return timezone.localdate()


def _fmt(day: datetime.date) -> str:
    return date_format(day, "Y-m-d")


def _check_day(errors: dict, field: str, day, *, after: datetime.date | None = None, after_what: str = "") -> None:
    """A step's day: given, not to come, not before the step it follows nor before 1949-10-01 (the platform's
    bound for an event, ``villages.validators.event_date``)."""
    if day is None:
        errors[field] = _("Give the date.")
    elif day > _today():
        errors[field] = _("The date %(d)s is still to come.") % {"d": _fmt(day)}
    elif day < EARLIEST_EVENT:
        try:
            event_date(day)
        except ValidationError as exc:
            errors[field] = exc.messages[0]
    elif after is not None and day < after:
        errors[field] = _("The date cannot be before %(what)s (%(d)s).") % {"what": after_what, "d": _fmt(after)}


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationError(errors)


def _state(petition: Petition, allowed: set[str], doing: str) -> None:
    if petition.status not in allowed:
        raise ValidationError(
            _("A case that is “%(status)s” cannot be %(doing)s.")
            % {"status": petition.get_status_display(), "doing": doing},
            code="state",
        )


def _require(actor, petition: Petition, roles, at_code: str | None = None) -> None:
    """404 unless the actor may read the case; 403 unless they hold one of ``roles`` where the step is taken."""
    if is_unrestricted(actor):
        return
    if not has_role(actor, petition.division.code, PETITION_READER_ROLES):
        raise Http404
    if not has_role(actor, at_code or petition.division.code, roles):
        raise refusal(roles)


def _actor_unit(actor, code: str, roles) -> Division | None:
    """The deepest of the actor's own units (a scope's division) that covers ``code`` with one of ``roles``."""
    scopes = [s for s in user_scopes(actor) if s.role in roles and s.covers(code)]
    if not scopes:
        return None
    return Division.objects.get(pk=max(scopes, key=lambda s: len(s.prefix)).division_id)


_save = audited_save  # validated; a save that changes nothing writes no history (villages.history)


def _step(petition, action, *, actor, on, from_unit=None, to_unit=None, note="") -> PetitionStep:
    step = PetitionStep(
        petition=petition,
        action=action,
        on=on,
        actor=actor if getattr(actor, "pk", None) else None,
        from_unit=from_unit,
        to_unit=to_unit,
        note=note,
    )
    # The note's length and the day's bounds; the links were checked by the step's service (no query for them).
    step.clean_fields(exclude=["petition", "actor", "from_unit", "to_unit"])
    step.save()
    return step


def _locked(petition: Petition) -> Petition:
    """The case re-read under a row lock, so two people cannot take the same step at once."""
    # Only the case's own row is locked (PostgreSQL cannot lock the nullable side of the unit's outer join).
    locked = Petition.objects.select_for_update(of=("self",))
    return locked.select_related("division", "responsible_unit").get(pk=petition.pk)


def next_number(*, county: Division, year: int, kind: str, prefix: str) -> str:
    """XF340827202600001-style numbers: prefix, county, year, running number. The counter row is the lock."""
    counter, _created = CaseCounter.objects.select_for_update().get_or_create(division=county, year=year, kind=kind)
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{prefix}{county.code[:6]}{year}{counter.last:05d}"


def _county_of(division: Division) -> Division:
    return Division.objects.get(code=division.code[:6] + "0" * 6)


def _clean_people(rows, fields, model, label) -> tuple[list, list[str]]:
    """Unsaved people rows and their errors, each message naming the row ("Petitioner 2: ...")."""
    people, problems = [], []
    for i, row in enumerate(rows, start=1):
        data = {f: (row.get(f) or "").strip() for f in fields}
        data["id_number"] = normalize_id_number(data.get("id_number", ""))
        person = model(position=i, **data)
        try:
            person.full_clean(exclude=[model._meta.get_field("position").name, _parent_field(model)])
        except ValidationError as exc:
            for field, errs in exc.message_dict.items():
                name = str(model._meta.get_field(field).verbose_name) if field != "__all__" else ""
                for message in errs:
                    problems.append(
                        _("%(who)s %(n)d, %(field)s: %(msg)s") % {"who": label, "n": i, "field": name, "msg": message}
                    )
        people.append(person)
    return people, problems


def _parent_field(model) -> str:
    return "petition" if model is Petitioner else "dispute"


# -------------------------------------------------------------------------------------------- petitions


@transaction.atomic
def petition_register(
    *,
    actor,
    registry_unit: Division,
    division: Division,
    channel: str,
    kind: str,
    subject: str,
    content: str,
    received_on: datetime.date,
    petitioners: list[dict],
    is_group: bool = False,
    group_size: int | None = None,
    is_level_skipping: bool = False,
    is_leader_owned: bool = False,
    leader_name: str = "",
    is_repeat: bool = False,
    previous: Petition | None = None,
    grid_reference: str = "",
    dispute: Dispute | None = None,
    attachments=(),
) -> Petition:
    """登记: a petition office records a petition received by letter, visit, online or phone."""
    if not is_unrestricted(actor):
        if not has_role(actor, registry_unit.code, PETITION_READER_ROLES):
            raise Http404
        if not has_role(actor, registry_unit.code, REGISTRAR_ROLES):
            raise refusal(REGISTRAR_ROLES)
    errors: dict = {}
    if registry_unit.level not in UNIT_LEVELS:
        errors["registry_unit"] = _("Petitions are registered by a county or township petition office.")
    if not division.code.startswith(registry_unit.prefix):
        errors["division"] = _("%(place)s lies outside the area of %(office)s.") % {
            "place": division.name,
            "office": registry_unit.name,
        }
    elif division.level not in CASE_LEVELS:
        errors["division"] = _("Choose the county, township, village or community the matter concerns.")
    _check_day(errors, "received_on", received_on)
    rules = DeadlineRules.for_code(division.code)

    people, problems = _clean_people(petitioners, PETITIONER_FIELDS, Petitioner, _("Petitioner"))
    if not people:
        problems.append(_("Give at least one petitioner."))
    elif is_group:
        if len(people) > rules.max_representatives:
            problems.append(
                _("A group visit elects at most %(n)d representatives; %(m)d were given.")
                % {"n": rules.max_representatives, "m": len(people)}
            )
        if not group_size or group_size < 2:
            errors["group_size"] = _("Give how many people came (at least 2).")
        elif group_size < len(people):
            errors["group_size"] = _("The group cannot be smaller than its %(n)d representatives.") % {"n": len(people)}
    elif len(people) > 1:
        problems.append(_("A single petitioner's case has one petitioner; tick “group visit” for more."))
    if problems:
        errors["petitioners"] = problems
    if not is_group and group_size:
        errors["group_size"] = _("Only a group visit has a group size.")
    if is_leader_owned and not (leader_name or "").strip():
        errors["leader_name"] = _("Name the leader who owns the case.")

    if previous is not None:
        if not Petition.objects.visible_to(actor).filter(pk=previous.pk).exists():
            errors["previous"] = _("The earlier case is not one you can see.")
        elif received_on and previous.received_on > received_on:
            errors["previous"] = _("The earlier case was received after this one.")
        elif previous.status == Status.TERMINATED:
            errors["previous"] = _(
                "Case %(number)s on this matter was terminated after re-review on %(d)s; under the Regulations "
                "the same matter is not accepted again."
            ) % {"number": previous.number, "d": _fmt(previous.rereview_answered_on)}
        is_repeat = True
    ids = [p.id_number for p in people if p.id_number]
    if ids and subject and "previous" not in errors:
        ended = terminated_same_matter(id_numbers=ids, subject=subject)
        if ended is not None:
            errors["subject"] = _(
                "The same petitioner's matter “%(subject)s” (case %(number)s) was terminated after re-review on "
                "%(d)s; under the Regulations it is not accepted again."
            ) % {"subject": ended.subject, "number": ended.number, "d": _fmt(ended.rereview_answered_on)}
    if dispute is not None:
        _check_escalation(actor, dispute, errors)
        if received_on and received_on < dispute.screened_on:
            errors["received_on"] = _("The petition cannot be received before the dispute was screened (%(d)s).") % {
                "d": _fmt(dispute.screened_on)
            }
    upload_problems = []
    for upload in attachments:
        try:
            check_upload(upload)
        except ValidationError as exc:
            upload_problems += exc.messages
    if len(attachments) > ATTACHMENTS_PER_CASE:
        upload_problems.append(_("A case holds at most %(n)d attachments.") % {"n": ATTACHMENTS_PER_CASE})
    if upload_problems:
        errors["attachments"] = upload_problems
    _raise(errors)

    county = _county_of(division)
    acceptance_due = rules.due(received_on, rules.acceptance_days)
    petition = Petition(
        number=next_number(county=county, year=received_on.year, kind="petition", prefix="XF"),
        registry_unit=registry_unit,
        division=division,
        grid_reference=(grid_reference or "").strip(),
        channel=channel,
        kind=kind,
        subject=(subject or "").strip(),
        content=(content or "").strip(),
        received_on=received_on,
        is_group=is_group,
        group_size=group_size if is_group else None,
        is_repeat=bool(is_repeat),
        previous=previous,
        is_level_skipping=is_level_skipping,
        is_leader_owned=is_leader_owned,
        leader_name=(leader_name or "").strip() if is_leader_owned else "",
        status=Status.REGISTERED,
        acceptance_due=acceptance_due,
        due_on=acceptance_due,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save(petition, actor=actor)
    for person in people:
        person.petition = petition
    bulk_create_with_history(people, Petitioner, default_user=actor)
    _step(
        petition,
        StepAction.REGISTER,
        actor=actor,
        on=received_on,
        to_unit=registry_unit,
        note=petition.get_channel_display(),
    )
    for upload in attachments:
        attachment_add(actor=actor, petition=petition, file=upload)
    if dispute is not None:
        dispute_escalate(actor=actor, dispute=dispute, petition=petition, on=received_on)
    return petition


# ------------------------------------------------------------------------------------------------ guards
# Who may take which step in which state. Each service calls its guard on the locked case before reading its
# input, and the pages call the same guards (``steps_open_to``) to decide which forms to show, so a button is
# never offered that the service would refuse for role, scope or state.


def _guard_intake(actor, petition: Petition) -> None:
    _require(actor, petition, REGISTRAR_ROLES)
    _state(petition, {Status.REGISTERED}, _("accepted, routed or refused"))


def _guard_handler(actor, petition: Petition, states: set[str], doing: str) -> None:
    if petition.responsible_unit_id is None:
        _require(actor, petition, HANDLER_ROLES)
        raise ValidationError(_("The case has no responsible unit yet."), code="state")
    _require(actor, petition, HANDLER_ROLES, at_code=petition.responsible_unit.code)
    _state(petition, states, doing)


def _guard_extend(actor, petition: Petition) -> None:
    _guard_handler(actor, petition, {Status.HANDLING}, _("extended"))
    if petition.extension_days:
        raise ValidationError(_("The handling deadline has already been extended once."), code="state")


def _guard_follow_up(actor, petition: Petition) -> None:
    """Satisfaction and return visits: the handling unit, or the petition office of the place concerned."""
    _require(actor, petition, HANDLER_ROLES | REGISTRAR_ROLES)
    unit_code = petition.responsible_unit.code if petition.responsible_unit_id else None
    if not (
        is_unrestricted(actor)
        or (unit_code and has_role(actor, unit_code, HANDLER_ROLES))
        or has_role(actor, petition.division.code, REGISTRAR_ROLES)
    ):
        raise PermissionDenied
    if petition.delivered_on is None:
        raise ValidationError(_("The decision has not been delivered to the petitioner yet."), code="state")
    if petition.status == Status.TERMINATED:
        raise ValidationError(_("The case is terminated; nothing more is recorded on it."), code="state")


def _guard_rate(actor, petition: Petition) -> None:
    _guard_follow_up(actor, petition)
    if not petition.rating_eligible:
        raise ValidationError(
            _("Only first-time cases that were accepted are rated; this one is a repeat petition.")
            if petition.is_repeat
            else _("Only cases that were accepted are rated."),
            code="state",
        )
    if petition.satisfaction:
        raise ValidationError(_("The petitioner's satisfaction has already been recorded."), code="state")


def _guard_return_visit(actor, petition: Petition) -> None:
    _guard_follow_up(actor, petition)
    if petition.return_visited_on is not None:
        raise ValidationError(_("The return visit has already been recorded."), code="state")


def _guard_review_request(actor, petition: Petition, rereview=False) -> None:
    _require(actor, petition, REGISTRAR_ROLES)
    if rereview:
        _state(petition, {Status.REVIEWED}, _("re-reviewed (only a reviewed case is)"))
    else:
        _state(petition, {Status.DELIVERED}, _("reviewed (only a delivered decision is)"))


def _higher_code(petition: Petition) -> str:
    """Where a review's answer is recorded: the unit above the township that handled the case. A case the
    county handled itself is reviewed by the city, whose answer the county's petition office records."""
    unit = petition.responsible_unit
    return unit.code if unit.level == Level.COUNTY else unit.ancestor_codes()[-1]


def _guard_review_answer(actor, petition: Petition, rereview=False) -> None:
    if petition.responsible_unit_id is None:
        _require(actor, petition, REVIEWER_ROLES)
    else:
        _require(actor, petition, REVIEWER_ROLES, at_code=_higher_code(petition))
    _state(petition, {Status.REREVIEW} if rereview else {Status.REVIEW}, _("answered"))


def _guard_supervise(actor, petition: Petition) -> None:
    _require(actor, petition, SUPERVISOR_ROLES)
    if not petition.is_overdue(_today()):
        raise ValidationError(_("Only overdue cases are supervised; this one is not overdue."), code="state")


def _guard_attach(actor, petition: Petition) -> None:
    _require(actor, petition, REGISTRAR_ROLES | HANDLER_ROLES)
    unit_code = petition.responsible_unit.code if petition.responsible_unit_id else None
    if not (
        is_unrestricted(actor)
        or has_role(actor, petition.division.code, REGISTRAR_ROLES)
        or (unit_code and has_role(actor, unit_code, HANDLER_ROLES))
    ):
        raise PermissionDenied


GUARDS = {
    "accept": _guard_intake,
    "assign": _guard_intake,
    "refuse": _guard_intake,
    "extend": _guard_extend,
    "conclude": lambda actor, p: _guard_handler(actor, p, {Status.HANDLING}, _("concluded")),
    "deliver": lambda actor, p: _guard_handler(actor, p, {Status.CONCLUDED}, _("delivered")),
    "rate": _guard_rate,
    "return_visit": _guard_return_visit,
    "review_request": _guard_review_request,
    "review_answer": _guard_review_answer,
    "rereview_request": lambda actor, p: _guard_review_request(actor, p, rereview=True),
    "rereview_answer": lambda actor, p: _guard_review_answer(actor, p, rereview=True),
    "supervise": _guard_supervise,
    "attach": _guard_attach,
}


def check_step(actor, petition: Petition, action: str) -> None:
    """Raise Http404, PermissionDenied or ValidationError (state) unless the actor may take this step now."""
    GUARDS[action](actor, petition)


def steps_open_to(actor, petition: Petition) -> list[str]:
    """The steps the actor may take on the case now (no queries: scopes are cached on the user)."""
    open_steps = []
    for action, guard in GUARDS.items():
        try:
            guard(actor, petition)
        except (ValidationError, PermissionDenied, Http404):
            continue
        open_steps.append(action)
    return open_steps


def _guarded(actor, petition: Petition, action: str) -> Petition:
    petition = _locked(petition)
    check_step(actor, petition, action)
    return petition


# ------------------------------------------------------------------------------------------------ steps


def _intake_day(petition: Petition, on) -> None:
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.received_on, after_what=_("its receipt"))
    _raise(errors)


def _take_on(actor, petition: Petition, *, unit: Division, intake: str, on, note: str, action: str, from_unit):
    rules = DeadlineRules.for_code(petition.division.code)
    petition.intake = intake
    petition.decided_on = on
    petition.accepted_on = on
    petition.responsible_unit = unit
    if petition.first_unit_id is None:
        petition.first_unit = unit
    petition.handling_due = rules.due(on, rules.handling_days)
    petition.due_on = petition.handling_due
    petition.status = Status.HANDLING
    _save(petition, actor=actor)
    _step(petition, action, actor=actor, on=on, from_unit=from_unit, to_unit=unit, note=(note or "").strip())
    return petition


@transaction.atomic
def petition_accept(*, actor, petition: Petition, on: datetime.date | None = None, note: str = "") -> Petition:
    """受理: the actor's own petition office takes the case on and handles it."""
    on = on or _today()
    petition = _guarded(actor, petition, "accept")
    _intake_day(petition, on)
    unit = _actor_unit(actor, petition.division.code, REGISTRAR_ROLES) or petition.registry_unit
    return _take_on(
        actor, petition, unit=unit, intake=Intake.ACCEPTED, on=on, note=note, action=StepAction.ACCEPT, from_unit=unit
    )


@transaction.atomic
def petition_assign(
    *,
    actor,
    petition: Petition,
    unit: Division,
    on: datetime.date | None = None,
    note: str = "",
    forward: bool = False,
) -> Petition:
    """交办 (or 转送 with ``forward``): the case goes to the unit responsible for the place it concerns."""
    on = on or _today()
    petition = _guarded(actor, petition, "assign")
    _intake_day(petition, on)
    errors = {}
    if unit is None:
        errors["unit"] = _("Choose the responsible unit.")
    elif unit.level not in UNIT_LEVELS:
        errors["unit"] = _("A case goes to a county or township unit.")
    elif not petition.division.code.startswith(unit.prefix):
        errors["unit"] = _("%(unit)s is not responsible for %(place)s.") % {
            "unit": unit.name,
            "place": petition.division.name,
        }
    elif not (is_unrestricted(actor) or has_role(actor, unit.code, PETITION_READER_ROLES)):
        errors["unit"] = _("%(unit)s lies outside your area.") % {"unit": unit.name}
    _raise(errors)
    from_unit = _actor_unit(actor, petition.division.code, REGISTRAR_ROLES) or petition.registry_unit
    return _take_on(
        actor,
        petition,
        unit=unit,
        on=on,
        note=note,
        from_unit=from_unit,
        intake=Intake.FORWARDED if forward else Intake.ASSIGNED,
        action=StepAction.FORWARD if forward else StepAction.ASSIGN,
    )


@transaction.atomic
def petition_refuse(*, actor, petition: Petition, reason: str, on: datetime.date | None = None) -> Petition:
    """不予受理, with the written reason the petitioner is sent."""
    on = on or _today()
    petition = _guarded(actor, petition, "refuse")
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.received_on, after_what=_("its receipt"))
    if not (reason or "").strip():
        errors["reason"] = _("Give the written reason for not accepting the case.")
    _raise(errors)
    petition.intake = Intake.REFUSED
    petition.decided_on = on
    petition.refusal_reason = reason.strip()
    petition.status = Status.REFUSED
    petition.due_on = None
    _save(petition, actor=actor)
    unit = _actor_unit(actor, petition.division.code, REGISTRAR_ROLES) or petition.registry_unit
    _step(petition, StepAction.REFUSE, actor=actor, on=on, from_unit=unit, note=reason.strip())
    return petition


@transaction.atomic
def petition_extend(
    *,
    actor,
    petition: Petition,
    days: int,
    approved_by: str,
    reason: str,
    notified_on: datetime.date,
    on: datetime.date | None = None,
) -> Petition:
    """延期: once, by at most the county's longest extension, approved by the unit's head before the deadline."""
    on = on or _today()
    petition = _guarded(actor, petition, "extend")
    rules = DeadlineRules.for_code(petition.division.code)
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.accepted_on, after_what=_("its acceptance"))
    if "on" not in errors and on > petition.handling_due:
        errors["on"] = _("The handling deadline %(d)s has passed; an extension is approved before it.") % {
            "d": _fmt(petition.handling_due)
        }
    if not days or days < 1:
        errors["days"] = _("Give the number of days.")
    elif days > rules.max_extension_days:
        errors["days"] = _("An extension is at most %(n)d days.") % {"n": rules.max_extension_days}
    if not (approved_by or "").strip():
        errors["approved_by"] = _("Name the head of the unit who approved the extension.")
    if not (reason or "").strip():
        errors["reason"] = _("Give the reason told to the petitioner.")
    _check_day(errors, "notified_on", notified_on, after=petition.accepted_on, after_what=_("its acceptance"))
    _raise(errors)
    petition.extension_days = days
    petition.extension_approved_by = approved_by.strip()
    petition.extension_reason = reason.strip()
    petition.extension_notified_on = notified_on
    petition.handling_due = petition.handling_due + datetime.timedelta(days=days)
    petition.due_on = petition.handling_due
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.EXTEND,
        actor=actor,
        on=on,
        from_unit=petition.responsible_unit,
        note=_("%(n)d days, approved by %(who)s: %(why)s")
        % {"n": days, "who": approved_by.strip(), "why": reason.strip()},
    )
    return petition


@transaction.atomic
def petition_conclude(
    *, actor, petition: Petition, decision: str, decision_text: str, on: datetime.date | None = None
) -> Petition:
    """办结: the written decision (处理意见书) supports, explains or does not support."""
    on = on or _today()
    petition = _guarded(actor, petition, "conclude")
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.accepted_on, after_what=_("its acceptance"))
    if decision not in Decision.values:
        errors["decision"] = _("Choose the decision: supported, explained or not supported.")
    if not (decision_text or "").strip():
        errors["decision_text"] = _("Write the decision sent to the petitioner.")
    _raise(errors)
    petition.concluded_on = on
    petition.decision = decision
    petition.decision_text = decision_text.strip()
    petition.status = Status.CONCLUDED
    petition.due_on = None
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.CONCLUDE,
        actor=actor,
        on=on,
        from_unit=petition.responsible_unit,
        note=Decision(decision).label,
    )
    return petition


@transaction.atomic
def petition_deliver(*, actor, petition: Petition, method: str, on: datetime.date | None = None) -> Petition:
    """送达: the written decision reaches the petitioner; the time to ask for a review starts."""
    on = on or _today()
    petition = _guarded(actor, petition, "deliver")
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.concluded_on, after_what=_("the decision"))
    if method not in Delivery.values:
        errors["method"] = _("Choose how the decision was delivered.")
    _raise(errors)
    rules = DeadlineRules.for_code(petition.division.code)
    petition.delivered_on = on
    petition.delivery_method = method
    petition.appeal_until = rules.due(on, rules.review_request_days)
    petition.status = Status.DELIVERED
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.DELIVER,
        actor=actor,
        on=on,
        from_unit=petition.responsible_unit,
        note=Delivery(method).label,
    )
    return petition


@transaction.atomic
def petition_rate(*, actor, petition: Petition, satisfaction: str, on: datetime.date | None = None) -> Petition:
    """The petitioner's satisfaction, credited to the unit that first handled the case."""
    on = on or _today()
    petition = _guarded(actor, petition, "rate")
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.delivered_on, after_what=_("the delivery of the decision"))
    if satisfaction not in Satisfaction.values:
        errors["satisfaction"] = _("Choose satisfied, basically satisfied or dissatisfied.")
    _raise(errors)
    petition.satisfaction = satisfaction
    petition.rated_on = on
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.RATE,
        actor=actor,
        on=on,
        to_unit=petition.first_unit,
        note=Satisfaction(satisfaction).label,
    )
    return petition


@transaction.atomic
def petition_return_visit(
    *, actor, petition: Petition, note: str, on: datetime.date | None = None, satisfaction: str = ""
) -> Petition:
    """回访: someone goes back to the petitioner after the decision; the satisfaction may be taken then."""
    on = on or _today()
    petition = _guarded(actor, petition, "return_visit")
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.delivered_on, after_what=_("the delivery of the decision"))
    if not (note or "").strip():
        errors["note"] = _("Write down what the petitioner said.")
    _raise(errors)
    if satisfaction and not petition.satisfaction:
        petition = petition_rate(actor=actor, petition=petition, satisfaction=satisfaction, on=on)
    petition.return_visited_on = on
    petition.return_visit_note = note.strip()
    _save(petition, actor=actor)
    _step(petition, StepAction.RETURN_VISIT, actor=actor, on=on, from_unit=petition.responsible_unit, note=note.strip())
    return petition


@transaction.atomic
def petition_request_review(
    *, actor, petition: Petition, on: datetime.date | None = None, note: str = "", rereview: bool = False
) -> Petition:
    """复查 (or 复核): asked within the county's days of the decision (or of the review's answer)."""
    on = on or _today()
    petition = _guarded(actor, petition, "rereview_request" if rereview else "review_request")
    errors: dict = {}
    after = petition.review_answered_on if rereview else petition.delivered_on
    _check_day(errors, "on", on, after=after, after_what=_("the answer it contests"))
    if "on" not in errors and petition.appeal_until and on > petition.appeal_until:
        errors["on"] = _("The time to ask ended on %(d)s.") % {"d": _fmt(petition.appeal_until)}
    _raise(errors)
    rules = DeadlineRules.for_code(petition.division.code)
    due = rules.due(on, rules.review_answer_days)
    if rereview:
        petition.rereview_requested_on, petition.rereview_due, petition.status = on, due, Status.REREVIEW
    else:
        petition.review_requested_on, petition.review_due, petition.status = on, due, Status.REVIEW
    petition.due_on = due
    petition.appeal_until = None
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.REREVIEW_REQUEST if rereview else StepAction.REVIEW_REQUEST,
        actor=actor,
        on=on,
        from_unit=petition.responsible_unit,
        note=(note or "").strip(),
    )
    return petition


@transaction.atomic
def petition_answer_review(
    *,
    actor,
    petition: Petition,
    result: str,
    text: str,
    reviewing_body: str,
    on: datetime.date | None = None,
    rereview: bool = False,
) -> Petition:
    """The answer to a 复查 (or 复核), recorded by the petition office above the unit that handled the case.

    After the 复核 the case is terminated (终结): the same matter is not accepted again.
    """
    on = on or _today()
    petition = _guarded(actor, petition, "rereview_answer" if rereview else "review_answer")
    errors: dict = {}
    requested = petition.rereview_requested_on if rereview else petition.review_requested_on
    _check_day(errors, "on", on, after=requested, after_what=_("the request"))
    if result not in ReviewResult.values:
        errors["result"] = _("Choose the result.")
    if not (text or "").strip():
        errors["text"] = _("Write the answer sent to the petitioner.")
    if not (reviewing_body or "").strip():
        errors["reviewing_body"] = _("Name the body that answered.")
    _raise(errors)
    if rereview:
        petition.rereview_answered_on, petition.rereview_result = on, result
        petition.rereview_text, petition.rereview_by = text.strip(), reviewing_body.strip()
        petition.status = Status.TERMINATED
        petition.appeal_until = None
    else:
        rules = DeadlineRules.for_code(petition.division.code)
        petition.review_answered_on, petition.review_result = on, result
        petition.review_text, petition.review_by = text.strip(), reviewing_body.strip()
        petition.status = Status.REVIEWED
        petition.appeal_until = rules.due(on, rules.review_request_days)
    petition.due_on = None
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.REREVIEW_ANSWER if rereview else StepAction.REVIEW_ANSWER,
        actor=actor,
        on=on,
        note=f"{reviewing_body.strip()}: {ReviewResult(result).label}",
    )
    return petition


@transaction.atomic
def petition_supervise(*, actor, petition: Petition, note: str, on: datetime.date | None = None) -> Petition:
    """督办: an overdue case is pressed by the county or the petition office; each time is recorded."""
    on = on or _today()
    petition = _guarded(actor, petition, "supervise")
    errors: dict = {}
    _check_day(errors, "on", on, after=petition.due_on, after_what=_("the missed deadline"))
    if not (note or "").strip():
        errors["note"] = _("Write what is demanded and by when.")
    _raise(errors)
    petition.supervised_on = on
    petition.supervision_count += 1
    _save(petition, actor=actor)
    _step(
        petition,
        StepAction.SUPERVISE,
        actor=actor,
        on=on,
        from_unit=_actor_unit(actor, petition.division.code, SUPERVISOR_ROLES),
        to_unit=petition.responsible_unit or petition.registry_unit,
        note=note.strip(),
    )
    return petition


def check_upload(file) -> tuple[str, str, int]:
    """An attachment's safe file name, content type and size; refused unless its first bytes match its name."""
    name = os.path.basename(getattr(file, "name", "") or "")[:200]
    ext = os.path.splitext(name)[1].lower()
    size = getattr(file, "size", 0) or 0
    if ext not in ATTACHMENT_TYPES:
        raise ValidationError(
            _("%(name)s: attach a PDF, JPEG, PNG, Word or Excel file (%(exts)s).")
            % {"name": name, "exts": " ".join(sorted(ATTACHMENT_TYPES))}
        )
    if not size:
        raise ValidationError(_("%(name)s: the file is empty.") % {"name": name})
    if size > ATTACHMENT_MAX_BYTES:
        raise ValidationError(
            _("%(name)s: the file is larger than %(mb)d MB.") % {"name": name, "mb": ATTACHMENT_MAX_BYTES // 2**20}
        )
    content_type, magics = ATTACHMENT_TYPES[ext]
    file.seek(0)
    head = file.read(16)
    file.seek(0)
    if not any(head.startswith(m) for m in magics):
        raise ValidationError(_("%(name)s: the content is not what the name says.") % {"name": name})
    if ext in (".xlsx", ".docx"):  # zip containers: a zip bomb is refused like on import (issue 10)
        refuse_zip_bomb(file)
    return name, content_type, size


@transaction.atomic
def attachment_add(*, actor, petition: Petition, file) -> PetitionAttachment:
    """A scan, photo or document of the case, stored under a generated name; the uploaded name is kept as data."""
    petition = _guarded(actor, petition, "attach")
    try:
        name, content_type, size = check_upload(file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from None
    if petition.attachments.count() >= ATTACHMENTS_PER_CASE:
        raise ValidationError({"file": _("A case holds at most %(n)d attachments.") % {"n": ATTACHMENTS_PER_CASE}})
    attachment = PetitionAttachment(
        petition=petition,
        original_name=name,
        content_type=content_type,
        size=size,
        uploaded_by=actor if getattr(actor, "pk", None) else None,
    )
    # Written only once every check has passed: a later database failure could leave a file with no row, but
    # files are reached only through their row, so such a file is never served.
    attachment.file.save(name, file, save=False)
    attachment.full_clean()
    attachment.save()
    _step(petition, StepAction.ATTACH, actor=actor, on=_today(), note=name)
    return attachment


# --------------------------------------------------------------------------------------------- disputes


def _require_dispute(actor, dispute: Dispute, roles) -> None:
    if is_unrestricted(actor):
        return
    if not has_role(actor, dispute.division.code, DISPUTE_READER_ROLES):
        raise Http404
    if not has_role(actor, dispute.division.code, roles):
        raise refusal(roles)


def _guard_mediate(actor, dispute: Dispute) -> None:
    _require_dispute(actor, dispute, MEDIATION_ROLES)
    if dispute.status not in {DisputeStatus.SCREENED, DisputeStatus.MEDIATING}:
        raise ValidationError(
            _("A dispute that is “%(s)s” is not mediated any more.") % {"s": dispute.get_status_display()},
            code="state",
        )


def _guard_dispute_follow_up(actor, dispute: Dispute) -> None:
    _require_dispute(actor, dispute, MEDIATION_ROLES)
    if dispute.status != DisputeStatus.RESOLVED:
        raise ValidationError(_("Only a resolved dispute is followed up."), code="state")
    if any(m.resolved and m.followed_up_on for m in dispute.mediations.all()):
        raise ValidationError(_("The follow-up has already been recorded."), code="state")


def _guard_escalate(actor, dispute: Dispute) -> None:
    _require_dispute(actor, dispute, ESCALATION_ROLES)
    if dispute.status in {DisputeStatus.RESOLVED, DisputeStatus.ESCALATED}:
        raise ValidationError(
            _("A dispute that is “%(s)s” is not escalated.") % {"s": dispute.get_status_display()}, code="state"
        )


DISPUTE_GUARDS = {"mediate": _guard_mediate, "follow_up": _guard_dispute_follow_up, "escalate": _guard_escalate}


def check_dispute_step(actor, dispute: Dispute, action: str) -> None:
    DISPUTE_GUARDS[action](actor, dispute)


def dispute_steps_open_to(actor, dispute: Dispute) -> list[str]:
    open_steps = []
    for action, guard in DISPUTE_GUARDS.items():
        try:
            guard(actor, dispute)
        except (ValidationError, PermissionDenied, Http404):
            continue
        open_steps.append(action)
    return open_steps


@transaction.atomic
def dispute_screen(
    *,
    actor,
    division: Division,
    source: str,
    screened_on: datetime.date,
    category: str,
    risk_level: str,
    summary: str,
    parties: list[dict],
    grid_reference: str = "",
) -> Dispute:
    """排查: a dispute found by a grid, a village or a township is entered with its parties."""
    if not is_unrestricted(actor):
        if not has_role(actor, division.code, DISPUTE_READER_ROLES):
            raise Http404
        if not has_role(actor, division.code, DISPUTE_ENTRY_ROLES):
            raise refusal(DISPUTE_ENTRY_ROLES)
    errors: dict = {}
    if division.level not in {Level.TOWNSHIP, Level.VILLAGE}:
        errors["division"] = _("A dispute arises in a township, village or community.")
    _check_day(errors, "screened_on", screened_on)
    people, problems = _clean_people(parties, PARTY_FIELDS, DisputeParty, _("Party"))
    if not people:
        problems.append(_("Give at least one party."))
    if problems:
        errors["parties"] = problems
    _raise(errors)
    dispute = Dispute(
        number=next_number(county=_county_of(division), year=screened_on.year, kind="dispute", prefix="JF"),
        division=division,
        source=source,
        grid_reference=(grid_reference or "").strip(),
        screened_on=screened_on,
        category=category,
        risk_level=risk_level,
        summary=(summary or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save(dispute, actor=actor)
    for person in people:
        person.dispute = dispute
    bulk_create_with_history(people, DisputeParty, default_user=actor)
    return dispute


def _locked_dispute(dispute: Dispute) -> Dispute:
    return Dispute.objects.select_for_update(of=("self",)).select_related("division").get(pk=dispute.pk)


@transaction.atomic
def dispute_mediate(
    *,
    actor,
    dispute: Dispute,
    kind: str,
    mediator: str,
    method: str,
    sessions: int,
    started_on: datetime.date,
    ended_on: datetime.date,
    agreement: str = "",
    resolved: bool = False,
    follow_up: str = "",
) -> Mediation:
    """调处: one round of mediation; an agreement that settles the dispute resolves it."""
    dispute = _locked_dispute(dispute)
    check_dispute_step(actor, dispute, "mediate")
    errors: dict = {}
    _check_day(errors, "started_on", started_on, after=dispute.screened_on, after_what=_("the screening"))
    _check_day(errors, "ended_on", ended_on, after=started_on, after_what=_("the start of the mediation"))
    if not (mediator or "").strip():
        errors["mediator"] = _("Name the mediator.")
    if resolved and not (agreement or "").strip():
        errors["agreement"] = _("A resolved dispute has the agreement the parties reached.")
    if not sessions or sessions < 1:
        errors["sessions"] = _("At least one session.")
    _raise(errors)
    mediation = Mediation(
        dispute=dispute,
        kind=kind,
        mediator=mediator.strip(),
        method=method,
        sessions=sessions,
        started_on=started_on,
        ended_on=ended_on,
        agreement=(agreement or "").strip(),
        resolved=resolved,
        follow_up=(follow_up or "").strip(),
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _save(mediation, actor=actor)
    if resolved:
        dispute.status, dispute.resolved_on = DisputeStatus.RESOLVED, ended_on
    else:
        dispute.status = DisputeStatus.MEDIATING
    _save(dispute, actor=actor, update_fields=["status", "resolved_on"])
    return mediation


@transaction.atomic
def dispute_follow_up(*, actor, dispute: Dispute, note: str, on: datetime.date | None = None) -> Mediation:
    """回访 of a settled dispute: does the agreement hold?"""
    on = on or _today()
    dispute = _locked_dispute(dispute)
    check_dispute_step(actor, dispute, "follow_up")
    mediation = dispute.mediations.filter(resolved=True).order_by("-ended_on", "-pk").first()
    errors: dict = {}
    _check_day(errors, "on", on, after=mediation.ended_on, after_what=_("the agreement"))
    if not (note or "").strip():
        errors["note"] = _("Write what the follow-up found.")
    _raise(errors)
    mediation.follow_up = note.strip()
    mediation.followed_up_on = on
    _save(mediation, actor=actor, update_fields=["follow_up", "followed_up_on"])
    return mediation


def _check_escalation(actor, dispute: Dispute, errors: dict) -> None:
    """The escalation guard, as a field error of the petition registration that escalates the dispute."""
    try:
        check_dispute_step(actor, dispute, "escalate")
    except Http404:
        errors["dispute"] = _("The dispute is not one you can see.")
    except PermissionDenied:
        errors["dispute"] = _("You may not escalate this dispute.")
    except ValidationError as exc:
        errors["dispute"] = exc.messages


@transaction.atomic
def dispute_escalate(
    *,
    actor,
    dispute: Dispute,
    petition: Petition | None = None,
    grid_request_ref: str = "",
    on: datetime.date | None = None,
) -> Dispute:
    """An unresolved dispute handed on: to a petition case (linked) or to a grid service request (named)."""
    on = on or _today()
    dispute = _locked_dispute(dispute)
    check_dispute_step(actor, dispute, "escalate")
    errors: dict = {}
    if petition is None and not (grid_request_ref or "").strip():
        errors["petition"] = _("Give the petition case or the grid request it was escalated into.")
    if petition is not None and not Petition.objects.visible_to(actor).filter(pk=petition.pk).exists():
        errors["petition"] = _("The petition case is not one you can see.")
    _check_day(errors, "on", on, after=dispute.screened_on, after_what=_("the screening"))
    _raise(errors)
    dispute.petition = petition
    dispute.grid_request_ref = (grid_request_ref or "").strip()
    dispute.escalated_on = on
    dispute.status = DisputeStatus.ESCALATED
    _save(dispute, actor=actor, update_fields=["petition", "grid_request_ref", "escalated_on", "status"])
    return dispute
