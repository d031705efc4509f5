"""What the console's overview shows about the cache and the sync engine."""

from __future__ import annotations

from typing import Any

from hotcache import cache
from sync import charts
from sync.models import FailedItem, SyncRun
from sync.selectors import cache_freshness

OPEN_STATES = ("pending", "retrying", "dead_letter")


def _lag_label(freshness: dict[str, Any]) -> str:
    lag = freshness.get("lag_seconds")
    if lag is None:
        return "never synced"
    if lag == 0:
        return "in step"
    if lag < 120:
        return f"{lag:.0f} s behind"
    if lag < 7200:
        return f"{lag / 60:.0f} min behind"
    return f"{lag / 3600:.1f} h behind"


def sync_overview() -> dict[str, Any]:
    freshness = cache_freshness()
    recent = list(
        SyncRun.objects.exclude(status__in=["queued", "running"])
        .exclude(trigger="write_behind")
        .order_by("-pk")[:30]
    )
    history = [
        {
            "id": run.pk,
            "duration": round((run.finished_at - run.started_at).total_seconds(), 2)
            if run.finished_at and run.started_at
            else 0,
            "items": run.progress_done,
        }
        for run in reversed(recent)
    ]
    counters = cache.read_counters()
    chart_list = [charts.sync_runs_chart(history)] if history else []
    if counters:
        chart_list.append(charts.cache_reads_chart(counters))
    return {
        "freshness": freshness,
        "freshness_label": _lag_label(freshness),
        "last_run": recent[0] if recent else None,
        "retry_queue_size": FailedItem.objects.filter(state__in=OPEN_STATES).count(),
        "charts": chart_list,
    }
