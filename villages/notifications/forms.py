from django import forms
from django.utils.translation import gettext_lazy as _

from ..forms import BootstrapMixin
from .choices import WebhookKind
from .models import URL_MAX


class NotificationSettingsForm(BootstrapMixin, forms.Form):
    email = forms.EmailField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        error_messages={"invalid": _("Enter a valid e-mail address, such as name@example.gov.cn.")},
    )
    email_reminders = forms.BooleanField(
        label=_("E-mail reminders"),
        required=False,
        help_text=_("Send me an e-mail when something on my to-do list falls due or is overdue (at most once a day)."),
    )

    def clean(self):
        data = super().clean()
        if data.get("email_reminders") and not data.get("email") and "email" not in self.errors:
            self.add_error("email", _("Enter an e-mail address to receive e-mail reminders."))
        return data


class CountyWebhookForm(BootstrapMixin, forms.Form):
    kind = forms.ChoiceField(label=_("Robot"), choices=WebhookKind.choices)
    url = forms.CharField(
        label=_("Robot address"),
        max_length=URL_MAX,
        help_text=_(
            "WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; "
            "DingTalk: https://oapi.dingtalk.com/robot/send?access_token=…"
        ),
    )
    secret = forms.CharField(
        label=_("Signing secret"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "DingTalk only, if the robot's security setting is signing (加签): the secret starting with SEC. "
            "Leave empty to keep the secret already saved."
        ),
    )
    clear_secret = forms.BooleanField(label=_("Remove the saved signing secret"), required=False)
    active = forms.BooleanField(label=_("Post the daily digest to this robot"), required=False, initial=True)
