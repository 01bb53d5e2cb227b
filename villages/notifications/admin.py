"""The Django admin for the reminders, scoped like villages/admin.py: a county administrator sees and changes only
their county's group robot and its deliveries; users' notifications are system records (superusers only)."""

from django.contrib import admin

from villages.admin_history import AuditTrailAdmin
from villages.admin_scope import ReadOnlyAdminMixin, ScopedModelAdmin

from .models import CountyWebhook, Notification, WebhookDelivery


@admin.register(CountyWebhook)
class CountyWebhookAdmin(AuditTrailAdmin):
    scope_field = "county__code"
    list_display = ["county", "kind", "active", "updated_at", "updated_by"]
    list_filter = ["kind", "active"]
    search_fields = ["county__name", "county__code"]
    raw_id_fields = ["county"]
    fields = ["county", "kind", "url", "secret", "active"]

    def save_model(self, request, obj, form, change):
        obj.updated_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_field = "webhook__county__code"
    list_display = ["webhook", "is_test", "notification_count", "status", "attempts", "created_at", "sent_at"]
    list_filter = ["status", "is_test"]
    readonly_fields = ["webhook", "is_test", "content", "notification_count", "status", "attempts", "last_error"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    superuser_only = True
    list_display = ["user", "title", "urgency", "due", "created_at", "read_at", "emailed_at"]
    list_filter = ["urgency", "kind"]
    search_fields = ["user__username", "title"]
