"""Pages that compose several apps: the overview (what an operator checks first)
and the unauthenticated liveness probe."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from episodes import charts, stats
from hotcache import cache
from memoryadmin.health import database_health
from memoryadmin.roles import operator_required
from sync.overview import sync_overview


@require_GET
@operator_required
def overview(request: HttpRequest) -> HttpResponse:
    counters = cache.read_counters()
    reads = sum(counters.values())
    context = {
        "totals": stats.episode_totals(),
        "per_day_chart": charts.episodes_per_day_chart(stats.episodes_per_day(days=30)),
        "reward_chart": charts.reward_histogram_chart(stats.reward_histogram()),
        "task_type_chart": charts.success_rate_chart(
            stats.success_rate_by("task_type"), by="task_type"
        ),
        "domain_chart": charts.success_rate_chart(stats.success_rate_by("domain"), by="domain"),
        "cache_hit_ratio": (counters.get("hit", 0) / reads) if reads else None,
        "sync": sync_overview(),
    }
    return render(request, "console/overview.html", context)


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
