"""Helpers for the sync tests: real libSQL test database, real redb files."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redb_cache
from django.conf import settings
from django.utils import timezone

from episodes.embeddings.store import embedding_upsert
from episodes.models import Episode
from hotcache.cache import DATA_TABLES, HASH_PREFIX, METADATA
from sync.models import SyncRun
from sync.services import sync_run_execute, sync_run_start
from tests.factories import FAILURE, SUCCESS, make_episode, step


def dump_cache(path: Path | None = None) -> dict[str, dict[bytes, bytes]]:
    """Every data table and the hash registry, byte for byte (run-specific metadata left out)."""
    path = Path(path or settings.REDB_CACHE_PATH)
    out: dict[str, dict[bytes, bytes]] = {}
    with redb_cache.open_reader(path) as reader:
        tables = set(reader.list_tables())
        for table in DATA_TABLES:
            out[table] = dict(reader.scan(table)) if table in tables else {}
        out["registry"] = dict(reader.scan(METADATA, prefix=HASH_PREFIX.encode()))
    return out


def seed(
    n: int, *, start_minutes_ago: int = 10_000, tags: list[str] | None = None
) -> list[Episode]:
    """n completed episodes, one minute apart (the last is the newest)."""
    base = timezone.now() - timedelta(minutes=start_minutes_ago)
    episodes = []
    for i in range(n):
        tools = ["grep", "pytest"] if i % 2 else ["read_file", "edit_file", "pytest"]
        episodes.append(
            make_episode(
                description=f"task {i}",
                context={
                    "language": "python",
                    "domain": "web" if i % 3 else "payments",
                    "tags": tags or [],
                },
                steps=[step(t, success=(t != "grep")) for t in tools],
                outcome=SUCCESS if i % 4 else FAILURE,
                started_at=base + timedelta(minutes=i),
            )
        )
    return episodes


def embed(episode: Episode, *, model_id: str = "test-model", dim: int = 4) -> Any:
    return embedding_upsert(
        namespace_id=episode.namespace_id,
        owner_kind="episode",
        owner_id=episode.pk,
        vector=[float(i + 1) for i in range(dim)],
        model_id=model_id,
        dimension=dim,
    )


def sync(**options: Any) -> SyncRun:
    """Start and execute one run in-process, as the command does."""
    run = sync_run_start(**options)
    assert run.pk is not None, run.warnings
    return sync_run_execute(run_id=run.pk)


@pytest.fixture
def small_window(settings: Any) -> int:
    settings.MAX_EPISODES_CACHE = 5
    return 5
