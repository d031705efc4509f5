"""Deadlines for remote (Turso / sqld) databases.

libsql's remote calls have no timeout and hold the GIL while they wait, so a
server that accepts and never answers freezes the whole process. Before a
connection is opened we prove, with a real socket timeout, that the endpoint
answers HTTP at all. Failures are remembered briefly so a burst of requests
fails fast instead of each paying the deadline.
"""

from __future__ import annotations

import socket
import ssl
import time
from urllib.parse import urlsplit

from .errors import OperationalError

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
_recent_failure: dict[str, tuple[float, str]] = {}
FAIL_FAST_SECONDS = 2.0


def is_loopback(host: str) -> bool:
    return host in _LOOPBACK or host.startswith("127.")


def endpoint(url: str) -> tuple[str, int, bool]:
    """Return (host, port, use_tls) for a libsql://, https:// or http:// URL."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    tls = parts.scheme in ("libsql", "https", "wss")
    port = parts.port or (443 if tls else 80)
    return host, port, tls


def preflight(url: str, *, deadline: float) -> None:
    """Raise OperationalError unless the endpoint answers HTTP within ``deadline`` s."""
    now = time.monotonic()
    if (failed := _recent_failure.get(url)) and now - failed[0] < FAIL_FAST_SECONDS:
        raise OperationalError(f"remote database unreachable (cached): {failed[1]}")
    host, port, tls = endpoint(url)
    try:
        with socket.create_connection((host, port), timeout=deadline) as raw:
            raw.settimeout(max(deadline - (time.monotonic() - now), 0.05))
            sock: socket.socket = (
                ssl.create_default_context().wrap_socket(raw, server_hostname=host) if tls else raw
            )
            sock.sendall(
                f"GET /health HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()
            )
            first = sock.recv(16)
            if not first.startswith(b"HTTP/"):
                raise OSError("the endpoint does not speak HTTP")
    except (OSError, ssl.SSLError) as exc:
        reason = (
            f"{host}:{port} did not answer within {deadline:.1f}s ({exc.__class__.__name__}: {exc})"
        )
        _recent_failure[url] = (time.monotonic(), reason)
        raise OperationalError(f"remote database unreachable: {reason}") from exc
    _recent_failure.pop(url, None)
