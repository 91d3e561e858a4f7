"""API conventions: the page shape and the mapping of domain errors to status codes.

Pages: {"count", "next", "previous", "results"}, page_size up to 500.
Bodies: see core.parsers.
Errors: a transition the current state forbids (Conflict) is a 409; a
Django ValidationError raised by a service is a 400 in DRF's
{"field": ["message"]} shape.
"""

from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, pagination, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import Conflict
from .parsers import body_too_large


class PageNumberPagination(pagination.PageNumberPagination):
    """Pages of 50 by default; `page_size` a whole number from 1 (400 otherwise), and a
    larger one than 500 gives 500."""

    page_size_query_param = "page_size"
    max_page_size = 500

    def get_page_size(self, request):
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {"page_size": [f"Give page_size as a whole number from 1 to {self.max_page_size}."]}
            )
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["minimum"] = 1
                parameter["description"] = (
                    f"Results a page, from 1; more than {self.max_page_size} gives "
                    f"{self.max_page_size}."
                )
        return parameters


class OptionalChoiceField(serializers.ChoiceField):
    """A choice that may be unset: answered null, never "", which no enum holds."""

    def __init__(self, **kwargs):
        super().__init__(allow_null=True, **kwargs)

    def to_representation(self, value):
        return None if value in ("", None) else super().to_representation(value)


def exception_handler(exc, context):
    if isinstance(exc, RequestDataTooBig):  # Django's own limit, met reading the body first
        exc = exceptions.ParseError(body_too_large())
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
