"""A one-line progress bar for management commands (redrawn with \\r)."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import OutputWrapper

from sync.models import SyncRun
from sync.services.checkpoint import Checkpoint

WIDTH = 30


class ProgressBar:
    def __init__(self, stream: Any, *, label: str = "") -> None:
        self.stream = stream
        self.label = label
        self.started = time.monotonic()
        self.drawn = False

    def __call__(self, run: SyncRun) -> None:
        self.draw(run.progress_done, run.progress_total, Checkpoint.from_json(run.checkpoint).phase)

    def draw(self, done: int, total: int, phase: str = "") -> None:
        fraction = min(done / total, 1.0) if total else 1.0
        filled = int(WIDTH * fraction)
        rate = done / max(time.monotonic() - self.started, 1e-6)
        bar = "#" * filled + "-" * (WIDTH - filled)
        self._write(f"\r{self.label}[{bar}] {done}/{total} {phase:<10} {rate:,.0f} items/s ")
        self.drawn = True

    def _write(self, text: str) -> None:
        if isinstance(self.stream, OutputWrapper):
            self.stream.write(text, ending="")  # OutputWrapper would add a newline
        else:
            self.stream.write(text)
        self.stream.flush()

    def close(self) -> None:
        if self.drawn:
            self._write("\n")
