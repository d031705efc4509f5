"""The per-minute counters in the shared file: exact across processes, windows expire."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pytest

from memoryadmin.apikeys import counters
from memoryadmin.apikeys.counters import PROBES, shared_hit

pytestmark = pytest.mark.django_db


@pytest.fixture
def counter_file(settings: Any, tmp_path: Path) -> Path:
    settings.RATE_COUNTERS_PATH = tmp_path / "counters.bin"
    return settings.RATE_COUNTERS_PATH


def _hammer(path: str, bucket: str, times: int) -> None:
    from django.conf import settings

    settings.RATE_COUNTERS_PATH = Path(path)
    now = int(time.time())
    for _ in range(times):
        assert shared_hit(bucket=bucket, expires=now + 600, now=now) is not None


def test_counts_add_up(counter_file: Path) -> None:
    now = int(time.time())
    assert [shared_hit(bucket="a", expires=now + 60, now=now) for _ in range(3)] == [1, 2, 3]
    assert shared_hit(bucket="b", expires=now + 60, now=now) == 1
    assert counter_file.stat().st_size == counters.SLOTS * 24


def test_an_ended_window_frees_its_slot(counter_file: Path) -> None:
    now = int(time.time())
    shared_hit(bucket="a", expires=now + 1, now=now)
    # After expiry the same bucket starts over (its slot is reusable).
    assert shared_hit(bucket="a", expires=now + 61, now=now + 1) == 1


def test_processes_share_one_exact_count(counter_file: Path) -> None:
    """Four forked processes (each opens the file itself) add 250 each, none lost."""
    shared_hit(bucket="warm", expires=int(time.time()) + 60, now=int(time.time()))  # parent opens
    context = multiprocessing.get_context("fork")
    workers = [
        context.Process(target=_hammer, args=(str(counter_file), "shared", 250)) for _ in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    now = int(time.time())
    assert shared_hit(bucket="shared", expires=now + 600, now=now) == 1001


def test_a_full_neighbourhood_falls_back_to_the_database(counter_file: Path) -> None:
    """Every probed slot live: None from the file, and the request is counted in the DB."""
    from memoryadmin.apikeys.models import RateCounter
    from memoryadmin.apikeys.ratelimit import rate_limit_check
    from memoryadmin.apikeys.services import api_key_create

    api_key = api_key_create(name="busy", scopes=["read"], rate_limit_per_minute=5).api_key
    now = time.time()
    window = int(now // 60) * 60
    bucket = f"{api_key.key_hash[:32]}:rpm:{window}"
    shared_hit(bucket="open", expires=window + 60, now=int(now))  # maps the file
    table = counters._current()
    start = counters._start_slot(counters._digest(bucket))
    for probe in range(PROBES):
        offset = ((start + probe) % counters.SLOTS) * counters._SLOT.size
        counters._SLOT.pack_into(table.map, offset, bytes([probe + 1]) * 16, 1, window + 60)
    assert shared_hit(bucket=bucket, expires=window + 60, now=int(now)) is None
    assert rate_limit_check(api_key=api_key, now=now) == 1
    assert RateCounter.objects.get(bucket=f"{api_key.pk}:rpm:{window}").count == 1


def test_an_unusable_counters_file_falls_back_to_the_database(
    settings: Any, tmp_path: Path
) -> None:
    from memoryadmin.apikeys.models import RateCounter
    from memoryadmin.apikeys.ratelimit import rate_limit_check
    from memoryadmin.apikeys.services import api_key_create

    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.RATE_COUNTERS_PATH = blocker / "counters.bin"  # its parent is a file
    api_key = api_key_create(name="ro", scopes=["read"], rate_limit_per_minute=5).api_key
    now = time.time()
    assert [rate_limit_check(api_key=api_key, now=now) for _ in range(2)] == [1, 2]
    window = int(now // 60) * 60
    assert RateCounter.objects.get(bucket=f"{api_key.pk}:rpm:{window}").count == 2
