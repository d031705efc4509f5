"""The NinjaAPI object: mounts each app's router and owns the error handlers.

Every failure is ``{"error": code, "message": ..., "extra": {...}}``:
400 malformed JSON or a broken rule, 401/403 auth and scopes, 404 unknown ids,
409 state conflicts, 411 a chunked body the server cannot read, 413 oversize
bodies, 415 a body that is not JSON, 422 schema violations and unstorable JSON
(NUL, lone surrogates, overflowing numbers, deep nesting; see config/api_input.py),
both with the field path, 429 rate limits (``rate_limit_exceeded``) and quotas
(``quota_exceeded``) with ``Retry-After``, 503 when the database is unreachable.
HEAD is answered on every GET operation, like GET without the body (config/head.py).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from ninja import NinjaAPI, Router
from ninja.errors import AuthenticationError, HttpError, ValidationError

from config.api_input import RULES, JSONParser, read_unsized_body
from console.ops_api import router as ops_router
from episodes.api import router as episodes_router
from memoryadmin.apikeys.api import router as keys_router
from memoryadmin.apikeys.errors import DEFAULT_CODES, error_body, error_headers
from memoryadmin.exceptions import ApplicationError
from memoryadmin.namespaces.api import router as namespaces_router
from sync.api import router as sync_router

log = logging.getLogger(__name__)


api = NinjaAPI(
    title="memory admin API",
    version="1",
    urls_namespace="api",
    description=(
        "Episodic memory for AI agents: episodes, retrieval, learning, operations. "
        "Authenticate with `Authorization: Bearer ma_live_…` (an API key with scopes "
        "read, write, sync, admin) or a staff session with its CSRF token. "
        "Every call acts in one namespace, decided by the key (a key bound to all "
        "namespaces, and a session, choose with the `X-Namespace` header); nothing of "
        "another namespace is ever returned, and its ids answer 404 like missing ones. " + RULES
    ),
    parser=JSONParser(),
)


def _respond(
    request: HttpRequest, status: int, body: dict[str, Any], **headers: str
) -> HttpResponse:
    response = api.create_response(request, body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def _body(status: int, message: str, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": DEFAULT_CODES.get(status, "error"), "message": message, "extra": extra or {}}


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return _respond(request, exc.status, error_body(exc), **error_headers(exc))


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    """ "body.payload.context.tags.0" → "context.tags.0"; "query.filters.limit" → "limit"."""
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
        if len(parts) > 1 and loc[0] in ("body", "query"):
            parts = parts[1:]  # the parameter's own name (payload, filters)
    return ".".join(parts)


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field(err.get("loc", ())), "message": err.get("msg", "invalid"),
         "type": err.get("type", "")}
        for err in exc.errors
    ]  # fmt: skip
    message = "invalid input: " + "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    field = errors[0]["field"] if errors else ""
    return _respond(request, 422, _body(422, message, {"field": field, "errors": errors}))


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _respond(
        request,
        401,
        _body(401, "authentication required: send Authorization: Bearer <API key>"),
        **{"WWW-Authenticate": 'Bearer realm="memoryadmin"'},
    )


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja's own: 400 "Cannot parse request body", 403 "CSRF check Failed". ninja
    # turns whatever the parser raises into that 400; the parser's own refusals
    # (415, 422 naming the field) are its cause.
    if isinstance(exc.__cause__, ApplicationError):
        return application_error(request, exc.__cause__)
    message = str(exc)
    if exc.status_code == 400:
        message = "the request body is not valid JSON"
    return _respond(request, exc.status_code, _body(exc.status_code, message))


@api.exception_handler(RequestDataTooBig)
def request_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return _respond(
        request,
        413,
        _body(413, f"the request body is larger than {limit} bytes", {"limit": limit}),
    )


@api.exception_handler(OperationalError)
def database_unavailable(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    log.warning("API request failed on the database: %s", exc)
    body = _body(503, "the database is unavailable or busy; retry shortly")
    return _respond(request, 503, body, **{"Retry-After": "1"})


def _guard(run: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Around every operation, before authentication and parsing: read a chunked body
    (or refuse it with a JSON 411/413). HEAD is config/head.py's."""

    @functools.wraps(run)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            read_unsized_body(request)
        except (ApplicationError, RequestDataTooBig) as exc:
            return api.on_exception(request, exc)
        return run(request, *args, **kwargs)

    return guarded


api.add_decorator(_guard, mode="view")
api.add_router("", episodes_router)
api.add_router("", ops_router)
api.add_router("", keys_router)
api.add_router("", sync_router)
api.add_router("", namespaces_router)

# Mount new routers above this line: the fallback below
# answers every other path under /api/v1/ with a JSON 404 and must stay last.
fallback = Router()


@fallback.api_operation(
    ["GET", "POST", "PUT", "PATCH", "DELETE"], "/{path:rest}", include_in_schema=False, auth=None
)
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    return _respond(request, 404, _body(404, f"no API endpoint at /{rest}", {"path": request.path}))


api.add_router("", fallback)
