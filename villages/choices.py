from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")
    VILLAGE = "village", _("Village")


# How many leading digits of the 12-digit code identify a division at each level.
LEVEL_PREFIX_LENGTH = {
    Level.PROVINCE: 2,
    Level.CITY: 4,
    Level.COUNTY: 6,
    Level.TOWNSHIP: 9,
    Level.VILLAGE: 12,
}
LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.COUNTY, Level.TOWNSHIP, Level.VILLAGE]


class DivisionKind(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("Prefecture-level city")
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    TOWN = "town", _("Town")
    TOWNSHIP = "township", _("Township")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    ZONE = "zone", _("Development zone")
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")


KINDS_BY_LEVEL = {
    Level.PROVINCE: {DivisionKind.PROVINCE},
    Level.CITY: {DivisionKind.CITY},
    Level.COUNTY: {DivisionKind.DISTRICT, DivisionKind.COUNTY},
    Level.TOWNSHIP: {DivisionKind.TOWN, DivisionKind.TOWNSHIP, DivisionKind.SUBDISTRICT, DivisionKind.ZONE},
    Level.VILLAGE: {DivisionKind.VILLAGE, DivisionKind.COMMUNITY},
}


class Committee(models.TextChoices):
    PARTY = "party", _("Party branch committee")
    VILLAGERS = "villagers", _("Villagers' committee")
    SUPERVISION = "supervision", _("Village affairs supervision committee")


class PostTitle(models.TextChoices):
    SECRETARY = "secretary", _("Secretary")
    DEPUTY_SECRETARY = "deputy_secretary", _("Deputy secretary")
    CHAIR = "chair", _("Chair")
    DEPUTY_CHAIR = "deputy_chair", _("Deputy chair")
    MEMBER = "member", _("Member")
    SUPERVISION_CHAIR = "supervision_chair", _("Supervision committee chair")


# How posts are listed within a committee: leaders first.
TITLE_RANK = {title: i for i, title in enumerate(PostTitle)}

# Titles a committee may hold only once at a time.
SINGLE_HOLDER_TITLES = [PostTitle.SECRETARY, PostTitle.CHAIR, PostTitle.SUPERVISION_CHAIR]

TITLES_BY_COMMITTEE = {
    Committee.PARTY: {PostTitle.SECRETARY, PostTitle.DEPUTY_SECRETARY, PostTitle.MEMBER},
    Committee.VILLAGERS: {PostTitle.CHAIR, PostTitle.DEPUTY_CHAIR, PostTitle.MEMBER},
    Committee.SUPERVISION: {PostTitle.SUPERVISION_CHAIR, PostTitle.MEMBER},
}


class Gender(models.TextChoices):
    MALE = "male", _("Male")
    FEMALE = "female", _("Female")


class Education(models.TextChoices):
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior high school")
    SENIOR = "senior", _("Senior high school / technical school")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class Role(models.TextChoices):
    COUNTY_OFFICIAL = "county_official", _("County organization department official")
    TOWNSHIP_STAFF = "township_staff", _("Township staff")
    VILLAGE_SECRETARY = "village_secretary", _("Village secretary")
    VILLAGE_RECORDER = "village_recorder", _("Village history recorder")
    GRID_WORKER = "grid_worker", _("Grid worker")
    PETITION_OFFICER = "petition_officer", _("Petition officer")
    API_CLIENT = "api_client", _("Read-only API client")


# Roles that may change cadre records within their scope.
CADRE_EDITOR_ROLES = {Role.COUNTY_OFFICIAL, Role.TOWNSHIP_STAFF}
# Roles that see full ID numbers and phone numbers of people in their scope.
PERSONAL_DATA_ROLES = {Role.COUNTY_OFFICIAL, Role.PETITION_OFFICER}
# Roles that may only read.
READ_ONLY_ROLES = {Role.API_CLIENT}


class AdjustmentKind(models.TextChoices):
    REPLACEMENT = "replacement", _("Replacement")
    REMOVAL = "removal", _("Removal")
    REDEPLOYMENT = "redeployment", _("Redeployment")


class ApprovingLevel(models.TextChoices):
    COUNTY = "county", _("County")
    TOWNSHIP = "township", _("Township")


class StarSet(models.TextChoices):
    VILLAGE = "village", _("Rural villages")
    COMMUNITY = "community", _("Urban communities")


class Measure(models.TextChoices):
    RATE = "rate", _("Rate (numerator ÷ denominator)")
    NUMERATOR = "numerator", _("Count (numerator)")


class Comparison(models.TextChoices):
    GTE = "gte", "≥"
    GT = "gt", ">"
    LTE = "lte", "≤"
    LT = "lt", "<"
    EQ = "eq", "="


class StarStatus(models.TextChoices):
    APPLIED = "applied", _("Applied by the village")
    TOWNSHIP_REVIEWED = "township_reviewed", _("First review by the township")
    COUNTY_DECIDED = "county_decided", _("Decided by the county")
    NOTICE = "notice", _("Public notice")
    AWARDED = "awarded", _("Awarded")
    REJECTED = "rejected", _("Not awarded")
    REMOVED = "removed", _("Removed")


class CountyDecision(models.TextChoices):
    CONFIRM = "confirm", _("Confirm the proposal")
    CHANGE = "change", _("Change the proposal")
