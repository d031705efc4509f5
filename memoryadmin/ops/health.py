"""Health of the cache and the scheduler; each check is bounded and never waits.

- database: ``memoryadmin.health.database_health`` (remote mode pre-flights
  within LIBSQL_REMOTE_DEADLINE_MS);
- cache: one read-only lookup of the redb file, which never waits for a
  writer (busy counts as degraded, not as down);
- scheduler: django-q2's cluster stats when its cache is shared between
  processes, else the heartbeat row the cluster writes every minute.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, connections
from django.utils import timezone

from hotcache import cache
from memoryadmin.ops.models import Heartbeat

SCHEDULER = "qcluster"
HEARTBEAT_EVERY = timedelta(minutes=1)
HEARTBEAT_STALE = 3 * HEARTBEAT_EVERY


def database_deadline_ms(alias: str = "default") -> int:
    """How long a database call may wait: the remote pre-flight deadline, or the
    busy timeout of the local file."""
    options = connections[alias].settings_dict.get("OPTIONS", {})
    if "remote_deadline" in options:
        return int(float(options["remote_deadline"]) * 1000)
    return int(options.get("busy_timeout_ms", 5000))


def _timed(report: dict[str, Any], started: float) -> dict[str, Any]:
    report["took_ms"] = round((time.perf_counter() - started) * 1000, 3)
    return report


def cache_health() -> dict[str, Any]:
    """ok on a readable cache (hit or miss), degraded when busy, down when unreadable."""
    started = time.perf_counter()
    read = cache.cache_get(cache.METADATA, "schema_version")
    state = {"hit": "ok", "miss": "ok", "busy": "degraded"}.get(read.status, "down")
    report = {
        "status": state,
        "read": read.status,
        "deadline_ms": 0,  # readers never wait: busy means "read the database"
    }
    if read.detail:
        report["detail"] = read.detail
    return _timed(report, started)


def _cluster_stats() -> list[dict[str, Any]]:
    """Clusters django-q2 reports through its (shared) cache; [] with a per-process cache."""
    try:
        from django_q.status import Stat

        stats = Stat.get_all()
    except Exception:  # a broken stats cache is "no information", not an error here
        return []
    return [
        {"cluster_id": str(s.cluster_id), "status": str(s.status), "workers": len(s.workers)}
        for s in stats or []
    ]


def scheduler_health() -> dict[str, Any]:
    """ok when the cluster reports or beat within 3 minutes; stale past that; unknown if never."""
    started = time.perf_counter()
    clusters = _cluster_stats()
    try:
        beat = Heartbeat.objects.filter(name=SCHEDULER).first()
    except DatabaseError as exc:
        return _timed({"status": "unknown", "detail": str(exc), "clusters": clusters}, started)
    report: dict[str, Any] = {
        "clusters": clusters,
        "last_seen": None,
        "age_seconds": None,
        "deadline_ms": database_deadline_ms(),
    }
    if beat is not None:
        age = (timezone.now() - beat.seen_at).total_seconds()
        report.update(last_seen=beat.seen_at.isoformat(), age_seconds=round(age, 1))
    if clusters or (beat is not None and report["age_seconds"] <= HEARTBEAT_STALE.total_seconds()):
        report["status"] = "ok"
    else:
        report["status"] = "stale" if beat is not None else "unknown"
    return _timed(report, started)
