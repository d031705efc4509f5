"""Cache benchmarks: get latency through the binding and bulk-put throughput
against the same bytes written by a small Rust program using redb directly."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import redb_cache

from bench.table import Row, percentile, render, verdict

ROOT = Path(__file__).resolve().parent.parent
CRATE = ROOT / "crates" / "redb_cache"
N = 100_000
VALUE_SIZE = 100


def get_latency(path: Path, samples: int = 20_000) -> tuple[list[float], list[float]]:
    """(per-request open+get+close µs, get on an open reader µs)."""
    keys = [f"key-{i:08}".encode() for i in range(0, N, max(N // samples, 1))]
    per_request, warm = [], []
    for key in keys:
        started = time.perf_counter()
        with redb_cache.open_reader(path) as reader:
            reader.get("bench", key)
        per_request.append((time.perf_counter() - started) * 1e6)
    with redb_cache.open_reader(path) as reader:
        for key in keys:
            started = time.perf_counter()
            reader.get("bench", key)
            warm.append((time.perf_counter() - started) * 1e6)
    return per_request, warm


def binding_bulk_put(path: Path) -> float:
    value = b"\x5a" * VALUE_SIZE
    items = [(f"key-{i:08}".encode(), value) for i in range(N)]
    with redb_cache.open_writer(path) as writer:
        started = time.perf_counter()
        with writer.transaction() as txn:
            txn.put_many("bench", items)
        elapsed = time.perf_counter() - started
    return elapsed


def raw_rust_bulk_put(path: Path) -> float:
    subprocess.run(
        ["cargo", "build", "--quiet", "--release", "--example", "raw_bulk_put"],
        cwd=CRATE,
        check=True,
    )
    binary = CRATE / "target" / "release" / "examples" / "raw_bulk_put"
    out = subprocess.run(
        [str(binary), str(N), str(VALUE_SIZE), str(N), str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    match = re.search(r"elapsed_s=([0-9.eE+-]+)", out)
    if match is None:
        raise RuntimeError(f"unexpected output from raw_bulk_put: {out!r}")
    return float(match.group(1))


def main() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        raw = [raw_rust_bulk_put(Path(tmp) / f"raw{i}.redb") for i in range(3)]
        bound = [binding_bulk_put(Path(tmp) / f"bound{i}.redb") for i in range(3)]
        per_request, warm = get_latency(Path(tmp) / "bound0.redb")
    raw_best, bound_best = min(raw), min(bound)
    mb = N * (VALUE_SIZE + 12) / 1e6
    p95 = percentile(per_request, 95)
    rows = [
        Row(
            "raw Rust bulk put (100k x 100 B, 1 txn)",
            f"{N / raw_best:,.0f} items/s ({mb / raw_best:.1f} MB/s)",
        ),
        Row(
            "binding bulk put, same bytes",
            f"{N / bound_best:,.0f} items/s",
            "≥ 50 % of raw",
            f"{raw_best / bound_best:.2f}x raw",
            verdict(raw_best / bound_best >= 0.5),
        ),
        Row(
            "open_reader + get + close",
            f"P50 {percentile(per_request, 50):.1f} µs / P95 {p95:.1f} µs",
            "P95 < 2 ms",
            "",
            verdict(p95 < 2000),
        ),
        Row(
            "get on an open reader",
            f"P50 {percentile(warm, 50):.2f} µs / P95 {percentile(warm, 95):.2f} µs",
        ),
    ]
    return render("redb cache (through our binding)", rows)


if __name__ == "__main__":
    sys.stdout.write(main())
