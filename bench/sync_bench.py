"""Sync of 100,000 episodes into the redb cache, against raw writes of the same bytes.

Runs are real ``manage.py sync_memories`` processes (MAX_EPISODES_CACHE =
100,000, so the whole file is the window); the figure is the run's own
duration from its report, the process wall time is shown beside it. The
baselines write the entries the full sync left in the cache (episodes,
patterns, heuristics and the hash registry): once through our binding in
one transaction, once by the raw Rust program (same item count and bytes,
uniform values).
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redb_cache

from bench.common import PYTHON, ROOT, DataDir, Measured, fresh_copy, log, measured
from bench.seed import Dataset
from bench.table import Row, percentile, verdict
from hotcache.envelope import unpack

CRATE = ROOT / "crates" / "redb_cache"
# The floor of reading the window from libSQL in Python: the raw ``libsql`` driver, the
# same rows and columns as the sync's payload queries, batches of 100, no conversion.
FETCH_FLOOR = """
import sys, time, django, libsql
django.setup()
from sync.services.episode_rows import EPISODE_COLUMNS, STEP_COLUMNS
con = libsql.connect(sys.argv[1])
started = time.perf_counter()
ids = [r[0] for r in con.execute(
    "SELECT id FROM episodes_episode WHERE deleted_at IS NULL "
    "ORDER BY started_at DESC, id DESC LIMIT 100000").fetchall()]
rows = steps = 0
for i in range(0, len(ids), 100):
    chunk = ids[i:i + 100]
    marks = ",".join("?" * len(chunk))
    rows += len(con.execute(f"SELECT {','.join(EPISODE_COLUMNS)} FROM episodes_episode "
                            f"WHERE id IN ({marks})", chunk).fetchall())
    steps += len(con.execute(f"SELECT {','.join(STEP_COLUMNS)} FROM episodes_executionstep "
                             f"WHERE episode_id IN ({marks}) ORDER BY episode_id, step_number",
                             chunk).fetchall())
print(time.perf_counter() - started, rows, steps)
"""
TABLES = ("episodes", "patterns", "heuristics", "metadata")
CHANGED_SHARE = 0.01


@dataclass
class SyncResults:
    work: DataDir
    rows: list[Row] = field(default_factory=list)
    cache_rows: list[Row] = field(default_factory=list)
    sync_rss_mb: float = float("nan")


def _sync(data: DataDir) -> tuple[Measured, dict[str, Any]]:
    """One ``sync_memories --json`` run in a child (bench/sync_child.py adds timers)."""
    done = measured([PYTHON, "-m", "bench.sync_child"], env=data.env())
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    if summary["status"] != "succeeded":
        raise RuntimeError(f"sync run ended {summary['status']}: {summary.get('error')}")
    return done, summary


def _duration(summary: dict[str, Any]) -> float:
    return float(summary["report"]["duration_seconds"])


def _entries(path: Path) -> dict[str, list[tuple[bytes, bytes]]]:
    reader = redb_cache.open_reader(path)
    try:
        return {t: list(reader.scan(t)) for t in TABLES}
    finally:
        reader.close()


def _binding_put(entries: dict[str, list[tuple[bytes, bytes]]], target: Path) -> float:
    writer = redb_cache.open_writer(target)
    try:
        started = time.perf_counter()
        with writer.transaction() as txn:
            for table, items in entries.items():
                txn.put_many(table, items)
        elapsed = time.perf_counter() - started
    finally:
        writer.close()
    return elapsed


def _rust_put(count: int, value_size: int, target: Path) -> float:
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--example", "raw_bulk_put"],
        cwd=CRATE,
        check=True,
    )
    binary = CRATE / "target" / "release" / "examples" / "raw_bulk_put"
    out = subprocess.run(
        [str(binary), str(count), str(value_size), str(count), str(target)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"elapsed_s=([0-9.eE+-]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected output from raw_bulk_put: {out!r}")
    return float(match.group(1))


def _fetch_floor(data: DataDir) -> tuple[float, int, int]:
    """(seconds, episodes, steps) of the raw libsql fetch of the window's rows."""
    out = measured([PYTHON, "-c", FETCH_FLOOR, str(data.db)], env=data.env()).stdout.split()
    return float(out[0]), int(out[1]), int(out[2])


def _change_some(data: DataDir, share: float) -> int:
    """Change a share of the episodes through the service (a metadata merge each)."""
    script = (
        "import random\n"
        "from episodes.models import Episode\n"
        "from episodes.services import episode_update\n"
        "ids = list(Episode.objects.values_list('pk', 'namespace_id'))\n"
        f"chosen = random.Random(3).sample(ids, int(len(ids) * {share}))\n"
        "for pk, ns in chosen:\n"
        "    episode_update(episode_id=pk, namespace_id=ns, metadata={'reviewed': True})\n"
        "print(len(chosen))\n"
    )
    return int(data.manage("shell", "-c", script).strip().splitlines()[-1])


def _get_latency(path: Path, keys: list[bytes]) -> tuple[list[float], list[float], list[float]]:
    """(open_reader+get+close µs, get+unpack on an open reader µs, open+close only µs)."""
    per_request, warm, opens = [], [], []
    for key in keys:
        started = time.perf_counter()
        with redb_cache.open_reader(path) as reader:
            reader.get("episodes", key)
        per_request.append((time.perf_counter() - started) * 1e6)
    with redb_cache.open_reader(path) as reader:
        for key in keys:
            started = time.perf_counter()
            blob = reader.get("episodes", key)
            assert blob is not None
            unpack(blob)
            warm.append((time.perf_counter() - started) * 1e6)
    for _ in keys[:5000]:
        started = time.perf_counter()
        redb_cache.open_reader(path).close()
        opens.append((time.perf_counter() - started) * 1e6)
    return per_request, warm, opens


def run(ds: Dataset) -> SyncResults:
    work = fresh_copy(ds.data, "main")
    out = SyncResults(work)
    log("sync: full sync of 100,000 episodes")
    full, summary = _sync(work)
    out.sync_rss_mb = full.max_rss_mb
    seconds = _duration(summary)
    counts = summary["counts"]
    timings = summary["bench_timings"]
    loading, packing = timings.get("payloads", 0.0), timings.get("pack", 0.0)
    redb = timings.get("write_batch", 0.0) + timings.get("make_durable", 0.0)
    entries = _entries(work.cache)
    items = sum(len(v) for v in entries.values())
    total = sum(len(k) + len(v) for pairs in entries.values() for k, v in pairs)
    with tempfile.TemporaryDirectory() as tmp:
        binding = min(_binding_put(entries, Path(tmp) / f"b{i}.redb") for i in range(3))
        value_size = max(round(total / items) - 12, 1)  # the Rust keys are 12 bytes
        rust = min(_rust_put(items, value_size, Path(tmp) / f"r{i}.redb") for i in range(3))
    mb = total / 1e6
    share = binding / seconds
    floor, floor_rows, floor_steps = min(_fetch_floor(work) for _ in range(3))
    out.rows += [
        Row(
            "full sync, 100,000 episodes",
            f"{seconds:.1f} s ({counts['new']:,} new; {items / seconds:,.0f} entries/s, "
            f"{mb / seconds:.1f} MB/s; process {full.seconds:.1f} s)",
            "≥ 50 % of binding",
            f"{share:.1%} of binding; {rust / seconds:.1%} of raw Rust",
            verdict(share >= 0.5),
        ),
        Row(
            "  of which: payloads from libSQL / envelope JSON + zlib / redb writes",
            f"{loading:.1f} s / {packing:.1f} s / {redb:.1f} s "
            "(redb: put_many per batch of 100 episodes, without fsync; 1 durable commit "
            "per held second)",
            "",
            f"redb writes at {binding / max(redb, 1e-9):.0%} of binding",
        ),
        Row(
            "  floor: raw libsql fetch of the same rows (batches of 100, no conversion)",
            f"{floor:.2f} s ({floor_rows:,} episodes, {floor_steps:,} steps)",
            "",
            f"full sync = {seconds / floor:.1f}x this floor; "
            f"floor alone = {binding / floor:.0%} of binding",
        ),
        Row(
            "  raw binding put_many, same entries (1 txn)",
            f"{binding:.2f} s ({items:,} entries, {mb:.0f} MB; {items / binding:,.0f}/s)",
        ),
        Row(
            "  raw Rust redb, same count and bytes (1 txn)",
            f"{rust:.2f} s ({items / rust:,.0f}/s)",
            "",
            f"binding = {rust / binding:.2f}x raw Rust",
        ),
    ]
    log("sync: no-change incremental sync")
    quiet, summary = _sync(work)
    seconds = _duration(summary)
    out.rows.append(
        Row(
            "no-change incremental sync over 100,000",
            f"{seconds * 1000:.0f} ms ({summary['counts']['unchanged']:,} unchanged; "
            f"process {quiet.seconds:.1f} s)",
            "< 200 ms",
            "",
            verdict(seconds < 0.2),
        )
    )
    log("sync: 1 % changed")
    changed = _change_some(work, CHANGED_SHARE)
    some, summary = _sync(work)
    seconds = _duration(summary)
    out.rows.append(
        Row(
            "1 %-changed sync over 100,000",
            f"{seconds * 1000:.0f} ms ({changed:,} changed, {summary['counts']['modified']:,} "
            f"rewritten; process {some.seconds:.1f} s)",
        )
    )
    out.sync_rss_mb = max(out.sync_rss_mb, quiet.max_rss_mb, some.max_rss_mb)
    keys = [k for k, _ in entries["episodes"][:: max(len(entries["episodes"]) // 20_000, 1)]]
    per_request, warm, opens = _get_latency(work.cache, keys)
    p95 = percentile(per_request, 95)
    out.cache_rows += [
        Row(
            "get a cached episode: open_reader + get + close",
            f"P50 {percentile(per_request, 50):.1f} µs / P95 {p95:.1f} µs",
            "P95 < 2 ms",
            "",
            verdict(p95 < 2000),
        ),
        Row(
            "  get + unpack on an open reader",
            f"P50 {percentile(warm, 50):.1f} µs / P95 {percentile(warm, 95):.1f} µs",
        ),
        Row(
            "  reader open + close (per request)",
            f"P50 {percentile(opens, 50):.1f} µs / P95 {percentile(opens, 95):.1f} µs",
        ),
    ]
    return out
