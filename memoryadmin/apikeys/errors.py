"""API error codes and the one JSON error shape: {"error", "message", "extra"}."""

from __future__ import annotations

from typing import Any

from ninja import Schema

from memoryadmin.exceptions import ApplicationError

# The machine-readable "error" of each status when the exception names none.
DEFAULT_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    411: "length_required",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limit_exceeded",
    503: "unavailable",
}


class ErrorOut(Schema):
    error: str
    message: str
    extra: dict[str, Any] = {}


class Unauthorized(ApplicationError):
    status = 401
    code = "unauthorized"


class Forbidden(ApplicationError):
    status = 403
    code = "forbidden"


class TooManyRequests(ApplicationError):
    """A 429; ``retry_after`` (seconds) becomes the ``Retry-After`` header."""

    status = 429
    code = "rate_limit_exceeded"

    def __init__(self, message: str, *, retry_after: int, extra: dict[str, Any]) -> None:
        super().__init__(message, extra={**extra, "retry_after": retry_after})
        self.retry_after = max(int(retry_after), 1)


class RateLimitExceeded(TooManyRequests):
    """Too many requests in the short window; wait ``retry_after`` seconds."""

    code = "rate_limit_exceeded"


class QuotaExceeded(TooManyRequests):
    """A daily allowance is used up (e.g. episode creations); resets at 00:00 UTC."""

    code = "quota_exceeded"


class InvalidInput(ApplicationError):
    """A 422 found in the JSON itself, before any schema sees it; same body as a schema
    violation: ``extra = {"field": "metadata.a.0", "errors": [{field, message, type}]}``."""

    status = 422
    code = "validation_error"

    def __init__(self, message: str, *, field: str, kind: str) -> None:
        error = {"field": field, "message": message, "type": kind}
        super().__init__(
            f"invalid input: {field}: {message}", extra={"field": field, "errors": [error]}
        )


class UnsupportedMediaType(ApplicationError):
    status = 415
    code = "unsupported_media_type"


class LengthRequired(ApplicationError):
    status = 411
    code = "length_required"


class IdempotencyMismatch(ApplicationError):
    status = 422
    code = "idempotency_key_reused"


def error_responses(*codes: int) -> dict[int, type[ErrorOut]]:
    """The error replies of an operation for ``response=``: the given codes plus the
    ones every authenticated operation may answer (401, 403, 422, 429)."""
    return {code: ErrorOut for code in sorted({401, 403, 422, 429, *codes})}


def error_code(exc: ApplicationError) -> str:
    return getattr(exc, "code", None) or DEFAULT_CODES.get(exc.status, "error")


def error_body(exc: ApplicationError) -> dict[str, Any]:
    return {"error": error_code(exc), "message": exc.message, "extra": exc.extra}


def error_headers(exc: Exception) -> dict[str, str]:
    retry_after = getattr(exc, "retry_after", None)
    return {"Retry-After": str(retry_after)} if retry_after else {}
