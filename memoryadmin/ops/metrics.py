"""Per-process counters the apps bump (episodes started, retrieval latency).

They live in this process only (each gunicorn worker has its own; a scrape
sees the worker that answered it). The exposition that joins them with the
gauges read from the database is the console's (``console/metrics.py``).
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass

RETRIEVAL_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

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


@dataclass(frozen=True)
class ProcessCounters:
    """A consistent copy of this process's counters (one histogram bucket per bound + Inf)."""

    episodes_created: int
    retrieval_buckets: tuple[int, ...]
    retrieval_seconds_sum: float


def process_counters() -> ProcessCounters:
    with _lock:
        return ProcessCounters(_episodes_created, tuple(_retrieval_counts), _retrieval_sum)
