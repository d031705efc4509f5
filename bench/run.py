"""`make bench`: run every benchmark, print one markdown report, keep it in results/latest.md.

Environment: BENCH_SECONDS (per API case, default 30), BENCH_DATA_DIR (seeded
files, default /tmp/memoryadmin-bench), BENCH_ONLY (comma-separated sections:
sync, api, list, db, cache), BENCH_LIST_EPISODES (default 1,000,000),
BENCH_CONNECTIONS (wrk connections, default 2 = the web workers).
"""

from __future__ import annotations

import os
import platform
import sys
import time

from bench import api_bench, cache_bench, db_bench, sync_bench
from bench.common import DATA_ROOT, SECONDS, load_average, log
from bench.seed import dataset, seeded_summary
from bench.table import RESULTS, Row, render, verdict
from bench.wrk import CONNECTIONS

SECTIONS = ("sync", "api", "list", "db", "cache")
LIST_EPISODES = int(os.environ.get("BENCH_LIST_EPISODES") or 1_000_000)
RSS_TARGET_MB = 200


def main() -> None:
    wanted = [s for s in (os.environ.get("BENCH_ONLY") or ",".join(SECTIONS)).split(",") if s]
    started = time.monotonic()
    load_before = load_average()
    out: list[str] = []
    data_rows: list[Row] = []
    memory: list[Row] = []

    main_set = dataset(100_000)
    data_rows.append(Row("seeded file for sync and API", seeded_summary(main_set)))
    work = None
    if "sync" in wanted or "api" in wanted:
        synced = sync_bench.run(main_set)
        work = synced.work
        if "sync" in wanted:
            out.append(render("Sync (redb cache from libSQL, 100,000 episodes)", synced.rows))
            out.append(
                render("Cache reads (real episodes, through our binding)", synced.cache_rows)
            )
        memory.append(
            _rss_row("sync run (peak of full / no-change / 1 % runs)", synced.sync_rss_mb)
        )
    if "api" in wanted:
        assert work is not None
        api = api_bench.run_100k(work)
        out.append(render(f"API over HTTP (wrk, {SECONDS:.0f} s per case)", api.rows))
        memory += [_rss_row(k, v, target=True) for k, v in api.worker_rss_mb.items()]
    if "list" in wanted:
        big = dataset(LIST_EPISODES)
        data_rows.append(Row("seeded file for the list page", seeded_summary(big)))
        listed = api_bench.run_list_1m(big.data, big.api_key)
        out.append(render(f"List page ({LIST_EPISODES:,} episodes)", listed.rows))
        memory += [_rss_row(k, v, target=True) for k, v in listed.worker_rss_mb.items()]
    if "db" in wanted:
        empty = dataset(0)
        out.append(render("Database inserts (libSQL, episode rows)", db_bench.run(empty)))
    if "cache" in wanted:
        log("cache: synthetic bulk put and get latency")
        out.append(cache_bench.main())
    if memory:
        out.append(render("Memory (peak RSS)", memory))
    total = time.monotonic() - started
    header = [
        f"# memory admin benchmarks — {time.strftime('%Y-%m-%d %H:%M')} "
        f"({platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()})\n",
        "Ratios are measured in the same run; absolute figures vary with machine load. "
        f"Load average (1/5/15 min) before: {load_before}, after: {load_average()}. "
        f"API: gunicorn via `manage.py serve --no-cluster` (2 sync workers), wrk with "
        f"{CONNECTIONS} connections; server time from gunicorn's access log (%(D)s). "
        f"Total runtime {total / 60:.1f} min; data under {DATA_ROOT}.\n",
        render("Data", data_rows),
    ]
    report = "\n".join(header + out)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(report)
    sys.stdout.write(report)


def _rss_row(what: str, mb: float, *, target: bool = False) -> Row:
    if not target:
        return Row(what, f"{mb:.0f} MB")
    return Row(what, f"{mb:.0f} MB", f"< {RSS_TARGET_MB} MB", "", verdict(mb < RSS_TARGET_MB))


if __name__ == "__main__":
    main()
