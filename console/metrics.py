"""Prometheus exposition: this process's counters, then gauges read from the database.

Counters and the histogram come from ``memoryadmin.ops.metrics`` (per process:
a scrape sees the worker that answered it); gauges derived from the database
are the same whichever worker answers. The help texts say which.
"""

from __future__ import annotations

from datetime import timedelta

from episodes.stats import episode_counts_by_namespace
from hotcache.cache import read_counters
from memoryadmin.ops.metrics import RETRIEVAL_BUCKETS, process_counters
from sync.selectors import circuit_breaker_state, sync_run_counts

PER_PROCESS = "(per process: each web worker counts its own)"
FROM_DB = "(from the database: the same in every worker)"
BREAKER_STATES = ("closed", "open", "half_open")


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


def _process_families(out: Exposition, pid: int) -> None:
    counters = process_counters()
    out.family("memoryadmin_process_info", "gauge", f"the process that answered {PER_PROCESS}")
    out.sample("memoryadmin_process_info", 1, pid=str(pid))
    out.family(
        "memoryadmin_episodes_created_total",
        "counter",
        f"episodes started through the API {PER_PROCESS}",
    ).sample("memoryadmin_episodes_created_total", counters.episodes_created)
    out.family(
        "memoryadmin_retrieval_latency_seconds",
        "histogram",
        f"time to rank context for POST /context/retrieve {PER_PROCESS}",
    )
    running = 0
    bounds = (*map(str, RETRIEVAL_BUCKETS), "+Inf")
    for bound, count in zip(bounds, counters.retrieval_buckets, strict=True):
        running += count
        out.sample("memoryadmin_retrieval_latency_seconds_bucket", running, le=bound)
    out.sample(
        "memoryadmin_retrieval_latency_seconds_sum", round(counters.retrieval_seconds_sum, 6)
    )
    out.sample("memoryadmin_retrieval_latency_seconds_count", running)
    out.family(
        "memoryadmin_cache_reads_total",
        "counter",
        f"redb cache lookups by outcome (hit, miss, busy, ...) {PER_PROCESS}",
    )
    for status, count in sorted(read_counters().items()):
        out.sample("memoryadmin_cache_reads_total", count, status=status)


def _database_families(out: Exposition) -> None:
    # One grouped read; the deployment's totals are the namespaces' sums.
    per_namespace = episode_counts_by_namespace(since=timedelta(hours=1))
    out.family(
        "memoryadmin_episodes_last_hour", "gauge", f"episodes started in the last hour {FROM_DB}"
    ).sample("memoryadmin_episodes_last_hour", sum(row["recent"] for row in per_namespace))
    out.family("memoryadmin_episodes", "gauge", f"live (not deleted) episodes {FROM_DB}")
    out.sample("memoryadmin_episodes", sum(row["live"] for row in per_namespace))
    for family, key, what in (
        ("memoryadmin_namespace_episodes", "live", "live episodes"),
        ("memoryadmin_namespace_episodes_last_hour", "recent", "episodes started in the last hour"),
        ("memoryadmin_namespace_storage_bytes", "bytes", "stored bytes of live episodes"),
    ):
        out.family(family, "gauge", f"{what} per namespace {FROM_DB}")
        for row in per_namespace:
            out.sample(family, row[key], namespace=row["namespace"])
    out.family("memoryadmin_sync_runs", "gauge", f"sync runs by outcome {FROM_DB}")
    for outcome, count in sorted(sync_run_counts().items()):
        out.sample("memoryadmin_sync_runs", count, outcome=outcome)
    state = circuit_breaker_state()
    out.family(
        "memoryadmin_circuit_breaker_state",
        "gauge",
        "1 for the sync circuit breaker's current state (from its file beside the cache)",
    )
    states = BREAKER_STATES if state in BREAKER_STATES else (*BREAKER_STATES, state)
    for name in states:
        out.sample("memoryadmin_circuit_breaker_state", int(name == state), state=name)


def metrics_render(*, pid: int) -> str:
    """The whole exposition: counters of this process, then gauges from the database."""
    out = Exposition()
    _process_families(out, pid)
    _database_families(out)
    return out.text()
