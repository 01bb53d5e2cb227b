import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from villages.models import Division

from ..choices import (
    FundingSource,
    InfrastructureKind,
    InfrastructureStatus,
    InspectionResult,
    MatterOutcome,
    ProjectKind,
    ProjectStatus,
    StationLevel,
    TrainingKind,
    VolunteerFocus,
)
from ..models import (
    CollectiveIncome,
    CollectiveProject,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    PracticeStation,
    TrainingAttendance,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)


class _UnderDivision(django_filters.FilterSet):
    """``division=<code>``: records at or under that division."""

    code_field = "division__code"
    division = django_filters.CharFilter(method="filter_division", label=_("Division code: records at or under it"))

    def filter_division(self, queryset, name, value):
        division = Division.objects.filter(code=value).first()
        if division is None:
            return queryset.none()
        return queryset.filter(**{f"{self.code_field}__startswith": division.prefix})


class _DatedYear(_UnderDivision):
    # Bounded: a year outside 1–9999 is a 400 with the reason, not a server error (found by schemathesis).
    year = django_filters.NumberFilter(
        field_name="date", lookup_expr="year", label=_("Year"), min_value=1, max_value=9999, decimal_places=0
    )
    date_after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("On or after"))
    date_before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("On or before"))


class IncomeFilter(_UnderDivision):
    class Meta:
        model = CollectiveIncome
        fields = ["division", "year"]


class ProjectFilter(_UnderDivision):
    kind = django_filters.ChoiceFilter(choices=ProjectKind.choices)
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices)
    funding_source = django_filters.ChoiceFilter(choices=FundingSource.choices)

    class Meta:
        model = CollectiveProject
        fields = ["division", "kind", "status", "funding_source", "branch_led"]


class WorkshopFilter(_UnderDivision):
    class Meta:
        model = CommonProsperityWorkshop
        fields = ["division"]


class MeetingFilter(_DatedYear):
    outcome = django_filters.ChoiceFilter(
        choices=MatterOutcome.choices, method="filter_outcome", label=_("Has a matter with this outcome")
    )

    class Meta:
        model = VillagerMeeting
        fields = ["division", "kind", "year", "date_after", "date_before", "outcome"]

    def filter_outcome(self, queryset, name, value):
        return queryset.filter(Q(matters__outcome=value)).distinct()


class StationFilter(_UnderDivision):
    level = django_filters.ChoiceFilter(choices=StationLevel.choices)

    class Meta:
        model = PracticeStation
        fields = ["division", "level", "parent"]


class TeamFilter(_UnderDivision):
    focus = django_filters.ChoiceFilter(choices=VolunteerFocus.choices)

    class Meta:
        model = VolunteerTeam
        fields = ["division", "focus", "station"]


class ActivityFilter(_DatedYear):
    kind = django_filters.ChoiceFilter(choices=VolunteerFocus.choices)

    class Meta:
        model = VolunteerActivity
        fields = ["division", "kind", "team", "station", "year", "date_after", "date_before"]


class InfrastructureFilter(_UnderDivision):
    kind = django_filters.ChoiceFilter(choices=InfrastructureKind.choices)
    status = django_filters.ChoiceFilter(choices=InfrastructureStatus.choices)

    class Meta:
        model = InfrastructureProject
        fields = ["division", "kind", "status"]


class InspectionFilter(_DatedYear):
    result = django_filters.ChoiceFilter(choices=InspectionResult.choices)

    class Meta:
        model = EnvironmentInspection
        fields = ["division", "result", "year", "date_after", "date_before"]


class TrainingFilter(_DatedYear):
    kind = django_filters.ChoiceFilter(choices=TrainingKind.choices)

    class Meta:
        model = TrainingSession
        fields = ["division", "kind", "series", "year", "date_after", "date_before"]


class AttendanceFilter(_UnderDivision):
    code_field = "cadre__division__code"

    class Meta:
        model = TrainingAttendance
        fields = ["division", "session", "cadre", "status", "role"]
