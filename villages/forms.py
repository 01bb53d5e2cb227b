from django import forms
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .choices import AdjustmentKind, ApprovingLevel, Committee, PostTitle
from .models import Cadre, WatchRules
from .validators import TEXT_MAX, DateBounds, any_date, normalize_id_number

DATE_PLACEHOLDER = "YYYY-MM-DD"


class DateInput(forms.DateInput):
    """A date as the platform writes it everywhere, YYYY-MM-DD, in a text box. The browser's own date box shows
    the date in the browser's language and order (05/03/2026 in an English browser) and its own English messages;
    this one shows what the clerk's ledgers and our pages show, with a numeric keypad on a phone."""

    input_type = "text"

    def __init__(self, attrs=None, format="%Y-%m-%d"):
        attrs = {
            "placeholder": DATE_PLACEHOLDER,
            "inputmode": "numeric",
            "autocomplete": "off",
            "maxlength": "10",
            **(attrs or {}),
        }
        super().__init__(attrs, format=format)


class BootstrapMixin:
    """Bootstrap classes on every widget, so templates render fields with one include; and every form's bounds
    where a field states none (``villages.validators``): free text at most TEXT_MAX characters, a date within
    1949-10-01 … ten years ahead. A model's own bounds (an event not after today, a note's 2,000 characters) are
    applied by its model form or by the service's ``full_clean``."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            _bound(self, name, field)
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"
                self.fields[name].widget.attrs["aria-describedby"] = f"id_{name}_errors"


def _bound(form, name: str, field) -> None:
    if type(field) is forms.CharField and field.max_length is None:
        field.max_length = TEXT_MAX
        field.validators.append(MaxLengthValidator(TEXT_MAX))
        field.widget.attrs.setdefault("maxlength", str(TEXT_MAX))
    elif isinstance(field, forms.DateField):
        if not any(isinstance(v, DateBounds) for v in field.validators):
            field.validators.append(_model_date_bounds(form, name) or any_date)
        if type(field.widget) is forms.DateInput:  # a date field that named no widget: the platform's own
            field.widget = DateInput(attrs=field.widget.attrs)
        field.error_messages["invalid"] = _("Enter the date as YYYY-MM-DD, e.g. 2026-03-15.")


def _model_date_bounds(form, name: str):
    """A model form's date field takes its model field's bounds (a birth date's reach back to 1900)."""
    meta = getattr(form, "_meta", None)
    model = getattr(meta, "model", None)
    if model is None:
        return None
    try:
        validators = model._meta.get_field(name).validators
    except FieldDoesNotExist:
        return None
    return next((v for v in validators if isinstance(v, DateBounds)), None)


class CadreForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = Cadre
        fields = [
            "name",
            "gender",
            "birth_date",
            "education",
            "is_party_member",
            "party_branch",
            "phone",
            "id_number",
            "term_start_year",
        ]
        widgets = {"birth_date": DateInput()}

    def clean_id_number(self):
        return normalize_id_number(self.cleaned_data.get("id_number", ""))


class PostForm(BootstrapMixin, forms.Form):
    committee = forms.ChoiceField(label=_("Committee"), choices=Committee.choices)
    title = forms.ChoiceField(label=_("Title"), choices=PostTitle.choices)
    start_date = forms.DateField(label=_("Start date"), widget=DateInput())


class AdjustmentForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AdjustmentKind.choices)
    incoming = forms.ModelChoiceField(
        label=_("Incoming cadre"),
        queryset=Cadre.objects.none(),
        required=False,
        help_text=_("Required for a replacement."),
    )
    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    approved_by = forms.ChoiceField(label=_("Approving level"), choices=ApprovingLevel.choices)

    def __init__(self, *args, village=None, exclude=None, **kwargs):
        super().__init__(*args, **kwargs)
        if village is not None:
            qs = Cadre.objects.filter(division=village, active=True)
            if exclude is not None:
                qs = qs.exclude(pk=exclude.pk)
            self.fields["incoming"].queryset = qs


class SearchForm(BootstrapMixin, forms.Form):
    q = forms.CharField(label=_("Search"), required=False, max_length=50)


class StarApplyForm(BootstrapMixin, forms.Form):
    star_type = forms.ModelChoiceField(label=_("Star"), queryset=None)
    note = forms.CharField(label=_("Application"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, star_types=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["star_type"].queryset = star_types


class StarTownshipForm(BootstrapMixin, forms.Form):
    support = forms.TypedChoiceField(
        label=_("Township opinion"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Support and report to the county")), ("no", _("Do not support"))],
    )  # fmt: skip
    opinion = forms.CharField(label=_("Opinion"), widget=forms.Textarea(attrs={"rows": 2}))


class StarCountyForm(BootstrapMixin, forms.Form):
    award_star = forms.TypedChoiceField(
        label=_("County decision"), coerce=lambda v: v == "yes",
        choices=[("yes", _("Award the star")), ("no", _("Do not award"))],
    )  # fmt: skip
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), required=False,
        help_text=_("Required when the decision differs from the data's proposal."),
    )  # fmt: skip


class StarNoticeForm(BootstrapMixin, forms.Form):
    start = forms.DateField(label=_("Public notice starts"), widget=DateInput())


class StarRemoveForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason for removing the star"), widget=forms.Textarea(attrs={"rows": 2}))


class WatchRulesForm(BootstrapMixin, forms.ModelForm):
    """A county's watch list thresholds; "preview" shows how many villages they would list before saving."""

    class Meta:
        model = WatchRules
        fields = [
            "min_sources",
            "min_cases",
            "quantile",
            "min_denominator",
            "rate_floor",
            "trend_baseline",
            "trend_rise",
        ]


class WatchFilterForm(BootstrapMixin, forms.Form):
    township = forms.ChoiceField(label=_("Township"), required=False)
    signal = forms.ChoiceField(label=_("Signal"), required=False)
    source = forms.ChoiceField(label=_("Source"), required=False)

    def __init__(self, *args, townships=(), signals=(), sources=(), **kwargs):
        super().__init__(*args, **kwargs)
        everything = [("", _("All"))]
        self.fields["township"].choices = everything + [(d.code, d.name) for d in townships]
        self.fields["signal"].choices = everything + [(k, str(label)) for k, label in signals]
        self.fields["source"].choices = everything + [(k, str(label)) for k, label in sources]


class AdjustmentFilterForm(BootstrapMixin, forms.Form):
    township = forms.ChoiceField(label=_("Township"), required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("All")), *AdjustmentKind.choices], required=False)
    approved_by = forms.ChoiceField(
        label=_("Approved by"), choices=[("", _("All")), *ApprovingLevel.choices], required=False
    )
    year = forms.IntegerField(label=_("Year"), required=False, min_value=1949, max_value=2100)
    q = forms.CharField(label=_("Name or reason"), required=False, max_length=50)

    def __init__(self, *args, townships=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["township"].choices = [("", _("All"))] + [(d.code, d.name) for d in townships]
