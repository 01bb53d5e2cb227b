"""API errors as JSON a person can act on: Django's ValidationError from services becomes a 400 per field."""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


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
    return drf_exception_handler(exc, context)
