"""The typed checkpoint: every stored shape loads, the stored shape does not change,
and a run resumes from a row written by an older engine."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotcache import cache
from sync.models import SyncRun
from sync.models.runs import Status
from sync.services import sync_run_execute, sync_run_start
from sync.services.checkpoint import DONE, RECONCILE, Checkpoint
from tests.sync.conftest import dump_cache, seed, sync

BASE_KEYS = ["origin", "run", "phase", "after", "seen", "batches", "high_water"]
CURSOR = ["2026-01-02T03:04:05.678901+00:00", "0f" * 16]

# Shapes the engine has written since checkpoints exist (git log -S checkpoint sync/).
STORED = [
    # a full run, mid-way through the episodes pass
    {
        "origin": 7,
        "run": 9,
        "phase": "episodes",
        "after": CURSOR,
        "seen": 200,
        "batches": 2,
        "high_water": 41,
    },
    # ... through the patterns pass (the cursor is a pk)
    {
        "origin": 7,
        "run": 7,
        "phase": "patterns",
        "after": 12,
        "seen": 12,
        "batches": 5,
        "high_water": 41,
    },
    # a write-behind
    {
        "origin": 3,
        "run": 3,
        "phase": RECONCILE,
        "after": None,
        "seen": 0,
        "batches": 0,
        "high_water": 50,
        "after_seq": 44,
    },
    # a plain run catching up from the cache's stamp, finished
    {
        "origin": 4,
        "run": 4,
        "phase": DONE,
        "after": None,
        "seen": 0,
        "batches": 0,
        "high_water": 50,
        "after_seq": 44,
        "from_stamp": True,
        "upto_seq": 52,
    },
]


@pytest.mark.parametrize("stored", STORED, ids=lambda s: s["phase"])
def test_every_stored_shape_loads_and_is_written_back_unchanged(stored: dict[str, Any]) -> None:
    cp = Checkpoint.from_json(stored)
    assert cp.to_json() == stored
    assert list(cp.to_json()) == list(stored)  # key order too
    # as the JSONField and the cache's metadata give it back
    assert Checkpoint.from_json(json.loads(json.dumps(stored))) == cp


def test_typed_fields() -> None:
    cp = Checkpoint.from_json(STORED[0])
    assert cp.episode_cursor == tuple(CURSOR) and cp.record_cursor == 0
    assert cp.catch_up_from == 41
    assert Checkpoint.from_json(STORED[1]).record_cursor == 12
    assert Checkpoint.from_json(STORED[2]).catch_up_from == 44
    done = Checkpoint.from_json(STORED[3])
    assert done.finished and done.from_stamp and done.upto_seq == 52


@pytest.mark.parametrize("stored", [None, {}, [], "done", 3, {"batches": 4}, {"phase": ""}])
def test_no_position_is_the_empty_checkpoint(stored: Any) -> None:
    cp = Checkpoint.from_json(stored)
    assert cp == Checkpoint() and cp.is_empty
    assert cp.to_json() == {}  # the field's default, as before


def test_unknown_keys_are_ignored_and_missing_ones_defaulted() -> None:
    cp = Checkpoint.from_json({"phase": "heuristics", "after": 3, "seen": 3, "legacy": [1]})
    assert cp == Checkpoint(phase="heuristics", after=3, seen=3)
    assert cp.high_water == 0  # the catch-up then re-checks every change: slower, never wrong
    assert "legacy" not in cp.to_json()


@pytest.mark.parametrize(
    "after",
    [12, "x", [CURSOR[0]], [1, 2], None, {"a": 1}],
)
def test_a_cursor_that_does_not_fit_the_phase_restarts_the_pass(after: Any) -> None:
    cp = Checkpoint.from_json({"phase": "episodes", "after": after, "seen": 9, "batches": 3})
    assert (cp.after, cp.seen, cp.batches) == (None, 0, 3)


def test_wrong_types_take_the_default() -> None:
    cp = Checkpoint.from_json(
        {"phase": "patterns", "after": 5, "seen": "5", "batches": True, "origin": -1, "run": 2.0}
    )
    assert (cp.after, cp.seen, cp.batches, cp.origin, cp.run) == (5, 0, 0, None, None)


def test_advancing_and_entering() -> None:
    cp = Checkpoint.fresh(run_id=5, phase="episodes", high_water=10)
    cp = cp.advanced(cursor=list(CURSOR), rows=100).advanced(cursor=list(CURSOR), rows=50)
    assert (cp.after, cp.seen, cp.batches) == (tuple(CURSOR), 150, 2)
    assert cp.to_json()["after"] == CURSOR
    nxt = cp.entering("patterns")
    assert (nxt.phase, nxt.after, nxt.seen, nxt.batches) == ("patterns", None, 0, 2)
    with pytest.raises(ValueError):
        cp.advanced(cursor=["only one"], rows=1)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
KEYS = st.sampled_from([*BASE_KEYS, "after_seq", "from_stamp", "upto_seq", "other"])
PHASES = st.sampled_from(["episodes", "patterns", "heuristics", RECONCILE, DONE, "", "x"])


@given(st.dictionaries(KEYS, JSON) | JSON, PHASES)
def test_any_json_loads_to_a_checkpoint_that_round_trips(data: Any, phase: str) -> None:
    if isinstance(data, dict) and "phase" not in data:
        data["phase"] = phase
    cp = Checkpoint.from_json(data)
    assert Checkpoint.from_json(json.loads(json.dumps(cp.to_json()))) == cp


# --- against the engine and the database --------------------------------------------------


@pytest.mark.django_db
def test_finished_runs_store_the_same_shape_in_the_row_and_the_cache() -> None:
    seed(4)
    run = sync(batch_size=3)
    assert run.status == Status.SUCCEEDED
    run.refresh_from_db()
    assert list(run.checkpoint) == [*BASE_KEYS, "upto_seq"]
    assert run.checkpoint["phase"] == DONE and run.checkpoint["origin"] == run.pk
    assert cache.cache_metadata("checkpoint") == run.checkpoint

    seed(1, start_minutes_ago=1)  # a change since the stamp: the next run catches up from it
    again = sync(batch_size=3)
    again.refresh_from_db()
    assert list(again.checkpoint) == [*BASE_KEYS, "after_seq", "from_stamp", "upto_seq"]
    assert again.checkpoint["after_seq"] == run.checkpoint["upto_seq"]
    assert cache.cache_metadata("checkpoint") == again.checkpoint


class Stop(Exception):
    pass


@pytest.mark.django_db
def test_a_run_resumes_from_a_row_an_older_engine_wrote(tmp_path, settings) -> None:
    seed(9)
    reference = tmp_path / "reference.redb"
    settings.REDB_CACHE_PATH = reference
    sync(batch_size=3)
    expected = dump_cache(reference)
    settings.REDB_CACHE_PATH = tmp_path / "cache.redb"
    settings.SYNC_WRITER_HOLD_SECONDS = 0  # every batch durable: row and cache agree

    def stop_after_two_batches(run: SyncRun) -> None:
        if run.checkpoint.get("batches") == 2:
            raise Stop("stopped mid-run")

    first = sync_run_start(batch_size=3)
    first = sync_run_execute(run_id=first.pk, on_progress=stop_after_two_batches)
    assert first.status == Status.FAILED
    # As an older engine would have left it: a key we no longer know, none of the optional ones.
    old = {**first.checkpoint, "legacy_key": {"x": 1}}
    SyncRun.objects.filter(pk=first.pk).update(checkpoint=old)

    second = sync(batch_size=3)
    assert second.resumed_from_id == first.pk and second.status == Status.SUCCEEDED
    assert any("resumed from run" in w and "after 2 batches" in w for w in second.warnings)
    assert second.report["by_table"]["episodes"]["new"] == 3  # the third batch only
    assert dump_cache() == expected
    final = Checkpoint.from_json(second.checkpoint)
    assert (final.origin, final.run, final.phase) == (first.pk, second.pk, DONE)
    assert final.batches > 2  # counted on from the old row's
    assert "legacy_key" not in second.checkpoint
