from django.conf import settings
from django.http import JsonResponse
from django.middleware.locale import LocaleMiddleware
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext as _


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages are Chinese unless the user picked another language (the language cookie set by the menu).

    A browser's Accept-Language is not enough to switch a government system's pages to English; the API, whose
    clients are programs, answers in the request's Accept-Language.
    """

    def process_request(self, request):
        if request.path.startswith("/api/"):
            return super().process_request(request)
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None


class RefuseNulMiddleware:
    """A NUL character (``%00``) in the address or a query parameter answers 400, on every page and endpoint: the
    one place for it. PostgreSQL refuses NUL in text, so a filter that passed it on was a 500 (``?division=%00``
    on the grids' GeoJSON and the petition statistics); forms refuse it in posted fields already."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        bad = next((k for k, values in request.GET.lists() if "\x00" in k or any("\x00" in v for v in values)), None)
        if bad is None and "\x00" in request.path:
            bad = "path"
        if bad is None:
            return self.get_response(request)
        name = bad.replace("\x00", "\\x00")
        message = _("%(name)s holds a NUL character, which no text may contain.") % {"name": name}
        if request.path.startswith("/api/"):
            return JsonResponse({name: [message]}, status=400, json_dumps_params={"ensure_ascii": False})
        return render(request, "villages/bad_request.html", {"message": message}, status=400)


class DropNulCookiesMiddleware:
    """A cookie holding a NUL character is dropped, as if the browser had not sent it: the session middleware would
    look the session key up in PostgreSQL, which refuses NUL in text (a 500 on every page). Before the session
    middleware, which reads its cookie as the request comes in."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for name in [name for name, value in request.COOKIES.items() if "\x00" in name or "\x00" in value]:
            del request.COOKIES[name]
        return self.get_response(request)
