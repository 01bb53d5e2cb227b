"""The Django admin, scoped: a county administrator (staff with model permissions) sees only their divisions."""

from django.contrib import admin, messages
from django.contrib.auth import admin as auth_admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .admin_history import AuditTrailAdmin as SimpleHistoryAdmin
from .admin_scope import ReadOnlyAdminMixin, ScopedInline, ScopedModelAdmin
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
from .scopes import can_see, is_unrestricted, scope_q
from .throttle import unlock


class ScopedAdmin(SimpleHistoryAdmin):
    """A record with history, scoped by its division (``admin_scope.ScopedModelAdmin`` for every view)."""

    scope_field = "division__code"


# Users and groups are the system administrators': a county administrator gives scopes (UserScope) to users, and a
# user may hold scopes in several counties, so no county may change (or list) them all.
User = get_user_model()
admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class UserAdmin(ScopedModelAdmin, auth_admin.UserAdmin):
    """Django's user admin, superusers' only, with the unlock of a paused sign-in."""

    superuser_only = True
    actions = [*auth_admin.UserAdmin.actions, "unlock_sign_in"]

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

    def choices_queryset(self, request):
        """Whom a county administrator may give a scope to (and see named): users with a scope in its divisions,
        and users with no scope yet; not the users of other counties."""
        users = User._default_manager.all()
        if is_unrestricted(request.user):
            return users
        local = UserScope.objects.filter(scope_q(request.user, "division__code")).values("user_id")
        return users.filter(Q(pk__in=local) | Q(scopes__isnull=True)).distinct()


@admin.register(Group)
class GroupAdmin(ScopedModelAdmin, auth_admin.GroupAdmin):
    superuser_only = True


@admin.register(Division)
class DivisionAdmin(ScopedAdmin):
    scope_field = "code"
    list_display = ["code", "name", "level", "kind", "parent", "valid_from", "valid_to", "code_year"]
    list_filter = ["level", "kind", "code_year", "urban_rural"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent", "successor"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        user = request.user

        class DivisionForm(form):
            def clean_code(self):
                code = self.cleaned_data.get("code", "")
                if code and not can_see(user, code):
                    raise ValidationError(_("This code lies outside your divisions."), code="out_of_scope")
                return code

        return DivisionForm


class PostInline(ScopedInline):
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
        "birth_date",
    ]  # personal data is edited in the application, where it is validated and masked


@admin.register(Post)
class PostAdmin(ScopedAdmin):
    list_display = ["cadre", "division", "committee", "title", "start_date", "end_date"]
    list_filter = ["committee", "title"]
    search_fields = ["cadre__name", "division__name"]
    raw_id_fields = ["cadre", "division"]


@admin.register(Adjustment)
class AdjustmentAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """Adjustments are records of what happened: shown, never edited or deleted."""

    scope_field = "division__code"
    list_display = ["date", "division", "kind", "outgoing", "incoming", "approved_by"]
    list_filter = ["kind", "approved_by"]


@admin.register(UserScope)
class UserScopeAdmin(ScopedAdmin):
    list_display = ["user", "division", "role", "manages_users"]
    list_filter = ["role", "manages_users"]
    search_fields = ["user__username", "division__name", "division__code"]
    raw_id_fields = ["user", "division"]


@admin.register(ApiToken)
class ApiTokenAdmin(ScopedModelAdmin):
    list_display = ["user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    readonly_fields = ["user", "prefix", "created_at", "expires_at", "revoked_at", "last_used_at"]
    exclude = ["digest"]
    actions = ["revoke"]

    def limit_to_scope(self, request, qs):
        return qs if is_unrestricted(request.user) else qs.filter(user=request.user)

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())


class StarConditionInline(ScopedInline):
    model = StarCondition
    extra = 0
    fields = ["position", "label", "metric", "measure", "comparison", "threshold", "unit", "no_data_passes"]


@admin.register(StarType)
class StarTypeAdmin(SimpleHistoryAdmin):
    """The county's five-star rules: each star's conditions are data, changed here and kept in history."""

    shared = "the five-star rules are one set for every county (villages.stars)"
    list_display = ["name", "code", "star_set", "position", "capstone", "department", "active"]
    list_filter = ["star_set", "active"]
    inlines = [StarConditionInline]


@admin.register(TallyRun)
class TallyRunAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """When each county's figures were computed, under which rules, and how it went (read-only)."""

    scope_field = "county__code"

    list_display = ["county", "period", "status", "started_at", "finished_at", "rows_written", "rule_version"]
    list_filter = ["status", "period"]
    readonly_fields = [f.name for f in TallyRun._meta.fields]


@admin.register(PersonalDataAccess)
class PersonalDataAccessAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """The log of who saw full personal data: readable by system administrators, changeable by nobody."""

    superuser_only = True

    list_display = ["at", "user", "model", "context", "path"]
    list_filter = ["context", "model"]
    search_fields = ["user__username", "path"]
    readonly_fields = ["at", "user", "model", "object_ids", "context", "path"]


from .notifications import admin as notifications_admin  # noqa: E402,F401
from .work import admin as work_admin  # noqa: E402,F401
