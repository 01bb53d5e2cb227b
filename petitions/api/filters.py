"""The filters of the case and dispute lists. The pages, the .xlsx ledgers and the API use the same FilterSets,
so a ledger holds exactly the rows its list showed."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.forms import BootstrapMixin
from villages.models import Division

from ..choices import Channel, DisputeCategory, DisputeSource, DisputeStatus, Kind, RiskLevel, Status
from ..models import Dispute, DisputeParty, Petition, Petitioner
from ..selectors import awaiting_q
from ..tallies import parse_period

FLAG_CHOICES = [
    ("repeat", _("Repeat petition")),
    ("level_skipping", _("Level-skipping")),
    ("group", _("Group visit")),
    ("leader_owned", _("Leader-owned case")),
    ("supervised", _("Supervised")),
    ("extended", _("Extended")),
]
FLAG_FILTERS = {
    "repeat": Q(is_repeat=True),
    "level_skipping": Q(is_level_skipping=True),
    "group": Q(is_group=True),
    "leader_owned": Q(is_leader_owned=True),
    "supervised": Q(supervision_count__gt=0),
    "extended": Q(extension_days__gt=0),
}


class FilterForm(BootstrapMixin, forms.Form):
    pass


def _under(queryset, field: str, code: str):
    division = Division.objects.filter(code=code).first()
    return queryset.filter(**{f"{field}__startswith": division.prefix}) if division else queryset.none()


def _in_period(queryset, field: str, value: str):
    try:
        period = parse_period(value)
    except ValidationError:
        return queryset.none()
    return queryset.filter(**{f"{field}__range": (period.start, period.last_day)})


class PetitionFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Number, subject or petitioner"))
    status = django_filters.ChoiceFilter(choices=Status.choices, label=_("Status"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    kind = django_filters.ChoiceFilter(choices=Kind.choices, label=_("Kind"))
    flag = django_filters.ChoiceFilter(choices=FLAG_CHOICES, method="filter_flag", label=_("Flag"))
    period = django_filters.CharFilter(method="filter_period", label=_("Received in (YYYY or YYYY-MM)"))
    due_within = django_filters.NumberFilter(
        method="filter_due_within", label=_("Due within (days)"), min_value=0, max_value=3650, decimal_places=0
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("Awaiting my step"))
    division = django_filters.CharFilter(method="filter_division", label=_("Place: code of a division, and below"))
    unit = django_filters.CharFilter(method="filter_unit", label=_("Responsible unit: code, and below"))

    class Meta:
        model = Petition
        fields = ["q", "status", "channel", "kind", "flag", "period", "due_within", "overdue", "mine", "unit"]
        form = FilterForm

    def __init__(self, *args, today: datetime.date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or timezone.localdate()
        for name in ("overdue", "mine"):
            self.filters[name].field.widget = forms.CheckboxInput()

    def search(self, queryset, name, value):
        value = value.strip()
        named = Petitioner.objects.filter(petition=OuterRef("pk"), name__icontains=value)
        return queryset.filter(Q(number__icontains=value) | Q(subject__icontains=value) | Exists(named))

    def filter_flag(self, queryset, name, value):
        return queryset.filter(FLAG_FILTERS[value])

    def filter_period(self, queryset, name, value):
        return _in_period(queryset, "received_on", value)

    def filter_due_within(self, queryset, name, value):
        return queryset.due_within(self.today, int(value))

    def filter_overdue(self, queryset, name, value):
        # A checkbox left empty means "all cases", not "cases that are not overdue".
        return queryset.overdue(self.today) if value else queryset

    def filter_mine(self, queryset, name, value):
        if not value or self.request is None:
            return queryset
        return queryset.filter(awaiting_q(self.request.user, self.today))

    def filter_division(self, queryset, name, value):
        return _under(queryset, "division__code", value)

    def filter_unit(self, queryset, name, value):
        return _under(queryset, "responsible_unit__code", value)


class DisputeFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Number, summary or party"))
    status = django_filters.ChoiceFilter(choices=DisputeStatus.choices, label=_("Status"))
    category = django_filters.ChoiceFilter(choices=DisputeCategory.choices, label=_("Type"))
    risk_level = django_filters.ChoiceFilter(choices=RiskLevel.choices, label=_("Risk level"))
    source = django_filters.ChoiceFilter(choices=DisputeSource.choices, label=_("Screened by"))
    period = django_filters.CharFilter(method="filter_period", label=_("Screened in (YYYY or YYYY-MM)"))
    division = django_filters.CharFilter(method="filter_division", label=_("Place: code of a division, and below"))

    class Meta:
        model = Dispute
        fields = ["q", "status", "category", "risk_level", "source", "period"]
        form = FilterForm

    def search(self, queryset, name, value):
        value = value.strip()
        named = DisputeParty.objects.filter(dispute=OuterRef("pk"), name__icontains=value)
        return queryset.filter(Q(number__icontains=value) | Q(summary__icontains=value) | Exists(named))

    def filter_period(self, queryset, name, value):
        return _in_period(queryset, "screened_on", value)

    def filter_division(self, queryset, name, value):
        return _under(queryset, "division__code", value)
