"""API cases over a real HTTP server, loaded by wrk from a second process.

Order matters: the reads run first, over exactly the seeded episodes (the
cache synced by the sync section); then start, steps (batches of 10 on the
episodes just started) and complete (each open episode once: those that got
steps first, topped up with open episodes seeded in bulk when the pool is
smaller than the case can use).
"""

from __future__ import annotations

import json
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench import api_bodies as bodies
from bench import wrk
from bench.common import SECONDS, DataDir, log
from bench.seed import create_api_key
from bench.server import Server
from bench.table import Row, percentile, verdict

WRITE_TARGET = "P95 < 5 ms, ≥ 1,000 ops/s"


@dataclass
class ApiResults:
    rows: list[Row] = field(default_factory=list)
    worker_rss_mb: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _row(
    case: str, result: wrk.WrkResult, server_ms: list[float], target: str, ok: bool | None
) -> Row:
    figure = (
        f"{result.ops:,.0f} ops/s; P50 {result.p50_ms:.2f} / P95 {result.p95_ms:.2f} / "
        f"P99 {result.p99_ms:.2f} ms"
    )
    if server_ms:
        p50, p95 = percentile(server_ms, 50), percentile(server_ms, 95)
        figure += f" (server P50 {p50:.2f} / P95 {p95:.2f} ms)"
    if result.errors:
        figure += f"; {result.errors} errors/non-2xx"
    return Row(case, figure, target, "", "" if ok is None else verdict(ok))


def _case(
    server: Server,
    case: str,
    key: str,
    tables: str,
    ids: Path | None = None,
    seconds: float = SECONDS,
) -> tuple[wrk.WrkResult, list[float]]:
    log(f"api: {case} for {seconds:.0f} s")
    since = server.log_offset()
    result = wrk.run(server.url, case, key=key, seconds=seconds, tables=tables, ids_file=ids)
    return result, server.server_times_ms(since)


def _write_ok(result: wrk.WrkResult) -> bool:
    return result.p95_ms < 5 and result.ops >= 1000 and not result.errors


def _check_cache_hit(server: Server, key: str, episode_id: str) -> None:
    request = urllib.request.Request(  # noqa: S310 - loopback http
        f"{server.url}/api/v1/episodes/{episode_id}", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as reply:  # noqa: S310 - loopback
        source = json.loads(reply.read())["source"]
    if source != "cache":
        raise RuntimeError(f"GET of a synced episode came from {source}: sync the cache first")


def run_100k(data: DataDir) -> ApiResults:
    """Every case but the list page, on a synced working copy of the 100,000-episode file."""
    out = ApiResults()
    key = create_api_key(data)
    db = data.db
    cached = bodies.write_ids(data.path / "cached.ids", bodies.sample_live_ids(db, 20_000))
    seeded_until = bodies.latest_started_at(db)
    with Server(data) as server:
        _check_cache_hit(server, key, cached.read_text().split()[0])
        result, times = _case(server, "get", key, "", cached)
        hits = result.raw["hits"] / max(result.raw["hits"] + result.raw["misses"], 1)
        row = _row("get an episode (cache hit)", result, times, "P95 < 2 ms", None)
        row.figure += f"; {hits:.1%} from the cache"
        row.verdict = verdict(result.p95_ms < 2 and hits > 0.99 and not result.errors)
        out.rows.append(row)

        retrieve = wrk.lua_strings("BODIES", bodies.retrieve_bodies())
        result, times = _case(server, "retrieve", key, retrieve)
        ok = result.p95_ms < 25 and not result.errors
        out.rows.append(_row("retrieve context over 100,000", result, times, "P95 < 25 ms", ok))

        start_bodies = wrk.lua_strings("BODIES", bodies.start_bodies())
        result, times = _case(server, "start", key, start_bodies)
        out.rows.append(_row("start episode", result, times, WRITE_TARGET, _write_ok(result)))
        start_ops = result.ops
        started = bodies.open_episode_ids(db, started_after=seeded_until)
        ids = bodies.write_ids(data.path / "started.ids", started)

        steps = wrk.lua_strings("BODIES", bodies.step_bodies())
        result, times = _case(server, "steps", key, steps, ids)
        out.rows.append(
            _row("log a batch of 10 steps", result, times, WRITE_TARGET, _write_ok(result))
        )

        pool = _complete_pool(data, started, wanted=int(max(start_ops, 1000) * SECONDS * 1.3))
        ids = bodies.write_ids(data.path / "complete.ids", pool)
        complete = wrk.lua_strings("BODIES", bodies.complete_bodies())
        result, times = _case(server, "complete", key, complete, ids)
        row = _row("complete episode", result, times, WRITE_TARGET, _write_ok(result))
        if result.raw["exhausted"]:
            row.figure += f"; pool of {len(pool):,} used up early"
        out.rows.append(row)
        out.worker_rss_mb["web worker, 100k cases"] = server.worker_peak_rss_mb()
    return out


def _complete_pool(data: DataDir, started: list[str], wanted: int) -> list[str]:
    """Open episodes to complete: the ones the API started, then bulk-seeded open ones."""
    if len(started) < wanted:
        extra = wanted - len(started)
        log(f"api: seeding {extra:,} more open episodes (with steps) for the complete case")
        ids_file = data.path / "bulk-open.ids"
        data.manage(
            "seed_bulk",
            *("--episodes", str(extra), "--seed", "11", "--running"),
            *("--ids-file", str(ids_file)),
        )
        started = started + [line.replace("-", "") for line in ids_file.read_text().split()]
    return started


def run_list_1m(data: DataDir, key: str) -> ApiResults:
    """The list page at 1,000,000 episodes, on the seeded file in place (reads only, but
    the bench key's rate counter and last use are written to it)."""
    out = ApiResults()
    deep = bodies.list_cursor(data.db, 500_000)
    cases = [
        ("first page (50, newest first)", "/api/v1/episodes", SECONDS, True),
        ("  page after 500,000 (cursor)", f"/api/v1/episodes?cursor={deep}", SECONDS / 3, False),
        (
            "  first page, task_type filter",
            "/api/v1/episodes?task_type=debugging",
            SECONDS / 3,
            False,
        ),
    ]
    with Server(data) as server:
        for label, path, seconds, target in cases:
            paths = wrk.lua_strings("PATHS", [path])
            result, times = _case(server, "list", key, paths, seconds=seconds)
            if target:
                row = _row(
                    f"list page at 1,000,000: {label}", result, times, "server P95 < 100 ms", None
                )
                row.verdict = verdict(percentile(times, 95) < 100 and not result.errors)
            else:
                row = _row(label, result, times, "", None)
            out.rows.append(row)
        out.worker_rss_mb["web worker, 1M list page"] = server.worker_peak_rss_mb()
    return out
