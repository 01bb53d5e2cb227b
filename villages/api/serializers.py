from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from villages.models import Adjustment, Cadre, Division, Post
from villages.scopes import sees_personal_data
from villages.validators import mask_id_number, mask_phone


class DivisionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)  # a province has none
    level_display = serializers.CharField(source="get_level_display", read_only=True)
    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    children_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Division
        fields = [
            "code",
            "name",
            "level",
            "level_display",
            "kind",
            "kind_display",
            "parent",
            "valid_from",
            "valid_to",
            "population",
            "households",
            "code_year",
            "urban_rural",
            "children_count",
        ]


class PostSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    committee_display = serializers.CharField(source="get_committee_display", read_only=True)
    title_display = serializers.CharField(source="get_title_display", read_only=True)
    cadre_name = serializers.CharField(source="cadre.name", read_only=True)

    class Meta:
        model = Post
        fields = [
            "id",
            "cadre",
            "cadre_name",
            "division",
            "committee",
            "committee_display",
            "title",
            "title_display",
            "start_date",
            "end_date",
        ]


class MaskedPersonalDataMixin:
    """Full ID and phone numbers and birth dates only for roles that need them; everyone else gets the masked form
    (the birth date: null, beside ``birth_year``)."""

    def _full(self, obj) -> bool:
        request = self.context.get("request")
        full = bool(request) and sees_personal_data(request.user, obj.division.code)
        shown = self.context.get("full_personal_data_shown")
        if full and shown is not None and obj not in shown:
            shown.append(obj)
        return full

    @extend_schema_field(serializers.CharField())
    def get_phone(self, obj):
        return obj.phone if self._full(obj) else mask_phone(obj.phone)

    @extend_schema_field(serializers.CharField())
    def get_id_number(self, obj):
        return obj.id_number if self._full(obj) else mask_id_number(obj.id_number)

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_birth_date(self, obj):
        return obj.birth_date if obj.birth_date and self._full(obj) else None


class CurrentPostSerializer(serializers.ModelSerializer):
    class Meta:
        model = Post
        fields = ["id", "committee", "title", "start_date"]


class CadreSerializer(MaskedPersonalDataMixin, serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    phone = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    birth_date = serializers.SerializerMethodField(
        help_text=_("The full date only for the roles that see personal data (null for the others: see birth_year).")
    )
    birth_year = serializers.IntegerField(read_only=True, allow_null=True)
    current_posts = CurrentPostSerializer(many=True, read_only=True)

    class Meta:
        model = Cadre
        fields = [
            "id",
            "division",
            "name",
            "gender",
            "birth_date",
            "birth_year",
            "education",
            "is_party_member",
            "party_branch",
            "phone",
            "id_number",
            "term_start_year",
            "active",
            "current_posts",
        ]


class AdjustmentSerializer(serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    outgoing_name = serializers.CharField(source="outgoing.name", read_only=True)
    incoming_name = serializers.CharField(source="incoming.name", read_only=True, default=None)
    post = CurrentPostSerializer(read_only=True)

    class Meta:
        model = Adjustment
        fields = [
            "id",
            "division",
            "kind",
            "post",
            "outgoing",
            "outgoing_name",
            "incoming",
            "incoming_name",
            "date",
            "reason",
            "approved_by",
            "created_at",
        ]


class HistoryEntrySerializer(serializers.Serializer):
    """One change to a record: who, when, what kind, and each field's old and new value."""

    date = serializers.DateTimeField()
    user = serializers.CharField(allow_null=True)
    action = serializers.CharField()
    changes = serializers.ListField(child=serializers.DictField())


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False)


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as `Authorization: Token <token>`. Shown only once."))
    expires = serializers.DateTimeField()
