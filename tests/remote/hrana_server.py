"""A small SQL-over-HTTP ("Hrana over HTTP", JSON) server for the remote-mode tests.

It serves a real libSQL file through the `libsql` package, with what the
`libsql` Python client 0.1.11 uses and the rest of the JSON pipeline:
``POST /v2/pipeline`` and ``/v3/pipeline`` (execute, batch with conditions,
sequence, describe, store_sql/close_sql, get_autocommit, close),
``POST /v3/cursor``, ``GET /health``, ``GET /v2`` and ``GET /v3``. As in
sqld: every stream is a connection of its own, batons are single-use,
streams idle past ``--stream-ttl`` are closed (rolled back), a wrong bearer
token gets 401, and statements sqld refuses are refused (hrana_sql.py).
Not implemented: the protobuf encodings, Hrana over WebSocket, sqld's
write-transaction timeout, replication indexes, ``base_url`` redirects.

Test-only (not sqld): ``POST /_test/clock`` with ``{"advance": seconds}`` moves
the server's idle clock forward and expires what is now past the TTL, so a
test sees a stream expire without sleeping through the TTL. It needs the
token and is left out of the request log (which records client traffic).

libsql 0.1.11 sends, per statement: a "describe" (its column names become
``cursor.description``), then rows through /v3/cursor, or other statements
as a one-step "batch" + "get_autocommit" (+ "close" outside a transaction);
``executescript`` is one batch of all its statements.

Run it in its own process (libsql holds the GIL while it waits):

    HRANA_AUTH_TOKEN=secret python -m tests.remote.hrana_server --db /tmp/r.db --port 0

It prints ``HRANA_LISTENING <port>`` once it accepts connections.
"""

from __future__ import annotations

import argparse
import hmac
import json
import os
import secrets
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import libsql

from tests.remote.hrana_sql import HranaError
from tests.remote.hrana_stream import Stream

PIPELINE_PATHS = ("/v2/pipeline", "/v3/pipeline")
VERSION_PATHS = ("/v2", "/v3")
CLOCK_PATH = "/_test/clock"


class HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Streams:
    """Open streams by baton. A baton is good for one request: every
    response hands out a new one (or none once the stream is closed)."""

    def __init__(self, db_path: str, *, ttl: float, busy_timeout: float) -> None:
        self.db_path = db_path
        self.ttl = ttl
        self.busy_timeout = busy_timeout
        self.open: dict[str, Stream] = {}
        self.expired: deque[str] = deque(maxlen=1024)
        self.skew = 0.0  # seconds the test moved the clock forward (CLOCK_PATH)

    def now(self) -> float:
        return time.monotonic() + self.skew

    def acquire(self, baton: str | None) -> Stream:
        if baton is None:
            return Stream(self.db_path, busy_timeout=self.busy_timeout)
        stream = self.open.pop(baton, None)
        if stream is not None:
            return stream
        if baton in self.expired:
            raise HttpError(400, "The stream has expired due to inactivity")
        raise HttpError(400, "Received an invalid baton")

    def release(self, stream: Stream) -> str:
        baton = secrets.token_urlsafe(24)
        stream.last_used = self.now()
        self.open[baton] = stream
        return baton

    def expire_idle(self) -> None:
        """Close streams idle longer than the TTL (rolling back their transactions)."""
        now = self.now()
        for baton, stream in list(self.open.items()):
            if now - stream.last_used > self.ttl:
                del self.open[baton]
                stream.close()
                self.expired.append(baton)


class HranaHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(
        self, address: tuple[str, int], *, streams: Streams, token: str, log_path: str | None
    ) -> None:
        super().__init__(address, Handler)
        self.streams = streams
        self.token = token
        self.log_path = log_path
        # libsql work is serialised: one request touches the database at a time.
        self.lock = threading.Lock()

    def pipeline(self, body: dict[str, Any]) -> dict[str, Any]:
        stream = self.streams.acquire(body.get("baton"))
        results: list[dict[str, Any]] = []
        closed = False
        for request in body.get("requests") or []:
            if closed:
                error = HranaError("The stream has been closed", "STREAM_CLOSED")
                results.append({"type": "error", "error": error.proto()})
            elif request.get("type") == "close":
                stream.close()
                closed = True
                results.append({"type": "ok", "response": {"type": "close"}})
            else:
                try:
                    results.append({"type": "ok", "response": stream.handle(request)})
                except HranaError as exc:
                    results.append({"type": "error", "error": exc.proto()})
        baton = None if closed else self.streams.release(stream)
        return {"baton": baton, "base_url": None, "results": results}

    def cursor(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        stream = self.streams.acquire(body.get("baton"))
        try:
            entries = stream.cursor_entries(body.get("batch") or {})
        except HranaError as exc:
            entries = [{"type": "error", "error": exc.proto()}]
        head = {"baton": self.streams.release(stream), "base_url": None}
        return [head, *entries]

    def log(self, method: str, path: str, body: Any) -> None:
        """Append the request (never its headers, so never the token) to the log."""
        if self.log_path:
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(json.dumps({"method": method, "path": path, "body": body}) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the client's
    # delayed ACK would add ~40 ms to every request.
    disable_nagle_algorithm = True
    server: HranaHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        path = urlsplit(self.path).path.rstrip("/") or "/"
        self.server.log("GET", path, None)
        if path == "/health" or path in VERSION_PATHS:
            self._send(200, b"ok", "text/plain")
        else:
            self._send_json(404, {"error": f"no route for GET {path}"})

    def do_POST(self) -> None:
        path = urlsplit(self.path).path
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._send_json(400, {"error": "the request body is not valid JSON"})
            return
        if path != CLOCK_PATH:
            self.server.log("POST", path, body)
        if not self._authorized():
            self._send_json(401, {"error": "Authentication failed: the token is not valid"})
            return
        if path == CLOCK_PATH:
            with self.server.lock:
                self.server.streams.skew += float(body.get("advance", 0))
                self.server.streams.expire_idle()
                self._send_json(200, {"skew": self.server.streams.skew})
            return
        try:
            with self.server.lock:
                self.server.streams.expire_idle()
                if path in PIPELINE_PATHS:
                    self._send_json(200, self.server.pipeline(body))
                elif path == "/v3/cursor":
                    lines = [json.dumps(entry) for entry in self.server.cursor(body)]
                    self._send(200, ("\n".join(lines) + "\n").encode(), "application/json")
                else:
                    self._send_json(404, {"error": f"no route for POST {path}"})
        except HttpError as exc:
            self._send_json(exc.status, {"error": exc.message})
        except Exception as exc:  # a bug here must answer 500, not kill the server
            self._send_json(500, {"error": f"internal error: {exc.__class__.__name__}: {exc}"})

    def _authorized(self) -> bool:
        if not self.server.token:
            return True
        scheme, _, credentials = (self.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(
            credentials.strip().encode(), self.server.token.encode()
        )

    def _send_json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _expire_forever(server: HranaHTTPServer, every: float) -> None:
    while True:
        time.sleep(every)
        with server.lock:
            server.streams.expire_idle()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="the libSQL file to serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--stream-ttl", type=float, default=10.0, help="idle seconds (sqld: 10)")
    parser.add_argument("--busy-timeout", type=float, default=1.0)
    parser.add_argument("--log", default=None, help="append each request as a JSON line")
    options = parser.parse_args(argv)
    # The token comes from the environment so it never shows in a process list.
    token = os.environ.get("HRANA_AUTH_TOKEN", "")

    setup = libsql.connect(options.db, isolation_level=None)
    setup.execute("PRAGMA journal_mode = WAL")  # as sqld runs its databases
    setup.close()

    streams = Streams(options.db, ttl=options.stream_ttl, busy_timeout=options.busy_timeout)
    server = HranaHTTPServer(
        (options.host, options.port), streams=streams, token=token, log_path=options.log
    )
    sweeper = threading.Thread(
        target=_expire_forever, args=(server, max(options.stream_ttl / 4, 0.05)), daemon=True
    )
    sweeper.start()
    print(f"HRANA_LISTENING {server.server_address[1]}", flush=True)
    try:
        server.serve_forever(poll_interval=0.1)
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    sys.exit(0)


if __name__ == "__main__":
    main()
