import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.models import Division

from ..choices import OPEN_STATUSES, GridKind, RequestStatus
from ..models import Grid, Household, ServiceRequest


class _UnderDivisionFilter(django_filters.FilterSet):
    division = django_filters.CharFilter(method="filter_division", label=_("Division code: records at or under it"))
    code_field = "village__code"

    def filter_division(self, queryset, name, value):
        division = Division.objects.filter(code=value).first()
        if division is None:
            return queryset.none()
        return queryset.filter(**{f"{self.code_field}__startswith": division.prefix})


class GridFilter(_UnderDivisionFilter):
    kind = django_filters.ChoiceFilter(choices=GridKind.choices)

    class Meta:
        model = Grid
        fields = ["division", "kind", "dedicated_type"]


class HouseholdFilter(_UnderDivisionFilter):
    code_field = "grid__village__code"
    grid = django_filters.CharFilter(field_name="grid__code", label=_("Grid code"))
    care_tag = django_filters.CharFilter(field_name="care_tags__name", label=_("Care tag"), distinct=True)

    class Meta:
        model = Household
        fields = ["division", "grid", "care_tag", "linked_member"]


class ServiceRequestFilter(_UnderDivisionFilter):
    code_field = "grid__village__code"
    grid = django_filters.CharFilter(field_name="grid__code", label=_("Grid code"))
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices)
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open requests only"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Open and past the due time"))
    supervised = django_filters.BooleanFilter(method="filter_supervised", label=_("Under supervision"))

    class Meta:
        model = ServiceRequest
        fields = ["division", "grid", "status", "open", "overdue", "supervised", "supervision_level", "item"]

    def filter_open(self, queryset, name, value):
        q = Q(status__in=OPEN_STATUSES)
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_overdue(self, queryset, name, value):
        q = Q(status__in=OPEN_STATUSES, due_at__lt=timezone.now())
        return queryset.filter(q) if value else queryset.exclude(q)

    def filter_supervised(self, queryset, name, value):
        q = ~Q(supervision_level="")
        return queryset.filter(q) if value else queryset.exclude(q)
