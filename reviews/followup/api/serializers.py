"""Output and input serializers of the follow-up API, kept apart: inputs carry ids and are checked by the
services, outputs carry codes and labels."""

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from villages.api.fields import scoped_codes
from villages.validators import NOTE_MAX, TEXT_MAX, event_date, planned_date

from ...api.serializers import _inline_choices
from ..choices import AdjustmentBasisKind, Book, MeasureStatus, ProblemKind, TalkKind
from ..models import (
    AdjustmentBasis,
    CommonMeasure,
    Evaluation,
    Evidence,
    Measure,
    Problem,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)


class EvaluationSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="meeting.village.code", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    meeting_date = serializers.DateField(source="meeting.date", read_only=True)
    organizer = serializers.CharField(source="meeting.organizer", read_only=True)
    expected = serializers.IntegerField(source="meeting.expected", read_only=True)
    attendance = serializers.IntegerField(source="meeting.attendance", read_only=True)
    scale = serializers.ListField(source="meeting.scale.options", child=serializers.CharField(), read_only=True)
    turnout = serializers.FloatField(read_only=True)

    class Meta:
        model = Evaluation
        fields = [
            "id",
            "village",
            "cadre",
            "cadre_name",
            "year",
            "meeting_date",
            "organizer",
            "expected",
            "attendance",
            "scale",
            "counts",
            "ballots",
            "turnout",
            "result",
            "failing",
            "flagged",
        ]


class TalkSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    kind = _inline_choices(TalkKind.choices)
    petition = serializers.CharField(source="petition.number", read_only=True, default=None)

    class Meta:
        model = Talk
        fields = [
            "id",
            "village",
            "cadre",
            "cadre_name",
            "kind",
            "talker",
            "note_taker",
            "held_at",
            "place",
            "reason",
            "review",
            "evaluation",
            "petition",
            "content",
            "commitment",
            "correction",
            "correction_deadline",
            "follow_up",
            "outcome",
            "followed_up_at",
        ]


class ProblemSerializer(serializers.ModelSerializer):
    kind = _inline_choices(ProblemKind.choices)
    check_name = serializers.CharField(source="check_item.name", read_only=True)
    # A common problem (共性) names villages across the county: the reader gets those in their scope.
    villages = scoped_codes(help_text=_("The villages with the problem that lie in your scope."))

    class Meta:
        model = Problem
        fields = [
            "id",
            "campaign",
            "kind",
            "check_item",
            "check_name",
            "title",
            "description",
            "source",
            "review",
            "villages",
            "created_at",
        ]


class ProblemInputSerializer(serializers.Serializer):
    campaign = serializers.IntegerField()
    check_item = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ProblemKind.choices)
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    source = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    villages = serializers.ListField(child=serializers.RegexField(r"^\d{12}$"), min_length=1)


class CommonMeasureSerializer(serializers.ModelSerializer):
    county = serializers.CharField(source="county.code", read_only=True)

    class Meta:
        model = CommonMeasure
        fields = ["id", "county", "campaign", "title", "description", "adopted_on", "problems"]


class PlanSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    total = serializers.IntegerField(read_only=True)
    open = serializers.IntegerField(read_only=True)
    closed = serializers.IntegerField(read_only=True)
    overdue = serializers.IntegerField(read_only=True)

    class Meta:
        model = RectificationPlan
        fields = ["id", "campaign", "village", "village_name", "summary", "total", "open", "closed", "overdue"]


class EvidenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Evidence
        fields = ["id", "original_name", "content_type", "size", "sha256", "description", "uploaded_at"]


class MeasureSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="plan.village.code", read_only=True)
    status = _inline_choices(MeasureStatus.choices)
    overdue = serializers.BooleanField(source="is_overdue", read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)

    class Meta:
        model = Measure
        fields = [
            "id",
            "plan",
            "village",
            "problem",
            "common_measure",
            "content",
            "owner",
            "deadline",
            "status",
            "overdue",
            "completed_on",
            "closed_at",
            "verification_note",
            "evidence",
        ]


class MeasureInputSerializer(serializers.Serializer):
    plan = serializers.IntegerField()
    content = serializers.CharField(max_length=TEXT_MAX)
    owner = serializers.CharField(max_length=100)
    deadline = serializers.DateField(validators=[planned_date])
    problem = serializers.IntegerField(required=False, allow_null=True, default=None)
    common_measure = serializers.IntegerField(required=False, allow_null=True, default=None)


class MeasureNoteInputSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class MeasureReasonInputSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=NOTE_MAX)


class MeasureDoneInputSerializer(serializers.Serializer):
    completed_on = serializers.DateField(required=False, allow_null=True, default=None, validators=[event_date])


class EvidenceInputSerializer(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=True)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class RecordEntrySerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    book = _inline_choices(Book.choices)

    class Meta:
        model = RecordEntry
        fields = ["id", "village", "cadre", "cadre_name", "book", "date", "content", "corrects", "written_at"]


class RecordEntryInputSerializer(serializers.Serializer):
    cadre = serializers.IntegerField()
    book = serializers.ChoiceField(choices=Book.choices)
    date = serializers.DateField(validators=[event_date])
    content = serializers.CharField(max_length=TEXT_MAX)
    corrects = serializers.IntegerField(required=False, allow_null=True, default=None)


class PublicationSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="village.code", read_only=True)

    class Meta:
        model = RecordBookPublication
        fields = ["id", "village", "period", "published_at", "entries"]


class AdjustmentBasisSerializer(serializers.ModelSerializer):
    village = serializers.CharField(source="adjustment.division.code", read_only=True)
    kind = _inline_choices(AdjustmentBasisKind.choices)
    adjustment_kind = serializers.CharField(source="adjustment.kind", read_only=True)
    outgoing = serializers.CharField(source="adjustment.outgoing.name", read_only=True)
    post = serializers.CharField(source="adjustment.post", read_only=True)
    date = serializers.DateField(source="adjustment.date", read_only=True)
    reason = serializers.CharField(source="adjustment.reason", read_only=True)
    approved_by = serializers.CharField(source="adjustment.approved_by", read_only=True)

    class Meta:
        model = AdjustmentBasis
        fields = [
            "id",
            "adjustment",
            "village",
            "kind",
            "review",
            "evaluation",
            "talk",
            "adjustment_kind",
            "outgoing",
            "post",
            "date",
            "reason",
            "approved_by",
        ]
