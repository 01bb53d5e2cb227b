from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from villages.forms import BootstrapMixin, DateInput
from villages.models import Division

from .choices import (
    AttendanceRole,
    AttendanceStatus,
    InfrastructureStatus,
    InspectionResult,
    MatterOutcome,
    ProjectKind,
    ProjectStatus,
    TrainingKind,
    VolunteerFocus,
)
from .models import (
    CollectiveIncome,
    CollectiveProject,
    CommonProsperityWorkshop,
    EnvironmentInspection,
    InfrastructureProject,
    MeetingKind,
    MeetingMatter,
    PracticeStation,
    TrainingSession,
    VillagerMeeting,
    VolunteerActivity,
    VolunteerTeam,
)


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.level == "village" and obj.parent_id:
            return f"{obj.parent.name} · {obj.name}"
        return obj.name


class PlaceMixin:
    """A record entered from a township or county page asks which division it belongs to.

    ``places`` holds the divisions the record may belong to; with one only, the field is left out.
    """

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.place = None
        if places is not None:
            places = list(places)
            if len(places) == 1:
                self.place = places[0]
            else:
                self.fields = {
                    "division": DivisionChoiceField(
                        label=_("Village or division"),
                        queryset=Division.objects.filter(pk__in=[p.pk for p in places]).select_related("parent"),
                    ),
                    **self.fields,
                }
                # BootstrapMixin styled the fields before this one was added.
                self.fields["division"].widget.attrs["class"] = "form-select"

    def chosen_place(self):
        return self.cleaned_data.get("division") or self.place

    def record_fields(self) -> dict:
        return {k: v for k, v in self.cleaned_data.items() if k != "division"}


class RecordForm(PlaceMixin, BootstrapMixin, forms.ModelForm):
    """A ModelForm that only parses: the service builds, validates and saves the record.

    ModelForm's own post-clean step would build an instance and run the model's full_clean on it a second time,
    without the division the record belongs to; the service's validation is the one that counts.
    """

    def _post_clean(self):
        pass


class IncomeForm(RecordForm):
    class Meta:
        model = CollectiveIncome
        fields = [
            "year", "land_transfer", "land_transfer_area", "rent", "dividends", "services", "other", "assets", "notes",
        ]  # fmt: skip
        widgets = {"notes": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            self.fields["year"].initial = timezone.localdate().year
        for name in ("land_transfer", "rent", "dividends", "services", "other"):
            self.fields[name].help_text = _("In yuan.")


class ProjectForm(RecordForm):
    class Meta:
        model = CollectiveProject
        fields = [
            "name", "kind", "status", "branch_led", "investment", "funding_source", "funding_note", "start_date",
            "payback_years", "payback_date", "description",
        ]  # fmt: skip
        widgets = {
            "start_date": DateInput(),
            "payback_date": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "payback_years": _("Either the years from the start…"),
            "payback_date": _("…or the date by which it pays back."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A date computed from the years is not shown back, or saving the form again would give both.
        if self.instance.pk and self.instance.payback_years is not None:
            self.initial["payback_date"] = None


class ProjectReturnForm(BootstrapMixin, forms.Form):
    year = forms.IntegerField(
        label=_("Year"), min_value=1978, max_value=2100, initial=lambda: timezone.localdate().year
    )
    amount = forms.DecimalField(label=_("Return (yuan)"), max_digits=14, decimal_places=2)
    note = forms.CharField(label=_("Note"), max_length=200, required=False)


class WorkshopForm(RecordForm):
    class Meta:
        model = CommonProsperityWorkshop
        fields = ["name", "partner", "opened_on", "closed_on", "jobs", "annual_rent", "annual_income", "description"]
        widgets = {
            "opened_on": DateInput(),
            "closed_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 3}),
        }


class MeetingForm(RecordForm):
    class Meta:
        model = VillagerMeeting
        fields = [
            "kind", "date", "place", "host", "topic", "attendance", "satisfied", "basically_satisfied", "dissatisfied",
            "notes",
        ]  # fmt: skip
        widgets = {"date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}
        help_texts = {
            "satisfied": _("How many villagers rated the cadres' handling of what they took on as satisfactory."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = MeetingKind.objects.filter(active=True)
        if self.instance.pk:
            kinds = MeetingKind.objects.filter(pk=self.instance.kind_id) | kinds
        self.fields["kind"].queryset = kinds.distinct()


class MatterForm(BootstrapMixin, forms.Form):
    id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    description = forms.CharField(label=_("Matter raised"), max_length=300, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[("", "—"), *MatterOutcome.choices], required=False)
    reference = forms.CharField(
        label=_("Reference"),
        max_length=64,
        required=False,
        help_text=MeetingMatter._meta.get_field("reference").help_text,
    )
    settled_on = forms.DateField(label=_("Settled on"), required=False, widget=DateInput())

    def clean(self):
        data = super().clean()
        if data.get("description") and not data.get("outcome"):
            self.add_error("outcome", _("Say what became of the matter."))
        return data


class BaseMatterFormSet(forms.BaseFormSet):
    def matters(self):
        """The filled rows as the service's MatterInput, blank new rows left out."""
        from .services import MatterInput

        result = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            deleted = self.can_delete and data.get("DELETE")
            if not data.get("description") and not data.get("id"):
                continue
            result.append(
                MatterInput(
                    description=data.get("description") or "",
                    outcome=data.get("outcome") or "",
                    reference=data.get("reference") or "",
                    settled_on=data.get("settled_on"),
                    pk=data.get("id"),
                    delete=bool(deleted) or (bool(data.get("id")) and not data.get("description")),
                )
            )
        return result


MatterFormSet = forms.formset_factory(MatterForm, formset=BaseMatterFormSet, extra=3, can_delete=True, max_num=50)


class StationForm(RecordForm):
    class Meta:
        model = PracticeStation
        fields = ["name", "parent", "address", "opened_on"]
        widgets = {"opened_on": DateInput()}

    def __init__(self, *args, parents=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent"].queryset = parents if parents is not None else PracticeStation.objects.none()


class TeamForm(RecordForm):
    class Meta:
        model = VolunteerTeam
        fields = ["name", "focus", "members", "station", "leader", "founded_on"]
        widgets = {"founded_on": DateInput()}

    def __init__(self, *args, stations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations if stations is not None else PracticeStation.objects.none()


class ActivityForm(RecordForm):
    class Meta:
        model = VolunteerActivity
        fields = ["date", "title", "kind", "participants", "beneficiaries", "team", "station"]
        widgets = {"date": DateInput()}

    def __init__(self, *args, stations=None, teams=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["station"].queryset = stations if stations is not None else PracticeStation.objects.none()
        self.fields["team"].queryset = teams if teams is not None else VolunteerTeam.objects.none()


class InfrastructureForm(RecordForm):
    class Meta:
        model = InfrastructureProject
        fields = ["name", "kind", "status", "start_date", "completed_on", "investment", "funding_source", "notes"]
        widgets = {
            "start_date": DateInput(),
            "completed_on": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }


class InspectionForm(RecordForm):
    class Meta:
        model = EnvironmentInspection
        fields = ["date", "inspector", "result", "score", "findings", "rectify_by"]
        widgets = {"date": DateInput(), "rectify_by": DateInput(), "findings": forms.Textarea(attrs={"rows": 3})}


class TrainingForm(RecordForm):
    class Meta:
        model = TrainingSession
        fields = ["kind", "title", "series", "date", "end_date", "place", "hours", "speakers", "notes"]
        widgets = {"date": DateInput(), "end_date": DateInput(), "notes": forms.Textarea(attrs={"rows": 2})}


class AttendanceForm(forms.Form):
    """One select per cadre: ``cadre_<pk>`` is present/excused/absent or empty (not recorded)."""

    STATUS_CHOICES = [("", _("not recorded")), *AttendanceStatus.choices]

    def __init__(self, *args, cadres, recorded: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.cadres = list(cadres)
        for cadre in self.cadres:
            row = recorded.get(cadre.pk)
            self.fields[f"cadre_{cadre.pk}"] = forms.ChoiceField(
                label=cadre.name,
                choices=self.STATUS_CHOICES,
                required=False,
                initial=row.status if row else "",
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )
            self.fields[f"role_{cadre.pk}"] = forms.ChoiceField(
                label=_("as"),
                choices=AttendanceRole.choices,
                required=False,
                initial=row.role if row else AttendanceRole.PARTICIPANT,
                widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
            )

    def rows(self):
        for cadre in self.cadres:
            yield cadre, self[f"cadre_{cadre.pk}"], self[f"role_{cadre.pk}"]

    def entries(self):
        from .services import AttendanceInput

        return [
            AttendanceInput(
                cadre=cadre,
                status=self.cleaned_data[f"cadre_{cadre.pk}"] or None,
                role=self.cleaned_data[f"role_{cadre.pk}"] or AttendanceRole.PARTICIPANT,
            )
            for cadre in self.cadres
        ]


# ─── Filters of the list pages ──────────────────────────────────────────────────────────────────────────────


def _year_choices():
    this_year = timezone.localdate().year
    return [(y, str(y)) for y in range(this_year, this_year - 8, -1)]


class WorkFilterForm(BootstrapMixin, forms.Form):
    """Year and village, for every list page; each topic adds its own narrowing."""

    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    village = forms.ChoiceField(label=_("Village"), required=False)

    def __init__(self, *args, villages=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = _year_choices()
        villages = list(villages)
        if villages:
            self.fields["village"].choices = [("", _("All villages")), *[(v.code, v.name) for v in villages]]
        else:
            del self.fields["village"]

    def chosen_year(self) -> int:
        value = self.cleaned_data.get("year") if self.is_valid() else None
        return value or timezone.localdate().year

    def value(self, name):
        return (self.cleaned_data.get(name) if self.is_valid() else None) or None


def _with_all(choices):
    return [("", _("All")), *choices]


class EconomyFilterForm(WorkFilterForm):
    kind = forms.ChoiceField(label=_("Project kind"), choices=_with_all(ProjectKind.choices), required=False)
    status = forms.ChoiceField(label=_("Project status"), choices=_with_all(ProjectStatus.choices), required=False)


class MeetingFilterForm(WorkFilterForm):
    kind = forms.ModelChoiceField(
        label=_("Kind"), queryset=MeetingKind.objects.all(), required=False, empty_label=_("All")
    )
    outcome = forms.ChoiceField(label=_("Matter outcome"), choices=_with_all(MatterOutcome.choices), required=False)


class VolunteerFilterForm(WorkFilterForm):
    kind = forms.ChoiceField(label=_("Activity kind"), choices=_with_all(VolunteerFocus.choices), required=False)


class LivabilityFilterForm(WorkFilterForm):
    status = forms.ChoiceField(
        label=_("Project status"), choices=_with_all(InfrastructureStatus.choices), required=False
    )
    result = forms.ChoiceField(
        label=_("Inspection result"), choices=_with_all(InspectionResult.choices), required=False
    )


class TrainingFilterForm(WorkFilterForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=_with_all(TrainingKind.choices), required=False)
