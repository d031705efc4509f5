"""Verify the cache against the database: one ValidationReport, one row per check.

Checks: redb integrity; the episode count and the latest N present; pattern
and heuristic counts; no orphaned embeddings; registry and table agree;
content hashes (a sample by default, every item with ``full``), where each
sampled item's stored hash is recomputed from its row, compared with the
cache's registry and with the hash inside the cached payload.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

from episodes.hashing import chain_steps, episode_hash, step_fields
from episodes.learning.heuristics import heuristic_hash
from episodes.learning.patterns import pattern_hash
from episodes.models import Episode, Heuristic, Pattern
from hotcache.cache import (
    DATA_TABLES,
    EMBEDDINGS,
    EPISODES,
    HEURISTICS,
    PATTERNS,
    CacheError,
    CacheWriter,
    cache_path,
    cache_writer,
)
from hotcache.envelope import EnvelopeError
from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import ServiceUnavailable
from sync.models import SyncRun, ValidationCheck, ValidationReport
from sync.models.runs import Scope
from sync.services.breaker import database_ping
from sync.services.meta import registry_keys
from sync.services.reconcile import Wanted
from sync.services.rules import ExcludeRules
from sync.services.scopes import TABLES
from sync.services.sources import embedding_owner, embedding_refs_by_key

SAMPLE = 50  # keys per table when not full
SHOWN = 20  # mismatching keys listed per check


@dataclass
class Snapshot:
    """What the cache holds, read in one short exclusive open."""

    intact: bool
    registry: dict[str, set[str]]
    stored: dict[str, set[str]]
    owners: dict[str, set[str]] = field(default_factory=dict)
    # {table: {key: (registry hash, hash inside the payload or None, read problem or "")}}
    sampled: dict[str, dict[str, tuple[str | None, str | None, str]]] = field(default_factory=dict)


def _snapshot(writer: CacheWriter, tables: list[str], full: bool, seed: int) -> Snapshot:
    snap = Snapshot(
        intact=writer.check_integrity(),
        registry={t: registry_keys(writer, t) for t in tables},
        stored={t: set(writer.keys(t)) for t in tables},
    )
    rng = random.Random(seed)
    for table in tables:
        ordered = sorted(snap.stored[table])
        chosen = ordered if full else rng.sample(ordered, min(SAMPLE, len(ordered)))
        registry = writer.hashes(table, chosen)
        entries = {}
        for key in chosen:
            try:
                value, problem = writer.get(table, key), ""
            except EnvelopeError as exc:
                value, problem = None, f"cached value unreadable ({exc})"
            in_payload = value.get("content_hash") if isinstance(value, dict) else None
            entries[key] = (registry.get(key), in_payload, problem)
        snap.sampled[table] = entries
    return snap


def _db_hash(table: str, key: str, full: bool) -> tuple[str | None, str | None]:
    """(stored hash, recomputed hash) of a source row; (None, None) when it is gone."""
    if table == EPISODES:
        episode = Episode.objects.filter(pk=key).first()
        if episode is None:
            return None, None
        if full:  # also re-chain the steps instead of trusting steps_digest
            steps = episode.steps.order_by("step_number")
            episode.steps_digest = chain_steps("", (step_fields(s) for s in steps))
        return episode.content_hash, episode_hash(episode)
    if table in (PATTERNS, HEURISTICS):
        model: Any = Pattern if table == PATTERNS else Heuristic
        row = model.objects.filter(pk=int(key)).first()
        if row is None:
            return None, None
        recompute: Callable[[Any], str] = pattern_hash if table == PATTERNS else heuristic_hash
        return row.content_hash, recompute(row)
    refs = embedding_refs_by_key([key])
    return (refs[0].content_hash, refs[0].content_hash) if refs else (None, None)


def _hash_check(snap: Snapshot, full: bool) -> tuple[bool, dict[str, Any]]:
    problems: list[dict[str, Any]] = []
    compared = 0
    for table, entries in snap.sampled.items():
        for key, (in_registry, in_payload, problem) in entries.items():
            compared += 1
            stored, recomputed = _db_hash(table, key, full)
            found = [problem] if problem else []
            if stored is not None and stored != recomputed:
                found.append("the database row's stored hash is stale")
            if stored is not None and in_registry != stored:
                found.append("the cache registry differs from the database")
            if in_payload is not None and in_payload != in_registry:
                found.append("the cached payload differs from the registry")
            if found:
                problems.append({"table": table, "key": key, "problems": found})
    details = {"compared": compared, "mismatches": len(problems), "items": problems[:SHOWN]}
    return not problems, details


Check = tuple[str, bool, dict[str, Any]]


def _checks(snap: Snapshot, tables: list[str], rules: ExcludeRules, full: bool) -> list[Check]:
    out: list[Check] = [
        ("redb_integrity", True, {"intact": snap.intact, "repaired": not snap.intact})
    ]
    wanted = Wanted.compute(tables, rules)
    registry, stored = snap.registry, snap.stored
    drift = {
        t: {
            "without_hash": sorted(stored[t] - registry[t])[:SHOWN],
            "hash_without_value": sorted(registry[t] - stored[t])[:SHOWN],
        }
        for t in tables
    }
    out.append(("registry_consistent", all(registry[t] == stored[t] for t in tables), drift))
    if EPISODES in tables:
        want, have = wanted.keys[EPISODES], stored[EPISODES]
        out.append(
            ("episode_count", len(have) == len(want), {"cached": len(have), "expected": len(want)})
        )
        missing, extra = sorted(want - have), sorted(have - want)
        details = {"missing": missing[:SHOWN], "extra": extra[:SHOWN], "expected": len(want)}
        out.append(("latest_present", not missing and not extra, details))
    for table, name in ((PATTERNS, "pattern_count"), (HEURISTICS, "heuristic_count")):
        if table in tables:
            want, have = wanted.keys[table], stored[table]
            details = {
                "cached": len(have),
                "expected": len(want),
                "missing": sorted(want - have)[:SHOWN],
                "extra": sorted(have - want)[:SHOWN],
            }
            out.append((name, want == have, details))
    if EMBEDDINGS in tables:
        owners = {EPISODES: snap.owners[EPISODES], PATTERNS: snap.owners[PATTERNS]}
        orphans = sorted(
            k
            for k in stored[EMBEDDINGS]
            if embedding_owner(k)[1] not in owners[embedding_owner(k)[0]]
        )
        details = {"orphans": orphans[:SHOWN], "count": len(orphans)}
        out.append(("no_orphaned_embeddings", not orphans, details))
    ok, details = _hash_check(snap, full)
    out.append(("content_hashes", ok, {"full": full, **details}))
    return out


def sync_verify(*, full: bool = False, run_id: int | None = None) -> ValidationReport:
    """Compare the cache with the database and record a report (after a run or on demand)."""
    started = time.perf_counter()
    run = SyncRun.objects.filter(pk=run_id).first() if run_id else None
    if not database_ping().ok:
        raise ServiceUnavailable("the database is unavailable; the cache cannot be verified")
    scope_tables = TABLES[Scope(run.scope)] if run is not None else DATA_TABLES
    tables = [t for t in DATA_TABLES if t in scope_tables]
    rules = ExcludeRules.parse(run.exclude if run is not None else [])
    checks: list[Check]
    if not cache_path().exists():
        checks = [("cache_file", False, {"error": f"{cache_path()} does not exist"})]
    else:
        try:
            with cache_writer() as writer:
                snap = _snapshot(writer, tables, full, seed=run_id or int(time.time()))
                snap.owners = {t: set(writer.keys(t)) for t in (EPISODES, PATTERNS)}
            checks = _checks(snap, tables, rules, full)
        except CacheError as exc:
            checks = [("redb_integrity", False, {"error": f"{type(exc).__name__}: {exc}"})]
    return _record(run, full, checks, (time.perf_counter() - started) * 1000)


@transaction.atomic
def _record(run: SyncRun | None, full: bool, checks: list[Check], ms: float) -> ValidationReport:
    failed = [name for name, ok, _ in checks if not ok]
    if run is None:
        audit_record(action="sync.verify", details={"full": full, "failed_checks": failed})
    report = ValidationReport.objects.create(
        run=run,
        full=full,
        passed=not failed,
        sample_size=0 if full else SAMPLE,
        duration_ms=round(ms, 1),
        summary=f"{len(checks) - len(failed)}/{len(checks)} checks passed"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
    )
    ValidationCheck.objects.bulk_create(
        [
            ValidationCheck(report=report, name=name, passed=ok, details=details, position=i)
            for i, (name, ok, details) in enumerate(checks)
        ]
    )
    return report
