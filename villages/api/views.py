from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.response import Response
from rest_framework.views import APIView

from villages import selectors
from villages.history import history_entries
from villages.models import ApiToken, Cadre, Division, Post
from villages.personal_data import log_full_access
from villages.scopes import sees_personal_data
from villages.services import api_token_create, api_token_revoke
from villages.throttle import (
    ClientRateThrottle,
    client_address,
    locked_message,
    record_failure,
    record_success,
    seconds_locked,
)

from . import filters, serializers
from .authentication import ExpiringTokenAuthentication


class ScopedReadOnlyViewSet(viewsets.ReadOnlyModelViewSet):
    """Lists and details hold only what the user's scopes cover; anything else is 404."""

    def get_queryset(self):
        return self.queryset.visible_to(self.request.user)


class PersonalDataLogMixin:
    """Logs the rows of a response that carried full personal data (the serializer decides per row)."""

    def finalize_response(self, request, response, *args, **kwargs):
        shown = getattr(self, "_full_personal_data_shown", None)
        if shown:
            log_full_access(user=request.user, records=shown, context="api", request=request)
        return super().finalize_response(request, response, *args, **kwargs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        self._full_personal_data_shown = []
        context["full_personal_data_shown"] = self._full_personal_data_shown
        return context


class HistoryMixin:
    @extend_schema(responses=serializers.HistoryEntrySerializer(many=True))
    @action(detail=True, methods=["get"])
    def history(self, request, **kwargs):
        """Every change to this record: who, when, and each field's old and new value."""
        obj = self.get_object()
        full = sees_personal_data(request.user, obj.division.code if hasattr(obj, "division") else obj.code)
        if full:
            log_full_access(user=request.user, records=[obj], context="api", request=request)
        return Response(
            serializers.HistoryEntrySerializer(history_entries(obj, full_personal_data=full), many=True).data
        )


class DivisionViewSet(PersonalDataLogMixin, HistoryMixin, ScopedReadOnlyViewSet):
    """Divisions keyed by their 12-digit code. Filter with `parent=<code>`, `level=`, `q=` (name or code)."""

    queryset = Division.objects.all()
    serializer_class = serializers.DivisionSerializer
    filterset_class = filters.DivisionFilter
    lookup_field = "code"
    lookup_value_regex = r"\d{12}"
    ordering_fields = ["code", "name"]

    def get_queryset(self):
        return selectors.division_list(user=self.request.user)

    @extend_schema(responses=serializers.CadreSerializer(many=True))
    @action(detail=True, methods=["get"])
    def cadres(self, request, code=None):
        """The cadres at or under this division."""
        division = self.get_object()
        qs = selectors.cadre_list(user=request.user, division=division)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(
            serializers.CadreSerializer(page, many=True, context=self.get_serializer_context()).data
        )

    @extend_schema(responses=serializers.PostSerializer(many=True))
    @action(detail=True, methods=["get"])
    def posts(self, request, code=None):
        """The posts at or under this division (current and past)."""
        division = self.get_object()
        qs = (
            Post.objects.visible_to(request.user)
            .filter(division__code__startswith=division.prefix)
            .select_related("division", "cadre")
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(serializers.PostSerializer(page, many=True).data)


class CadreViewSet(PersonalDataLogMixin, HistoryMixin, ScopedReadOnlyViewSet):
    queryset = Cadre.objects.all()
    serializer_class = serializers.CadreSerializer
    filterset_class = filters.CadreFilter
    ordering_fields = ["name", "division__code"]

    def get_queryset(self):
        return selectors.cadre_list(user=self.request.user)


class PostViewSet(HistoryMixin, ScopedReadOnlyViewSet):
    queryset = Post.objects.select_related("division", "cadre")
    serializer_class = serializers.PostSerializer
    filterset_class = filters.PostFilter
    ordering_fields = ["start_date", "end_date"]


class AdjustmentViewSet(ScopedReadOnlyViewSet):
    serializer_class = serializers.AdjustmentSerializer
    filterset_class = filters.AdjustmentFilter

    def get_queryset(self):
        return selectors.adjustment_list(user=self.request.user)


class TokenView(APIView):
    """Exchange a username and password for an expiring API token; DELETE revokes the token in use."""

    authentication_classes = [ExpiringTokenAuthentication]
    throttle_classes = [ClientRateThrottle]
    throttle_scope = "token"

    def get_permissions(self):
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        request=serializers.TokenRequestSerializer,
        responses={201: serializers.TokenResponseSerializer},
        auth=[],
    )
    def post(self, request):
        body = serializers.TokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        username, address = body.validated_data["username"], client_address(request)
        if wait := seconds_locked(username, address):
            raise Throttled(wait=wait, detail=locked_message(wait))
        user = authenticate(request, username=username, password=body.validated_data["password"])
        if user is None:
            record_failure(username, address)
            raise AuthenticationFailed(_("The username or password is wrong."))
        record_success(username, address)
        token, raw = api_token_create(user=user)
        return Response({"token": raw, "expires": token.expires_at}, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request):
        if isinstance(request.auth, ApiToken):
            api_token_revoke(token=request.auth)
        return Response(status=status.HTTP_204_NO_CONTENT)
