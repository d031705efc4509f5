"""The cache's disk is full, or its directory read-only: a clear error, the database path goes on.

Disk full: the cache lives on a 1 MiB tmpfs (a real ENOSPC; the filled cache
needs ~3 MB). Where mounting is not allowed, the sync runs under
RLIMIT_FSIZE instead (EFBIG, what a full disk looks like to a writer), like
tests/redb_binding does. Read-only: ``chattr +i`` on the cache file and its
directory (root ignores permission bits, not the immutable flag).

In both cases agents keep writing and reading through the API while
``sync_memories`` fails; then the fault is lifted, the next sync succeeds and
``verify_cache --full`` passes.
"""

from __future__ import annotations

import json
import resource
import subprocess
import threading
from typing import Any

from reliability.agents import Agent, Ledger, audit
from reliability.common import (
    PYTHON,
    ROOT,
    Row,
    Server,
    api_key,
    last_json,
    log,
    manage,
    request,
)
from reliability.context import Context

NAME = "disk"
TINY = "1m"
FSIZE = 1 << 20


def _try(*args: str) -> bool:
    return subprocess.run(args, capture_output=True, check=False).returncode == 0


def _sync(env: dict[str, str], *, fsize: int | None = None) -> dict[str, Any]:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))  # type: ignore[arg-type]

    proc = subprocess.run(
        [PYTHON, "manage.py", "sync_memories", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=limit if fsize else None,
    )
    summary = last_json(proc.stdout) if proc.stdout.strip() else {"status": "crashed"}
    summary["exit"] = proc.returncode
    summary["stderr"] = proc.stderr.strip().splitlines()[-1:] if proc.stderr.strip() else []
    return dict(summary)


def _verify(env: dict[str, str]) -> str:
    proc = manage(env, "verify_cache", "--full", "--json", check=False)
    return str(last_json(proc.stdout).get("summary")) if proc.stdout.strip() else "crashed"


class Traffic:
    """Agents writing and reading through the API while the cache is broken."""

    def __init__(self, url: str, key: str) -> None:
        self.ledger, self.stop = Ledger(), threading.Event()
        self.reads: list[int] = []
        self.bot = Agent(url, key, "disk", self.ledger, give_up_after=5)
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        n = 0
        while not self.stop.is_set():
            self.bot.episode_round(n)
            for marker, episode_id in list(self.ledger.episodes.items())[-2:]:
                reply = request(
                    self.bot.base, "GET", f"/api/v1/episodes/{episode_id}", key=self.bot.key
                )
                self.reads.append(reply.status)
                del marker
            n += 1

    def finish(self) -> None:
        self.stop.set()
        self.thread.join(60)


def _case(ctx: Context, name: str, fault: str) -> list[Row]:
    data = ctx.data(f"{NAME}-{name}")
    cache_dir = data.path / "cache"
    cache_dir.mkdir()
    env = data.env(REDB_CACHE_PATH=str(cache_dir / "cache.redb"))
    key = api_key(env, f"{name} agent")
    method, fsize = "", None
    if fault == "full":
        if _try("mount", "-t", "tmpfs", "-o", f"size={TINY}", "tmpfs", str(cache_dir)):
            method = f"tmpfs of {TINY}B (ENOSPC)"
        else:
            method, fsize = f"RLIMIT_FSIZE {FSIZE >> 20} MiB (EFBIG)", FSIZE
    else:
        manage(env, "sync_memories")
        method = "chattr +i on the cache file and directory"
        if not (
            _try("chattr", "+i", str(cache_dir / "cache.redb"))
            and _try("chattr", "+i", str(cache_dir))
        ):
            _try("chattr", "-i", str(cache_dir / "cache.redb"))
            return [Row(NAME, f"{name}: not run", "chattr +i is not allowed here", "", None)]
        manage(env, "seed_demo", "--episodes", "20", "--seed", "99")  # work for the sync
    try:
        with Server(env, data.path / "server.log", workers=2) as server:
            traffic = Traffic(server.url, key)
            failed = _sync(env, fsize=fsize)
            traffic.finish()
            health = request(server.url, "GET", "/api/v1/health", key=key).body
    finally:
        if fault == "full" and fsize is None:
            _try("mount", "-o", "remount,size=64m", str(cache_dir))
        else:
            _try("chattr", "-i", str(cache_dir))
            _try("chattr", "-i", str(cache_dir / "cache.redb"))
    try:
        recovered = _sync(env)
        verified = _verify(env)
    finally:
        if fault == "full" and fsize is None:
            _try("umount", str(cache_dir))
    found = audit(env, traffic.ledger)
    error = failed.get("error") or "; ".join(failed.get("warnings") or []) or str(failed["stderr"])
    log(f"{NAME}: {name}: sync {failed.get('status')} exit {failed['exit']}: {error}")
    cache_state = (health or {}).get("cache", {}) if isinstance(health, dict) else {}
    writes = len(traffic.ledger.episodes)
    return [
        Row(NAME, f"{name}: fault", method),
        Row(
            NAME,
            f"{name}: sync while faulty (status, exit code)",
            f"{failed.get('status')}, {failed['exit']}",
            "failed, 1",
            failed.get("status") == "failed" and failed["exit"] == 1,
        ),
        Row(
            NAME,
            f"{name}: the error it reports",
            error[:300],
            "names the cause",
            any(w in error for w in ("No space", "too large", "not permitted", "Read-only")),
        ),
        Row(
            NAME,
            f"{name}: API meanwhile: episodes written / reads / refused",
            f"{writes} / {len(traffic.reads)} / {len(traffic.ledger.failures)} "
            f"(reads not 200: {sum(s != 200 for s in traffic.reads)})",
            "writes and reads succeed",
            writes > 0
            and not traffic.ledger.failures
            and all(s == 200 for s in traffic.reads)
            and found.clean,
        ),
        Row(NAME, f"{name}: /api/v1/health cache part", json_short(cache_state)),
        Row(
            NAME,
            f"{name}: after lifting the fault: sync / verify --full",
            f"{recovered.get('status')} / {verified}",
            "succeeded / all checks passed",
            recovered.get("status") == "succeeded"
            and "checks passed" in verified
            and verified.split("/")[0] == verified.split("/")[1].split()[0],
        ),
    ]


def json_short(value: Any) -> str:
    return json.dumps(value, default=str)[:200]


def run(ctx: Context) -> list[Row]:
    return _case(ctx, "disk full", "full") + _case(ctx, "read-only dir", "readonly")
