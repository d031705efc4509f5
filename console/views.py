"""Pages that compose several apps: the overview (what an operator checks first)
and the unauthenticated liveness probe."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from episodes import charts, stats
from hotcache import cache
from memoryadmin.health import database_health
from memoryadmin.namespaces.console import console_namespace_choose, console_namespace_id
from memoryadmin.redirects import redirect_next
from memoryadmin.roles import operator_required
from sync.overview import sync_overview


@require_GET
@operator_required
def overview(request: HttpRequest) -> HttpResponse:
    counters = cache.read_counters()
    reads = sum(counters.values())
    ns = console_namespace_id(request)
    context = {
        "totals": stats.episode_totals(namespace_id=ns),
        "per_day_chart": charts.episodes_per_day_chart(
            stats.episodes_per_day(namespace_id=ns, days=30)
        ),
        "reward_chart": charts.reward_histogram_chart(stats.reward_histogram(namespace_id=ns)),
        "task_type_chart": charts.success_rate_chart(
            stats.success_rate_by("task_type", namespace_id=ns), by="task_type"
        ),
        "domain_chart": charts.success_rate_chart(
            stats.success_rate_by("domain", namespace_id=ns), by="domain"
        ),
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


@require_POST
@operator_required
def namespace_switch(request: HttpRequest) -> HttpResponse:
    """Act in another namespace from now on (only one the user is a member of)."""
    slug = str(request.POST.get("namespace", ""))
    chosen = console_namespace_choose(request, slug=slug)
    if chosen is None:
        messages.error(request, f"No namespace {slug[:40]!r} you may see.")
    else:
        messages.success(request, f"Now in namespace {chosen.slug}.")
    return redirect_next(request, "console:overview")
