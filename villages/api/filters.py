import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from villages.choices import Committee, Level, PostTitle
from villages.models import Adjustment, Cadre, Division, Post


class DivisionFilter(django_filters.FilterSet):
    parent = django_filters.CharFilter(field_name="parent__code", label=_("Parent division code"))
    level = django_filters.ChoiceFilter(choices=Level.choices)
    q = django_filters.CharFilter(method="search", label=_("Name or code prefix"))
    within = django_filters.CharFilter(method="filter_within", label=_("Code prefix: divisions under this code"))

    class Meta:
        model = Division
        fields = ["parent", "level", "kind", "q", "within"]

    def search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(code__startswith=value))

    def filter_within(self, queryset, name, value):
        division = Division.objects.filter(code=value).first()
        return queryset.filter(code__startswith=division.prefix) if division else queryset.none()


class _UnderDivisionFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(method="filter_division", label=_("Division code: records at or under it"))

    def filter_division(self, queryset, name, value):
        division = Division.objects.filter(code=value).first()
        return queryset.filter(division__code__startswith=division.prefix) if division else queryset.none()


class CadreFilter(_UnderDivisionFilter):
    q = django_filters.CharFilter(field_name="name", lookup_expr="icontains", label=_("Name contains"))

    class Meta:
        model = Cadre
        fields = ["division", "active", "is_party_member", "gender", "q"]


class PostFilter(_UnderDivisionFilter):
    committee = django_filters.ChoiceFilter(choices=Committee.choices)
    title = django_filters.ChoiceFilter(choices=PostTitle.choices)
    current = django_filters.BooleanFilter(field_name="end_date", lookup_expr="isnull", label=_("Current posts only"))

    class Meta:
        model = Post
        fields = ["division", "committee", "title", "current", "cadre"]


class AdjustmentFilter(_UnderDivisionFilter):
    class Meta:
        model = Adjustment
        fields = ["division", "kind"]
