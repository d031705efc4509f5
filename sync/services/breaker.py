"""A circuit breaker around the database, kept in a small JSON file next to the cache.

Why a file: its state must be readable exactly when the database is not
(a row in that database would be unreachable then), and every process
(web workers, the django-q2 cluster, management commands) must see it.
The file sits beside the cache file; updates take an ``flock`` and replace
the file atomically, so concurrent processes never see half a state.

closed ──5 consecutive failures──▶ open ──cool-down──▶ half_open
  ▲                                 ▲                     │ failure
  └──────── 2 successes ────────────┴─────────────────────┘
The cool-down doubles with every trip (capped); below the threshold each
failure still sets ``retry_at`` with exponential backoff and jitter.
"""

from __future__ import annotations

import fcntl
import json
import os
import random
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from django.conf import settings

from hotcache.cache import cache_path
from memoryadmin.health import database_health

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def failure_threshold() -> int:
    return int(_setting("SYNC_BREAKER_FAILURES", 5))


def success_threshold() -> int:
    return int(_setting("SYNC_BREAKER_SUCCESSES", 2))


@dataclass
class BreakerState:
    state: str = CLOSED
    failures: int = 0  # consecutive
    successes: int = 0  # consecutive, while half-open
    trips: int = 0  # times opened since it last closed
    opened_at: float | None = None
    retry_at: float | None = None  # no attempt before this (epoch seconds)
    last_error: str = ""
    updated_at: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def breaker_path(path: Path | None = None) -> Path:
    path = path or cache_path()
    return path.with_name(path.name + ".breaker.json")


def _read(file: Path) -> BreakerState:
    try:
        data = json.loads(file.read_text())
        return BreakerState(**{k: v for k, v in data.items() if k in BreakerState.__annotations__})
    except (FileNotFoundError, ValueError, TypeError):
        return BreakerState()


@contextmanager
def _locked(path: Path | None) -> Iterator[tuple[BreakerState, Path]]:
    file = breaker_path(path)
    file.parent.mkdir(parents=True, exist_ok=True)
    with open(file.with_name(file.name + ".lock"), "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield _read(file), file
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _write(file: Path, state: BreakerState, now: float) -> None:
    state.updated_at = now
    tmp = file.with_name(f"{file.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(state.as_dict()))
    os.replace(tmp, file)


def breaker_state(*, path: Path | None = None) -> BreakerState:
    """The current state as every process sees it (no lock needed to read)."""
    return _read(breaker_path(path))


def breaker_allow(*, path: Path | None = None, now: float | None = None) -> bool:
    """May we talk to the database? An open breaker turns half-open after its cool-down."""
    now = time.time() if now is None else now
    state = breaker_state(path=path)
    if state.state == CLOSED or state.state == HALF_OPEN:
        return True
    if state.retry_at is not None and now < state.retry_at:
        return False
    with _locked(path) as (state, file):
        if state.state == OPEN and (state.retry_at is None or now >= state.retry_at):
            state.state, state.successes = HALF_OPEN, 0
            _write(file, state, now)
        return state.state != OPEN


def _jittered(seconds: float) -> float:
    return seconds / 2 + random.uniform(0, seconds / 2)  # "equal jitter"


def breaker_record_failure(
    error: str, *, path: Path | None = None, now: float | None = None
) -> BreakerState:
    now = time.time() if now is None else now
    base = _setting("SYNC_BREAKER_BACKOFF_SECONDS", 15)
    cooldown = _setting("SYNC_BREAKER_COOLDOWN_SECONDS", 60)
    cap = _setting("SYNC_BREAKER_MAX_COOLDOWN_SECONDS", 900)
    with _locked(path) as (state, file):
        state.failures += 1
        state.successes = 0
        state.last_error = error[:500]
        if state.state == HALF_OPEN or state.failures >= failure_threshold():
            state.state, state.opened_at = OPEN, now
            state.trips += 1
            state.retry_at = now + min(cooldown * 2 ** (state.trips - 1), cap)
        else:
            state.retry_at = now + _jittered(min(base * 2 ** (state.failures - 1), cap))
        _write(file, state, now)
        return state


def breaker_record_success(*, path: Path | None = None, now: float | None = None) -> BreakerState:
    now = time.time() if now is None else now
    current = breaker_state(path=path)
    if current.state == CLOSED and current.failures == 0:
        return current  # the common case touches no file
    with _locked(path) as (state, file):
        if state.state == HALF_OPEN:
            state.successes += 1
            if state.successes >= success_threshold():
                state = BreakerState(updated_at=now)
        elif state.state == CLOSED:
            state = BreakerState(updated_at=now)
        _write(file, state, now)
        return state


def breaker_reset(*, path: Path | None = None) -> None:
    with _locked(path) as (_state, file):
        _write(file, BreakerState(), time.time())


@dataclass(frozen=True)
class Ping:
    ok: bool
    ms: float
    error: str = ""


def database_ping(*, path: Path | None = None) -> Ping:
    """Ping the database through the breaker; the outcome is recorded in it.

    The deadline is the backend's: remote mode pre-flights the endpoint within
    LIBSQL_REMOTE_DEADLINE_MS; the embedded file answers or errors at once.
    """
    if not breaker_allow(path=path):
        state = breaker_state(path=path)
        return Ping(False, 0.0, f"circuit breaker open: {state.last_error}")
    health = database_health()
    if health.get("ok"):
        breaker_record_success(path=path)
        return Ping(True, float(health.get("ping_ms", 0.0)))
    error = str(health.get("error", "database unavailable"))
    breaker_record_failure(error, path=path)
    return Ping(False, float(health.get("ping_ms", 0.0)), error)
