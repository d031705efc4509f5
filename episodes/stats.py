"""Aggregate reads for the overview and charts (computed in SQL, never row by row)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import Avg, Count, F, FloatField, Func, Q, Sum
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from episodes.models import Episode


def _live(namespace_id: int) -> Any:
    """Live episodes of one namespace."""
    return Episode.objects.filter(namespace_id=namespace_id, deleted_at__isnull=True)


def episode_totals(*, namespace_id: int) -> dict[str, Any]:
    now = timezone.now()
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    agg = _live(namespace_id).aggregate(
        total=Count("id"),
        today=Count("id", filter=Q(started_at__gte=start_of_day)),
        completed=Count("id", filter=Q(verdict__isnull=False)),
        succeeded=Count("id", filter=Q(verdict="success")),
        avg_reward=Avg("reward_total"),
    )
    completed = agg["completed"] or 0
    agg["success_rate"] = (agg["succeeded"] / completed) if completed else None
    return agg


def episodes_per_day(*, namespace_id: int, days: int = 30) -> list[dict[str, Any]]:
    since = timezone.now() - timedelta(days=days)
    rows = (
        _live(namespace_id)
        .filter(started_at__gte=since)
        .annotate(day=TruncDate("started_at"))
        .values("day", "verdict")
        .annotate(n=Count("id"))
        .order_by("day", "verdict")
    )
    return [{"day": r["day"], "verdict": r["verdict"] or "running", "n": r["n"]} for r in rows]


class _Floor(Func):
    function = "CAST"
    template = "CAST(floor(%(expressions)s * 10) AS INTEGER)"


def reward_histogram(*, namespace_id: int) -> list[dict[str, Any]]:
    """Counts per 0.1-wide reward bucket (bucket = lower edge)."""
    rows = (
        _live(namespace_id)
        .filter(reward_total__isnull=False)
        .annotate(bucket=_Floor(Cast("reward_total", FloatField())))
        .values("bucket")
        .annotate(n=Count("id"))
        .order_by("bucket")
    )
    return [{"bucket": r["bucket"] / 10, "n": r["n"]} for r in rows]


def success_rate_by(field: str, *, namespace_id: int) -> list[dict[str, Any]]:
    if field not in ("task_type", "domain"):
        raise ValueError(field)
    rows = (
        _live(namespace_id)
        .filter(verdict__isnull=False)
        .values(field)
        .annotate(n=Count("id"), ok=Count("id", filter=Q(verdict="success")))
        .order_by(F(field).asc())
    )
    return [
        {"key": r[field] or "(none)", "n": r["n"], "rate": r["ok"] / r["n"] if r["n"] else 0.0}
        for r in rows
    ]


def episode_counts_by_namespace(*, since: timedelta) -> list[dict[str, Any]]:
    """Per namespace slug: live episodes, started within ``since``, and stored bytes."""
    rows = (
        Episode.objects.filter(deleted_at__isnull=True)
        .values("namespace__slug")
        .annotate(
            live=Count("id"),
            recent=Count("id", filter=Q(started_at__gte=timezone.now() - since)),
            size=Sum("size_bytes"),
        )
        .order_by("namespace__slug")
    )
    return [
        {"namespace": r["namespace__slug"], "live": r["live"], "recent": r["recent"],
         "bytes": r["size"] or 0}
        for r in rows
    ]  # fmt: skip
