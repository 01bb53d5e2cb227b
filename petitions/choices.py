from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Role


class Channel(models.TextChoices):
    LETTER = "letter", _("Letter")  # 信 (fax counts as a letter)
    VISIT = "visit", _("Visit")  # 访
    ONLINE = "online", _("Online")  # 网
    PHONE = "phone", _("Phone")  # 电


class Kind(models.TextChoices):
    SUGGESTION = "suggestion", _("Suggestion or opinion")  # 建议意见
    ACCUSATION = "accusation", _("Accusation or complaint against someone")  # 检举控告
    DEMAND = "demand", _("Grievance or demand")  # 申诉求决
    LITIGATION = "litigation", _("Related to law or litigation")  # 涉法涉诉


class Status(models.TextChoices):
    REGISTERED = "registered", _("Registered, awaiting acceptance")
    HANDLING = "handling", _("Being handled")
    REFUSED = "refused", _("Not accepted")
    CONCLUDED = "concluded", _("Concluded, decision not yet delivered")
    DELIVERED = "delivered", _("Decision delivered")
    REVIEW = "review", _("Review requested")
    REVIEWED = "reviewed", _("Reviewed")
    REREVIEW = "rereview", _("Re-review requested")
    TERMINATED = "terminated", _("Terminated (not accepted again)")


# States in which the case has been taken on and not yet concluded.
OPEN_STATUSES = [Status.REGISTERED, Status.HANDLING, Status.REVIEW, Status.REREVIEW]
# States reached once the written decision exists.
DECIDED_STATUSES = [
    Status.CONCLUDED,
    Status.DELIVERED,
    Status.REVIEW,
    Status.REVIEWED,
    Status.REREVIEW,
    Status.TERMINATED,
]


class Intake(models.TextChoices):
    """What the petition office decided within the acceptance deadline."""

    ACCEPTED = "accepted", _("Accepted")  # 受理
    ASSIGNED = "assigned", _("Assigned to a unit")  # 交办
    FORWARDED = "forwarded", _("Forwarded to the competent unit")  # 转送
    REFUSED = "refused", _("Not accepted")  # 不予受理


# Intakes that put the case in a unit's hands: the "accepted" of the completion rate.
TAKEN_ON = [Intake.ACCEPTED, Intake.ASSIGNED, Intake.FORWARDED]


class Decision(models.TextChoices):
    """The written decision (处理意见书)."""

    SUPPORT = "support", _("Supported")  # 支持
    EXPLAIN = "explain", _("Explained")  # 解释说明
    NOT_SUPPORT = "not_support", _("Not supported")  # 不予支持


class Delivery(models.TextChoices):
    IN_PERSON = "in_person", _("Handed over in person")
    POST = "post", _("By post")
    ONLINE = "online", _("Through the online platform")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")  # 满意
    BASIC = "basic", _("Basically satisfied")  # 基本满意
    DISSATISFIED = "dissatisfied", _("Dissatisfied")  # 不满意


class ReviewResult(models.TextChoices):
    UPHELD = "upheld", _("Decision upheld")  # 维持
    CHANGED = "changed", _("Decision changed")  # 变更
    REVOKED = "revoked", _("Decision revoked, to be handled again")  # 撤销


class StepAction(models.TextChoices):
    REGISTER = "register", _("Registered")
    ACCEPT = "accept", _("Accepted")
    ASSIGN = "assign", _("Assigned")
    FORWARD = "forward", _("Forwarded")
    REFUSE = "refuse", _("Not accepted")
    EXTEND = "extend", _("Deadline extended")
    CONCLUDE = "conclude", _("Concluded")
    DELIVER = "deliver", _("Decision delivered")
    RATE = "rate", _("Satisfaction recorded")
    RETURN_VISIT = "return_visit", _("Return visit")
    REVIEW_REQUEST = "review_request", _("Review requested")
    REVIEW_ANSWER = "review_answer", _("Review answered")
    REREVIEW_REQUEST = "rereview_request", _("Re-review requested")
    REREVIEW_ANSWER = "rereview_answer", _("Re-review answered, case terminated")
    SUPERVISE = "supervise", _("Supervised")
    ATTACH = "attach", _("Attachment added")


class DisputeSource(models.TextChoices):
    GRID = "grid", _("Grid")
    VILLAGE = "village", _("Village or community")
    TOWNSHIP = "township", _("Township")


class DisputeCategory(models.TextChoices):
    NEIGHBOURS = "neighbours", _("Between neighbours")
    FAMILY = "family", _("Marriage and family")
    LAND = "land", _("Land, forest and water")
    LABOUR = "labour", _("Labour and wages")
    HOUSING = "housing", _("Housing and property")
    COMPENSATION = "compensation", _("Damage and compensation")
    CONTRACT = "contract", _("Contracts and debts")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class DisputeStatus(models.TextChoices):
    SCREENED = "screened", _("Screened, awaiting mediation")
    MEDIATING = "mediating", _("Being mediated")
    RESOLVED = "resolved", _("Resolved")
    ESCALATED = "escalated", _("Escalated")


class MediationKind(models.TextChoices):
    PEOPLES = "peoples", _("People's mediation")  # 人民调解
    ADMINISTRATIVE = "administrative", _("Administrative mediation")  # 行政调解
    FIVE_ELDERS = "five_elders", _("The five elders")  # 五老调解


class MediationMethod(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("Face to face")
    BACK_TO_BACK = "back_to_back", _("Back to back (each party separately)")
    ON_SITE = "on_site", _("On site")
    JOINT = "joint", _("Joint mediation with other bodies")
    REMOTE = "remote", _("By phone or video")


# Who reads petitions: a petition may accuse a village cadre, so the village-level roles do not.
PETITION_READER_ROLES = {Role.COUNTY_OFFICIAL, Role.TOWNSHIP_STAFF, Role.PETITION_OFFICER, Role.API_CLIENT}
# Registers petitions, decides on them within the acceptance deadline, records requests for review.
REGISTRAR_ROLES = {Role.PETITION_OFFICER}
# Handles a case assigned to a unit: extension, conclusion, delivery, satisfaction, return visit.
HANDLER_ROLES = {Role.PETITION_OFFICER, Role.TOWNSHIP_STAFF}
# Records the answer of the unit above the handling unit to a review or re-review.
REVIEWER_ROLES = {Role.PETITION_OFFICER, Role.COUNTY_OFFICIAL}
# Supervises (督办) overdue cases.
SUPERVISOR_ROLES = {Role.COUNTY_OFFICIAL, Role.PETITION_OFFICER}

# Disputes are screened where they arise, so the village-level roles read and enter them.
DISPUTE_READER_ROLES = PETITION_READER_ROLES | {Role.VILLAGE_SECRETARY, Role.GRID_WORKER}
DISPUTE_ENTRY_ROLES = {Role.TOWNSHIP_STAFF, Role.PETITION_OFFICER, Role.VILLAGE_SECRETARY, Role.GRID_WORKER}
MEDIATION_ROLES = {Role.TOWNSHIP_STAFF, Role.PETITION_OFFICER, Role.VILLAGE_SECRETARY}
ESCALATION_ROLES = {Role.TOWNSHIP_STAFF, Role.PETITION_OFFICER}
