from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Role

# Who may enter and change work records within their scope. Grid workers, petition officers and API clients
# read what their scope covers.
WORK_EDITOR_ROLES = {Role.COUNTY_OFFICIAL, Role.TOWNSHIP_STAFF, Role.VILLAGE_SECRETARY, Role.VILLAGE_RECORDER}
# Training sessions are organized by the county or a township, not by a village.
TRAINING_ORGANIZER_ROLES = {Role.COUNTY_OFFICIAL, Role.TOWNSHIP_STAFF}


class IncomeSource(models.TextChoices):
    LAND_TRANSFER = "land_transfer", _("Land transfer")
    RENT = "rent", _("Rent")
    DIVIDENDS = "dividends", _("Dividends")
    SERVICES = "services", _("Services")
    OTHER = "other", _("Other")


class ProjectKind(models.TextChoices):
    COLD_STORE = "cold_store", _("Cold store")
    WORKSHOP = "workshop", _("Workshop or factory building")
    SOLAR = "solar", _("Solar power")
    TOURISM = "tourism", _("Tourism stake")
    COOPERATIVE = "cooperative", _("Cooperative led by the party branch")
    PLANTING = "planting", _("Planting or breeding base")
    E_COMMERCE = "e_commerce", _("E-commerce or live streaming")
    OTHER = "other", _("Other")


class FundingSource(models.TextChoices):
    COLLECTIVE = "collective", _("Village collective funds")
    FISCAL = "fiscal", _("Government funds")
    LOAN = "loan", _("Bank loan")
    ENTERPRISE = "enterprise", _("Enterprise investment")
    PAIRING = "pairing", _("Paired assistance")
    MIXED = "mixed", _("Several sources")


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    BUILDING = "building", _("Under construction")
    OPERATING = "operating", _("Operating")
    CLOSED = "closed", _("Closed")


class MatterOutcome(models.TextChoices):
    """What became of a matter raised at a meeting.

    The grids and petitions apps keep the requests, petitions and disputes; this app may not import them, so a
    matter keeps the outcome kind and a reference (the request's or case's number). The link becomes a real
    foreign key from the other side: a grid request or a petition points at the meeting matter it came from.
    """

    RESOLVED = "resolved", _("Resolved on the spot")
    GRID_REQUEST = "grid_request", _("Handed on as a grid service request")
    PETITION = "petition", _("Handled as a petition")
    DISPUTE = "dispute", _("Mediated as a dispute")
    NOTED = "noted", _("Noted for follow-up")


class StationLevel(models.TextChoices):
    CENTER = "center", _("Practice centre (county)")
    INSTITUTE = "institute", _("Practice institute (township)")
    STATION = "station", _("Practice station (village)")


class VolunteerFocus(models.TextChoices):
    ENVIRONMENT = "environment", _("Living environment")
    SCIENCE = "science", _("Science and technology")
    LEGAL = "legal", _("Legal advice")
    WOMEN = "women", _("Women's and children's rights")
    ELDERLY = "elderly", _("Care for the elderly")
    CULTURE = "culture", _("Culture and civility")
    SAFETY = "safety", _("Safety and fire prevention")
    POLICY = "policy", _("Policy explained")
    HEALTH = "health", _("Health")
    OTHER = "other", _("Other")


class InfrastructureKind(models.TextChoices):
    SEWER = "sewer", _("Sewer network")
    ROAD = "road", _("Road")
    HALL = "hall", _("Village hall")
    WATER = "water", _("Drinking water")
    LIGHTING = "lighting", _("Street lighting")
    TOILET = "toilet", _("Toilet renovation")
    CULTURE = "culture", _("Culture and sports ground")
    GREENING = "greening", _("Greening")
    WALL_ART = "wall_art", _("Wall paintings")
    WASTE = "waste", _("Waste collection")
    OTHER = "other", _("Other")


class InfrastructureStatus(models.TextChoices):
    PLANNED = "planned", _("Planned")
    BUILDING = "building", _("Under construction")
    COMPLETED = "completed", _("Completed")
    SUSPENDED = "suspended", _("Suspended")


class InspectionResult(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")


class TrainingKind(models.TextChoices):
    ROTATION = "rotation", _("Rotation training")
    FORUM = "forum", _("Forum")
    COURSE = "course", _("Course")
    VISIT = "visit", _("Study visit")


class AttendanceRole(models.TextChoices):
    PARTICIPANT = "participant", _("Participant")
    SPEAKER = "speaker", _("Speaker")


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LEAVE = "leave", _("Excused")
    ABSENT = "absent", _("Absent")
