from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def project_env(tmp_path: Path) -> dict[str, str]:
    """Environment for a subprocess running the project on its own data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TURSO_", "LIBSQL_"))}
    env.update(
        MEMORYADMIN_DATA_DIR=str(tmp_path / "data"),
        DJANGO_SETTINGS_MODULE="config.settings",
        PYTHONPATH=str(ROOT),
    )
    return env


PYTHON = sys.executable


@pytest.fixture(autouse=True)
def _isolated_cache(settings, tmp_path: Path) -> Path:
    """Every test gets its own redb cache file (never ./data/cache.redb)."""
    settings.REDB_CACHE_PATH = tmp_path / "cache.redb"
    # Background triggers are tested on their own; elsewhere they would queue
    # runs behind a test's back.
    settings.CACHE_WRITE_BEHIND = False
    return settings.REDB_CACHE_PATH


@pytest.fixture(autouse=True)
def _empty_usage_tally() -> None:
    """Retrieval counts are tallied per process: no test inherits another's."""
    from episodes.services import usage  # after pytest-django has set Django up

    usage.pattern_retrievals_take()
