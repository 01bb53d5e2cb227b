"""API errors as JSON a person can act on: Django's ValidationError from services becomes a 400 per field.

Every error answers JSON, whatever format was asked for: ``format=csv`` or ``format=xlsx`` describe the table a
successful answer holds, and an error is no table (the CSV renderer printed ``[ErrorDetail(...)]`` and the XLSX
renderer failed, a 500). The browsable API (``format=api``) keeps rendering its errors itself."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.views import exception_handler as drf_exception_handler

# The formats that render an error body themselves; every other answers the error as JSON.
ERROR_FORMATS = {"json", "api"}


def exception_handler(exc, context):
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): [str(m) for e in errs for m in e.messages]
                for field, errs in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        # The platform's refusals say which roles may act (villages.scopes.refusal); Django's own say nothing.
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    if response is not None and request is not None:
        renderer = getattr(request, "accepted_renderer", None)
        if renderer is None or renderer.format not in ERROR_FORMATS:
            # ``finalize_response`` renders with the request's renderer: JSON, with its media type.
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
    return response
