from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from villages.forms import BootstrapMixin, DateInput
from villages.validators import NOTE_MAX

from . import grading
from .choices import Grade, LevelStatus, Stage
from .models import Campaign, ScorecardTemplate, VetoRule

PASSED_VALUES = frozenset({"", "1", "0"})  # not set, passed, failed
# What CharField(max_length=…) checks: no NUL characters, and the length.
SCORE_CHECKS = (validators.ProhibitNullCharactersValidator(), validators.MaxLengthValidator(10))
NOTE_CHECKS = (validators.ProhibitNullCharactersValidator(), validators.MaxLengthValidator(NOTE_MAX))


def _text(value) -> str:
    """An optional text input as a ``CharField`` cleans it: stripped, and "" when absent."""
    return "" if value is None else str(value).strip()


def _problems(value: str, checks) -> list[str]:
    """The messages these validators give for this text (none for "", as for a field that is not required)."""
    if not value:
        return []
    problems = []
    for check in checks:
        try:
            check(value)
        except ValidationError as exc:
            problems.extend(exc.messages)
    return problems


class ScorecardForm(forms.Form):
    """One level's scorecard: for each item a score (or passed/failed) and a note; the veto conditions found; and
    for the township level its on-site checks and first evaluation. Only types are checked here; the scoring
    rules (range, steps, required notes) are the service's, so the API gets the same answers."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)
    overwrite_version = forms.IntegerField(min_value=0, required=False, widget=forms.HiddenInput)
    conditions = forms.MultipleChoiceField(label=_("Veto conditions found"), required=False)
    onsite_visits = forms.IntegerField(label=_("Households visited"), min_value=0, max_value=32767, required=False)
    onsite_talks = forms.IntegerField(label=_("People talked to"), min_value=0, max_value=32767, required=False)
    onsite_documents = forms.IntegerField(label=_("Documents checked"), min_value=0, max_value=32767, required=False)
    onsite_notes = forms.CharField(label=_("On-site findings"), required=False, widget=forms.Textarea)
    first_evaluation = forms.CharField(
        label=_("First evaluation of the township review meeting"), required=False, widget=forms.Textarea
    )

    def __init__(self, *args, items, vetoes, stage, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.stage = stage
        self.fields["conditions"].choices = [(str(v.pk), v.name) for v in vetoes if v.item_id is None]
        if stage != Stage.TOWNSHIP:
            for name in ("onsite_visits", "onsite_talks", "onsite_documents", "onsite_notes", "first_evaluation"):
                del self.fields[name]

    def item_errors(self) -> dict[int, list[str]]:
        """Errors of the item fields, by item id: a score that is not a number."""
        errors: dict[int, list[str]] = {}
        for item in self.items:
            for prefix in ("score", "passed", "note"):
                for message in self.errors.get(f"{prefix}_{item.pk}", []):
                    errors.setdefault(item.pk, []).append(message)
        return errors

    def clean(self):
        """Read each item's inputs (``score_<id>`` or ``passed_<id>``, and ``note_<id>``) into ``cleaned_data``
        under those names, with the checks optional text and choice fields make, and the score as a number.

        They are not form fields: 71 items would make over 140 fields, built (deep-copied) and cleaned one by one
        on every save, and the page renders its inputs itself. Their errors are keyed by the same names."""
        cleaned = super().clean()
        data = self.data
        for item in self.items:
            if item.is_pass_fail:
                name = f"passed_{item.pk}"
                value = _text(data.get(name))
                if value in PASSED_VALUES:
                    cleaned[name] = value
                else:
                    invalid = forms.ChoiceField.default_error_messages["invalid_choice"] % {"value": value}
                    self._item_error(name, [invalid])
            else:
                name = f"score_{item.pk}"
                value = _text(data.get(name))
                if problems := _problems(value, SCORE_CHECKS):
                    self._item_error(name, problems)
                else:
                    try:
                        cleaned[name] = grading.to_decimal(value)
                    except ValueError:
                        self._item_error(name, [_("Enter a number of points.")])
            name = f"note_{item.pk}"
            note = _text(data.get(name))
            if problems := _problems(note, NOTE_CHECKS):
                self._item_error(name, problems)
            else:
                cleaned[name] = note
        return cleaned

    def _item_error(self, name: str, messages: list) -> None:
        # Not add_error, which only takes the form's own fields' names.
        self._errors.setdefault(name, self.error_class()).extend(messages)

    def entries(self) -> dict[int, grading.ScoreInput]:
        data = self.cleaned_data
        result = {}
        for item in self.items:
            note = data.get(f"note_{item.pk}", "")
            if item.is_pass_fail:
                value = data.get(f"passed_{item.pk}", "")
                passed = None if value == "" else value == "1"
                result[item.pk] = grading.ScoreInput(passed=passed, note=note)
            else:
                result[item.pk] = grading.ScoreInput(score=data.get(f"score_{item.pk}"), note=note)
        return result

    def onsite(self) -> dict:
        names = ("onsite_visits", "onsite_talks", "onsite_documents", "onsite_notes", "first_evaluation")
        return {name: self.cleaned_data.get(name) for name in names if name in self.fields}

    def expected_version(self) -> int:
        """The version the user saw, or the newer one they chose to save over after a conflict."""
        overwrite = self.cleaned_data.get("overwrite_version")
        return overwrite if overwrite is not None else self.cleaned_data["version"]


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)


class SubmitForm(forms.Form):
    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)


class BoardFilterForm(BootstrapMixin, forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=Campaign.objects.none(), required=False)
    stage = forms.ChoiceField(label=_("Level"), choices=[("", _("Any level")), *Stage.choices], required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            ("", _("Any status")),
            ("none", _("Not sampled")),
            ("not_started", _("Not started")),
            *LevelStatus.choices,
        ],
        required=False,
    )
    grade = forms.ChoiceField(
        label=_("Final grade"),
        choices=[("", _("Any grade")), *Grade.choices, ("pending", _("Pending"))],
        required=False,
    )
    q = forms.CharField(label=_("Village"), required=False, max_length=50)

    def __init__(self, *args, campaigns=None, **kwargs):
        super().__init__(*args, **kwargs)
        if campaigns is not None:
            self.fields["campaign"].queryset = campaigns
        self.fields["campaign"].empty_label = None
        self.fields["campaign"].widget.attrs["class"] += " sz-autosubmit"


class CampaignForm(BootstrapMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    template = forms.ModelChoiceField(label=_("Scorecard"), queryset=ScorecardTemplate.objects.none())
    start_date = forms.DateField(label=_("Starts"), widget=DateInput())
    end_date = forms.DateField(label=_("Ends"), widget=DateInput())

    def __init__(self, *args, templates=None, **kwargs):
        super().__init__(*args, **kwargs)
        if templates is not None:
            self.fields["template"].queryset = templates


class SampleDrawForm(BootstrapMixin, forms.Form):
    share = forms.DecimalField(
        label=_("Share per township"),
        min_value=0,
        max_value=1,
        max_digits=4,
        decimal_places=3,
        initial="0.2",
        help_text=_("0.2 draws one village in five from each township, rounded up."),
    )
    minimum = forms.IntegerField(label=_("At least, per township"), min_value=0, initial=1)
    seed = forms.IntegerField(
        label=_("Random seed"),
        min_value=0,
        max_value=2**62,
        required=False,
        help_text=_("Leave empty to draw a new one. It is recorded, so anyone can re-run the draw."),
    )


class TemplateForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = ScorecardTemplate
        fields = ["name", "good_min", "fairly_good_min", "average_min"]


class TemplateCopyForm(BootstrapMixin, forms.Form):
    division = forms.ChoiceField(label=_("For"))
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    name = forms.CharField(label=_("Name"), max_length=100)

    def __init__(self, *args, counties, shared_allowed, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(d.code, d.name) for d in counties]
        if shared_allowed:
            choices.insert(0, ("", _("All counties (shared template)")))
        self.fields["division"].choices = choices


class VetoForm(BootstrapMixin, forms.ModelForm):
    class Meta:
        model = VetoRule
        fields = ["name", "item", "grade"]

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = template.items.order_by("number")
        self.fields["item"].required = False


class PostRatingForm(BootstrapMixin, forms.Form):
    post = forms.IntegerField(widget=forms.HiddenInput)
    grade = forms.ChoiceField(label=_("Grade"), choices=Grade.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=1000)
