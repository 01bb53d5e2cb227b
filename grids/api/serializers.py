from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from villages.scopes import sees_personal_data
from villages.validators import mask_phone

from ..choices import Channel, Rating, StepAction, SupervisionLevel
from ..models import Grid, Household, RequestStep, ServiceItem, ServiceRequest


class GridSerializer(serializers.ModelSerializer):
    village = serializers.SlugRelatedField(slug_field="code", read_only=True)
    village_name = serializers.CharField(source="village.name", read_only=True)
    households_count = serializers.IntegerField(read_only=True)
    boundary = serializers.JSONField(
        read_only=True, help_text=_("GeoJSON Polygon or MultiPolygon (longitude, latitude).")
    )

    class Meta:
        model = Grid
        fields = [
            "id",
            "code",
            "name",
            "village",
            "village_name",
            "kind",
            "dedicated_type",
            "boundary",
            "households_count",
        ]


class GeoJSONFeatureCollectionSerializer(serializers.Serializer):
    type = serializers.CharField()
    features = serializers.ListField(child=serializers.DictField())


def _full(context, code: str) -> bool:
    request = context.get("request")
    return bool(request) and sees_personal_data(request.user, code)


class HouseholdSerializer(serializers.ModelSerializer):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    phone = serializers.SerializerMethodField()
    care_tags = serializers.SlugRelatedField(slug_field="name", many=True, read_only=True)
    linked_member_name = serializers.CharField(source="linked_member.name", read_only=True, default=None)

    class Meta:
        model = Household
        fields = [
            "id",
            "grid",
            "address",
            "head_name",
            "members_count",
            "phone",
            "care_tags",
            "linked_member",
            "linked_member_name",
        ]

    @extend_schema_field(serializers.CharField())
    def get_phone(self, obj):
        """Masked unless the reader's role needs the full number."""
        return obj.phone if _full(self.context, obj.grid.village.code) else mask_phone(obj.phone)


class RequestStepSerializer(serializers.ModelSerializer):
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = RequestStep
        fields = ["action", "from_status", "to_status", "actor", "at", "from_unit", "to_unit", "note"]


class ServiceRequestSerializer(serializers.ModelSerializer):
    grid = serializers.SlugRelatedField(slug_field="code", read_only=True)
    item_name = serializers.CharField(source="item.name", read_only=True)
    requester_phone = serializers.SerializerMethodField()
    handler = serializers.SlugRelatedField(slug_field="username", read_only=True)
    overdue = serializers.BooleanField(read_only=True, help_text=_("Open past its due time, or closed after it."))
    steps = RequestStepSerializer(many=True, read_only=True)

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "grid",
            "household",
            "item",
            "item_name",
            "channel",
            "requester_name",
            "requester_phone",
            "description",
            "status",
            "reported_at",
            "due_at",
            "closed_at",
            "overdue",
            "current_unit",
            "handler",
            "rating",
            "rating_comment",
            "supervision_level",
            "steps",
        ]

    @extend_schema_field(serializers.CharField())
    def get_requester_phone(self, obj):
        return obj.requester_phone if _full(self.context, obj.grid.village.code) else mask_phone(obj.requester_phone)


class ServiceRequestCreateSerializer(serializers.Serializer):
    """A new request; the grid and household must be ones the caller may see."""

    grid = serializers.SlugRelatedField(slug_field="code", queryset=Grid.objects.none())
    item = serializers.PrimaryKeyRelatedField(queryset=ServiceItem.objects.filter(active=True))
    household = serializers.PrimaryKeyRelatedField(queryset=Household.objects.none(), required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.HOUSEHOLD)
    requester_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    requester_phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    description = serializers.CharField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["grid"].queryset = Grid.objects.visible_to(request.user).select_related("village")
            self.fields["household"].queryset = Household.objects.visible_to(request.user)


class StepSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[c for c in StepAction.choices if c[0] != StepAction.REPORT])
    note = serializers.CharField(required=False, allow_blank=True, default="")
    rating = serializers.ChoiceField(choices=Rating.choices, required=False, allow_blank=True, default="")
    to_unit = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    handler = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )


class SuperviseSerializer(serializers.Serializer):
    level = serializers.ChoiceField(choices=SupervisionLevel.choices)
    reason = serializers.CharField()


class ServiceItemSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="subcategory.category.name", read_only=True)
    subcategory = serializers.CharField(source="subcategory.name", read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "category", "subcategory", "name", "time_limit", "time_unit"]
