"""Forms of the follow-up pages: types and choices only; every rule is the service's (the API gets the same)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from villages.choices import AdjustmentKind, ApprovingLevel
from villages.forms import BootstrapMixin, DateInput

from .choices import Book, ProblemKind, TalkKind
from .models import EvaluationScale


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None, format="%Y-%m-%dT%H:%M"):
        super().__init__(attrs, format=format)


class EvaluationForm(BootstrapMixin, forms.Form):
    """The meeting, then one row of vote counts per cadre (fields ``votes_<cadre>_<n>``, n the option's index)."""

    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    date = forms.DateField(label=_("Meeting date"), widget=DateInput())
    organizer = forms.CharField(label=_("Organized by"), max_length=100)
    expected = forms.IntegerField(label=_("People entitled to vote"), min_value=1)
    attendance = forms.IntegerField(label=_("People present"), min_value=0)
    scale = forms.ModelChoiceField(label=_("Scale"), queryset=EvaluationScale.objects.all(), empty_label=None)

    def __init__(self, *args, cadres, **kwargs):
        super().__init__(*args, **kwargs)
        self.cadres = list(cadres)
        self.width = max((len(s.options) for s in EvaluationScale.objects.all()), default=3)
        for cadre in self.cadres:
            for i in range(self.width):
                self.fields[f"votes_{cadre.pk}_{i}"] = forms.IntegerField(
                    min_value=0,
                    required=False,
                    widget=forms.NumberInput(attrs={"class": "form-control form-control-sm"}),
                )

    def rows(self):
        return [(c, [self[f"votes_{c.pk}_{i}"] for i in range(self.width)]) for c in self.cadres]

    def results(self) -> dict[int, dict[str, int]]:
        scale = self.cleaned_data["scale"]
        results = {}
        for cadre in self.cadres:
            values = [self.cleaned_data.get(f"votes_{cadre.pk}_{i}") for i in range(len(scale.options))]
            if any(v is not None for v in values):
                results[cadre.pk] = {o: v or 0 for o, v in zip(scale.options, values, strict=True)}
        return results


class TalkForm(BootstrapMixin, forms.Form):
    cadre = forms.ModelChoiceField(label=_("Cadre talked to"), queryset=None)
    kind = forms.ChoiceField(label=_("Kind"), choices=TalkKind.choices)
    talker = forms.CharField(label=_("Talked by"), max_length=100)
    note_taker = forms.CharField(label=_("Notes taken by"), max_length=100)
    held_at = forms.DateTimeField(label=_("Time"), widget=DateTimeInput())
    place = forms.CharField(label=_("Place"), max_length=200)
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    review = forms.ModelChoiceField(label=_("Review finding"), queryset=None, required=False)
    evaluation = forms.ModelChoiceField(label=_("Evaluation"), queryset=None, required=False)
    petition = forms.CharField(label=_("Petition case number"), max_length=20, required=False)
    content = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 3}))
    commitment = forms.CharField(
        label=_("The cadre's commitment"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    correction = forms.CharField(
        label=_("Correction demanded"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    correction_deadline = forms.DateField(label=_("Correction deadline"), widget=DateInput(), required=False)

    def __init__(self, *args, cadres, reviews, evaluations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres
        self.fields["review"].queryset = reviews
        self.fields["evaluation"].queryset = evaluations


class FollowUpForm(BootstrapMixin, forms.Form):
    follow_up = forms.CharField(label=_("Follow-up"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label=_("Outcome"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ProblemForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ProblemKind.choices)
    check_item = forms.ModelChoiceField(label=_("Check"), queryset=None, empty_label=None)
    title = forms.CharField(label=_("Problem"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    villages = forms.ModelMultipleChoiceField(label=_("Villages"), queryset=None)
    source = forms.CharField(label=_("Found in"), max_length=200, required=False)

    def __init__(self, *args, checks, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["check_item"].queryset = checks
        self.fields["villages"].queryset = villages


class CommonMeasureForm(BootstrapMixin, forms.Form):
    title = forms.CharField(label=_("Measure"), max_length=200)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    adopted_on = forms.DateField(label=_("Adopted on"), widget=DateInput())
    problems = forms.ModelMultipleChoiceField(label=_("Problems it answers"), queryset=None, required=False)

    def __init__(self, *args, problems, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problems"].queryset = problems


class PlanForm(BootstrapMixin, forms.Form):
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 3}), required=False)


class MeasureForm(BootstrapMixin, forms.Form):
    content = forms.CharField(label=_("Measure"), widget=forms.Textarea(attrs={"rows": 2}))
    owner = forms.CharField(label=_("Owner"), max_length=100)
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    problem = forms.ModelChoiceField(label=_("Problem"), queryset=None, required=False)
    common_measure = forms.ModelChoiceField(label=_("Common measure applied"), queryset=None, required=False)

    def __init__(self, *args, problems, common_measures, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["problem"].queryset = problems
        self.fields["common_measure"].queryset = common_measures


class EvidenceForm(BootstrapMixin, forms.Form):
    file = forms.FileField(label=_("Evidence file"), help_text=_("PDF, JPEG or PNG."), allow_empty_file=True)
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class NoteForm(BootstrapMixin, forms.Form):
    note = forms.CharField(label=_("Verification"), widget=forms.Textarea(attrs={"rows": 2}), required=False)


class ReasonForm(BootstrapMixin, forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))


class RecordEntryForm(BootstrapMixin, forms.Form):
    cadre = forms.ModelChoiceField(label=_("Cadre"), queryset=None)
    book = forms.ChoiceField(label=_("Book"), choices=Book.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    content = forms.CharField(label=_("Entry"), widget=forms.Textarea(attrs={"rows": 2}))
    corrects = forms.ModelChoiceField(label=_("Corrects entry"), queryset=None, required=False)

    def __init__(self, *args, cadres, entries, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres
        self.fields["corrects"].queryset = entries


class PublishForm(BootstrapMixin, forms.Form):
    period = forms.RegexField(
        label=_("Month"), regex=r"^\d{4}-(0[1-9]|1[0-2])$", max_length=7, help_text=_("For example 2026-10.")
    )


class AdjustForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=AdjustmentKind.choices)
    date = forms.DateField(label=_("Date"), widget=DateInput())
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))
    approved_by = forms.ChoiceField(label=_("Approving level"), choices=ApprovingLevel.choices)
    incoming = forms.ModelChoiceField(label=_("Incoming cadre"), queryset=None, required=False)
    review = forms.ModelChoiceField(label=_("Look-back review"), queryset=None, required=False)
    evaluation = forms.ModelChoiceField(label=_("Democratic evaluation"), queryset=None, required=False)
    talk = forms.ModelChoiceField(label=_("Talk"), queryset=None, required=False)

    def __init__(self, *args, incoming, reviews, evaluations, talks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incoming"].queryset = incoming
        self.fields["review"].queryset = reviews
        self.fields["evaluation"].queryset = evaluations
        self.fields["talk"].queryset = talks
