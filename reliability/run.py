"""`make reliability`: faults, load and fuzzing against real processes; prints a markdown table.

    python -m reliability.run [--only NAME[,NAME]] [--keep] [--seed N]

Every scenario is a function ``run(ctx) -> list[Row]`` in its own module,
bounded in time and on loopback only. The report is printed and kept in
test-output/reliability.md. Exit status 1 when a figure misses its target.
"""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import shutil
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

from reliability.common import ROOT, Row, log
from reliability.context import Context

# name → module of reliability/ (imported when it runs: schemathesis is heavy).
SCENARIOS = {
    "sync-kill": "sync_kill",
    "server-kill": "server_kill",
    "corrupt-cache": "corrupt_cache",
    "unreachable": "unreachable",
    "disk": "disk",
    "load": "load",
    "schemathesis": "fuzz",
}


def scenario(name: str) -> Callable[[Context], list[Row]]:
    module = importlib.import_module(f"reliability.{SCENARIOS[name]}")
    return module.run  # type: ignore[no-any-return]


REPORT = ROOT / "test-output" / "reliability.md"


def render(rows: list[Row]) -> str:
    lines = ["| scenario | figure | value | target | ok |", "| --- | --- | --- | --- | --- |"]
    for row in rows:
        mark = "" if row.ok is None else ("yes" if row.ok else "**NO**")
        value = row.value.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {row.scenario} | {row.figure} | {value} | {row.target} | {mark} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", help=f"one of {', '.join(SCENARIOS)}")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    options = parser.parse_args(argv)
    wanted = [n for value in options.only or [] for n in value.split(",") if n] or list(SCENARIOS)
    unknown = [n for n in wanted if n not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {', '.join(SCENARIOS)}")
    work = Path(tempfile.mkdtemp(prefix="memoryadmin-reliability-"))
    ctx = Context(work=work, seed=options.seed)
    rows: list[Row] = []
    started = time.monotonic()
    log(f"work directory {work}, seed {options.seed}, scenarios {', '.join(wanted)}")
    try:
        for name in wanted:
            began = time.monotonic()
            log(f"--- {name}")
            try:
                found = scenario(name)(ctx)
            except Exception as exc:  # one broken scenario must not hide the others' figures
                traceback.print_exc()
                found = [Row(name, "scenario crashed", f"{type(exc).__name__}: {exc}", "", False)]
            took = time.monotonic() - began
            rows += [*found, Row(name, "scenario wall time", f"{took:.0f} s")]
    finally:
        if not options.keep:
            shutil.rmtree(work, ignore_errors=True)
    total = time.monotonic() - started
    header = (
        f"# memory admin reliability — {time.strftime('%Y-%m-%d %H:%M')}\n\n"
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"seed {options.seed}; load average {os.getloadavg()[0]:.1f}; "
        f"total {total / 60:.1f} min.\n"
    )
    report = f"{header}\n{render(rows)}\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(report)
    sys.stdout.write(report)
    return 1 if any(row.ok is False for row in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
