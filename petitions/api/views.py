"""Petitions, disputes and their rates over the API. Reads are scoped by ``visible_to``; every write goes
through the same service (and the same guard) as the browser."""

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from villages.api.caching import live_versions
from villages.api.schema import HEADERS, param, stats_responses
from villages.api.stats import StatsView
from villages.api.views import PersonalDataLogMixin
from villages.metrics import RULE_VERSION
from villages.models import Division
from villages.scopes import get_visible_or_404
from villages.stats import iso

from .. import services, tallies
from ..models import Dispute, Mediation, Petition, PetitionStep
from . import filters, serializers


def petition_queryset(user):
    return (
        Petition.objects.visible_to(user)
        .select_related("division", "registry_unit", "responsible_unit", "first_unit", "previous")
        .prefetch_related(
            "petitioners",
            Prefetch("steps", queryset=PetitionStep.objects.select_related("actor", "from_unit", "to_unit")),
        )
    )


def _division(user, code: str, field: str) -> Division:
    division = Division.objects.visible_to(user).filter(code=(code or "").strip()).first()
    if division is None:
        raise ValidationError({field: _("No division you can see has the code %(code)s.") % {"code": code}})
    return division


def _by_number(queryset, number: str, field: str):
    if not number:
        return None
    found = queryset.filter(number=number.strip().upper()).first()
    if found is None:
        raise ValidationError({field: _("No case you can see has the number %(n)s.") % {"n": number}})
    return found


REREVIEW = {"rereview": True}
STEP_BODIES = {
    "accept": (serializers.PetitionAcceptSerializer, services.petition_accept, {}),
    "assign": (serializers.PetitionAssignSerializer, services.petition_assign, {}),
    "refuse": (serializers.PetitionRefuseSerializer, services.petition_refuse, {}),
    "extend": (serializers.PetitionExtendSerializer, services.petition_extend, {}),
    "conclude": (serializers.PetitionConcludeSerializer, services.petition_conclude, {}),
    "deliver": (serializers.PetitionDeliverSerializer, services.petition_deliver, {}),
    "rate": (serializers.PetitionRateSerializer, services.petition_rate, {}),
    "return_visit": (serializers.PetitionReturnVisitSerializer, services.petition_return_visit, {}),
    "review_request": (serializers.PetitionReviewRequestSerializer, services.petition_request_review, {}),
    "review_answer": (serializers.PetitionReviewAnswerSerializer, services.petition_answer_review, {}),
    "rereview_request": (
        serializers.PetitionReviewRequestSerializer,
        services.petition_request_review,
        {"rereview": True},
    ),
    "rereview_answer": (
        serializers.PetitionReviewAnswerSerializer,
        services.petition_answer_review,
        {"rereview": True},
    ),
    "supervise": (serializers.PetitionSuperviseSerializer, services.petition_supervise, {}),
}


class PetitionViewSet(PersonalDataLogMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Petition cases with their petitioners (masked unless your role needs the numbers) and steps.

    Filter with `division=<code>`, `status=`, `channel=`, `kind=`, `flag=`, `period=YYYY|YYYY-MM`,
    `due_within=<days>`, `overdue=true`, `mine=true` (awaiting your step), `q=`. Each step of the course is a
    POST to `/petitions/{id}/<step>/`; a step the case's state does not allow answers 400 with the reason.
    """

    serializer_class = serializers.PetitionSerializer
    filterset_class = filters.PetitionFilter
    ordering_fields = ["received_on", "due_on", "number"]

    def get_queryset(self):
        return petition_queryset(self.request.user)

    @extend_schema(request=serializers.PetitionRegisterSerializer, responses={201: serializers.PetitionSerializer})
    def create(self, request):
        """Register a petition (登记)."""
        body = serializers.PetitionRegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["registry_unit"] = _division(request.user, data["registry_unit"], "registry_unit")
        data["division"] = _division(request.user, data["division"], "division")
        data["previous"] = _by_number(Petition.objects.visible_to(request.user), data["previous"], "previous")
        number = data.pop("dispute")
        data["dispute"] = None
        if number:
            data["dispute"] = Dispute.objects.visible_to(request.user).filter(number=number.strip().upper()).first()
            if data["dispute"] is None:
                raise ValidationError({"dispute": _("No dispute you can see has the number %(n)s.") % {"n": number}})
        data["petitioners"] = [dict(p) for p in data["petitioners"]]
        petition = services.petition_register(actor=request.user, **data)
        return Response(self._out(petition), status=status.HTTP_201_CREATED)

    def _out(self, petition):
        fresh = petition_queryset(self.request.user).get(pk=petition.pk)
        return serializers.PetitionSerializer(fresh, context=self.get_serializer_context()).data

    def _step(self, request, name):
        petition = self.get_object()
        services.check_step(request.user, petition, name)
        body_class, service, extra = STEP_BODIES[name]
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if name == "assign":
            data["unit"] = _division(request.user, data["unit"], "unit")
        service(actor=request.user, petition=petition, **data, **extra)
        return Response(self._out(petition))

    @extend_schema(request=serializers.PetitionAcceptSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """受理: your petition office takes the case on."""
        return self._step(request, "accept")

    @extend_schema(request=serializers.PetitionAssignSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """交办 or 转送: the case goes to the responsible unit."""
        return self._step(request, "assign")

    @extend_schema(request=serializers.PetitionRefuseSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def refuse(self, request, pk=None):
        """不予受理, with the written reason."""
        return self._step(request, "refuse")

    @extend_schema(request=serializers.PetitionExtendSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        """One extension of the handling deadline, approved by the unit's head."""
        return self._step(request, "extend")

    @extend_schema(request=serializers.PetitionConcludeSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def conclude(self, request, pk=None):
        """办结 with the written decision."""
        return self._step(request, "conclude")

    @extend_schema(request=serializers.PetitionDeliverSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def deliver(self, request, pk=None):
        """The decision delivered to the petitioner."""
        return self._step(request, "deliver")

    @extend_schema(request=serializers.PetitionRateSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def rate(self, request, pk=None):
        """The petitioner's satisfaction (first-time accepted cases only)."""
        return self._step(request, "rate")

    @extend_schema(request=serializers.PetitionReturnVisitSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"], url_path="return-visit")
    def return_visit(self, request, pk=None):
        """回访."""
        return self._step(request, "return_visit")

    @extend_schema(request=serializers.PetitionReviewRequestSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"], url_path="review-request")
    def review_request(self, request, pk=None):
        """A request for review (复查)."""
        return self._step(request, "review_request")

    @extend_schema(request=serializers.PetitionReviewAnswerSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"], url_path="review-answer")
    def review_answer(self, request, pk=None):
        """The review's answer."""
        return self._step(request, "review_answer")

    @extend_schema(request=serializers.PetitionReviewRequestSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"], url_path="rereview-request")
    def rereview_request(self, request, pk=None):
        """A request for re-review (复核)."""
        return self._step(request, "rereview_request")

    @extend_schema(request=serializers.PetitionReviewAnswerSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"], url_path="rereview-answer")
    def rereview_answer(self, request, pk=None):
        """The re-review's answer; the case is terminated (终结)."""
        return self._step(request, "rereview_answer")

    @extend_schema(request=serializers.PetitionSuperviseSerializer, responses=serializers.PetitionSerializer)
    @action(detail=True, methods=["post"])
    def supervise(self, request, pk=None):
        """督办 of an overdue case."""
        return self._step(request, "supervise")

    @extend_schema(
        request={"multipart/form-data": serializers.PetitionAttachmentSerializer},
        responses=serializers.PetitionSerializer,
    )
    @action(detail=True, methods=["post"], parser_classes=[MultiPartParser, FormParser])
    def attachments(self, request, pk=None):
        """Add an attachment (PDF, JPEG, PNG, Word or Excel; checked by its content)."""
        petition = self.get_object()
        services.check_step(request.user, petition, "attach")
        body = serializers.PetitionAttachmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.attachment_add(actor=request.user, petition=petition, file=body.validated_data["file"])
        return Response(self._out(petition), status=status.HTTP_201_CREATED)


class DisputeViewSet(PersonalDataLogMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Disputes screened where they arose, with parties (masked) and mediation rounds.

    Filter with `division=<code>`, `status=`, `category=`, `risk_level=`, `source=`, `period=`, `q=`.
    """

    serializer_class = serializers.DisputeSerializer
    filterset_class = filters.DisputeFilter
    ordering_fields = ["screened_on", "number"]

    def get_queryset(self):
        return (
            Dispute.objects.visible_to(self.request.user)
            .select_related("division", "petition")
            .prefetch_related("parties", Prefetch("mediations", queryset=Mediation.objects.order_by("started_on")))
        )

    def _out(self, dispute):
        fresh = self.get_queryset().get(pk=dispute.pk)
        return serializers.DisputeSerializer(fresh, context=self.get_serializer_context()).data

    @extend_schema(request=serializers.DisputeScreenSerializer, responses={201: serializers.DisputeSerializer})
    def create(self, request):
        """Record a dispute found by screening (排查)."""
        body = serializers.DisputeScreenSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        data["division"] = _division(request.user, data["division"], "division")
        data["parties"] = [dict(p) for p in data["parties"]]
        dispute = services.dispute_screen(actor=request.user, **data)
        return Response(self._out(dispute), status=status.HTTP_201_CREATED)

    def _run(self, request, name, body_class, service):
        dispute = self.get_object()
        services.check_dispute_step(request.user, dispute, name)
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        if name == "escalate":
            data["petition"] = _by_number(Petition.objects.visible_to(request.user), data["petition"], "petition")
        service(actor=request.user, dispute=dispute, **data)
        return Response(self._out(dispute))

    @extend_schema(request=serializers.DisputeMediateSerializer, responses=serializers.DisputeSerializer)
    @action(detail=True, methods=["post"])
    def mediate(self, request, pk=None):
        """A round of mediation (调处); `resolved` with the agreement settles the dispute."""
        return self._run(request, "mediate", serializers.DisputeMediateSerializer, services.dispute_mediate)

    @extend_schema(request=serializers.DisputeFollowUpSerializer, responses=serializers.DisputeSerializer)
    @action(detail=True, methods=["post"], url_path="follow-up")
    def follow_up(self, request, pk=None):
        """The follow-up of a resolved dispute."""
        return self._run(request, "follow_up", serializers.DisputeFollowUpSerializer, services.dispute_follow_up)

    @extend_schema(request=serializers.DisputeEscalateSerializer, responses=serializers.DisputeSerializer)
    @action(detail=True, methods=["post"])
    def escalate(self, request, pk=None):
        """Escalate into a petition case (by number) or a grid service request (named)."""
        return self._run(request, "escalate", serializers.DisputeEscalateSerializer, services.dispute_escalate)


class PetitionStatsView(StatsView):
    """Every petition and dispute rate of a division and its child divisions for a period.

    Each rate is `{numerator, denominator, rate, definition}`: `rate` is the fraction rounded to 4 decimals, or
    null when the denominator is 0. Satisfaction, participation and one-time resolution are credited to the
    unit that first handled each case. Computed from the cases as they stand (`computed_at`), throttled per token
    and answered 304 to a client whose copy is current (its ETag moves with every write in the county).
    """

    @extend_schema(
        parameters=[
            param("division", str, "411103000000", "12-digit division code", required=True),
            param("period", str, "2026", "YYYY, YYYY-Qn or YYYY-MM; this year if left out"),
            *HEADERS,
        ],
        responses=stats_responses(serializers.PetitionStatsSerializer),
    )
    def get(self, request):
        code = (request.query_params.get("division") or "").strip()
        if not code:
            raise ValidationError({"division": _("Give the division code.")})
        division = get_visible_or_404(Division.objects, request.user, code=code)
        period = tallies.parse_period(request.query_params.get("period"))
        # The rates count cases against today's date (overdue, deadlines): today is part of the answer's version.
        today = timezone.localdate()
        if response := self.not_modified(request, [period.key, today.isoformat(), live_versions(division.code)]):
            return response
        rates = tallies.petition_rates(division=division, period=period, today=today)
        return Response({**rates, "computed_at": iso(timezone.now()), "rule_version": RULE_VERSION})
