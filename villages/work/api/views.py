"""Read-only API of the work records. Every list and detail holds only what the user's scopes cover (404 for the
rest); writes go through the browser, where the services validate them."""

from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from villages.api.views import HistoryMixin
from villages.models import Division
from villages.scopes import get_visible_or_404

from .. import selectors
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
from . import filters, serializers


class _Scoped(viewsets.ReadOnlyModelViewSet):
    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)


class IncomeViewSet(HistoryMixin, _Scoped):
    """Yearly collective income of each village by source; `total` is the sum of the sources."""

    queryset = CollectiveIncome.objects.select_related("division")
    serializer_class = serializers.IncomeSerializer
    filterset_class = filters.IncomeFilter
    ordering_fields = ["year", "division__code"]


class ProjectViewSet(HistoryMixin, _Scoped):
    """Collective economy projects with their yearly returns."""

    queryset = CollectiveProject.objects.select_related("division").prefetch_related(
        Prefetch("returns", queryset=CollectiveProjectReturn.objects.order_by("year"))
    )
    serializer_class = serializers.ProjectSerializer
    filterset_class = filters.ProjectFilter
    ordering_fields = ["start_date", "investment"]


class WorkshopViewSet(HistoryMixin, _Scoped):
    queryset = CommonProsperityWorkshop.objects.select_related("division")
    serializer_class = serializers.WorkshopSerializer
    filterset_class = filters.WorkshopFilter
    ordering_fields = ["jobs", "annual_rent"]


class MeetingKindViewSet(viewsets.ReadOnlyModelViewSet):
    """The kinds of meeting the county keeps (屋场会, 有事好商量 …); the same for every user."""

    queryset = MeetingKind.objects.all()
    serializer_class = serializers.MeetingKindSerializer
    filterset_fields = ["active"]


class MeetingViewSet(HistoryMixin, _Scoped):
    """Meetings with villagers, the matters raised and the villagers' satisfaction."""

    queryset = VillagerMeeting.objects.select_related("division", "kind").prefetch_related(
        Prefetch("matters", queryset=MeetingMatter.objects.order_by("position", "pk"))
    )
    serializer_class = serializers.MeetingSerializer
    filterset_class = filters.MeetingFilter
    ordering_fields = ["date", "attendance"]


class StationViewSet(HistoryMixin, _Scoped):
    queryset = PracticeStation.objects.select_related("division", "parent")
    serializer_class = serializers.StationSerializer
    filterset_class = filters.StationFilter


class TeamViewSet(HistoryMixin, _Scoped):
    queryset = VolunteerTeam.objects.select_related("division")
    serializer_class = serializers.TeamSerializer
    filterset_class = filters.TeamFilter
    ordering_fields = ["members", "name"]


class ActivityViewSet(HistoryMixin, _Scoped):
    queryset = VolunteerActivity.objects.select_related("division")
    serializer_class = serializers.ActivitySerializer
    filterset_class = filters.ActivityFilter
    ordering_fields = ["date", "participants"]


class InfrastructureViewSet(HistoryMixin, _Scoped):
    queryset = InfrastructureProject.objects.select_related("division")
    serializer_class = serializers.InfrastructureSerializer
    filterset_class = filters.InfrastructureFilter
    ordering_fields = ["start_date", "completed_on"]


class InspectionViewSet(HistoryMixin, _Scoped):
    queryset = EnvironmentInspection.objects.select_related("division")
    serializer_class = serializers.InspectionSerializer
    filterset_class = filters.InspectionFilter
    ordering_fields = ["date", "score"]


class TrainingViewSet(HistoryMixin, _Scoped):
    """Courses and forums; a session organized above the user's scope is listed when its cadres attended."""

    queryset = TrainingSession.objects.select_related("division")
    serializer_class = serializers.TrainingSessionSerializer
    filterset_class = filters.TrainingFilter
    ordering_fields = ["date"]


class AttendanceViewSet(_Scoped):
    queryset = TrainingAttendance.objects.select_related("cadre__division")
    serializer_class = serializers.AttendanceSerializer
    filterset_class = filters.AttendanceFilter


class FiguresView(APIView):
    """A year's work figures for a division and for each division directly below it (first row: the division).

    The inputs of the five-star rules: collective income and its growth, meetings held and what became of the
    matters raised, villagers' satisfaction, volunteer activities, inspections passed, infrastructure, training.
    """

    @extend_schema(
        parameters=[OpenApiParameter("year", OpenApiTypes.INT, description=_("Calendar year; this year if left out."))],
        responses=serializers.FiguresSerializer(many=True),
    )
    def get(self, request, code):
        division = get_visible_or_404(Division.objects, request.user, code=code)
        year = request.query_params.get("year") or str(timezone.localdate().year)
        if not (len(year) == 4 and year.isdigit()):
            raise ValidationError({"year": [_("A year is four digits, e.g. 2026.")]})
        year = int(year)
        total, children = selectors.division_figures(division=division, year=year)
        rows = [(division, total), *children]
        data = [{"division": d.code, "name": d.name, "level": d.level, "year": year, **vars(f)} for d, f in rows]
        return Response(serializers.FiguresSerializer(data, many=True).data)
