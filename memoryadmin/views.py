from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from memoryadmin.health import database_health


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness of the database: 200 with a ping, or 503 (never a hang)."""
    database = database_health()
    body = {
        "status": "ok" if database["ok"] else "unavailable",
        "engine": "libsql",
        "database": database,
    }
    return JsonResponse(body, status=200 if database["ok"] else 503)
