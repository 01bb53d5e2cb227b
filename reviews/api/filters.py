import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from reviews.api.serializers import choice_schema
from reviews.choices import Grade, LevelStatus, Stage, TemplateStatus
from reviews.models import Campaign, Review, ReviewLevel, ScorecardTemplate
from villages.models import Division


def _choice_filter(choices, **kwargs):
    """A choice filter described without an enum (see serializers.choice_schema)."""

    @extend_schema_field(choice_schema(choices))
    class DescribedChoiceFilter(django_filters.ChoiceFilter):
        pass

    return DescribedChoiceFilter(choices=choices, **kwargs)


def _under(queryset, field, code):
    division = Division.objects.filter(code=code).first()
    return queryset.filter(**{f"{field}__startswith": division.prefix}) if division else queryset.none()


class TemplateFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(field_name="division__code", label=_("County code"))
    shared = django_filters.BooleanFilter(field_name="division", lookup_expr="isnull", label=_("Shared templates"))
    status = _choice_filter(TemplateStatus.choices)

    class Meta:
        model = ScorecardTemplate
        fields = ["division", "shared", "year", "status"]


class CampaignFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(field_name="division__code", label=_("County code"))

    class Meta:
        model = Campaign
        fields = ["division", "template"]


class ReviewFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(method="filter_division", label=_("Division code: villages at or under it"))
    final_grade = _choice_filter([*Grade.choices, ("pending", _("Pending"))], method="filter_final_grade")

    class Meta:
        model = Review
        fields = ["campaign", "division", "final_grade", "sampled"]

    def filter_division(self, queryset, name, value):
        return _under(queryset, "village__code", value)

    def filter_final_grade(self, queryset, name, value):
        return queryset.filter(final_grade="" if value == "pending" else value)


class LevelFilter(django_filters.FilterSet):
    campaign = django_filters.NumberFilter(field_name="review__campaign")
    division = django_filters.CharFilter(method="filter_division", label=_("Division code: villages at or under it"))
    level = _choice_filter(Stage.choices)
    status = _choice_filter(LevelStatus.choices)

    class Meta:
        model = ReviewLevel
        fields = ["campaign", "division", "level", "status", "review"]

    def filter_division(self, queryset, name, value):
        return _under(queryset, "review__village__code", value)
