"""The overview page: what an operator checks first."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from episodes import charts, stats
from memoryadmin import console_admin
from memoryadmin.roles import operator_required
from sync import cache

app_name = "console"


def _sync_overview() -> dict[str, Any]:
    """Freshness, last run, retry queue and sync charts (from the sync app)."""
    from sync.overview import sync_overview

    return sync_overview()


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
        "sync": _sync_overview(),
    }
    return render(request, "console/overview.html", context)


urlpatterns = [
    path("", overview, name="overview"),
    path("keys/", console_admin.api_keys, name="api_keys"),
    path("keys/<int:key_id>/revoke", console_admin.api_key_revoke_view, name="api_key_revoke"),
    path("audit/", console_admin.audit_log, name="audit_log"),
]
