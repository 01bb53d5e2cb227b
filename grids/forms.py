import json

from django import forms
from django.utils.translation import gettext_lazy as _

from villages.forms import BootstrapMixin, DateInput

from .choices import (
    AssignmentRole,
    Channel,
    DedicatedType,
    GridKind,
    Rating,
    RequestStatus,
    StepAction,
    SupervisionLevel,
    VisitKind,
)
from .models import CareTag, Grid, Household, PartyMember, ServiceItem

# An <input type="date"> reads and shows ISO dates only, whatever the language of the page.
ISO = "%Y-%m-%d"


class GridForm(BootstrapMixin, forms.Form):
    code = forms.CharField(
        label=_("Grid code"),
        max_length=15,
        help_text=_("The village's 12-digit code followed by 3 digits."),
    )
    name = forms.CharField(label=_("Name"), max_length=60)
    kind = forms.ChoiceField(label=_("Kind"), choices=GridKind.choices)
    dedicated_type = forms.ChoiceField(
        label=_("Dedicated grid covers"),
        choices=[("", "—"), *DedicatedType.choices],
        required=False,
    )
    boundary = forms.JSONField(
        label=_("Boundary (GeoJSON)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "class": "font-monospace", "spellcheck": "false"}),
        help_text=_(
            'A GeoJSON Polygon or MultiPolygon, longitude first, e.g. {"type": "Polygon", "coordinates": '
            "[[[114.01, 33.58], [114.02, 33.58], [114.02, 33.59], [114.01, 33.59], [114.01, 33.58]]]}"
        ),
    )

    def __init__(self, *args, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("A grid's code does not change.")


class AssignmentForm(BootstrapMixin, forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=AssignmentRole.choices)
    user = forms.ModelChoiceField(
        label=_("User"),
        queryset=None,
        required=False,
        help_text=_("A grid worker with an account sees the grids they are assigned to."),
    )
    person_name = forms.CharField(
        label=_("Or the person's name"),
        max_length=50,
        required=False,
        help_text=_("For someone without an account (a police officer, a building head)."),
    )
    phone = forms.CharField(label=_("Phone"), max_length=11, required=False)
    start_date = forms.DateField(label=_("From"), widget=DateInput(format=ISO))
    end_date = forms.DateField(label=_("Until"), widget=DateInput(format=ISO), required=False)

    def __init__(self, *args, users=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users
        self.fields["user"].label_from_instance = lambda u: f"{u.first_name or u.username} ({u.username})"


class AssignmentEndForm(BootstrapMixin, forms.Form):
    end_date = forms.DateField(label=_("Until"), widget=DateInput(format=ISO))


class HouseholdForm(BootstrapMixin, forms.ModelForm):
    care_tags = forms.ModelMultipleChoiceField(
        label=_("Care tags"),
        queryset=CareTag.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Household
        fields = ["grid", "address", "head_name", "members_count", "phone", "care_tags", "linked_member"]

    def __init__(self, *args, grids=None, members=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids if grids is not None else Grid.objects.none()
        self.fields["linked_member"].queryset = members if members is not None else PartyMember.objects.none()
        # Checkboxes are laid out by the template; the Bootstrap class for selects does not fit them.
        self.fields["care_tags"].widget.attrs["class"] = "form-check-input"


class MemberForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = PartyMember
        fields = ["name", "phone", "branch", "grid", "party_group", "is_central_household"]

    def __init__(self, *args, grids=None, groups=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = grids if grids is not None else Grid.objects.none()
        self.fields["party_group"].queryset = groups


class VisitForm(BootstrapMixin, forms.Form):
    visited_on = forms.DateField(label=_("Visited on"), widget=DateInput(format=ISO))
    kind = forms.ChoiceField(label=_("Kind"), choices=VisitKind.choices)
    by_member = forms.BooleanField(label=_("Visited by the linked party member"), required=False)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ItemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.subcategory.category.name} · {obj.subcategory.name} · {obj.name}（{obj.time_limit_display}）"


class RequestForm(BootstrapMixin, forms.Form):
    item = ItemChoiceField(label=_("Service"), queryset=ServiceItem.objects.none())
    household = forms.ModelChoiceField(
        label=_("Household"),
        queryset=Household.objects.none(),
        required=False,
        help_text=_("Leave empty for a villager who is not on the grid's roll."),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    requester_name = forms.CharField(
        label=_("Requester"), max_length=50, required=False, help_text=_("Filled from the household when empty.")
    )
    requester_phone = forms.CharField(label=_("Requester's phone"), max_length=11, required=False)
    description = forms.CharField(label=_("What is needed"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, items=None, households=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = items
        self.fields["household"].queryset = households

    def clean(self):
        data = super().clean()
        if not data.get("household") and not (data.get("requester_name") or "").strip():
            self.add_error("requester_name", _("Name the requester, or choose their household."))
        return data


class StepForm(BootstrapMixin, forms.Form):
    action = forms.ChoiceField(choices=StepAction.choices, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Note"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    rating = forms.ChoiceField(label=_("Rating"), choices=[("", "—"), *Rating.choices], required=False)
    to_unit = forms.CharField(label=_("Dispatch to (unit)"), max_length=120, required=False)
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=None, required=False)

    def __init__(self, *args, handlers=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = handlers
        self.fields["handler"].label_from_instance = lambda u: u.first_name or u.username


class SuperviseForm(BootstrapMixin, forms.Form):
    level = forms.ChoiceField(label=_("Level"), choices=SupervisionLevel.choices)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RequestFilterForm(BootstrapMixin, forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), ("open", _("Open")), *RequestStatus.choices], required=False
    )
    overdue = forms.BooleanField(label=_("Overdue only"), required=False)
    supervised = forms.BooleanField(label=_("Supervised only"), required=False)


def boundary_text(boundary) -> str:
    return json.dumps(boundary, ensure_ascii=False) if boundary else ""
