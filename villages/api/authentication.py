from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from villages.services import api_token_lookup, api_token_touch


class ExpiringTokenAuthentication(authentication.TokenAuthentication):
    """``Authorization: Token <key>``; the key is matched by its digest and must be neither expired nor revoked."""

    keyword = "Token"

    def authenticate_credentials(self, key):
        token = api_token_lookup(key)
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            raise exceptions.AuthenticationFailed(_("This token has been revoked."))
        now = timezone.now()
        if token.expires_at <= now:
            raise exceptions.AuthenticationFailed(_("This token has expired; ask for a new one."))
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 300:
            api_token_touch(token, now)
        return token.user, token
