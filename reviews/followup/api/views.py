"""The follow-up API: scoped reads of evaluations, talks, problems, common measures, plans, measures, record
books and adjustments; writes of problems, measures (and their transitions and evidence) and record-book entries
through the same services as the pages. Record-book entries have no update or delete: 405."""

from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from reviews.models import Campaign, Check
from villages.api.permissions import HasScope
from villages.models import Cadre, Division
from villages.scopes import get_visible_or_404, has_role, require_role

from .. import selectors, services
from ..choices import FOLLOWUP_READERS, MeasureStatus
from ..models import (
    AdjustmentBasis,
    CommonMeasure,
    Evaluation,
    Measure,
    Problem,
    RecordBookPublication,
    RecordEntry,
    RectificationPlan,
    Talk,
)
from . import filters, serializers


class ReadsFollowup(HasScope):
    """Out of scope is 404 (the queryset); in scope without a reading role 403 (here). Writes are checked again,
    role by role, by the services."""

    def has_object_permission(self, request, view, obj):
        return view.may_read(obj)


class FollowupViewSet(viewsets.GenericViewSet):
    permission_classes = [ReadsFollowup]
    model = None
    code_path = "village__code"
    related = ()

    def get_queryset(self):
        qs = self.model.objects.visible_to(self.request.user, roles=FOLLOWUP_READERS if self.action == "list" else None)
        return qs.select_related(*self.related).order_by("pk")

    def may_read(self, obj) -> bool:
        code = obj
        for part in self.code_path.split("__"):
            code = getattr(code, part)
        return has_role(self.request.user, code, FOLLOWUP_READERS)


class ReadOnly(mixins.ListModelMixin, mixins.RetrieveModelMixin):
    pass


class EvaluationViewSet(ReadOnly, FollowupViewSet):
    """Democratic evaluations: per cadre per year, the meeting, the votes per option, turnout and result;
    `flagged=true` lists the cadres the county must look at."""

    model = Evaluation
    code_path = "meeting__village__code"
    related = ("meeting__village", "meeting__scale", "cadre")
    serializer_class = serializers.EvaluationSerializer
    filterset_class = filters.EvaluationFilter


class TalkViewSet(ReadOnly, FollowupViewSet):
    model = Talk
    related = ("village", "cadre", "petition")
    serializer_class = serializers.TalkSerializer
    filterset_class = filters.TalkFilter


class ProblemViewSet(ReadOnly, mixins.CreateModelMixin, FollowupViewSet):
    """Problems filed under a check, common (共性, many villages) or particular (个性, one village)."""

    model = Problem
    related = ("check_item",)
    filterset_class = filters.ProblemFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("villages")

    def get_serializer_class(self):
        return serializers.ProblemInputSerializer if self.action == "create" else serializers.ProblemSerializer

    def may_read(self, obj) -> bool:
        return Problem.objects.visible_to(self.request.user, roles=FOLLOWUP_READERS).filter(pk=obj.pk).exists()

    @extend_schema(request=serializers.ProblemInputSerializer, responses=serializers.ProblemSerializer)
    def create(self, request, *args, **kwargs):
        body = serializers.ProblemInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        campaign = get_visible_or_404(
            Campaign.objects.select_related("division"), request.user, pk=data.pop("campaign")
        )
        check = Check.objects.filter(pk=data.pop("check_item")).first()
        if check is None:
            raise NotFound
        codes = data.pop("villages")
        villages = list(Division.objects.visible_to(request.user).filter(code__in=codes))
        if len(villages) != len(set(codes)):
            raise NotFound
        problem = services.problem_create(actor=request.user, campaign=campaign, check=check, villages=villages, **data)
        out = serializers.ProblemSerializer(
            self.get_queryset().get(pk=problem.pk), context=self.get_serializer_context()
        ).data
        return Response(out, status=status.HTTP_201_CREATED)


class CommonMeasureViewSet(ReadOnly, FollowupViewSet):
    model = CommonMeasure
    code_path = "county__code"
    related = ("county",)
    serializer_class = serializers.CommonMeasureSerializer

    def get_queryset(self):
        # The county's measure answers problems across the county: the reader gets the ids of those they may read.
        visible = Problem.objects.visible_to(self.request.user, roles=FOLLOWUP_READERS).only("pk")
        return super().get_queryset().prefetch_related(Prefetch("problems", queryset=visible))

    def may_read(self, obj) -> bool:
        return CommonMeasure.objects.visible_to(self.request.user, roles=FOLLOWUP_READERS).filter(pk=obj.pk).exists()


class PlanViewSet(ReadOnly, FollowupViewSet):
    model = RectificationPlan
    related = ("village",)
    serializer_class = serializers.PlanSerializer

    def get_queryset(self):
        today = timezone.localdate()
        return (
            super()
            .get_queryset()
            .annotate(
                total=Count("measures"),
                open=Count("measures", filter=Q(measures__status=MeasureStatus.IN_PROGRESS)),
                closed=Count("measures", filter=Q(measures__status=MeasureStatus.CLOSED)),
                overdue=Count(
                    "measures", filter=Q(measures__status=MeasureStatus.IN_PROGRESS, measures__deadline__lt=today)
                ),
            )
        )


class MeasureViewSet(ReadOnly, mixins.CreateModelMixin, FollowupViewSet):
    """Measures of the plans: add one, report it done (after uploading evidence), verify and close it (销号) or
    send it back. `overdue=true` lists the late ones."""

    model = Measure
    code_path = "plan__village__code"
    related = ("plan__village",)
    filterset_class = filters.MeasureFilter

    def get_queryset(self):
        return super().get_queryset().prefetch_related("evidence")

    def get_serializer_class(self):
        return serializers.MeasureInputSerializer if self.action == "create" else serializers.MeasureSerializer

    def _fresh(self, measure, code=status.HTTP_200_OK):
        return Response(serializers.MeasureSerializer(self.get_queryset().get(pk=measure.pk)).data, status=code)

    @extend_schema(request=serializers.MeasureInputSerializer, responses=serializers.MeasureSerializer)
    def create(self, request, *args, **kwargs):
        body = serializers.MeasureInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        plan = get_visible_or_404(
            RectificationPlan.objects.select_related("village"), request.user, pk=data.pop("plan")
        )
        problem_id, common_id = data.pop("problem"), data.pop("common_measure")
        problem = get_object_or_404(Problem, pk=problem_id) if problem_id else None
        common = get_object_or_404(CommonMeasure, pk=common_id) if common_id else None
        measure = services.measure_add(actor=request.user, plan=plan, problem=problem, common_measure=common, **data)
        return self._fresh(measure, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.MeasureDoneInputSerializer, responses=serializers.MeasureSerializer)
    @action(detail=True, methods=["post"])
    def done(self, request, pk=None):
        measure = self.get_object()
        body = serializers.MeasureDoneInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.measure_report_done(actor=request.user, measure=measure, **body.validated_data)
        return self._fresh(measure)

    @extend_schema(request=serializers.MeasureNoteInputSerializer, responses=serializers.MeasureSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        measure = self.get_object()
        body = serializers.MeasureNoteInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.measure_close(actor=request.user, measure=measure, **body.validated_data)
        return self._fresh(measure)

    @extend_schema(request=serializers.MeasureReasonInputSerializer, responses=serializers.MeasureSerializer)
    @action(detail=True, methods=["post"], url_path="send-back")
    def send_back(self, request, pk=None):
        measure = self.get_object()
        require_role(request.user, measure.plan.village.code, services.MEASURE_VERIFIERS)
        body = serializers.MeasureReasonInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.measure_send_back(actor=request.user, measure=measure, **body.validated_data)
        return self._fresh(measure)

    @extend_schema(
        request={"multipart/form-data": serializers.EvidenceInputSerializer}, responses=serializers.MeasureSerializer
    )
    @action(detail=True, methods=["post"])
    def evidence(self, request, pk=None):
        """Upload one evidence file (PDF, JPEG or PNG; the content decides, not the name)."""
        measure = self.get_object()
        require_role(request.user, measure.plan.village.code, services.MEASURE_REPORTERS)
        body = serializers.EvidenceInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.evidence_upload(actor=request.user, measure=measure, **body.validated_data)
        return self._fresh(measure, status.HTTP_201_CREATED)


class RecordEntryViewSet(ReadOnly, mixins.CreateModelMixin, FollowupViewSet):
    """Record-book entries (red, black, blue). Append-only: no update or delete; a correction is a new entry with
    `corrects` set to the entry it corrects."""

    model = RecordEntry
    related = ("village", "cadre")
    filterset_class = filters.RecordEntryFilter

    def get_serializer_class(self):
        return serializers.RecordEntryInputSerializer if self.action == "create" else serializers.RecordEntrySerializer

    @extend_schema(request=serializers.RecordEntryInputSerializer, responses=serializers.RecordEntrySerializer)
    def create(self, request, *args, **kwargs):
        body = serializers.RecordEntryInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        cadre = get_visible_or_404(Cadre.objects.select_related("division"), request.user, pk=data.pop("cadre"))
        corrects_id = data.pop("corrects")
        corrects = RecordEntry.objects.filter(pk=corrects_id).first() if corrects_id else None
        if corrects_id and corrects is None:
            raise NotFound
        entry = services.record_entry_add(actor=request.user, cadre=cadre, corrects=corrects, **data)
        out = serializers.RecordEntrySerializer(self.get_queryset().get(pk=entry.pk)).data
        return Response(out, status=status.HTTP_201_CREATED)


class PublicationViewSet(ReadOnly, FollowupViewSet):
    model = RecordBookPublication
    related = ("village",)
    serializer_class = serializers.PublicationSerializer


class AdjustmentBasisViewSet(ReadOnly, FollowupViewSet):
    model = AdjustmentBasis
    code_path = "adjustment__division__code"
    related = ("adjustment__division", "adjustment__outgoing", "adjustment__post")
    serializer_class = serializers.AdjustmentBasisSerializer


class SummaryView(APIView):
    """The live figures of one division's rectification: problems by check and kind, plans by progress,
    measures by status (overdue included), the latest campaign."""

    permission_classes = [HasScope]

    @extend_schema(responses={200: dict})
    def get(self, request, code):
        division = get_visible_or_404(Division.objects.all(), request.user, code=code)
        require_role(request.user, division.code, FOLLOWUP_READERS)
        campaign = selectors.latest_campaign(division)
        if campaign is None:
            raise NotFound
        problems = selectors.problems_by_check(division=division, campaign=campaign)
        progress = selectors.plan_progress(division=division, campaign=campaign)
        return Response(
            {
                "division": division.code,
                "campaign": campaign.pk,
                "problems": {
                    "common": problems["common"],
                    "particular": problems["particular"],
                    "by_check": [
                        {"check": r["check"].name, "common": r["common"], "particular": r["particular"]}
                        for r in problems["rows"]
                    ],
                },
                "common_measures": CommonMeasure.objects.filter(campaign=campaign).count()
                if division.code == campaign.division.code
                else None,
                "plans": progress["plans"],
                "plans_by_progress": progress["progress"],
                "measures": progress["measures"],
                "flagged_cadres": Evaluation.objects.filter(
                    flagged=True, meeting__village__code__startswith=division.prefix
                ).count(),
                "talks": Talk.objects.filter(village__code__startswith=division.prefix).count(),
            }
        )
