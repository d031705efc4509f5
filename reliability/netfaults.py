"""Loopback endpoints for the unreachable-database scenario, all on one chosen port:
nothing (refused), a listener that never answers, and the real Hrana server
(tests/remote/hrana_server.py) serving a libSQL file over Turso's HTTP protocol."""

from __future__ import annotations

import os
import selectors
import socket
import subprocess
import threading
import time
from pathlib import Path

from reliability.common import PYTHON, ROOT


class SilentServer:
    """Accepts connections on 127.0.0.1:port and never sends a byte."""

    def __init__(self, port: int) -> None:
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", port))
        self.listener.listen(64)
        self.listener.settimeout(0.1)
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        while not self.stopping.is_set():
            try:
                self.held.append(self.listener.accept()[0])
            except TimeoutError:
                continue
            except OSError:
                return

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(2)
        for conn in self.held:
            conn.close()
        self.listener.close()


class Hrana:
    """tests/remote/hrana_server.py in a child process, on a fixed port."""

    def __init__(self, db: Path, port: int, token: str, log: Path) -> None:
        env = {**os.environ, "HRANA_AUTH_TOKEN": token, "PYTHONPATH": str(ROOT)}
        with log.open("ab") as err:
            self.process = subprocess.Popen(
                [PYTHON, "-m", "tests.remote.hrana_server", "--db", str(db), "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline, line = time.monotonic() + 20, ""
        while time.monotonic() < deadline and self.process.poll() is None and not line:
            if selector.select(timeout=0.2):
                line = self.process.stdout.readline()
        selector.close()
        if not line.startswith("HRANA_LISTENING"):
            self.close()
            raise RuntimeError(f"the hrana server did not start: {line!r}")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        if self.process.stdout:
            self.process.stdout.close()
