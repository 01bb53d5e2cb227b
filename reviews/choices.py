from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Role


class TemplateStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ScoringRule(models.TextChoices):
    POINTS = "points", _("Points up to a maximum")
    PASS_FAIL = "pass_fail", _("Pass or fail")


class Grade(models.TextChoices):
    GOOD = "good", _("Good")
    FAIRLY_GOOD = "fairly_good", _("Fairly good")
    AVERAGE = "average", _("Average")
    POOR = "poor", _("Poor")


# Best first: a veto caps a grade at the worse of the two.
GRADE_ORDER = [Grade.GOOD, Grade.FAIRLY_GOOD, Grade.AVERAGE, Grade.POOR]


def worse_grade(a: str, b: str) -> str:
    return a if GRADE_ORDER.index(a) >= GRADE_ORDER.index(b) else b


class Stage(models.TextChoices):
    """The three levels of one review, in the order they are done."""

    VILLAGE = "village", _("Village self-diagnosis")
    TOWNSHIP = "township", _("Township diagnosis")
    COUNTY = "county", _("County re-diagnosis")


STAGE_ORDER = [Stage.VILLAGE, Stage.TOWNSHIP, Stage.COUNTY]


def stage_above(stage: str) -> str | None:
    i = STAGE_ORDER.index(stage)
    return STAGE_ORDER[i + 1] if i + 1 < len(STAGE_ORDER) else None


def stage_below(stage: str) -> str | None:
    i = STAGE_ORDER.index(stage)
    return STAGE_ORDER[i - 1] if i else None


class LevelStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    RETURNED = "returned", _("Returned")


# The authors of a level may change it in these states; a submitted level is locked.
EDITABLE_STATUSES = [LevelStatus.DRAFT, LevelStatus.RETURNED]

# Who scores each level (in the village's scope).
STAGE_ROLES = {
    Stage.VILLAGE: {Role.VILLAGE_SECRETARY},
    Stage.TOWNSHIP: {Role.TOWNSHIP_STAFF},
    Stage.COUNTY: {Role.COUNTY_OFFICIAL},
}


def below_done(stage: str, below_status: str | None) -> bool:
    """A level can be submitted once the level below it is (the village's self-diagnosis has none below): the
    service's rule (``review_level_submit``), and the to-do lists' test of whose turn a review is."""
    return stage_below(stage) is None or below_status == LevelStatus.SUBMITTED


# Who may send a submitted level back or reopen it: the level above. The county level has nobody above it in
# the platform, so the county organization department reopens its own level (and nobody returns it).
SUPERVISOR_ROLES = {
    Stage.VILLAGE: {Role.TOWNSHIP_STAFF},
    Stage.TOWNSHIP: {Role.COUNTY_OFFICIAL},
    Stage.COUNTY: {Role.COUNTY_OFFICIAL},
}
# Who may read reviews at all. Grid workers and petition officers have no business with evaluations.
READER_ROLES = {
    Role.COUNTY_OFFICIAL,
    Role.TOWNSHIP_STAFF,
    Role.VILLAGE_SECRETARY,
    Role.API_CLIENT,
}
# Who rates post holders: the township review meeting, and the county when it re-diagnoses.
POST_RATER_ROLES = {Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICIAL}
# Who manages templates, campaigns and the county's sample.
COUNTY_ROLES = {Role.COUNTY_OFFICIAL}
