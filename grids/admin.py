"""The Django admin for grids, scoped like villages/admin.py: staff see only the rows in their divisions.

The county keeps its configurable lists here: the service list and its time limits, the care tags and its
grid rules. Service requests are shown, never edited: they move only through their steps.
"""

from django.contrib import admin

from villages.admin import ScopedAdmin
from villages.admin_history import AuditTrailAdmin as SimpleHistoryAdmin
from villages.admin_scope import ReadOnlyAdminMixin, ScopedInline, ScopedModelAdmin
from villages.models import Division

from .models import (
    BuildingPartyGroup,
    CareTag,
    Grid,
    GridAssignment,
    GridPartyBranch,
    GridRules,
    Household,
    PartyMember,
    ServiceCategory,
    ServiceItem,
    ServiceRequest,
    ServiceSubcategory,
)


class GridScopedAdmin(ScopedAdmin):
    pass  # foreign keys (grids, party members, …) are limited to the user's rows by admin_scope.ScopedForeignKeys


@admin.register(GridRules)
class GridRulesAdmin(GridScopedAdmin):
    scope_field = "county__code"
    list_display = ["county", "households_min", "households_max", "coverage_days"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "county":
            kwargs["queryset"] = Division.objects.visible_to(request.user).filter(level="county")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(CareTag)
class CareTagAdmin(ScopedModelAdmin):
    shared = "the care tags of households, one list for every county"
    list_display = ["name", "order", "active"]
    list_editable = ["order", "active"]


class AssignmentInline(ScopedInline):
    model = GridAssignment
    extra = 0
    fields = ["role", "user", "person_name", "start_date", "end_date"]
    raw_id_fields = ["user"]


@admin.register(Grid)
class GridAdmin(GridScopedAdmin):
    scope_field = "village__code"
    list_display = ["code", "name", "village", "kind", "dedicated_type"]
    list_filter = ["kind", "dedicated_type"]
    search_fields = ["code", "name", "village__name"]
    raw_id_fields = ["village"]
    inlines = [AssignmentInline]


@admin.register(GridPartyBranch)
class GridPartyBranchAdmin(GridScopedAdmin):
    scope_field = "grid__village__code"
    list_display = ["name", "grid", "secretary"]
    raw_id_fields = ["grid", "secretary"]


@admin.register(BuildingPartyGroup)
class BuildingPartyGroupAdmin(GridScopedAdmin):
    scope_field = "branch__grid__village__code"
    list_display = ["name", "branch", "building", "leader"]
    raw_id_fields = ["branch", "leader"]


@admin.register(PartyMember)
class PartyMemberAdmin(GridScopedAdmin):
    scope_field = "village__code"
    list_display = ["name", "village", "grid", "branch", "is_central_household"]
    search_fields = ["name", "village__name"]
    raw_id_fields = ["village", "grid", "party_group"]
    exclude = ["phone", "id_number"]  # personal data is edited in the application, where it is validated and masked


@admin.register(Household)
class HouseholdAdmin(GridScopedAdmin):
    scope_field = "grid__village__code"
    list_display = ["head_name", "address", "grid", "members_count", "linked_member"]
    search_fields = ["head_name", "address", "grid__code"]
    raw_id_fields = ["grid", "linked_member"]
    exclude = ["phone", "head_id_number"]  # as above


class SubcategoryInline(ScopedInline):
    model = ServiceSubcategory
    extra = 0


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(ScopedModelAdmin):
    shared = "the service catalogue, one for every county"
    list_display = ["name", "order"]
    inlines = [SubcategoryInline]


@admin.register(ServiceItem)
class ServiceItemAdmin(SimpleHistoryAdmin):
    shared = "the service catalogue, one for every county"
    list_display = ["name", "subcategory", "time_limit", "time_unit", "active"]
    list_filter = ["subcategory__category", "time_unit", "active"]
    list_editable = ["time_limit", "time_unit", "active"]
    search_fields = ["name"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    scope_field = "grid__village__code"
    list_display = ["pk", "item", "grid", "status", "due_at", "supervision_level"]
    list_filter = ["status", "supervision_level"]
    # The requester's phone is left out: personal data is shown, masked, in the application.
    readonly_fields = [f.name for f in ServiceRequest._meta.concrete_fields if f.name != "requester_phone"]
    exclude = ["requester_phone"]
