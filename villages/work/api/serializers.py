from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from ..models import (
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


class ListedChoiceField(serializers.ChoiceField):
    """A choice field the schema describes as a pattern of its values, not as an enum.

    The schema makes a component of every enum, named after its field; "kind", "status" and "level" name
    different choice sets in different apps, which would collide.
    """


class ListedChoiceFieldExtension(OpenApiSerializerFieldExtension):
    target_class = ListedChoiceField

    def map_serializer_field(self, auto_schema, direction):
        values = list(self.target.choices)
        return {
            "type": "string",
            "pattern": "^(" + "|".join(values) + ")$",
            "description": "One of: " + ", ".join(values),
        }


class _WorkSerializer(serializers.ModelSerializer):
    serializer_choice_field = ListedChoiceField


class _DivisionFields(_WorkSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)


class IncomeSerializer(_DivisionFields):
    total = serializers.DecimalField(max_digits=16, decimal_places=2, read_only=True)

    class Meta:
        model = CollectiveIncome
        fields = [
            "id", "division", "division_name", "year", "land_transfer", "land_transfer_area", "rent", "dividends",
            "services", "other", "total", "assets", "notes",
        ]  # fmt: skip


class ProjectReturnSerializer(serializers.ModelSerializer):
    class Meta:
        model = CollectiveProjectReturn
        fields = ["year", "amount", "note"]


class ProjectSerializer(_DivisionFields):
    returns = ProjectReturnSerializer(many=True, read_only=True)

    class Meta:
        model = CollectiveProject
        fields = [
            "id", "division", "division_name", "name", "kind", "status", "branch_led", "investment",
            "funding_source", "funding_note", "start_date", "payback_years", "payback_date", "description", "returns",
        ]  # fmt: skip


class WorkshopSerializer(_DivisionFields):
    class Meta:
        model = CommonProsperityWorkshop
        fields = [
            "id", "division", "division_name", "name", "partner", "opened_on", "closed_on", "jobs", "annual_rent",
            "annual_income", "description",
        ]  # fmt: skip


class MeetingKindSerializer(serializers.ModelSerializer):
    class Meta:
        model = MeetingKind
        fields = ["id", "name", "description", "active"]


class MatterSerializer(_WorkSerializer):
    outcome_display = serializers.CharField(source="get_outcome_display", read_only=True)

    class Meta:
        model = MeetingMatter
        fields = ["id", "position", "description", "outcome", "outcome_display", "reference", "settled_on"]


class MeetingSerializer(_DivisionFields):
    kind = serializers.CharField(source="kind.name", read_only=True)
    matters = MatterSerializer(many=True, read_only=True)

    class Meta:
        model = VillagerMeeting
        fields = [
            "id", "division", "division_name", "kind", "date", "place", "host", "topic", "attendance", "satisfied",
            "basically_satisfied", "dissatisfied", "notes", "matters",
        ]  # fmt: skip


class StationSerializer(_DivisionFields):
    parent_name = serializers.CharField(source="parent.name", read_only=True, default=None)

    class Meta:
        model = PracticeStation
        fields = ["id", "division", "division_name", "name", "level", "parent", "parent_name", "address", "opened_on"]


class TeamSerializer(_DivisionFields):
    class Meta:
        model = VolunteerTeam
        fields = ["id", "division", "division_name", "name", "focus", "members", "station", "leader", "founded_on"]


class ActivitySerializer(_DivisionFields):
    class Meta:
        model = VolunteerActivity
        fields = [
            "id", "division", "division_name", "date", "title", "kind", "participants", "beneficiaries", "team",
            "station",
        ]  # fmt: skip


class InfrastructureSerializer(_DivisionFields):
    class Meta:
        model = InfrastructureProject
        fields = [
            "id", "division", "division_name", "name", "kind", "status", "start_date", "completed_on", "investment",
            "funding_source", "notes",
        ]  # fmt: skip


class InspectionSerializer(_DivisionFields):
    class Meta:
        model = EnvironmentInspection
        fields = ["id", "division", "division_name", "date", "inspector", "result", "score", "findings", "rectify_by"]


class TrainingSessionSerializer(_DivisionFields):
    class Meta:
        model = TrainingSession
        fields = [
            "id", "division", "division_name", "kind", "title", "series", "date", "end_date", "place", "hours",
            "speakers", "notes",
        ]  # fmt: skip


class AttendanceSerializer(_WorkSerializer):
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)
    division = serializers.CharField(source="cadre.division.code", read_only=True)

    class Meta:
        model = TrainingAttendance
        fields = ["id", "session", "cadre", "cadre_name", "division", "role", "status"]


class FiguresSerializer(serializers.Serializer):
    """A year's work figures for one division: counts, and every rate as its numerator and denominator."""

    division = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    year = serializers.IntegerField()
    villages = serializers.IntegerField()
    income = serializers.DecimalField(max_digits=16, decimal_places=2)
    income_previous = serializers.DecimalField(max_digits=16, decimal_places=2)
    income_growth = serializers.SerializerMethodField()
    villages_compared = serializers.IntegerField()
    villages_growing = serializers.IntegerField()
    assets = serializers.DecimalField(max_digits=16, decimal_places=2)
    meetings = serializers.IntegerField()
    attendance = serializers.IntegerField()
    matters = serializers.IntegerField()
    matters_settled = serializers.IntegerField()
    good_deeds = serializers.IntegerField()
    disputes_mediated = serializers.IntegerField()
    petitions_resolved = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    basically_satisfied = serializers.IntegerField()
    dissatisfied = serializers.IntegerField()
    volunteer_activities = serializers.IntegerField()
    volunteer_participants = serializers.IntegerField()
    inspections = serializers.IntegerField()
    inspections_passed = serializers.IntegerField()
    infrastructure_projects = serializers.IntegerField()
    infrastructure_completed = serializers.IntegerField()
    training_attended = serializers.IntegerField()

    @extend_schema_field(
        {
            "type": "object",
            "properties": {"numerator": {"type": "string"}, "denominator": {"type": "string"}},
            "nullable": True,
        }
    )
    def get_income_growth(self, obj):
        """(this year − last year) ÷ last year, as numerator and denominator; null without last year's income."""
        if not obj["income_previous"]:
            return None
        return {
            "numerator": f"{obj['income'] - obj['income_previous']:.2f}",
            "denominator": f"{obj['income_previous']:.2f}",
        }
