"""Operations endpoints: GET /health (database, cache, scheduler) and GET /metrics."""

from __future__ import annotations

import os
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema, Status

from console.metrics import metrics_render
from memoryadmin.apikeys.auth import scoped
from memoryadmin.apikeys.errors import ErrorOut
from memoryadmin.apikeys.models import Scope
from memoryadmin.health import database_health
from memoryadmin.ops.health import cache_health, database_deadline_ms, scheduler_health

router = Router(tags=["operations"])
PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8"
AUTH_ERRORS: dict[int, type[ErrorOut]] = {401: ErrorOut, 403: ErrorOut, 429: ErrorOut}


class HealthOut(Schema):
    status: Literal["ok", "degraded", "unavailable"]
    database: dict[str, Any]
    cache: dict[str, Any]
    scheduler: dict[str, Any]


@router.get(
    "/health",
    response={200: HealthOut, 503: HealthOut, **AUTH_ERRORS},
    auth=scoped(Scope.READ),
    summary="Health of the database, the redb cache and the django-q2 scheduler",
    description=(
        "200 ok or degraded (cache busy/unreadable or scheduler not seen), 503 when the "
        "database is unreachable. Each check is bounded: the database by the remote "
        "pre-flight deadline, the cache by a read that never waits, the scheduler by one "
        "indexed read. The unauthenticated liveness probe is /healthz."
    ),
)
def health_view(request: HttpRequest) -> Status[HealthOut]:
    database = database_health()
    database.update(status="ok" if database["ok"] else "down", deadline_ms=database_deadline_ms())
    cache, scheduler = cache_health(), scheduler_health()
    status: Literal["ok", "degraded", "unavailable"]
    if not database["ok"]:
        status = "unavailable"
    elif cache["status"] == "ok" and scheduler["status"] == "ok":
        status = "ok"
    else:
        status = "degraded"
    body = HealthOut(status=status, database=database, cache=cache, scheduler=scheduler)
    return Status(503 if status == "unavailable" else 200, body)


@router.get(
    "/metrics",
    response={200: str, **AUTH_ERRORS},
    auth=scoped(Scope.READ),
    summary="Prometheus metrics (text exposition format)",
    description=(
        "Counters and histograms are per process (each web worker keeps its own); "
        "gauges come from the database."
    ),
    openapi_extra={
        "responses": {
            200: {"description": "OK", "content": {PROMETHEUS: {"schema": {"type": "string"}}}}
        }
    },
)
def metrics_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse(metrics_render(pid=os.getpid()), content_type=PROMETHEUS)
