"""The Django admin, scoped: a county administrator (staff with model permissions) sees only their divisions."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_history import AuditTrailAdmin as SimpleHistoryAdmin
from .models import (
    Adjustment,
    ApiToken,
    Cadre,
    Division,
    PersonalDataAccess,
    Post,
    StarCondition,
    StarType,
    TallyRun,
    UserScope,
)
from .scopes import is_unrestricted, scope_q
from .throttle import ThrottledAdminAuthenticationForm, unlock

# The admin's login pauses after repeated failures exactly like the site's (villages.throttle).
admin.site.login_form = ThrottledAdminAuthenticationForm


class ScopedAdmin(SimpleHistoryAdmin):
    scope_field = "division__code"

    def get_queryset(self, request):
        return super().get_queryset(request).filter(scope_q(request.user, self.scope_field))

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Division:
            kwargs["queryset"] = Division.objects.visible_to(request.user)
        elif db_field.related_model is Cadre:
            kwargs["queryset"] = Cadre.objects.visible_to(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Division)
class DivisionAdmin(ScopedAdmin):
    scope_field = "code"
    list_display = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "successor"]


class PostInline(admin.TabularInline):
    model = Post
    extra = 0
    fields = ["committee", "title", "start_date", "end_date"]
    readonly_fields = ["committee", "title", "start_date", "end_date"]
    can_delete = False


@admin.register(Cadre)
class CadreAdmin(ScopedAdmin):
    list_display = ["name", "division", "gender", "is_party_member", "active"]
    list_filter = ["active", "gender", "is_party_member", "education"]
    search_fields = ["name", "division__name", "division__code"]
    raw_id_fields = ["division"]
    inlines = [PostInline]
    exclude = [
        "id_number",
        "phone",
    ]  # personal data is edited in the application, where it is validated and masked


@admin.register(Post)
class PostAdmin(ScopedAdmin):
    list_display = ["cadre", "division", "committee", "title", "start_date", "end_date"]
    list_filter = ["committee", "title"]
    search_fields = ["cadre__name", "division__name"]
    raw_id_fields = ["cadre", "division"]


@admin.register(Adjustment)
class AdjustmentAdmin(admin.ModelAdmin):
    """Adjustments are records of what happened: shown, never edited or deleted."""

    list_display = ["date", "division", "kind", "outgoing", "incoming", "approved_by"]
    list_filter = ["kind", "approved_by"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(scope_q(request.user, "division__code"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(UserScope)
class UserScopeAdmin(ScopedAdmin):
    list_display = ["user", "division", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "division__name", "division__code"]
    raw_id_fields = ["user", "division"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if is_unrestricted(request.user) else qs.filter(user=request.user)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class SignInUserAdmin(UserAdmin):
    """Django's user admin, with the superuser's unlock of a paused sign-in."""

    actions = [*UserAdmin.actions, "unlock_sign_in"]

    def has_unlock_permission(self, request):
        return request.user.is_superuser

    @admin.action(permissions=["unlock"], description=_("Unlock sign-in for the selected users"))
    def unlock_sign_in(self, request, queryset):
        usernames = list(queryset.values_list("username", flat=True))
        for username in usernames:
            unlock(username)
        self.message_user(
            request, _("Sign-in unlocked for: %(users)s.") % {"users": ", ".join(usernames)}, messages.SUCCESS
        )


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), SignInUserAdmin)


class StarConditionInline(admin.TabularInline):
    model = StarCondition
    extra = 0
    fields = ["position", "label", "metric", "measure", "comparison", "threshold", "unit", "no_data_passes"]


@admin.register(StarType)
class StarTypeAdmin(SimpleHistoryAdmin):
    """The county's five-star rules: each star's conditions are data, changed here and kept in history."""

    list_display = ["name", "code", "star_set", "position", "capstone", "department", "active"]
    list_filter = ["star_set", "active"]
    inlines = [StarConditionInline]


@admin.register(TallyRun)
class TallyRunAdmin(admin.ModelAdmin):
    """When each county's figures were computed, under which rules, and how it went (read-only)."""

    list_display = ["county", "period", "status", "started_at", "finished_at", "rows_written", "rule_version"]
    list_filter = ["status", "period"]
    readonly_fields = [f.name for f in TallyRun._meta.fields]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(scope_q(request.user, "county__code"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(admin.ModelAdmin):
    """The log of who saw full personal data: readable by system administrators, changeable by nobody."""

    list_display = ["at", "user", "model", "context", "path"]
    list_filter = ["context", "model"]
    search_fields = ["user__username", "path"]
    readonly_fields = ["at", "user", "model", "object_ids", "context", "path"]

    def has_module_permission(self, request):
        return request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


from .work import admin as work_admin  # noqa: E402,F401
