import django_filters

from ..choices import Book, MeasureStatus, ProblemKind, TalkKind
from ..models import Evaluation, Measure, Problem, RecordEntry, Talk


class DivisionFilterMixin(django_filters.FilterSet):
    division = django_filters.CharFilter(method="filter_division", label="division code (12 digits)")
    code_field = "village__code"

    def filter_division(self, queryset, name, value):
        # Keep whole levels: a county's code ends in six zeros, a township's in three.
        prefix = value[:6] if value.endswith("000000") else value[:9] if value.endswith("000") else value
        return queryset.filter(**{f"{self.code_field}__startswith": prefix})


class EvaluationFilter(DivisionFilterMixin):
    code_field = "meeting__village__code"

    class Meta:
        model = Evaluation
        fields = ["year", "flagged", "failing", "cadre"]


class TalkFilter(DivisionFilterMixin):
    kind = django_filters.ChoiceFilter(choices=TalkKind.choices)

    class Meta:
        model = Talk
        fields = ["kind", "cadre"]


class ProblemFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ProblemKind.choices)
    division = django_filters.CharFilter(method="filter_division", label="division code (12 digits)")

    class Meta:
        model = Problem
        fields = ["kind", "campaign", "check_item"]

    def filter_division(self, queryset, name, value):
        prefix = value[:6] if value.endswith("000000") else value[:9] if value.endswith("000") else value
        return queryset.filter(links__village__code__startswith=prefix).distinct()


class MeasureFilter(DivisionFilterMixin):
    code_field = "plan__village__code"
    status = django_filters.ChoiceFilter(choices=MeasureStatus.choices)
    overdue = django_filters.BooleanFilter(method="filter_overdue")

    class Meta:
        model = Measure
        fields = ["status", "plan", "problem"]

    def filter_overdue(self, queryset, name, value):
        late = queryset.overdue()
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class RecordEntryFilter(DivisionFilterMixin):
    book = django_filters.ChoiceFilter(choices=Book.choices)

    class Meta:
        model = RecordEntry
        fields = ["book", "cadre"]
