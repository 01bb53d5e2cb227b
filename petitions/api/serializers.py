"""Petitions and disputes over the API. Output and input serializers are kept apart: cases and disputes are
read with their people (masked unless the role needs the full numbers) and steps, and written only through
the services, one input serializer per step."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from villages.scopes import sees_personal_data
from villages.validators import NOTE_MAX, TEXT_MAX, event_date, mask_id_number, mask_phone

from ..choices import (
    Channel,
    Decision,
    Delivery,
    DisputeCategory,
    DisputeSource,
    Kind,
    MediationKind,
    MediationMethod,
    ReviewResult,
    RiskLevel,
    Satisfaction,
)
from ..models import Dispute, Mediation, Petition, PetitionStep


class PetitionPersonSerializer(serializers.Serializer):
    name = serializers.CharField()
    id_number = serializers.CharField(allow_blank=True, help_text=_("Masked unless your role needs it."))
    phone = serializers.CharField(allow_blank=True, help_text=_("Masked unless your role needs it."))


class _PeopleMixin:
    def _people(self, obj, people, *, address=False) -> list[dict]:
        request = self.context.get("request")
        full = bool(request) and sees_personal_data(request.user, obj.division.code)
        shown = self.context.get("full_personal_data_shown")
        if full and shown is not None:
            shown.extend(people)
        rows = []
        for p in people:
            row = {
                "name": p.name,
                "id_number": p.id_number if full else mask_id_number(p.id_number),
                "phone": p.phone if full else mask_phone(p.phone),
            }
            if address:
                row["address"] = p.address
            rows.append(row)
        return rows


class PetitionStepSerializer(serializers.ModelSerializer):
    action_display = serializers.CharField(source="get_action_display", read_only=True)
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    from_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    to_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = PetitionStep
        fields = ["action", "action_display", "on", "at", "actor", "from_unit", "to_unit", "note"]


class PetitionerOutSerializer(PetitionPersonSerializer):
    address = serializers.CharField(allow_blank=True)


class PetitionSerializer(_PeopleMixin, serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    registry_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    responsible_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    first_unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    previous = serializers.SlugRelatedField(slug_field="number", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.SerializerMethodField()
    petitioners = serializers.SerializerMethodField()
    steps = PetitionStepSerializer(many=True, read_only=True)

    class Meta:
        model = Petition
        fields = [
            "id", "number", "division", "division_name", "registry_unit", "grid_reference", "channel", "kind",
            "subject", "content", "received_on", "is_group", "group_size", "is_repeat", "previous",
            "is_level_skipping", "is_leader_owned", "leader_name", "status", "status_display", "due_on", "overdue",
            "acceptance_due", "intake", "decided_on", "refusal_reason", "responsible_unit", "first_unit",
            "accepted_on", "handling_due", "extension_days", "extension_approved_by", "extension_reason",
            "extension_notified_on", "concluded_on", "decision", "decision_text", "delivered_on", "delivery_method",
            "appeal_until", "satisfaction", "rated_on", "return_visited_on", "return_visit_note",
            "review_requested_on", "review_due", "review_answered_on", "review_by", "review_result", "review_text",
            "rereview_requested_on", "rereview_due", "rereview_answered_on", "rereview_by", "rereview_result",
            "rereview_text", "supervised_on", "supervision_count", "petitioners", "steps",
        ]  # fmt: skip

    @extend_schema_field(serializers.BooleanField())
    def get_overdue(self, obj) -> bool:
        return obj.is_overdue()

    @extend_schema_field(PetitionerOutSerializer(many=True))
    def get_petitioners(self, obj):
        return self._people(obj, obj.petitioners.all(), address=True)


class PetitionerInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")
    address = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class PetitionRegisterSerializer(serializers.Serializer):
    registry_unit = serializers.CharField(help_text=_("Code of the petition office registering the case."))
    division = serializers.CharField(help_text=_("Code of the county, township or village the matter concerns."))
    channel = serializers.ChoiceField(choices=Channel.choices)
    kind = serializers.ChoiceField(choices=Kind.choices)
    subject = serializers.CharField(max_length=200)
    content = serializers.CharField(max_length=TEXT_MAX)
    received_on = serializers.DateField(validators=[event_date])
    petitioners = PetitionerInSerializer(many=True)
    grid_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    is_group = serializers.BooleanField(required=False, default=False)
    group_size = serializers.IntegerField(required=False, allow_null=True, default=None)
    is_level_skipping = serializers.BooleanField(required=False, default=False)
    is_leader_owned = serializers.BooleanField(required=False, default=False)
    leader_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    is_repeat = serializers.BooleanField(required=False, default=False)
    previous = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Number of the earlier case, for a repeat.")
    )
    dispute = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Number of the dispute this petition escalates.")
    )


class PetitionOnSerializer(serializers.Serializer):
    on = serializers.DateField(
        required=False, help_text=_("The day the step was taken; today if left out."), validators=[event_date]
    )


class PetitionAcceptSerializer(PetitionOnSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class PetitionAssignSerializer(PetitionAcceptSerializer):
    unit = serializers.CharField(help_text=_("Code of the responsible county or township unit."))
    forward = serializers.BooleanField(required=False, default=False, help_text=_("转送 instead of 交办."))


class PetitionRefuseSerializer(PetitionOnSerializer):
    reason = serializers.CharField(max_length=NOTE_MAX)


class PetitionExtendSerializer(PetitionOnSerializer):
    days = serializers.IntegerField(min_value=1)
    approved_by = serializers.CharField(max_length=50)
    reason = serializers.CharField(max_length=NOTE_MAX)
    notified_on = serializers.DateField(validators=[event_date])


class PetitionConcludeSerializer(PetitionOnSerializer):
    decision = serializers.ChoiceField(choices=Decision.choices)
    decision_text = serializers.CharField(max_length=TEXT_MAX)


class PetitionDeliverSerializer(PetitionOnSerializer):
    method = serializers.ChoiceField(choices=Delivery.choices)


class PetitionRateSerializer(PetitionOnSerializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)


class PetitionReturnVisitSerializer(PetitionOnSerializer):
    note = serializers.CharField(max_length=NOTE_MAX)
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices, required=False, allow_blank=True, default="")


class PetitionReviewRequestSerializer(PetitionOnSerializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=NOTE_MAX)


class PetitionReviewAnswerSerializer(PetitionOnSerializer):
    result = serializers.ChoiceField(choices=ReviewResult.choices)
    text = serializers.CharField(max_length=TEXT_MAX)
    reviewing_body = serializers.CharField(max_length=100)


class PetitionSuperviseSerializer(PetitionOnSerializer):
    note = serializers.CharField(max_length=NOTE_MAX)


class PetitionAttachmentSerializer(serializers.Serializer):
    file = serializers.FileField()


class MediationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Mediation
        fields = [
            "id", "kind", "mediator", "method", "sessions", "started_on", "ended_on", "agreement", "resolved",
            "follow_up", "followed_up_on",
        ]  # fmt: skip


class DisputeSerializer(_PeopleMixin, serializers.ModelSerializer):
    division = serializers.SlugRelatedField(slug_field="code", read_only=True)
    division_name = serializers.CharField(source="division.name", read_only=True)
    petition = serializers.SlugRelatedField(slug_field="number", read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    parties = serializers.SerializerMethodField()
    mediations = MediationSerializer(many=True, read_only=True)

    class Meta:
        model = Dispute
        fields = [
            "id", "number", "division", "division_name", "source", "grid_reference", "screened_on", "category",
            "risk_level", "summary", "status", "status_display", "resolved_on", "petition", "grid_request_ref",
            "escalated_on", "parties", "mediations",
        ]  # fmt: skip

    @extend_schema_field(PetitionPersonSerializer(many=True))
    def get_parties(self, obj):
        return self._people(obj, obj.parties.all())


class DisputePartyInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=50)
    id_number = serializers.CharField(max_length=18, required=False, allow_blank=True, default="")
    phone = serializers.CharField(max_length=11, required=False, allow_blank=True, default="")


class DisputeScreenSerializer(serializers.Serializer):
    division = serializers.CharField(help_text=_("Code of the township, village or community where it arose."))
    source = serializers.ChoiceField(choices=DisputeSource.choices)
    grid_reference = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    screened_on = serializers.DateField(validators=[event_date])
    category = serializers.ChoiceField(choices=DisputeCategory.choices)
    risk_level = serializers.ChoiceField(choices=RiskLevel.choices)
    summary = serializers.CharField(max_length=TEXT_MAX)
    parties = DisputePartyInSerializer(many=True)


class DisputeMediateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=MediationKind.choices)
    mediator = serializers.CharField(max_length=100)
    method = serializers.ChoiceField(choices=MediationMethod.choices)
    sessions = serializers.IntegerField(min_value=1)
    started_on = serializers.DateField(validators=[event_date])
    ended_on = serializers.DateField(validators=[event_date])
    agreement = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)
    resolved = serializers.BooleanField(required=False, default=False)
    follow_up = serializers.CharField(required=False, allow_blank=True, default="", max_length=TEXT_MAX)


class DisputeFollowUpSerializer(PetitionOnSerializer):
    note = serializers.CharField(max_length=NOTE_MAX)


class DisputeEscalateSerializer(PetitionOnSerializer):
    petition = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=_("Case number."), max_length=20
    )
    grid_request_ref = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


class PetitionStatsRateFigureSerializer(serializers.Serializer):
    numerator = serializers.IntegerField()
    denominator = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True, help_text=_("numerator ÷ denominator, 4 decimals; null if 0/0."))
    definition = serializers.CharField()


class PetitionStatsRatesSerializer(serializers.Serializer):
    """One entry per key of ``tallies.RATE_KEYS``."""

    timely_acceptance = PetitionStatsRateFigureSerializer()
    on_time_completion = PetitionStatsRateFigureSerializer()
    completion = PetitionStatsRateFigureSerializer()
    dispute_resolution = PetitionStatsRateFigureSerializer()
    first_time_resolution = PetitionStatsRateFigureSerializer()
    participation = PetitionStatsRateFigureSerializer()
    satisfaction = PetitionStatsRateFigureSerializer()


class PetitionStatsChildRatesSerializer(serializers.Serializer):
    division = serializers.CharField()
    name = serializers.CharField()
    level = serializers.CharField()
    rates = PetitionStatsRatesSerializer()


class PetitionStatsSerializer(serializers.Serializer):
    division = serializers.CharField()
    name = serializers.CharField()
    period = serializers.CharField()
    start = serializers.DateField()
    end = serializers.DateField()
    rates = PetitionStatsRatesSerializer()
    children = PetitionStatsChildRatesSerializer(many=True)
    computed_at = serializers.DateTimeField(help_text="when these rates were computed (from the cases as they stand)")
    rule_version = serializers.CharField(help_text="the version of the rules they were computed under")
