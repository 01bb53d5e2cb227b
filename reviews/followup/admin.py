"""The follow-up records in the Django admin: shown within the user's scope, changed only through the
application (its services keep the rules). Record-book entries and publications can be neither changed nor
deleted here, by anyone, superusers included: they are append-only."""

from django.contrib import admin

from villages.scopes import scope_q

from ..admin import ReadOnlyScopedAdmin
from .models import (
    CommonMeasure,
    Evaluation,
    EvaluationMeeting,
    EvaluationScale,
    Evidence,
    Measure,
    Problem,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)


@admin.register(EvaluationScale)
class EvaluationScaleAdmin(admin.ModelAdmin):
    """The scales are data a county may extend (a new wording); options from best to worst."""

    list_display = ["name", "options", "failing"]


@admin.register(EvaluationMeeting)
class EvaluationMeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ["village", "year", "date", "organizer", "attendance", "expected"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyScopedAdmin):
    scope_field = "meeting__village__code"
    list_display = ["cadre", "year", "result", "failing", "flagged"]
    list_filter = ["flagged", "failing", "year"]


@admin.register(Talk)
class TalkAdmin(ReadOnlyScopedAdmin):
    list_display = ["cadre", "kind", "held_at", "talker", "village"]
    list_filter = ["kind"]


@admin.register(Problem)
class ProblemAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "kind", "check_item", "campaign"]
    list_filter = ["kind"]

    def get_queryset(self, request):
        return Problem.objects.visible_to(request.user)


@admin.register(CommonMeasure)
class CommonMeasureAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "campaign", "adopted_on"]

    def get_queryset(self, request):
        return CommonMeasure.objects.visible_to(request.user)


@admin.register(RectificationPlan)
class RectificationPlanAdmin(ReadOnlyScopedAdmin):
    list_display = ["village", "campaign"]


@admin.register(Measure)
class MeasureAdmin(ReadOnlyScopedAdmin):
    scope_field = "plan__village__code"
    list_display = ["content", "owner", "deadline", "status"]
    list_filter = ["status"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyScopedAdmin):
    scope_field = "measure__plan__village__code"
    list_display = ["original_name", "content_type", "size", "uploaded_at"]


class AppendOnlyAdmin(admin.ModelAdmin):
    """No change, no delete, no bulk delete action: for superusers too."""

    def get_queryset(self, request):
        return super().get_queryset(request).filter(scope_q(request.user, "village__code"))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


@admin.register(RecordEntry)
class RecordEntryAdmin(AppendOnlyAdmin):
    list_display = ["cadre", "book", "date", "written_by", "corrects"]
    list_filter = ["book"]


@admin.register(RecordBookPublication)
class RecordBookPublicationAdmin(AppendOnlyAdmin):
    list_display = ["village", "period", "published_at"]
