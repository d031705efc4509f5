"""Agents writing through the API, and the check that the database holds what they were told.

Every logical request carries its own ``Idempotency-Key``; a retry after a
connection error or a 502/503 resends the same key and body, so a request
the server finished before it died is answered from the stored reply
(``Idempotent-Replayed: true``) instead of being done twice. Markers in the
episode's metadata and the steps' actions let the database be checked
against what was acknowledged.
"""

from __future__ import annotations

import http.client
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from reliability.common import Reply, orm, request

RETRYABLE = {0, 502, 503}
API = "/api/v1"


def episode_body(marker: str) -> dict[str, Any]:
    return {
        "task_description": f"reliability agent task {marker}",
        "task_type": "debugging",
        "context": {"language": "python", "domain": "web", "tags": ["reliability"]},
        "metadata": {"marker": marker},
    }


def steps_body(marker: str, batch: int, size: int = 2) -> dict[str, Any]:
    return {
        "steps": [
            {
                "tool": "pytest",
                "action": f"{marker}-b{batch}-s{i}",
                "parameters": {},
                "success": i % 2 == 0,
                "latency_ms": 12,
                "tokens": 40,
                "observation": "ok",
            }
            for i in range(size)
        ]
    }


SUCCESS = {"outcome": {"kind": "success", "verdict": "done", "artifacts": []}}


@dataclass
class Ledger:
    """What the server acknowledged (2xx), shared by the agent threads."""

    episodes: dict[str, str] = field(default_factory=dict)  # marker → episode id
    steps: set[str] = field(default_factory=set)  # acknowledged step actions
    completed: set[str] = field(default_factory=set)  # markers
    counts: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, name: str, n: int = 1) -> None:
        with self.lock:
            self.counts[name] += n


@dataclass
class Agent:
    base: str
    key: str
    name: str
    ledger: Ledger
    give_up_after: float = 90.0
    conn: http.client.HTTPConnection | None = None

    def call(self, method: str, path: str, body: Any = None, *, idempotent: bool = True) -> Reply:
        """Send until an answer that is not a connection error or a 502/503."""
        idem = str(uuid.uuid4()) if idempotent else ""
        deadline = time.monotonic() + self.give_up_after
        attempt = 0
        while True:
            reply = request(self.base, method, API + path, body, key=self.key, idempotency=idem)
            attempt += 1
            if reply.status not in RETRYABLE or time.monotonic() > deadline:
                break
            self.ledger.count("retries")
            time.sleep(min(0.05 * attempt, 0.5))
        if reply.headers.get("idempotent-replayed") == "true":
            self.ledger.count("replayed")
        return reply

    def episode_round(self, n: int, batches: int = 2) -> None:
        """Start, log ``batches`` step batches, complete; record every 2xx."""
        marker = f"{self.name}-{n}"
        ledger = self.ledger
        started = self.call("POST", "/episodes", episode_body(marker))
        if started.status != 201:
            ledger.failures.append(f"start {marker}: {started.status} {str(started.body)[:200]}")
            return
        episode_id = started.body["id"]
        with ledger.lock:
            ledger.episodes[marker] = episode_id
        for batch in range(batches):
            logged = self.call("POST", f"/episodes/{episode_id}/steps", steps_body(marker, batch))
            if logged.status != 200:
                ledger.failures.append(f"steps {marker}: {logged.status} {str(logged.body)[:200]}")
                return
            with ledger.lock:
                ledger.steps.update(s["action"] for s in steps_body(marker, batch)["steps"])
        done = self.call("POST", f"/episodes/{episode_id}/complete", SUCCESS)
        if done.status != 200:
            ledger.failures.append(f"complete {marker}: {done.status} {str(done.body)[:200]}")
            return
        with ledger.lock:
            ledger.completed.add(marker)


STORED = (
    "{'episodes': list(Episode.objects.filter(metadata__marker__isnull=False)"
    ".values_list('pk', 'metadata__marker', 'ended_at')),"
    " 'steps': list(ExecutionStep.objects.filter(episode__metadata__marker__isnull=False)"
    ".values_list('episode_id', 'action', 'step_number'))}"
)


@dataclass
class Audit:
    missing_episodes: list[str]
    duplicate_episodes: list[str]
    missing_steps: list[str]
    duplicate_steps: list[str]
    gaps: list[str]  # episodes whose step numbers are not 1..n
    not_completed: list[str]
    stored_episodes: int
    stored_steps: int

    @property
    def clean(self) -> bool:
        return not (
            self.missing_episodes
            or self.duplicate_episodes
            or self.missing_steps
            or self.duplicate_steps
            or self.gaps
            or self.not_completed
        )


def audit(env: dict[str, str], ledger: Ledger) -> Audit:
    """Compare the database with the ledger of acknowledged writes."""
    stored = orm(env, STORED, "from episodes.models import Episode, ExecutionStep")
    markers = Counter(marker for _, marker, _ in stored["episodes"])
    ended = {marker for _, marker, end in stored["episodes"] if end}
    by_id = {str(pk): marker for pk, marker, _ in stored["episodes"]}
    actions = Counter(action for _, action, _ in stored["steps"])
    numbers: dict[str, list[int]] = {}
    for episode_id, _, number in stored["steps"]:
        numbers.setdefault(str(episode_id), []).append(number)
    return Audit(
        missing_episodes=sorted(set(ledger.episodes) - set(markers)),
        duplicate_episodes=sorted(m for m, n in markers.items() if n > 1),
        missing_steps=sorted(ledger.steps - set(actions)),
        duplicate_steps=sorted(a for a, n in actions.items() if n > 1),
        gaps=sorted(
            by_id.get(pk, pk)
            for pk, got in numbers.items()
            if sorted(got) != list(range(1, len(got) + 1))
        ),
        not_completed=sorted(ledger.completed - ended),
        stored_episodes=sum(markers.values()),
        stored_steps=sum(actions.values()),
    )
