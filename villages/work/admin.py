"""The Django admin for the work records, scoped like villages/admin.py: a county administrator sees only the
records of their divisions. The meeting kinds are the county's data and are managed here."""

from django.contrib import admin

from villages.admin_history import AuditTrailAdmin as SimpleHistoryAdmin
from villages.admin_scope import ScopedInline

from .models import (
    CollectiveIncome,
    CollectiveProject,
    CollectiveProjectReturn,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    MeetingKind,
    MeetingMatter,
    PracticeStation,
    TrainingAttendance,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)


class WorkScopedAdmin(SimpleHistoryAdmin):
    # Defined here rather than imported from villages.admin, which imports this module. Foreign keys are limited
    # to the user's rows by admin_scope.ScopedForeignKeys.
    scope_field = "division__code"


@admin.register(MeetingKind)
class MeetingKindAdmin(SimpleHistoryAdmin):
    shared = "the kinds of villagers' meetings, one list for every county"
    list_display = ["name", "description", "sort_order", "active"]
    list_editable = ["sort_order", "active"]
    search_fields = ["name"]


@admin.register(CollectiveIncome)
class CollectiveIncomeAdmin(WorkScopedAdmin):
    list_display = ["division", "year", "land_transfer", "rent", "dividends", "services", "other", "assets"]
    list_filter = ["year"]
    search_fields = ["division__name", "division__code"]
    raw_id_fields = ["division"]


class ProjectReturnInline(ScopedInline):
    model = CollectiveProjectReturn
    extra = 0


@admin.register(CollectiveProject)
class CollectiveProjectAdmin(WorkScopedAdmin):
    list_display = ["name", "division", "kind", "status", "investment", "start_date", "payback_date"]
    list_filter = ["kind", "status", "funding_source", "branch_led"]
    search_fields = ["name", "division__name"]
    raw_id_fields = ["division"]
    inlines = [ProjectReturnInline]


@admin.register(CommonProsperityWorkshop)
class WorkshopAdmin(WorkScopedAdmin):
    list_display = ["name", "division", "jobs", "annual_rent", "annual_income", "opened_on", "closed_on"]
    search_fields = ["name", "partner", "division__name"]
    raw_id_fields = ["division"]


class MatterInline(ScopedInline):
    model = MeetingMatter
    extra = 0


@admin.register(VillagerMeeting)
class VillagerMeetingAdmin(WorkScopedAdmin):
    list_display = ["date", "kind", "division", "place", "attendance", "satisfied", "basically_satisfied"]
    list_filter = ["kind", "date"]
    search_fields = ["division__name", "place", "topic"]
    raw_id_fields = ["division"]
    inlines = [MatterInline]


@admin.register(PracticeStation)
class PracticeStationAdmin(WorkScopedAdmin):
    list_display = ["name", "level", "division", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "division__name"]
    raw_id_fields = ["division", "parent"]


@admin.register(VolunteerTeam)
class VolunteerTeamAdmin(WorkScopedAdmin):
    list_display = ["name", "focus", "members", "division"]
    list_filter = ["focus"]
    search_fields = ["name", "division__name"]
    raw_id_fields = ["division", "station"]


@admin.register(VolunteerActivity)
class VolunteerActivityAdmin(WorkScopedAdmin):
    list_display = ["date", "title", "kind", "participants", "division"]
    list_filter = ["kind", "date"]
    search_fields = ["title", "division__name"]
    raw_id_fields = ["division", "team", "station"]


@admin.register(InfrastructureProject)
class InfrastructureProjectAdmin(WorkScopedAdmin):
    list_display = ["name", "kind", "status", "division", "start_date", "completed_on"]
    list_filter = ["kind", "status"]
    search_fields = ["name", "division__name"]
    raw_id_fields = ["division"]


@admin.register(EnvironmentInspection)
class EnvironmentInspectionAdmin(WorkScopedAdmin):
    list_display = ["date", "division", "inspector", "result", "score"]
    list_filter = ["result", "date"]
    search_fields = ["division__name", "inspector"]
    raw_id_fields = ["division"]


class AttendanceInline(ScopedInline):
    model = TrainingAttendance
    extra = 0
    raw_id_fields = ["cadre"]


@admin.register(TrainingSession)
class TrainingSessionAdmin(WorkScopedAdmin):
    list_display = ["date", "title", "kind", "series", "division"]
    list_filter = ["kind", "date"]
    search_fields = ["title", "series"]
    raw_id_fields = ["division"]
    inlines = [AttendanceInline]
