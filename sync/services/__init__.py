"""Writes of the sync app (see ../shared/STYLE.md): runs, retry queue, verification.

runs.py        sync_run_start: the one-run guard, claims, abandoned runs
engine.py      sync_run_execute: health, the window pass, checkpoints
checkpoint.py  the typed checkpoint a run records; resume.py where a run starts again
writer_hold.py holding the redb writer across batches (one durable commit a second)
in_step.py     a run over a cache already in step counts it and touches nothing
scopes.py      which tables a scope covers; sources.py what is cached (keyset pages)
rules.py       exclude rules and per-item errors with remediation hints
apply.py       compare a batch with the hash registry and write the difference
reconcile.py   catch up with the change feed; evict, remove, fill gaps
writebehind.py cache_write_behind between runs
validation.py  sync_verify
failures.py    the failed-item ledger (backoff with jitter, dead letters)
retry.py       the retry worker; single.py syncs one item
breaker.py     the database circuit breaker (a file next to the cache)
meta.py        the cache's own metadata and health (integrity, repair, quarantine)
report.py      how a run ends: counts, report, next recommended sync
triggers.py    schedule and start-up triggers; maintenance.py rebuild
"""

from sync.services.breaker import breaker_reset, database_ping
from sync.services.engine import sync_run_execute
from sync.services.maintenance import cache_rebuild
from sync.services.retry import (
    failed_item_dismiss,
    failed_item_retry,
    failed_items_retry_due,
)
from sync.services.runs import sync_run_start
from sync.services.triggers import (
    cache_rebuild_enqueue,
    sync_enqueue,
    sync_scheduled,
    sync_startup,
)
from sync.services.validation import sync_verify
from sync.services.writebehind import cache_write_behind

__all__ = [
    "breaker_reset",
    "cache_rebuild",
    "cache_rebuild_enqueue",
    "cache_write_behind",
    "database_ping",
    "failed_item_dismiss",
    "failed_item_retry",
    "failed_items_retry_due",
    "sync_enqueue",
    "sync_run_execute",
    "sync_run_start",
    "sync_scheduled",
    "sync_startup",
    "sync_verify",
]
