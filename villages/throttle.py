"""Login throttling for the browser form and the API token endpoint.

After SHANZHI_LOGIN_FAILURES failed attempts for one account, or SHANZHI_LOGIN_FAILURES_PER_ADDRESS from one
address (higher: a township office shares one address), further attempts are refused
for SHANZHI_LOGIN_LOCKOUT_MINUTES, without even checking the password. Counters live in the shared cache (Redis
in production), so every web process sees them. A success clears the account's counter.
"""

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _


def _keys(username: str, address: str) -> list[str]:
    return [f"login-fail:user:{(username or '').strip().lower()}", f"login-fail:addr:{address}"]


def client_address(request) -> str:
    return request.META.get("REMOTE_ADDR", "") if request is not None else ""


def is_locked(username: str, address: str) -> bool:
    user_key, address_key = _keys(username, address)
    return (cache.get(user_key) or 0) >= settings.SHANZHI_LOGIN_FAILURES or (
        cache.get(address_key) or 0
    ) >= settings.SHANZHI_LOGIN_FAILURES_PER_ADDRESS


def record_failure(username: str, address: str) -> None:
    timeout = settings.SHANZHI_LOGIN_LOCKOUT_MINUTES * 60
    for key in _keys(username, address):
        if not cache.add(key, 1, timeout):
            try:
                cache.incr(key)
            except ValueError:  # expired between add and incr
                cache.set(key, 1, timeout)


def record_success(username: str) -> None:
    cache.delete(_keys(username, "")[0])


LOCKED_MESSAGE = _("Too many failed attempts. Please wait %(minutes)d minutes and try again.")


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        username = self.cleaned_data.get("username", "")
        address = client_address(self.request)
        if is_locked(username, address):
            raise forms.ValidationError(
                LOCKED_MESSAGE % {"minutes": settings.SHANZHI_LOGIN_LOCKOUT_MINUTES}, code="locked"
            )
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            record_failure(username, address)
            raise
        record_success(username)
        return cleaned
