"""The follow-up records in the Django admin: shown within the user's scope, changed only through the
application (its services keep the rules). Record-book entries and publications can be neither changed nor
deleted here, by anyone, superusers included: they are append-only."""

from django.contrib import admin

from villages.admin_scope import ReadOnlyAdminMixin, ScopedModelAdmin

from ..admin import ReadOnlyScopedAdmin, ReadOnlyScopedRecordsAdmin
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
class EvaluationScaleAdmin(ScopedModelAdmin):
    """The scales are data a county may extend (a new wording); options from best to worst."""

    shared = "the wordings of the democratic evaluation's options, one list for every county"

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

    def limit_to_scope(self, request, qs):
        return qs.filter(pk__in=Problem.objects.visible_to(request.user).values("pk"))


@admin.register(CommonMeasure)
class CommonMeasureAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "campaign", "adopted_on"]

    def limit_to_scope(self, request, qs):
        return qs.filter(pk__in=CommonMeasure.objects.visible_to(request.user).values("pk"))


@admin.register(RectificationPlan)
class RectificationPlanAdmin(ReadOnlyScopedAdmin):
    list_display = ["village", "campaign"]


@admin.register(Measure)
class MeasureAdmin(ReadOnlyScopedAdmin):
    scope_field = "plan__village__code"
    list_display = ["content", "owner", "deadline", "status"]
    list_filter = ["status"]


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyScopedRecordsAdmin):  # an evidence file keeps no history
    scope_field = "measure__plan__village__code"
    list_display = ["original_name", "content_type", "size", "uploaded_at"]


class AppendOnlyAdmin(ReadOnlyAdminMixin, ScopedModelAdmin):
    """No change, no delete, no bulk delete action: for superusers too."""

    scope_field = "village__code"

    def get_actions(self, request):
        return {}


@admin.register(RecordEntry)
class RecordEntryAdmin(AppendOnlyAdmin):
    list_display = ["cadre", "book", "date", "written_by", "corrects"]
    list_filter = ["book"]


@admin.register(RecordBookPublication)
class RecordBookPublicationAdmin(AppendOnlyAdmin):
    list_display = ["village", "period", "published_at"]
