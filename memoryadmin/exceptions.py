"""The one error type services raise; the API and pages turn it into a 4xx."""

from __future__ import annotations

from typing import Any


class ApplicationError(Exception):
    """A rule of the product was broken by the caller's input.

    ``status`` is the HTTP status it maps to; ``extra`` carries structured
    details (the offending field, limits, ids) for the JSON body.
    """

    status = 400

    def __init__(
        self, message: str, *, extra: dict[str, Any] | None = None, status: int | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
        if status is not None:
            self.status = status


class NotFound(ApplicationError):
    status = 404


class Conflict(ApplicationError):
    status = 409


class PayloadTooLarge(ApplicationError):
    status = 413


class ServiceUnavailable(ApplicationError):
    status = 503
