"""One error shape for every endpoint: `{"detail": "...", "errors": {field: [...]}}`."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


def _field_errors(detail) -> dict:
    if isinstance(detail, dict):
        return {field: _messages(value) for field, value in detail.items()}
    return {"non_field_errors": [str(message) for message in _flatten(detail)]}


def _messages(value) -> list | dict:
    """A field's messages. A list of nested items keeps DRF's shape, its invalid items by index with their own
    fields (`{"rules": {"1": {"condition": [...]}}}`), so a client can point at the second rule."""
    if isinstance(value, dict) and value and all(isinstance(index, int) for index in value):
        return {str(index): _field_errors(item) for index, item in value.items()}
    return [str(message) for message in _flatten(value)]


def _flatten(value):
    if isinstance(value, list | tuple):
        for item in value:
            yield from _flatten(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            for message in _flatten(item):
                yield f"{key}: {message}"
    else:
        yield value


def _tracker_error_response(exc) -> Response | None:
    """A tracker's refusal, at the edge: its message, with the status that tells the caller what to do."""
    from apps.trackers.clients import base

    if not isinstance(exc, base.TrackerError):
        return None
    statuses = {
        base.TrackerValidationError: status.HTTP_400_BAD_REQUEST,
        base.TrackerPermissionError: status.HTTP_403_FORBIDDEN,  # the tracker token's user may not: fix it there
        base.TrackerNotFound: status.HTTP_404_NOT_FOUND,
        base.TrackerGone: status.HTTP_404_NOT_FOUND,
        base.TrackerRateLimited: status.HTTP_429_TOO_MANY_REQUESTS,
    }
    http_status = statuses.get(type(exc), status.HTTP_502_BAD_GATEWAY)  # the tracker, not the caller, failed
    response = Response({"detail": str(exc), "errors": {"tracker": [str(exc)]}}, status=http_status)
    if getattr(exc, "retry_after", None):
        response["Retry-After"] = str(int(exc.retry_after))
    return response


def exception_handler(exc, context):
    """Every error is `{"detail": "...", "errors": {field: [...]}}`; the field map only for 400s."""
    tracker_response = _tracker_error_response(exc)
    if tracker_response is not None:
        return tracker_response
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        fields = ", ".join(sorted(errors))
        response.data = {"detail": f"Invalid input: {fields}.", "errors": errors}
    elif isinstance(exc, exceptions.ParseError):
        response.data = {"detail": str(exc.detail), "errors": {}}
    elif isinstance(response.data, dict) and "detail" in response.data:
        response.data = {"detail": str(response.data["detail"]), "errors": {}}
    return response


def error_response(detail: str, http_status: int = status.HTTP_400_BAD_REQUEST, **errors) -> Response:
    return Response({"detail": detail, "errors": errors}, status=http_status)
