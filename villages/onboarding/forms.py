from django import forms
from django.utils.translation import gettext_lazy as _

from .. import reference
from ..choices import Level, Role
from ..forms import BootstrapMixin
from ..models import Division


class StartForm(forms.Form):
    """Start here: a province, then some of its counties or the whole of it."""

    province = forms.ChoiceField(label=_("Province"))
    counties = forms.MultipleChoiceField(label=_("Counties"), required=False, widget=forms.CheckboxSelectMultiple)
    whole_province = forms.BooleanField(label=_("The whole province"), required=False)

    def __init__(self, *args, province: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["province"].choices = [(p.code[:2], p.name) for p in reference.provinces()]
        code = province or self.data.get("province") or ""
        self.fields["counties"].choices = [(c.code[:6], c.name) for c in reference.counties_of(str(code)[:2])]

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("whole_province") and not data.get("counties"):
            self.add_error("counties", _("Choose at least one county, or the whole province."))
        return data


class UserCreateForm(BootstrapMixin, forms.Form):
    username = forms.CharField(label=_("Account name"), max_length=150)
    name = forms.CharField(label=_("Full name"), max_length=150, required=False)
    password = forms.CharField(label=_("Password"), strip=False, widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("Password again"), strip=False, widget=forms.PasswordInput)
    division = forms.ModelChoiceField(label=_("Division"), queryset=Division.objects.none())
    village = forms.CharField(
        label=_("Village or community code"),
        max_length=12,
        required=False,
        help_text=_("For a scope in one village or community: its 12-digit code (instead of the division above)."),
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    manages_users = forms.BooleanField(
        label=_("Manages users"),
        required=False,
        help_text=_("A county official who may create users and grant scopes in this division."),
    )

    def __init__(self, *args, divisions=None, **kwargs):
        super().__init__(*args, **kwargs)
        if divisions is not None:
            self.fields["division"].queryset = divisions
            self.fields["division"].label_from_instance = lambda d: f"{d.name}（{d.get_level_display()} {d.code}）"

    def clean_village(self):
        code = (self.cleaned_data.get("village") or "").strip()
        if not code:
            return None
        village = Division.objects.filter(code=code, level=Level.VILLAGE).first()
        if village is None:
            raise forms.ValidationError(_("No village or community has the code %(code)s.") % {"code": code})
        return village

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data


class ScopeGrantForm(UserCreateForm):
    """The scope part of the user form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("username", "name", "password", "password_again"):
            del self.fields[name]


class PasswordSetForm(BootstrapMixin, forms.Form):
    password = forms.CharField(label=_("New password"), strip=False, widget=forms.PasswordInput)
    password_again = forms.CharField(label=_("New password again"), strip=False, widget=forms.PasswordInput)

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", _("The two passwords differ."))
        return data
