"""Load: CLIENTS concurrent agents for SECONDS of mixed API traffic against `make run`'s stack.

The server is ``manage.py serve`` as ``make run`` starts it (gunicorn with
its default 2 sync workers, plus the django-q2 cluster doing write-behind
syncs), on a copy of the 2,000-episode database. Each client has its own
key and a persistent http.client connection (gunicorn's sync workers close
it after each reply; the client reconnects). Mix: start, steps, complete,
list, get, retrieve, health. Every non-2xx reply counts as an error, and the
episodes in the database must equal the acknowledged starts.
"""

from __future__ import annotations

import http.client
import random
import threading
import time
import uuid
from collections import Counter, defaultdict
from typing import Any

from reliability.agents import SUCCESS, audit, episode_body, steps_body
from reliability.agents import Ledger as _Ledger
from reliability.common import Row, Server, log, ms, orm, percentile, request
from reliability.context import Context

NAME = "load"
CLIENTS = 50
SECONDS = 60.0
MIX = {"start": 15, "steps": 20, "complete": 10, "list": 25, "get": 15, "retrieve": 10, "health": 5}
KEYS = (
    "[api_key_create(name=f'load {i}', scopes=['read', 'write'], "
    "rate_limit_per_minute=10**6, daily_episode_quota=10**6).key for i in range(%d)]"
)
QUERIES = [
    "?limit=20",
    "?limit=50&task_type=debugging",
    "?limit=20&domain=web",
    "?limit=10&completed=true",
    "?limit=20&tag=reliability",
]


class Client:
    def __init__(self, base: str, key: str, n: int, stats: Stats) -> None:
        self.base, self.key, self.n, self.stats = base, key, n, stats
        self.conn = http.client.HTTPConnection(base.split("//", 1)[1], timeout=60)
        self.rng = random.Random(n)
        self.open: list[tuple[str, str, int]] = []  # (marker, id, batches logged)
        self.seen: list[str] = []
        self.round = 0

    def call(self, op: str, method: str, path: str, body: Any = None, idem: bool = False) -> Any:
        reply = request(
            self.base,
            method,
            "/api/v1" + path,
            body,
            key=self.key,
            idempotency=str(uuid.uuid4()) if idem else "",
            conn=self.conn,
        )
        self.stats.record(op, reply.status, reply.seconds, reply.body)
        return reply

    def step(self) -> None:
        op = self.rng.choices(list(MIX), weights=list(MIX.values()))[0]
        if op in ("steps", "complete") and not self.open:
            op = "start"
        if op == "start":
            marker = f"load{self.n}-{self.round}"
            self.round += 1
            reply = self.call(op, "POST", "/episodes", episode_body(marker), idem=True)
            if reply.status == 201:
                self.stats.acked(marker)
                self.open.append((marker, reply.body["id"], 0))
                self.seen.append(reply.body["id"])
        elif op == "steps":
            marker, episode_id, batches = self.open.pop(0)
            reply = self.call(
                op,
                "POST",
                f"/episodes/{episode_id}/steps",
                steps_body(marker, batches, 3),
                idem=True,
            )
            self.open.append((marker, episode_id, batches + 1))
        elif op == "complete":
            _, episode_id, _ = self.open.pop(0)
            self.call(op, "POST", f"/episodes/{episode_id}/complete", SUCCESS, idem=True)
        elif op == "list":
            reply = self.call(op, "GET", "/episodes" + self.rng.choice(QUERIES))
            if reply.status == 200:
                self.seen += [item["id"] for item in reply.body["items"][:3]]
                self.seen = self.seen[-50:]
        elif op == "get" and self.seen:
            self.call(op, "GET", f"/episodes/{self.rng.choice(self.seen)}")
        elif op == "retrieve":
            body = {
                "description": "login test fails after the session change",
                "context": {"task_type": "debugging", "language": "python"},
                "limit": 5,
            }
            self.call(op, "POST", "/context/retrieve", body)
        elif op == "health":
            self.call(op, "GET", "/health")


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.seconds: dict[str, list[float]] = defaultdict(list)
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []
        self.markers: set[str] = set()

    def record(self, op: str, status: int, seconds: float, body: Any) -> None:
        with self.lock:
            self.seconds[op].append(seconds)
            self.statuses[status] += 1
            if not 200 <= status < 300 and len(self.errors) < 20:
                self.errors.append(f"{op} {status} {str(body)[:160]}")

    def acked(self, marker: str) -> None:
        with self.lock:
            self.markers.add(marker)


def run(ctx: Context) -> list[Row]:
    data = ctx.data(NAME)
    env = data.env()
    keys = orm(env, KEYS % CLIENTS, "from memoryadmin.apikeys.services import api_key_create")
    stats, stop = Stats(), threading.Event()
    with Server(env, data.path / "server.log", workers=2, cluster=True) as server:
        clients = [Client(server.url, keys[n], n, stats) for n in range(CLIENTS)]

        def loop(client: Client) -> None:
            while not stop.is_set():
                client.step()

        threads = [threading.Thread(target=loop, args=(c,), daemon=True) for c in clients]
        began = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(SECONDS)
        stop.set()
        for thread in threads:
            thread.join(120)
        elapsed = time.monotonic() - began
        hung = sum(t.is_alive() for t in threads)
    ledger = _Ledger(episodes={m: "" for m in stats.markers})
    found = audit(env, ledger)
    stored = orm(env, "Episode.objects.count()", "from episodes.models import Episode")
    every = [s for values in stats.seconds.values() for s in values]
    total = len(every)
    fivexx = sum(n for status, n in stats.statuses.items() if status >= 500)
    errors = sum(n for status, n in stats.statuses.items() if not 200 <= status < 300)
    log(f"{NAME}: {total} requests in {elapsed:.0f}s; statuses {dict(stats.statuses)}")
    per_op = ", ".join(
        f"{op} {len(v)} ({ms(percentile(v, 95))})" for op, v in sorted(stats.seconds.items())
    )
    return [
        Row(
            NAME,
            "clients / duration / server",
            f"{CLIENTS} / {elapsed:.0f} s / gunicorn 2 sync workers + django-q2 cluster",
        ),
        Row(NAME, "requests / throughput", f"{total} / {total / elapsed:.0f} ops/s"),
        Row(
            NAME,
            "latency P50 / P95 / P99 / max",
            f"{ms(percentile(every, 50))} / {ms(percentile(every, 95))} / "
            f"{ms(percentile(every, 99))} / {ms(max(every, default=0))}",
        ),
        Row(NAME, "per operation: count (P95)", per_op),
        Row(NAME, "5xx replies", str(fivexx), "0", fivexx == 0),
        Row(
            NAME,
            "errors (any non-2xx or no answer)",
            f"{errors}" + (f": {'; '.join(stats.errors[:3])}" if errors else ""),
            "0",
            errors == 0,
        ),
        Row(
            NAME,
            "acknowledged starts / stored by the clients (duplicates)",
            f"{len(stats.markers)} / {found.stored_episodes} ({len(found.duplicate_episodes)})",
            "equal, 0 duplicates",
            len(stats.markers) == found.stored_episodes and not found.duplicate_episodes,
        ),
        Row(
            NAME,
            "episodes in the database (2,000 seeded + acknowledged starts)",
            f"{stored} (expected {2000 + len(stats.markers)})",
            "equal",
            stored == 2000 + len(stats.markers),
        ),
        Row(NAME, "client threads still hanging", str(hung), "0", hung == 0),
    ]
