"""One ``sync_memories`` run in this process, timing where it spends its time.

``python -m bench.sync_child`` (environment from bench.common.DataDir.env)
runs the command exactly as ``manage.py sync_memories --json`` does, with
the cache writer's ``write_batch`` (put_many + commit) and ``make_durable``
(the fsync'ed commits), the applier's envelope packing and the episode
payload loader wrapped by timers; prints the run's
JSON summary with a ``bench_timings`` key added.
"""

from __future__ import annotations

import functools
import io
import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any


def _timed(owner: Any, name: str, totals: dict[str, float]) -> None:
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            totals[name] = totals.get(name, 0.0) + time.perf_counter() - started

    setattr(owner, name, wrapper)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from hotcache import cache
    from sync.services import apply, sources

    totals: dict[str, float] = {}
    _timed(cache.CacheWriter, "write_batch", totals)
    _timed(cache.CacheWriter, "make_durable", totals)
    _timed(apply, "pack", totals)  # values are packed once, by the applier
    _timed(sources, "episode_payloads", totals)
    _timed(apply, "payloads", totals)  # apply.py imported it by name
    out = io.StringIO()
    call_command("sync_memories", "--json", stdout=out, stderr=io.StringIO())
    summary = json.loads(out.getvalue().strip().splitlines()[-1])
    summary["bench_timings"] = totals
    sys.stdout.write(json.dumps(summary) + "\n")


if __name__ == "__main__":
    main()
