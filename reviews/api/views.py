"""The reviews API: read templates, campaigns, reviews and levels with their item scores; write a level's scores
and move it through its states with the same services (same rules, same errors) as the browser."""

from django.db.models import Count, Prefetch
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from reviews import grading, selectors, services
from reviews.choices import COUNTY_ROLES, READER_ROLES, STAGE_ORDER, STAGE_ROLES, SUPERVISOR_ROLES
from reviews.models import Campaign, ItemScore, PostRating, Review, ReviewLevel, ScorecardTemplate
from reviews.visibility import readable_levels_q, sees_open_upper_levels_under, sees_upper_levels
from villages.api.caching import live_versions
from villages.api.permissions import HasScope
from villages.api.schema import HEADERS, param, stats_responses
from villages.api.stats import StatsView
from villages.metrics import RULE_VERSION
from villages.models import Division
from villages.scopes import get_visible_or_404, has_role, require_role
from villages.stats import iso

from . import filters, serializers


class ReadsReviews(HasScope):
    """Out of scope is 404 (the queryset); in scope without a role that reads reviews is 403 (here). Writes are
    checked again, role by role, by the services."""

    def has_object_permission(self, request, view, obj):
        return has_role(request.user, view.village_code(obj), READER_ROLES)


class ReaderQuerysetMixin:
    """Lists hold only what the user may read; a detail outside the user's scope is 404, inside it without a
    reading role 403."""

    permission_classes = [ReadsReviews]
    village_path = "village__code"

    def reader_scope(self, queryset):
        if self.action == "list":
            return queryset.visible_to(self.request.user, roles=READER_ROLES)
        return queryset.visible_to(self.request.user)

    def village_code(self, obj) -> str:
        for part in self.village_path.split("__"):
            obj = getattr(obj, part)
        return obj


class TemplateViewSet(viewsets.ReadOnlyModelViewSet):
    """Scorecard templates: the shared ones and the user's county's. The detail holds checks, elements, items
    (with their scoring rules) and the one-vote vetoes."""

    filterset_class = filters.TemplateFilter
    ordering_fields = ["year", "version"]

    def get_queryset(self):
        return (
            ScorecardTemplate.objects.visible_to(self.request.user)
            .select_related("division")
            .prefetch_related("vetoes")
            .annotate(campaign_count=Count("campaigns"))
            .order_by("-year", "-version", "pk")
        )

    def get_serializer_class(self):
        return serializers.TemplateDetailSerializer if self.action == "retrieve" else serializers.TemplateSerializer


class CampaignViewSet(ReaderQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.CampaignSerializer
    village_path = "division__code"

    def check_object_permissions(self, request, obj):
        # The county lies above most readers' scopes: any of their scopes under it with a reading role will do.
        if not Campaign.objects.visible_to(request.user, roles=READER_ROLES).filter(pk=obj.pk).exists():
            self.permission_denied(request)

    filterset_class = filters.CampaignFilter

    def get_queryset(self):
        return self.reader_scope(
            Campaign.objects.select_related("division", "sample_draw").annotate(review_count=Count("reviews"))
        ).order_by("-start_date", "-pk")


class ReviewViewSet(ReaderQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """One review per village and campaign, with the levels the reader may read (the village reads the township's
    and the county's only once the county closed the review; the township reads the village's once submitted)
    and, in the detail, its post ratings. Writes: `close` (the county signs the review off) and `open-township`
    (the county opens the township's diagnosis before the self-diagnosis is submitted, with a reason)."""

    filterset_class = filters.ReviewFilter
    ordering_fields = ["village__code"]

    def get_queryset(self):
        readable = ReviewLevel.objects.filter(readable_levels_q(self.request.user)).order_by("level")
        qs = self.reader_scope(Review.objects.select_related("village")).prefetch_related(
            Prefetch("levels", queryset=readable)
        )
        if self.action == "retrieve":
            qs = qs.prefetch_related(
                Prefetch("post_ratings", queryset=PostRating.objects.select_related("post__cadre").order_by("post_id"))
            )
        return qs.order_by("campaign_id", "village__code")

    def get_serializer_class(self):
        if self.action in ("close", "open_township"):
            return serializers.ReasonInputSerializer
        return serializers.ReviewDetailSerializer if self.action == "retrieve" else serializers.ReviewSerializer

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["sees_upper"] = lambda review: review.is_closed or sees_upper_levels(self.request.user, review)
        return context

    def _fresh(self, review):
        self.action = "retrieve"
        return Response(
            serializers.ReviewDetailSerializer(
                self.get_queryset().get(pk=review.pk), context=self.get_serializer_context()
            ).data
        )

    @extend_schema(request=None, responses=serializers.ReviewDetailSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        """Close (sign off) the review: the township's level submitted, and the county's when sampled. Its levels
        are final from then on, and the village may read them."""
        review = self.get_object()
        require_role(request.user, review.village.code, COUNTY_ROLES)
        services.review_close(actor=request.user, review=review)
        return self._fresh(review)

    @extend_schema(request=serializers.ReasonInputSerializer, responses=serializers.ReviewDetailSerializer)
    @action(detail=True, methods=["post"], url_path="open-township", url_name="open-township")
    def open_township(self, request, pk=None):
        """Open the township's diagnosis before the village submitted its self-diagnosis (recorded with why)."""
        review = self.get_object()
        require_role(request.user, review.village.code, COUNTY_ROLES)
        body = serializers.ReasonInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_township_open_early(actor=request.user, review=review, reason=body.validated_data["reason"])
        return self._fresh(review)


class LevelViewSet(ReaderQuerysetMixin, viewsets.ReadOnlyModelViewSet):
    """A level of a review with its item scores. Writes: `scores` (save a draft, optimistic: send the version you
    read), `submit`, `return` and `reopen` (the level above, with a reason)."""

    serializer_class = serializers.LevelSerializer
    filterset_class = filters.LevelFilter
    village_path = "review__village__code"

    def get_queryset(self):
        return (
            self.reader_scope(
                ReviewLevel.objects.filter(readable_levels_q(self.request.user)).select_related(
                    "review__village", "review__campaign__template", "submitted_by", "updated_by"
                )
            )
            .prefetch_related(
                "conditions",
                Prefetch("scores", queryset=ItemScore.objects.select_related("item").order_by("item__number")),
            )
            .order_by("review_id", "level")
        )

    def _fresh(self, level):
        fresh = self.get_queryset().filter(pk=level.pk).first()
        if fresh is None:
            # Sent back to its authors, the level is theirs again: its summary only (reviews.visibility).
            return Response(serializers.LevelSummarySerializer(ReviewLevel.objects.get(pk=level.pk)).data)
        return Response(serializers.LevelSerializer(fresh).data)

    @extend_schema(request=serializers.LevelScoresInputSerializer, responses=serializers.LevelSerializer)
    @action(detail=True, methods=["post"])
    def scores(self, request, pk=None):
        """Save a draft of the level: the items sent (others keep their scores). 400 with per-item errors
        (`item_<id>`) on bad input, or on `version` when somebody saved since you read it; nothing is saved then."""
        level = self.get_object()
        require_role(request.user, level.review.village.code, STAGE_ROLES[level.level])
        body = serializers.LevelScoresInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        scores = {
            row["item"]: grading.ScoreInput(score=row.get("score"), passed=row.get("passed"), note=row.get("note", ""))
            for row in data["scores"]
        }
        onsite = {k: v for k, v in data.items() if k in services.ONSITE_FIELDS}
        services.review_level_save_draft(
            actor=request.user,
            level=level,
            scores=scores,
            expected_version=data["version"],
            conditions=data.get("conditions"),
            onsite=onsite,
        )
        return self._fresh(level)

    @extend_schema(request=serializers.VersionInputSerializer, responses=serializers.LevelSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Submit and lock the level as saved at `version`."""
        level = self.get_object()
        require_role(request.user, level.review.village.code, STAGE_ROLES[level.level])
        body = serializers.VersionInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_level_submit(actor=request.user, level=level, expected_version=body.validated_data["version"])
        return self._fresh(level)

    @extend_schema(request=serializers.ReasonInputSerializer, responses=serializers.LevelSerializer)
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request, pk=None):
        """Send a submitted level back to its authors (the level above, with a reason)."""
        level = self.get_object()
        require_role(request.user, level.review.village.code, SUPERVISOR_ROLES[level.level])
        body = serializers.ReasonInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_level_return(actor=request.user, level=level, reason=body.validated_data["reason"])
        return self._fresh(level)

    @extend_schema(request=serializers.ReasonInputSerializer, responses=serializers.LevelSerializer)
    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a submitted level for correction (the level above, recorded with a reason)."""
        level = self.get_object()
        require_role(request.user, level.review.village.code, SUPERVISOR_ROLES[level.level])
        body = serializers.ReasonInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.review_level_reopen(actor=request.user, level=level, reason=body.validated_data["reason"])
        return self._fresh(level)


DEFINITION = gettext_lazy(
    "Counts of reviews by final grade (the grade of the highest submitted level above the village's own "
    "self-diagnosis; pending while there is none), and of each level by its grade once submitted (pending while "
    "in draft or returned). The county level exists only for the villages in the county's sample."
)


class ReviewStatsView(StatsView):
    """Final grades and each level's grades for a division and each division directly under it, computed from the
    reviews as they stand (`computed_at`); throttled per token and answered 304 to a client whose copy is current
    (its ETag moves with every write in the county)."""

    @extend_schema(
        parameters=[
            param("division", OpenApiTypes.STR, "411103000000", "12-digit division code", required=True),
            param("campaign", OpenApiTypes.INT, 1, "campaign id", required=True),
            *HEADERS,
        ],
        responses=stats_responses(serializers.ReviewStatsSerializer),
    )
    def get(self, request):
        code = request.query_params.get("division", "")
        campaign_id = request.query_params.get("campaign", "")
        errors = {}
        if not code:
            errors["division"] = [_("Give the division's code.")]
        if not campaign_id.isdigit():
            errors["campaign"] = [_("Give the campaign's id.")]
        if errors:
            raise ValidationError(errors)
        division = get_visible_or_404(Division.objects, request.user, code=code)
        require_role(request.user, division.code, READER_ROLES)
        campaign = (
            Campaign.objects.visible_to(request.user).filter(pk=int(campaign_id)).select_related("division").first()
        )
        if campaign is None:
            raise Http404
        if not division.code.startswith(campaign.division.prefix):
            raise ValidationError({"division": [_("This division is not in the campaign's county.")]})
        closed_only = not sees_open_upper_levels_under(request.user, division.code)
        if response := self.not_modified(request, [campaign.pk, closed_only, live_versions(division.code)]):
            return response
        stats = selectors.review_stats(campaign=campaign, division=division, closed_only=closed_only)
        return Response(
            {
                "campaign": campaign.pk,
                "definition": str(DEFINITION),
                "division": _block(division, stats["total"]),
                "children": [_block(child, block) for child, block in stats["children"]]
                if division.child_level
                else [],
                "computed_at": iso(timezone.now()),
                "rule_version": RULE_VERSION,
            }
        )


def _block(division, block) -> dict:
    return {
        "code": division.code,
        "name": division.name,
        "level": division.level,
        "final": block["final"],
        "levels": {stage: block["levels"][stage] for stage in STAGE_ORDER},
    }
