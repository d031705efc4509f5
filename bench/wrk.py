"""Load from a second process: Debian's ``wrk`` with a Lua script per case.

Each script is bench/lua/common.lua (bearer auth, ids file, a JSON summary
with P50/P95/P99 from wrk's own latency histogram) + the generated request
bodies + the case's script.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().parent / "lua"
THREADS = int(os.environ.get("BENCH_WRK_THREADS") or 1)
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS") or 2)


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    errors: int  # connect/read/write/timeout errors and non-2xx/3xx replies
    raw: dict[str, Any]

    @property
    def ops(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def lua_strings(name: str, values: Sequence[str]) -> str:
    items = ",\n".join(f"[==[{v}]==]" for v in values)
    return f"{name} = {{\n{items}\n}}\n"


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is missing: `apt-get install -y wrk` (make bench installs it)")
    return path


def run(
    url: str,
    case: str,
    *,
    key: str,
    seconds: float,
    tables: str = "",
    ids_file: Path | None = None,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
) -> WrkResult:
    """Drive ``url`` with bench/lua/<case>.lua for ``seconds``; returns wrk's summary."""
    script = (LUA / "common.lua").read_text() + tables + (LUA / f"{case}.lua").read_text()
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
        script_path = handle.name
    try:
        argv = [
            require_wrk(),
            f"-t{threads}",
            f"-c{max(connections, threads)}",
            f"-d{max(round(seconds), 1)}s",
            "--timeout",
            "10s",
            "-s",
            script_path,
            url,
            "--",
            key,
            str(ids_file or ""),
            str(threads),
        ]
        out = subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(script_path)
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out[-2000:]}")
    raw = json.loads(line.removeprefix("BENCH_JSON "))
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50"] / 1000,
        p95_ms=raw["p95"] / 1000,
        p99_ms=raw["p99"] / 1000,
        errors=errors,
        raw=raw,
    )
