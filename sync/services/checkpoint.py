"""Where a run lineage stands: the typed form of ``SyncRun.checkpoint`` and of the
checkpoint in the cache's metadata.

Both stores keep the JSON they always have (no data migration): ``to_json()``
writes exactly the keys the engine used to write, and ``from_json()`` reads
any shape ever stored — ``{}`` or None (no checkpoint), rows of older runs
without the optional keys, keys it does not know (ignored), values of the
wrong type (their default). Reading never raises: a checkpoint that cannot
be trusted restarts work, which only costs time, since the final catch-up
and reconcile make the cache equal to the database whatever the start.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from hotcache.cache import EPISODES, HEURISTICS, PATTERNS

# After the window passes (one per source table, see scopes.PHASES): catch up + reconcile.
RECONCILE = "reconcile"
DONE = "done"

# Keyset cursor inside a pass: strictly after this row.
EpisodeCursor = tuple[str, str]  # (started_at ISO 8601, id hex), newest first
RecordCursor = int  # the pk of a pattern or heuristic, ascending
Cursor = EpisodeCursor | RecordCursor | None


@dataclass(frozen=True)
class Checkpoint:
    """A position of a run lineage; immutable, the engine replaces it batch by batch.

    Field order is the JSON key order the engine has always written.
    """

    origin: int | None = None  # the run that started the lineage (the cache must carry it too)
    run: int | None = None  # the run that wrote this position
    phase: str = ""  # a pass (episodes | patterns | heuristics), reconcile or done; "" = none
    after: Cursor = None  # within the phase's pass; None at its start
    seen: int = 0  # rows of the phase's pass before the cursor (0 without a cursor)
    batches: int = 0  # batches the lineage applied: of the row's and the cache's, the further wins
    high_water: int = 0  # the change marker when the lineage started: the catch-up begins here
    after_seq: int | None = None  # ... unless this is set: catch up from it, no window pass
    from_stamp: bool = False  # after_seq is the cache's stamp: untouched entries are unchanged
    upto_seq: int | None = None  # once done: every change up to this marker is in the cache

    @classmethod
    def fresh(cls, *, run_id: int, phase: str, high_water: int) -> Checkpoint:
        """The start of a new lineage at ``run_id``."""
        return cls(origin=run_id, run=run_id, phase=phase, high_water=high_water)

    @classmethod
    def from_json(cls, data: object) -> Checkpoint:
        """The checkpoint stored as ``data``, whatever its shape (see the module docstring)."""
        if not isinstance(data, Mapping):
            return cls()
        phase = data.get("phase")
        if not isinstance(phase, str) or not phase:
            return cls()  # without a phase there is no position to resume from
        after = _cursor(phase, data.get("after"))
        return cls(
            origin=_natural(data.get("origin")),
            run=_natural(data.get("run")),
            phase=phase,
            after=after,
            # A cursor that could not be read restarts its pass, and the count with it.
            seen=(_natural(data.get("seen")) or 0) if after is not None else 0,
            batches=_natural(data.get("batches")) or 0,
            # Missing: catch up from the first marker (slower, never wrong).
            high_water=_natural(data.get("high_water")) or 0,
            after_seq=_natural(data.get("after_seq")),
            from_stamp=bool(data.get("from_stamp")),
            upto_seq=_natural(data.get("upto_seq")),
        )

    def to_json(self) -> dict[str, Any]:
        """The stored shape: the optional keys only when set; no position is ``{}``."""
        if not self.phase:
            return {}
        out: dict[str, Any] = {
            "origin": self.origin,
            "run": self.run,
            "phase": self.phase,
            "after": list(self.after) if isinstance(self.after, tuple) else self.after,
            "seen": self.seen,
            "batches": self.batches,
            "high_water": self.high_water,
        }
        if self.after_seq is not None:
            out["after_seq"] = self.after_seq
        if self.from_stamp:
            out["from_stamp"] = True
        if self.upto_seq is not None:
            out["upto_seq"] = self.upto_seq
        return out

    @property
    def is_empty(self) -> bool:
        """No position recorded (a new run, or one reset for a rebuild)."""
        return not self.phase

    @property
    def finished(self) -> bool:
        return self.phase == DONE

    @property
    def catch_up_from(self) -> int:
        """The change marker after which the catch-up re-checks rows."""
        return self.after_seq if self.after_seq is not None else self.high_water

    @property
    def episode_cursor(self) -> EpisodeCursor | None:
        return self.after if isinstance(self.after, tuple) else None

    @property
    def record_cursor(self) -> RecordCursor:
        return self.after if isinstance(self.after, int) else 0

    def advanced(self, *, cursor: Sequence[str] | RecordCursor, rows: int) -> Checkpoint:
        """After one more batch of ``rows`` rows of the current pass, ending at ``cursor``
        (an episode's ``sources.encode_cursor``, or a record's pk)."""
        if not isinstance(cursor, int):
            when, key = cursor  # exactly a pair, or the caller has a bug
            cursor = (when, key)
        return replace(self, after=cursor, seen=self.seen + rows, batches=self.batches + 1)

    def entering(self, phase: str) -> Checkpoint:
        """At the start of ``phase``."""
        return replace(self, phase=phase, after=None, seen=0)


def _natural(value: object) -> int | None:
    """A non-negative JSON integer (not a bool, which Python counts as one), else None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if value >= 0 else None


def _cursor(phase: str, value: object) -> Cursor:
    """The stored cursor when it fits the phase's pass, else None (the pass restarts)."""
    if phase == EPISODES:
        if isinstance(value, (list, tuple)) and len(value) == 2:
            when, key = value
            if isinstance(when, str) and isinstance(key, str) and when and key:
                return (when, key)
        return None
    if phase in (PATTERNS, HEURISTICS):
        return _natural(value)
    return None  # reconcile and done have no cursor
