"""Prometheus metrics: per-process counters plus gauges read from the database.

Counters and the histogram live in this process only (each gunicorn worker
has its own; a scrape sees the worker that answered it); gauges derived from
the database are the same whichever worker answers. The help texts say which.
"""

from __future__ import annotations

import bisect
import importlib
import logging
import os
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.utils import timezone

log = logging.getLogger(__name__)
RETRIEVAL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
PER_PROCESS = "(per process: each web worker counts its own)"
FROM_DB = "(from the database: the same in every worker)"

_lock = threading.Lock()
_episodes_created = 0
_retrieval_counts = [0] * (len(RETRIEVAL_BUCKETS) + 1)
_retrieval_sum = 0.0


def episode_created() -> None:
    global _episodes_created
    with _lock:
        _episodes_created += 1


def retrieval_observed(seconds: float) -> None:
    global _retrieval_sum
    with _lock:
        _retrieval_counts[bisect.bisect_left(RETRIEVAL_BUCKETS, seconds)] += 1
        _retrieval_sum += seconds


def reset() -> None:
    """Zero the per-process counters (tests)."""
    global _episodes_created, _retrieval_sum
    with _lock:
        _episodes_created, _retrieval_sum = 0, 0.0
        _retrieval_counts[:] = [0] * len(_retrieval_counts)


class Exposition:
    """Builds the Prometheus text format, one family at a time."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def family(self, name: str, kind: str, help_text: str) -> Exposition:
        self.lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        return self

    def sample(self, name: str, value: float, **labels: str) -> Exposition:
        label_text = ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items())
        self.lines.append(
            f"{name}{{{label_text}}} {_num(value)}" if labels else f"{name} {_num(value)}"
        )
        return self

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _sync_hook(name: str) -> Callable[[], Any] | None:
    """A function the sync app offers in ``sync.selectors``, or None while it has none.

    Looked up at call time (importlib, not an import): the metrics never
    depend on the sync engine being there or complete.
    """
    try:
        selectors = importlib.import_module("sync.selectors")
    except ImportError:
        return None
    hook = getattr(selectors, name, None)
    return hook if callable(hook) else None


def sync_run_counts() -> dict[str, int] | None:
    """Sync runs by outcome (e.g. {"succeeded": n, "failed": m}) from
    ``sync.selectors.sync_run_counts()``, or None until the sync app offers it."""
    hook = _sync_hook("sync_run_counts")
    try:
        return dict(hook()) if hook is not None else None
    except Exception:  # a broken hook must not take the other metrics down
        log.exception("sync.selectors.sync_run_counts failed")
        return None


def circuit_breaker_state() -> str:
    """closed | open | half_open from ``sync.selectors.circuit_breaker_state()``,
    or "unknown" until the sync app offers it."""
    hook = _sync_hook("circuit_breaker_state")
    try:
        return str(hook()) if hook is not None else "unknown"
    except Exception:
        log.exception("sync.selectors.circuit_breaker_state failed")
        return "unknown"


def render() -> str:
    """The whole exposition: counters of this process, then gauges from the database."""
    from episodes.models import Episode
    from sync.cache import read_counters

    with _lock:
        created, counts, total = _episodes_created, list(_retrieval_counts), _retrieval_sum
    out = Exposition()
    out.family("memoryadmin_process_info", "gauge", f"the process that answered {PER_PROCESS}")
    out.sample("memoryadmin_process_info", 1, pid=str(os.getpid()))
    out.family(
        "memoryadmin_episodes_created_total",
        "counter",
        f"episodes started through the API {PER_PROCESS}",
    ).sample("memoryadmin_episodes_created_total", created)
    out.family(
        "memoryadmin_retrieval_latency_seconds",
        "histogram",
        f"time to rank context for POST /context/retrieve {PER_PROCESS}",
    )
    running = 0
    for bound, count in zip((*map(str, RETRIEVAL_BUCKETS), "+Inf"), counts, strict=True):
        running += count
        out.sample("memoryadmin_retrieval_latency_seconds_bucket", running, le=bound)
    out.sample("memoryadmin_retrieval_latency_seconds_sum", round(total, 6))
    out.sample("memoryadmin_retrieval_latency_seconds_count", running)
    out.family(
        "memoryadmin_cache_reads_total",
        "counter",
        f"redb cache lookups by outcome (hit, miss, busy, ...) {PER_PROCESS}",
    )
    for status, count in sorted(read_counters().items()):
        out.sample("memoryadmin_cache_reads_total", count, status=status)
    since = timezone.now() - timedelta(hours=1)
    live = Episode.objects.filter(deleted_at__isnull=True)
    out.family(
        "memoryadmin_episodes_last_hour", "gauge", f"episodes started in the last hour {FROM_DB}"
    ).sample("memoryadmin_episodes_last_hour", live.filter(started_at__gte=since).count())
    out.family("memoryadmin_episodes", "gauge", f"live (not deleted) episodes {FROM_DB}")
    out.sample("memoryadmin_episodes", live.count())
    if (runs := sync_run_counts()) is not None:
        out.family("memoryadmin_sync_runs", "gauge", f"sync runs by outcome {FROM_DB}")
        for outcome, count in sorted(runs.items()):
            out.sample("memoryadmin_sync_runs", count, outcome=outcome)
    state = circuit_breaker_state()
    out.family(
        "memoryadmin_circuit_breaker_state",
        "gauge",
        "1 for the sync circuit breaker's current state (unknown until the sync engine reports)",
    )
    states = ("closed", "open", "half_open", "unknown")
    for name in states if state in states else (*states, state):
        out.sample("memoryadmin_circuit_breaker_state", int(name == state), state=name)
    return out.text()
