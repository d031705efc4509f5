"""The database unreachable: a remote URL that refuses, then one that never answers,
then the real endpoint (the Hrana server on the same port) comes back.

The web server and the sync command run in remote mode (TURSO_DATABASE_URL on
loopback, a token, LIBSQL_REMOTE_DEADLINE_MS) with reliability/settings.py
(breaker cool-down 3 s instead of 60 s). Figures: API replies (503 within the
deadline, never a hang), sync runs skipped with a warning, the breaker's
states from its file, and recovery once the endpoint is back.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter
from typing import Any

from reliability.common import (
    DataDir,
    Reply,
    Row,
    Server,
    api_key,
    free_port,
    last_json,
    log,
    manage,
    ms,
    percentile,
    request,
)
from reliability.context import Context
from reliability.netfaults import Hrana, SilentServer

NAME = "unreachable"
DEADLINE_MS = 1000
TOKEN = "tok-" + secrets.token_urlsafe(16)
CLIENTS, PER_CLIENT = 20, 5
SYNC_BOUND = 15.0  # seconds a skipped sync may take, interpreter start included


def _burst(url: str, key: str) -> list[Reply]:
    replies: list[Reply] = []
    lock = threading.Lock()

    def client() -> None:
        for _ in range(PER_CLIENT):
            reply = request(url, "GET", "/api/v1/episodes?limit=5", key=key, timeout=40)
            with lock:
                replies.append(reply)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return replies


def _breaker(data: DataDir) -> dict[str, Any]:
    try:
        return dict(json.loads((data.path / "cache.redb.breaker.json").read_text()))
    except FileNotFoundError:
        return {"state": "closed"}


class Timeline:
    def __init__(self, env: dict[str, str], data: DataDir) -> None:
        self.env, self.data = env, data
        self.syncs: list[tuple[str, str, float, str]] = []  # phase, status, seconds, breaker

    def sync(self, phase: str) -> dict[str, Any]:
        began = time.monotonic()
        proc = manage(self.env, "sync_memories", "--json", check=False, timeout=120)
        took = time.monotonic() - began
        summary = last_json(proc.stdout) if proc.stdout.strip() else {"status": "crashed"}
        state = _breaker(self.data)["state"]
        self.syncs.append((phase, summary.get("status", "?"), took, state))
        log(
            f"{NAME}: {phase}: sync {summary.get('status')} in {took:.1f}s, breaker {state}; "
            f"{(summary.get('warnings') or [''])[0][:120]}"
        )
        return dict(summary)

    def wait_cooldown(self) -> None:
        retry_at = _breaker(self.data).get("retry_at") or 0
        time.sleep(max(0.0, float(retry_at) - time.time()) + 0.2)


def _phase(name: str, server: Server, key: str, timeline: Timeline, syncs: int) -> list[Row]:
    single = request(server.url, "GET", "/api/v1/episodes", key=key, timeout=40)
    replies = _burst(server.url, key)
    statuses = Counter(r.status for r in replies)
    seconds = [r.seconds for r in replies]
    for _ in range(syncs):
        if _breaker(timeline.data)["state"] == "open" and name == "never answers":
            timeline.wait_cooldown()  # let the half-open probe meet the silent endpoint
        timeline.sync(name)
    skipped = [s for s in timeline.syncs if s[0] == name]
    bound = DEADLINE_MS / 1000 + 0.5
    return [
        Row(
            NAME,
            f"{name}: one API request",
            f"{single.status} in {ms(single.seconds)}",
            f"503 within {bound:.1f} s",
            single.status == 503 and single.seconds < bound,
        ),
        Row(
            NAME,
            f"{name}: burst of {len(replies)} API requests ({CLIENTS} clients)",
            ", ".join(f"{n} x {s}" for s, n in sorted(statuses.items())),
            "all 503",
            set(statuses) == {503} and len(replies) == CLIENTS * PER_CLIENT,
        ),
        Row(
            NAME,
            f"{name}: burst latency P50 / P95 / max",
            f"{ms(percentile(seconds, 50))} / {ms(percentile(seconds, 95))} / "
            f"{ms(max(seconds, default=0))}",
            "max < 10 s (queued behind 2 workers)",
            max(seconds, default=99) < 10,
        ),
        Row(
            NAME,
            f"{name}: sync runs (status, seconds, breaker after)",
            "; ".join(f"{st} {sec:.1f}s {br}" for _, st, sec, br in skipped),
            f"skipped, each < {SYNC_BOUND:.0f} s",
            all(st == "skipped" and sec < SYNC_BOUND for _, st, sec, _ in skipped),
        ),
    ]


def run(ctx: Context) -> list[Row]:
    data = ctx.data(NAME)
    local = data.env()
    manage(local, "sync_memories")  # the cache is in step before the database goes away
    key = api_key(local, "unreachable agent")
    port = free_port()
    remote = data.env(
        TURSO_DATABASE_URL=f"http://127.0.0.1:{port}",
        TURSO_AUTH_TOKEN=TOKEN,
        LIBSQL_REMOTE_DEADLINE_MS=str(DEADLINE_MS),
        DJANGO_SETTINGS_MODULE="reliability.settings",
    )
    timeline = Timeline(remote, data)
    server_log = data.path / "server.log"
    rows: list[Row] = []
    with Server(remote, server_log, workers=2) as server:
        rows += _phase("refused", server, key, timeline, syncs=6)
        opened = _breaker(data)["state"]
        silent = SilentServer(port)
        try:
            rows += _phase("never answers", server, key, timeline, syncs=2)
        finally:
            silent.close()
        hrana = Hrana(data.db, port, TOKEN, data.path / "hrana.log")
        try:
            back = time.monotonic()
            reply = request(server.url, "GET", "/api/v1/episodes?limit=5", key=key)
            while reply.status != 200 and time.monotonic() - back < 30:
                time.sleep(0.2)
                reply = request(server.url, "GET", "/api/v1/episodes?limit=5", key=key)
            recovered = time.monotonic() - back
            for _ in range(4):
                if _breaker(data)["state"] == "closed" and timeline.syncs[-1][0] == "back":
                    break
                timeline.wait_cooldown()
                timeline.sync("back")
        finally:
            hrana.close()
    timeouts = server_log.read_text(errors="replace").count("WORKER TIMEOUT")
    seen = [br for _, _, _, br in timeline.syncs]
    states = " → ".join(b for i, b in enumerate(seen) if i == 0 or seen[i - 1] != b)
    back_runs = [s for s in timeline.syncs if s[0] == "back"]
    rows += [
        Row(NAME, "breaker after 5 failed syncs", opened, "open", opened == "open"),
        Row(
            NAME,
            "endpoint back: API answers 200 after",
            f"{recovered:.1f} s",
            "200 within 30 s",
            reply.status == 200,
        ),
        Row(
            NAME,
            "endpoint back: sync runs (status, breaker after)",
            "; ".join(f"{st} {br}" for _, st, _, br in back_runs),
            "succeeded, breaker closed",
            bool(back_runs)
            and back_runs[-1][3] == "closed"
            and all(st == "succeeded" for _, st, _, _ in back_runs),
        ),
        Row(
            NAME,
            "breaker state after each sync run (changes only)",
            states,
            "closed → open → closed",
            states == "closed → open → closed",
        ),
        Row(NAME, "gunicorn worker timeouts (hung requests)", str(timeouts), "0", timeouts == 0),
    ]
    return rows
