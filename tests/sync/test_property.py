"""Property: whatever the writes and the interleaving of runs and write-behinds,
once the write-behind has run the cache holds what a fresh full sync writes."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from episodes.services import episode_soft_delete, episode_update
from hotcache.envelope import unpack
from sync.services import cache_write_behind
from tests.factories import SUCCESS, make_episode, step
from tests.sync.conftest import dump_cache, embed, sync

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

OPS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, 60)),
        st.tuples(st.sampled_from(["tag", "delete", "embed"]), st.integers(0, 30)),
        st.tuples(st.sampled_from(["sync", "write_behind"]), st.just(0)),
    ),
    min_size=1,
    max_size=8,
)
_examples = itertools.count()


class _Rollback(Exception):
    pass


def _create(minutes_ago: int) -> Any:
    return make_episode(
        description=f"task {minutes_ago}",
        steps=[step("pytest"), step("ruff", success=minutes_ago % 2 == 0)],
        outcome=SUCCESS if minutes_ago % 3 else None,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def _content(path: Path) -> dict[str, Any]:
    """The cache decoded, without ``change_seq``: a write that changes no content (the same
    tags again) re-stamps the row but keeps its content hash, so the engine rightly skips it
    and the cached payload keeps the earlier marker."""
    dump = dump_cache(path)
    decoded: dict[str, Any] = {"registry": dump.pop("registry")}
    for table, items in dump.items():
        decoded[table] = {k: unpack(v) for k, v in items.items()}
        for value in decoded[table].values():
            value.pop("change_seq", None)
    return decoded


@hypothesis_settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(ops=OPS)
def test_cache_converges_to_a_fresh_full_sync(
    ops: list[tuple[str, int]], tmp_path: Path, settings
) -> None:
    settings.MAX_EPISODES_CACHE = 3
    folder = tmp_path / f"example-{next(_examples)}"
    settings.REDB_CACHE_PATH = folder / "cache.redb"
    try:
        with transaction.atomic():  # every example starts from an empty database
            live = [_create(m) for m in (5, 15, 25, 35)]  # one outside the window of 3
            sync()
            # Every write stamps a change marker (even the same tags again); a run or a
            # write-behind applies them all: so the cache is behind iff a write came last.
            behind = False
            for op, n in ops:
                if op == "create":
                    live.append(_create(n))
                    behind = True
                elif op == "sync":
                    sync(batch_size=2)
                    behind = False
                elif op == "write_behind":
                    cache_write_behind(batch_size=2)
                    behind = False
                elif live:
                    episode = live[n % len(live)]
                    if op == "tag":
                        episode_update(
                            episode_id=episode.pk, namespace_id=episode.namespace_id, tags=[f"t{n}"]
                        )
                    elif op == "embed":
                        embed(episode)
                    else:
                        episode_soft_delete(
                            episode_id=episode.pk, namespace_id=episode.namespace_id
                        )
                        live.remove(episode)
                    behind = True
            assert cache_write_behind()["status"] == ("applied" if behind else "in_step")
            settings.REDB_CACHE_PATH = folder / "reference.redb"
            sync()
            assert _content(folder / "cache.redb") == _content(folder / "reference.redb")
            raise _Rollback
    except _Rollback:
        pass
