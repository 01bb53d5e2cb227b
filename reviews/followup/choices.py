from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Role

from ..choices import READER_ROLES


class TalkKind(models.TextChoices):
    """The escalation ladder, mildest first: 提醒 → 函询 → 约谈/诫勉 → 调整."""

    REMINDER = "reminder", _("Reminder")
    INQUIRY = "inquiry", _("Written inquiry")
    TALK = "talk", _("Talk")
    ADMONITION = "admonition", _("Admonition")
    ADJUSTMENT = "adjustment", _("Adjustment")


# The rung of each kind on the ladder (a talk and an admonition share one).
TALK_RUNG = {
    TalkKind.REMINDER: 1,
    TalkKind.INQUIRY: 2,
    TalkKind.TALK: 3,
    TalkKind.ADMONITION: 3,
    TalkKind.ADJUSTMENT: 4,
}


class ProblemKind(models.TextChoices):
    COMMON = "common", _("Common to many villages")
    PARTICULAR = "particular", _("Particular to one village")


class MeasureStatus(models.TextChoices):
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    CLOSED = "closed", _("Verified and closed")


class Book(models.TextChoices):
    RED = "red", _("Red book (merits)")
    BLACK = "black", _("Black book (failings)")
    BLUE = "blue", _("Blue book (routine duties)")


class AdjustmentBasisKind(models.TextChoices):
    REVIEW = "review", _("Look-back review")
    EVALUATION = "evaluation", _("Democratic evaluation")
    TALK = "talk", _("Talk")


# Who reads the follow-up records: the reviews' readers and the village's history recorder.
FOLLOWUP_READERS = READER_ROLES | {Role.VILLAGE_RECORDER}
# Who records evaluations, talks, problems, plans and measures, and verifies (销号) a measure.
TOWNSHIP_OR_COUNTY = {Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICIAL}
# Who reports a measure done and uploads its evidence: the village itself, or the township for it.
MEASURE_REPORTERS = {Role.VILLAGE_SECRETARY, Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICIAL}
# Who verifies and closes a measure (销号): the township (or the county above it), never the village itself.
MEASURE_VERIFIERS = TOWNSHIP_OR_COUNTY
# Who writes in the record books: the village's history recorder (村史记录官) and township staff.
RECORD_BOOK_WRITERS = {Role.VILLAGE_RECORDER, Role.TOWNSHIP_STAFF}
# Who publishes a month of the books: township staff.
RECORD_BOOK_PUBLISHERS = {Role.TOWNSHIP_STAFF, Role.COUNTY_OFFICIAL}
# Common measures are the county's.
COUNTY_ONLY = {Role.COUNTY_OFFICIAL}
