"""Loopback endpoints that misbehave on purpose: one refuses, one never answers."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections


@contextmanager
def silent_server() -> Iterator[int]:
    """Accept connections on 127.0.0.1 and never send a byte back."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        listener.close()


def refused_port() -> int:
    """A loopback port with nothing listening."""
    return free_port()


def free_port() -> int:
    """A free loopback TCP port (bound for a moment, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def extra_aliases(django_db_blocker: Any, prefix: str) -> Iterator[Callable[..., str]]:
    """Register Django database aliases on remote URLs for the block's length.

    They never touch the test database, so pytest-django's block is lifted;
    on exit their connections are closed and the aliases forgotten.
    """
    added: list[str] = []

    def add(url: str, *, token: str, deadline: float, conn_max_age: int | None = None) -> str:
        alias = f"{prefix}_{len(added)}"
        settings = {
            **connections.settings["default"],
            "NAME": url,
            "OPTIONS": {"auth_token": token, "remote_deadline": deadline},
            "TEST": {},
        }
        if conn_max_age is not None:
            settings["CONN_MAX_AGE"] = conn_max_age
        connections.settings[alias] = settings
        added.append(alias)
        return alias

    with django_db_blocker.unblock():
        try:
            yield add
        finally:
            for alias in added:
                held = connections._connections  # type: ignore[attr-defined]
                if hasattr(held, alias):
                    connections[alias].close()
                    delattr(held, alias)
                connections.settings.pop(alias, None)
