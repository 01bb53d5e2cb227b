from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from villages.api.permissions import HasScope
from villages.models import Division

from .. import selectors, services
from ..models import Grid, RequestStep, ServiceRequest
from . import filters, serializers


class GridViewSet(viewsets.ReadOnlyModelViewSet):
    """Grids with their boundary as GeoJSON, keyed by their 15-digit code. Filter with `division=<code>`."""

    permission_classes = [HasScope]
    serializer_class = serializers.GridSerializer
    filterset_class = filters.GridFilter
    lookup_field = "code"
    lookup_value_regex = r"\d{15}"
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return (
            Grid.objects.visible_to(self.request.user)
            .select_related("village")
            .annotate(households_count=Count("households"))
            .order_by("code")
        )

    @extend_schema(
        parameters=[OpenApiParameter("division", str, required=True, description="Division code")],
        responses=serializers.GeoJSONFeatureCollectionSerializer,
    )
    @action(detail=False, methods=["get"])
    def geojson(self, request):
        """The grids at or under a division as one GeoJSON FeatureCollection, with the figures the maps show."""
        code = request.query_params.get("division", "")
        division = Division.objects.visible_to(request.user).filter(code=code).first()
        if division is None:
            raise NotFound(_("No division in your scope has this code."))
        grids, _rules, _since = selectors.grids_with_figures(user=request.user, division=division)
        return Response(selectors.map_features(grids))


class HouseholdViewSet(viewsets.ReadOnlyModelViewSet):
    """Households of the grids in scope; phone numbers masked unless the role needs them."""

    permission_classes = [HasScope]
    serializer_class = serializers.HouseholdSerializer
    filterset_class = filters.HouseholdFilter
    ordering_fields = ["address", "head_name"]

    def get_queryset(self):
        return selectors.household_list(user=self.request.user).order_by("grid__code", "address", "pk")


class ServiceRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """Service requests with their steps. Create one with POST; move it with `step`; press it with `supervise`.

    The same services as the browser decide: out of scope is 404, a role that may not take a step is 403, a
    step the request's status does not allow is 400 with the reason.
    """

    permission_classes = [HasScope]
    serializer_class = serializers.ServiceRequestSerializer
    filterset_class = filters.ServiceRequestFilter
    ordering_fields = ["due_at", "reported_at"]

    def get_queryset(self):
        steps = RequestStep.objects.select_related("actor").order_by("at", "pk")
        return (
            ServiceRequest.objects.visible_to(self.request.user)
            .select_related("grid__village", "item", "handler")
            .prefetch_related(Prefetch("steps", queryset=steps))
            .order_by("due_at", "pk")
        )

    def _out(self, obj, code=status.HTTP_200_OK):
        obj = self.get_queryset().get(pk=obj.pk)
        return Response(self.get_serializer(obj).data, status=code)

    @extend_schema(
        request=serializers.ServiceRequestCreateSerializer, responses={201: serializers.ServiceRequestSerializer}
    )
    def create(self, request, *args, **kwargs):
        body = serializers.ServiceRequestCreateSerializer(data=request.data, context=self.get_serializer_context())
        body.is_valid(raise_exception=True)
        created = services.request_create(actor=request.user, **body.validated_data)
        return self._out(created, status.HTTP_201_CREATED)

    @extend_schema(request=serializers.StepSerializer, responses=serializers.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def step(self, request, pk=None):
        """Take the next step (accept, dispatch, handle, verify, close, rate) or send the request back."""
        obj = self.get_object()
        body = serializers.StepSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.request_transition(actor=request.user, request=obj, **body.validated_data)
        return self._out(updated)

    @extend_schema(request=serializers.SuperviseSerializer, responses=serializers.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def supervise(self, request, pk=None):
        """督办 an overdue request: ordinary, yellow card or red card."""
        obj = self.get_object()
        body = serializers.SuperviseSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.request_supervise(actor=request.user, request=obj, **body.validated_data)
        return self._out(obj)


class ServiceItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The grid service list: every item on offer with its time limit."""

    permission_classes = [HasScope]
    serializer_class = serializers.ServiceItemSerializer
    queryset = selectors.active_items()
    filterset_fields = ["time_unit"]
