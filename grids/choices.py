from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Role


class GridKind(models.TextChoices):
    COMPREHENSIVE = "comprehensive", _("Comprehensive grid")
    DEDICATED = "dedicated", _("Dedicated grid")


class DedicatedType(models.TextChoices):
    SCHOOL = "school", _("School")
    HOSPITAL = "hospital", _("Hospital")
    ENTERPRISE = "enterprise", _("Enterprise")
    MARKET = "market", _("Market")
    OFFICE = "office", _("Office")


class AssignmentRole(models.TextChoices):
    GRID_HEAD = "grid_head", _("Grid head")
    FULL_TIME = "full_time", _("Full-time grid worker")
    PART_TIME = "part_time", _("Part-time grid worker")
    TOWNSHIP_CADRE = "township_cadre", _("Township cadre covering the area")
    POLICE_BEAT = "police_beat", _("Police beat")
    BUILDING_HEAD = "building_head", _("Building head")


class TimeUnit(models.TextChoices):
    HOURS = "hours", _("hours")
    DAYS = "days", _("days")


class Channel(models.TextChoices):
    HOUSEHOLD = "household", _("Ordered by the household")
    PHONE = "phone", _("By phone")
    VISIT = "visit", _("During a visit")


class RequestStatus(models.TextChoices):
    REPORTED = "reported", _("Reported")
    ACCEPTED = "accepted", _("Accepted")
    DISPATCHED = "dispatched", _("Dispatched")
    HANDLED = "handled", _("Handled")
    VERIFIED = "verified", _("Verified")
    CLOSED = "closed", _("Closed")
    RATED = "rated", _("Rated")


# A request is open until it is closed; rating only records what the requester thought of it.
OPEN_STATUSES = [
    RequestStatus.REPORTED,
    RequestStatus.ACCEPTED,
    RequestStatus.DISPATCHED,
    RequestStatus.HANDLED,
    RequestStatus.VERIFIED,
]
DONE_STATUSES = [RequestStatus.CLOSED, RequestStatus.RATED]


class StepAction(models.TextChoices):
    REPORT = "report", _("Report")
    ACCEPT = "accept", _("Accept")
    DISPATCH = "dispatch", _("Dispatch")
    HANDLE = "handle", _("Handle")
    VERIFY = "verify", _("Verify")
    CLOSE = "close", _("Close")
    RATE = "rate", _("Rate")
    SEND_BACK = "send_back", _("Send back")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    DISSATISFIED = "dissatisfied", _("Dissatisfied")


class SupervisionLevel(models.TextChoices):
    ORDINARY = "ordinary", _("Ordinary supervision")
    YELLOW = "yellow", _("Yellow card")
    RED = "red", _("Red card")


SUPERVISION_RANK = {"": 0, SupervisionLevel.ORDINARY: 1, SupervisionLevel.YELLOW: 2, SupervisionLevel.RED: 3}


class VisitKind(models.TextChoices):
    ROUTINE = "routine", _("Routine visit")
    CARE = "care", _("Care visit")
    FOLLOW_UP = "follow_up", _("Follow-up of a request")


# The forward chain: from each status, the action that moves it on and the status it reaches.
FORWARD = {
    RequestStatus.REPORTED: (StepAction.ACCEPT, RequestStatus.ACCEPTED),
    RequestStatus.ACCEPTED: (StepAction.DISPATCH, RequestStatus.DISPATCHED),
    RequestStatus.DISPATCHED: (StepAction.HANDLE, RequestStatus.HANDLED),
    RequestStatus.HANDLED: (StepAction.VERIFY, RequestStatus.VERIFIED),
    RequestStatus.VERIFIED: (StepAction.CLOSE, RequestStatus.CLOSED),
    RequestStatus.CLOSED: (StepAction.RATE, RequestStatus.RATED),
}
# Sending back returns a request one stage, to whoever must redo that stage's work.
BACKWARD = {
    RequestStatus.ACCEPTED: RequestStatus.REPORTED,
    RequestStatus.DISPATCHED: RequestStatus.ACCEPTED,
    RequestStatus.HANDLED: RequestStatus.DISPATCHED,
    RequestStatus.VERIFIED: RequestStatus.HANDLED,
}

# Who may take each forward step. The grid worker runs the errand (accepts, handles, closes and records the
# requester's rating); the township dispatches and verifies, so no one checks their own work; the county
# reads and supervises. Whoever may move a request on from a status may instead send it back.
ACTION_ROLES = {
    StepAction.REPORT: {Role.GRID_WORKER, Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF},
    StepAction.ACCEPT: {Role.GRID_WORKER, Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF},
    StepAction.DISPATCH: {Role.TOWNSHIP_STAFF},
    StepAction.HANDLE: {Role.GRID_WORKER, Role.TOWNSHIP_STAFF},
    StepAction.VERIFY: {Role.TOWNSHIP_STAFF},
    StepAction.CLOSE: {Role.GRID_WORKER, Role.TOWNSHIP_STAFF},
    StepAction.RATE: {Role.GRID_WORKER, Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF},
}


def step_owners(action: str) -> set[str]:
    """Whose to-do list a step is on: of the roles that may take it (``ACTION_ROLES``), the grid worker where
    they may (the errand is theirs; the village and the township take those steps only when standing in), else
    all of them (the township dispatches and verifies)."""
    roles = ACTION_ROLES[action]
    return {Role.GRID_WORKER} if Role.GRID_WORKER in roles else set(roles)


# Whose own page is the list of open requests of their grids (grids:my_requests).
ERRAND_ROLES = {Role.GRID_WORKER}
SUPERVISOR_ROLES = {Role.COUNTY_OFFICIAL, Role.TOWNSHIP_STAFF}
# Who keeps the grids themselves (boundaries, roles, party branches): the township and the village.
GRID_EDITOR_ROLES = {Role.TOWNSHIP_STAFF, Role.VILLAGE_SECRETARY}
# Who keeps households, party members and visits: those plus the grid worker, for their own grids.
HOUSEHOLD_EDITOR_ROLES = {Role.TOWNSHIP_STAFF, Role.VILLAGE_SECRETARY, Role.GRID_WORKER}
