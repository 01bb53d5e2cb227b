from django.db import models
from django.utils.translation import gettext_lazy as _

from villages.choices import Role

# Who configures a county's group robot: a county official with the manages-users flag (the county's
# administrator, ``villages.scopes.can_manage_users``) or a system administrator.
WEBHOOK_ADMIN_ROLES = {Role.COUNTY_OFFICIAL}


class NotificationUrgency(models.TextChoices):
    # The two states of a to-do item that are told (villages.todo.Urgency): an open item with no deadline near,
    # or one waiting on someone else, is never notified.
    OVERDUE = "overdue", _("Overdue")
    SOON = "soon", _("Due soon")


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("WeCom group robot (企业微信)")
    DINGTALK = "dingtalk", _("DingTalk group robot (钉钉)")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    SENT = "sent", _("Sent")
    RETRYING = "retrying", _("Failed, will retry")
    FAILED = "failed", _("Failed")
