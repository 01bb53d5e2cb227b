from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from villages.forms import BootstrapMixin, DateInput
from villages.validators import event_date, normalize_id_number, validate_id_number, validate_phone

from .choices import (
    Channel,
    Decision,
    Delivery,
    DisputeCategory,
    DisputeSource,
    Kind,
    MediationKind,
    MediationMethod,
    ReviewResult,
    RiskLevel,
    Satisfaction,
)
from .models import Petition


class DivisionChoiceField(forms.ModelChoiceField):
    """A place, named with the township above it so two villages of the same name can be told apart."""

    def label_from_instance(self, obj):
        if obj.level == "village" and obj.parent_id:
            return f"{obj.parent.name} · {obj.name}"
        return obj.name


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(d, initial) for d in data if d]
        return [super().clean(data, initial)] if data else []


def _day_field(label, required=True):
    # <input type="date"> reads and writes ISO dates, whatever the interface language formats dates as.
    return forms.DateField(
        label=label,
        widget=DateInput(format="%Y-%m-%d"),
        initial=timezone.localdate,
        required=required,
        validators=[event_date],
    )


class PetitionForm(BootstrapMixin, forms.Form):
    received_on = _day_field(_("Received on"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=Kind.choices)
    division = DivisionChoiceField(label=_("Place concerned"), queryset=None)
    grid_reference = forms.CharField(label=_("Grid"), max_length=100, required=False)
    subject = forms.CharField(label=_("Subject"), max_length=200)
    content = forms.CharField(label=_("Content"), widget=forms.Textarea(attrs={"rows": 5}))
    is_group = forms.BooleanField(label=_("Group visit"), required=False)
    group_size = forms.IntegerField(label=_("People in the group"), required=False, min_value=2)
    is_level_skipping = forms.BooleanField(label=_("Level-skipping"), required=False)
    is_leader_owned = forms.BooleanField(label=_("Leader-owned case"), required=False)
    leader_name = forms.CharField(label=_("Leader in charge"), max_length=50, required=False)
    is_repeat = forms.BooleanField(
        label=_("Repeat petition"),
        required=False,
        help_text=_("Tick it if the petitioner has raised this matter before, even where no earlier case is found."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"),
        required=False,
        help_text=_("PDF, JPEG, PNG, Word or Excel; up to 10 MB each."),
    )

    def __init__(self, *args, places=None, candidates=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = places
        if candidates:
            self.fields["previous"] = forms.TypedChoiceField(
                label=_("Is this the same matter as an earlier case?"),
                choices=[("", _("No: a new matter"))]
                + [(str(c.pk), f"{c.number} · {c.received_on:%Y-%m-%d} · {c.subject}") for c in candidates],
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )


class PetitionerForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=pgettext_lazy("person", "Name"), max_length=50, required=False)
    id_number = forms.CharField(label=_("ID number"), max_length=18, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=11, required=False)
    address = forms.CharField(label=_("Address"), max_length=200, required=False)

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data.get("id_number", ""))
        if value:
            validate_id_number(value)
        return value

    def clean_phone(self):
        value = (self.cleaned_data.get("phone") or "").strip()
        if value:
            validate_phone(value)
        return value

    def clean(self):
        data = super().clean()
        if any(data.get(f) for f in ("id_number", "phone", "address")) and not data.get("name"):
            self.add_error("name", _("Give the name."))
        return data


def petitioner_formset(max_people: int):
    return forms.formset_factory(PetitionerForm, extra=max_people, max_num=max_people, validate_max=True)


class AcceptForm(BootstrapMixin, forms.Form):
    on = _day_field(_("Accepted on"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AssignForm(BootstrapMixin, forms.Form):
    MODES = [("assign", _("Assign (交办)")), ("forward", _("Forward (转送)"))]
    unit = forms.ModelChoiceField(label=_("Responsible unit"), queryset=None)
    mode = forms.ChoiceField(label=_("How"), choices=MODES, initial="assign")
    on = _day_field(_("Routed on"))
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units

    def service_kwargs(self):
        data = dict(self.cleaned_data)
        data["forward"] = data.pop("mode") == "forward"
        return data


class RefuseForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Written reason"), widget=forms.Textarea(attrs={"rows": 3}))
    on = _day_field(_("Decided on"))


class ExtendForm(BootstrapMixin, forms.Form):
    days = forms.IntegerField(label=_("Days"), min_value=1, initial=30)
    approved_by = forms.CharField(label=_("Approved by (the unit's head)"), max_length=50)
    reason = forms.CharField(label=_("Reason told to the petitioner"), widget=forms.Textarea(attrs={"rows": 2}))
    notified_on = _day_field(_("Petitioner told on"))
    on = _day_field(_("Approved on"))


class ConcludeForm(BootstrapMixin, forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=Decision.choices)
    decision_text = forms.CharField(label=_("Written decision"), widget=forms.Textarea(attrs={"rows": 4}))
    on = _day_field(_("Concluded on"))


class DeliverForm(BootstrapMixin, forms.Form):
    method = forms.ChoiceField(label=_("Delivered"), choices=Delivery.choices)
    on = _day_field(_("Delivered on"))


class RateForm(BootstrapMixin, forms.Form):
    satisfaction = forms.ChoiceField(label=_("Satisfaction"), choices=Satisfaction.choices, widget=forms.RadioSelect)
    on = _day_field(_("Rated on"))


class ReturnVisitForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("What the petitioner said"), widget=forms.Textarea(attrs={"rows": 2}))
    satisfaction = forms.ChoiceField(
        label=_("Satisfaction, if not yet recorded"),
        choices=[("", "—"), *Satisfaction.choices],
        required=False,
    )
    on = _day_field(_("Visited on"))

    def __init__(self, *args, petition: Petition | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if petition is not None and (petition.satisfaction or not petition.rating_eligible):
            del self.fields["satisfaction"]


class ReviewRequestForm(BootstrapMixin, forms.Form):
    on = _day_field(_("Requested on"))
    note = forms.CharField(
        label=_("What the petitioner contests"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class ReviewAnswerForm(BootstrapMixin, forms.Form):
    result = forms.ChoiceField(label=_("Result"), choices=ReviewResult.choices)
    text = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))
    reviewing_body = forms.CharField(label=_("Answered by"), max_length=100)
    on = _day_field(_("Answered on"))


class SuperviseForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("What is demanded, and by when"), widget=forms.Textarea(attrs={"rows": 2}))
    on = _day_field(_("Supervised on"))


class AttachmentForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("File"), help_text=_("PDF, JPEG, PNG, Word or Excel; up to 10 MB."))


class DisputeForm(BootstrapMixin, forms.Form):
    screened_on = _day_field(_("Screened on"))
    division = DivisionChoiceField(label=_("Where it arose"), queryset=None)
    source = forms.ChoiceField(label=_("Screened by"), choices=DisputeSource.choices)
    grid_reference = forms.CharField(label=_("Grid"), max_length=100, required=False)
    category = forms.ChoiceField(label=_("Type"), choices=DisputeCategory.choices)
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    summary = forms.CharField(label=_("What it is about"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, places=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = places


class PartyForm(PetitionerForm):
    address = None


PartyFormSet = forms.formset_factory(PartyForm, extra=4, max_num=10)


class MediationForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=MediationKind.choices)
    mediator = forms.CharField(label=_("Mediator"), max_length=100)
    method = forms.ChoiceField(label=_("Method"), choices=MediationMethod.choices)
    sessions = forms.IntegerField(label=_("Sessions"), min_value=1, initial=1)
    started_on = _day_field(_("Started on"))
    ended_on = _day_field(_("Ended on"))
    resolved = forms.BooleanField(label=_("Resolved: the parties reached an agreement"), required=False)
    agreement = forms.CharField(label=_("Agreement"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.CharField(label=_("Follow-up planned"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class FollowUpForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("What the follow-up found"), widget=forms.Textarea(attrs={"rows": 2}))
    on = _day_field(_("Followed up on"))


class EscalateForm(BootstrapMixin, forms.Form):
    petition_number = forms.CharField(
        label=_("Petition case number"), max_length=20, required=False, help_text=_("For example XF34082720260001.")
    )
    grid_request_ref = forms.CharField(
        label=_("Or: the grid service request"), max_length=100, required=False, help_text=_("Its number or title.")
    )
    on = _day_field(_("Escalated on"))

    def __init__(self, *args, petitions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.petitions = petitions

    def clean(self):
        data = super().clean()
        number = (data.get("petition_number") or "").strip().upper()
        data["petition"] = None
        if number:
            data["petition"] = self.petitions.filter(number=number).first() if self.petitions is not None else None
            if data["petition"] is None:
                self.add_error("petition_number", _("No case you can see has this number."))
        elif not (data.get("grid_request_ref") or "").strip():
            self.add_error(None, _("Give the petition case or the grid request it was escalated into."))
        return data

    def service_kwargs(self):
        return {k: self.cleaned_data[k] for k in ("petition", "grid_request_ref", "on")}
