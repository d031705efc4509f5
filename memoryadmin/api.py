"""The NinjaAPI object: mounts each app's router and owns the error handlers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from memoryadmin.exceptions import ApplicationError

api = NinjaAPI(
    title="memory admin API",
    version="1",
    urls_namespace="api",
    description="Episodic memory for AI agents: episodes, retrieval, sync.",
)


@api.exception_handler(ApplicationError)
def application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return api.create_response(
        request, {"message": exc.message, "extra": exc.extra}, status=exc.status
    )


@api.exception_handler(ValidationError)
def validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = [".".join(str(p) for p in err.get("loc", ())) for err in exc.errors]
    message = "invalid input: " + "; ".join(
        f"{field}: {err.get('msg', 'invalid')}"
        for field, err in zip(fields, exc.errors, strict=False)
    )
    return api.create_response(
        request, {"message": message, "extra": {"errors": exc.errors}}, status=422
    )
