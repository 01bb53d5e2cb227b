"""The Django admin, scoped like villages/admin.py. A county sets its petition rules here; cases and disputes
are shown for reference only, since every change to them goes through the services (and their checks)."""

from django.contrib import admin

from villages.admin import ScopedAdmin
from villages.admin_scope import ReadOnlyAdminMixin, ScopedInline

from .models import DeadlineRules, Dispute, Mediation, Petition, Petitioner, PetitionStep


@admin.register(DeadlineRules)
class DeadlineRulesAdmin(ScopedAdmin):
    list_display = [
        "division", "acceptance_days", "handling_days", "max_extension_days", "review_request_days",
        "review_answer_days", "max_representatives", "satisfaction_counts_basic",
    ]  # fmt: skip
    raw_id_fields = ["division"]


class ReadOnlyAdmin(ReadOnlyAdminMixin, ScopedAdmin):
    """Petition records with their history: shown, changed only through the application."""


class PetitionerInline(ScopedInline):
    model = Petitioner
    fields = ["name", "address"]  # ID and phone numbers are shown, masked, in the application
    readonly_fields = fields
    extra = 0
    can_delete = False


class StepInline(ScopedInline):
    model = PetitionStep
    fields = ["on", "action", "actor", "from_unit", "to_unit", "note"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Petition)
class PetitionAdmin(ReadOnlyAdmin):
    list_display = ["number", "received_on", "channel", "kind", "subject", "division", "status", "due_on"]
    list_filter = ["status", "channel", "kind", "is_repeat", "is_group"]
    search_fields = ["number", "subject"]
    inlines = [PetitionerInline, StepInline]


class MediationInline(ScopedInline):
    model = Mediation
    fields = ["kind", "mediator", "method", "sessions", "started_on", "ended_on", "resolved"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Dispute)
class DisputeAdmin(ReadOnlyAdmin):
    list_display = ["number", "screened_on", "division", "category", "risk_level", "status"]
    list_filter = ["status", "category", "risk_level", "source"]
    search_fields = ["number", "summary"]
    inlines = [MediationInline]
