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


# The id migration 0003 gave "default": a flushed row is made again with it, so the
# slug -> id memo of a server process the test talks to (browser tests) stays right.
_default_pk: dict[str, int] = {}


@pytest.fixture(autouse=True)
def _default_namespace(request: pytest.FixtureRequest) -> None:
    """Every database test starts with the "default" namespace migration 0003 made.

    A transactional test's flush deletes that row, so the tests after it make it
    again; the process's slug -> id memo is cleared either way, since the
    namespaces a test made are rolled back (or flushed) behind its back.
    """
    from memoryadmin.namespaces.selectors import namespace_memo_clear

    namespace_memo_clear()
    marker = request.node.get_closest_marker("django_db")
    if marker is not None:
        transactional = marker.kwargs.get("transaction", marker.args[0] if marker.args else False)
    elif {"db", "transactional_db"} & set(request.fixturenames):
        transactional = "transactional_db" in request.fixturenames
    else:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    from memoryadmin.namespaces.models import DEFAULT_SLUG, Namespace

    known = {"pk": _default_pk["pk"]} if _default_pk else {}
    default, _ = Namespace.objects.get_or_create(
        slug=DEFAULT_SLUG, defaults={"name": DEFAULT_SLUG, **known}
    )
    _default_pk.setdefault("pk", default.pk)
