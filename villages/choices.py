from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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
    # Province level
    PROVINCE = "province", _("Province")
    MUNICIPALITY = "municipality", _("Municipality")
    AUTONOMOUS_REGION = "autonomous_region", _("Autonomous region")
    # City level
    CITY = "city", _("Prefecture-level city")
    PREFECTURE = "prefecture", _("Prefecture")
    AUTONOMOUS_PREFECTURE = "autonomous_pref", _("Autonomous prefecture")
    LEAGUE = "league", _("League")
    CITY_DISTRICTS = "city_districts", _("Districts of a municipality")
    CITY_COUNTIES = "city_counties", _("Counties of a municipality")
    DIRECT_COUNTIES = "direct_counties", _("County-level units under the province")
    # County level
    DISTRICT = "district", _("District")
    COUNTY = "county", _("County")
    COUNTY_CITY = "county_city", _("County-level city")
    AUTONOMOUS_COUNTY = "autonomous_county", _("Autonomous county")
    BANNER = "banner", _("Banner")
    AUTONOMOUS_BANNER = "autonomous_banner", _("Autonomous banner")
    FORESTRY_DISTRICT = "forestry_district", _("Forestry district")
    SPECIAL_DISTRICT = "special_district", _("Special district")
    CITY_WITHOUT_COUNTIES = "city_no_counties", _("City without counties")
    # Township level
    TOWN = "town", _("Town")
    TOWNSHIP = "township", pgettext_lazy("division kind", "Township")  # 乡, where the level "Township" is 乡镇
    ETHNIC_TOWNSHIP = "ethnic_township", _("Ethnic township")
    SUMU = "sumu", _("Sumu")
    ETHNIC_SUMU = "ethnic_sumu", _("Ethnic sumu")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    FARM = "farm", _("Farm")
    FOREST_FARM = "forest_farm", _("Forest farm")
    # Prisons, bureaus, reservoirs and the like that the list counts at township level
    OTHER = "other", _("Other township-level unit")
    # County or township level: development and demonstration zones, parks, new areas under a management committee
    ZONE = "zone", _("Development zone")
    # Village level
    VILLAGE = "village", _("Village")
    COMMUNITY = "community", _("Community")


KINDS_BY_LEVEL = {
    Level.PROVINCE: {DivisionKind.PROVINCE, DivisionKind.MUNICIPALITY, DivisionKind.AUTONOMOUS_REGION},
    Level.CITY: {
        DivisionKind.CITY,
        DivisionKind.PREFECTURE,
        DivisionKind.AUTONOMOUS_PREFECTURE,
        DivisionKind.LEAGUE,
        DivisionKind.CITY_DISTRICTS,
        DivisionKind.CITY_COUNTIES,
        DivisionKind.DIRECT_COUNTIES,
    },
    Level.COUNTY: {
        DivisionKind.DISTRICT,
        DivisionKind.COUNTY,
        DivisionKind.COUNTY_CITY,
        DivisionKind.AUTONOMOUS_COUNTY,
        DivisionKind.BANNER,
        DivisionKind.AUTONOMOUS_BANNER,
        DivisionKind.FORESTRY_DISTRICT,
        DivisionKind.SPECIAL_DISTRICT,
        DivisionKind.CITY_WITHOUT_COUNTIES,
        DivisionKind.ZONE,
    },
    Level.TOWNSHIP: {
        DivisionKind.TOWN,
        DivisionKind.TOWNSHIP,
        DivisionKind.ETHNIC_TOWNSHIP,
        DivisionKind.SUMU,
        DivisionKind.ETHNIC_SUMU,
        DivisionKind.SUBDISTRICT,
        DivisionKind.FARM,
        DivisionKind.FOREST_FARM,
        DivisionKind.ZONE,
        DivisionKind.OTHER,
    },
    Level.VILLAGE: {DivisionKind.VILLAGE, DivisionKind.COMMUNITY},
}


class UrbanRural(models.TextChoices):
    """The NBS 城乡分类代码 of a village-level unit. 1xx is urban, 2xx rural."""

    CITY_CENTRE = "111", _("111 Urban: main city area")
    CITY_FRINGE = "112", _("112 Urban: urban-rural fringe")
    TOWN_CENTRE = "121", _("121 Town: town centre")
    TOWN_FRINGE = "122", _("122 Town: town-rural fringe")
    SPECIAL_AREA = "123", _("123 Town: special area")
    RURAL_CENTRE = "210", _("210 Rural: township centre")
    VILLAGE = "220", _("220 Rural: village")


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
