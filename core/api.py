"""API conventions: the page shape and the mapping of domain errors to status codes.

Pages: {"count", "next", "previous", "results"}, page_size up to 500.
Errors: a transition the current state forbids (Conflict) is a 409; a
Django ValidationError raised by a service is a 400 in DRF's
{"field": ["message"]} shape.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500


def exception_handler(exc, context):
    if isinstance(exc, Conflict):
        return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(field_errors(exc))
    return drf_exception_handler(exc, context)


def field_errors(exc: DjangoValidationError) -> dict:
    """A Django ValidationError as {"field": ["message", ...]}."""
    if hasattr(exc, "error_dict"):
        return {
            ("non_field_errors" if field == "__all__" else field): [
                message for error in errors for message in error.messages
            ]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": list(exc.messages)}
