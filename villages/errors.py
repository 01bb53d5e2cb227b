"""The refusal pages: every 400, 403 (with why, and for a role refusal who may), 404, CSRF failure and 500 is a
page in the user's language (``handler400`` … in config/urls.py, ``CSRF_FAILURE_VIEW`` in the settings)."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.utils.translation import gettext as _
from django.views.decorators.csrf import requires_csrf_token


def _message(exception) -> str:
    # Django's own PermissionDenied/Http404 carry no message or an English one meant for developers; the platform's
    # refusals (villages.scopes.refusal) carry a translated one.
    args = getattr(exception, "args", ())
    return str(args[0]) if args and args[0] else ""


@requires_csrf_token
def bad_request(request, exception=None):
    return render(request, "400.html", {"reason": _("The request could not be understood.")}, status=400)


@requires_csrf_token
def permission_denied(request, exception=None):
    reason = _message(exception) if exception is not None else ""
    return render(request, "403.html", {"reason": reason or _("Your role does not allow this.")}, status=403)


@requires_csrf_token
def page_not_found(request, exception=None):
    return render(request, "404.html", {"request_path": request.path}, status=404)


@requires_csrf_token
def server_error(request):
    # No context processors, no request context: the database or the cache may be what failed.
    return HttpResponseServerError(loader.get_template("500.html").render())


def csrf_failure(request, reason=""):
    return render(request, "403_csrf.html", {"reason": reason}, status=403)
