"""A django-q2 task that never finishes: it marks that it started, then sleeps."""

from __future__ import annotations

import os
import time
from pathlib import Path


def stuck(marker: str) -> None:
    Path(marker).write_text(str(os.getpid()))
    time.sleep(3600)
