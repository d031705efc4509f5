"""Request bodies for the API cases, drawn from the demo generator (episodes/demo.py).

episodes.demo has no Django imports, so the runner can use it directly.
"""

from __future__ import annotations

import base64
import json
import random
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from episodes.demo import _step, demo_episode

VARIANTS = 16
BATCH = 10


def _demos(seed: int) -> list[Any]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [demo_episode(rng, now) for _ in range(VARIANTS)]


def start_bodies() -> list[str]:
    return [
        json.dumps(
            {
                "task_description": d.description,
                "task_type": d.task_type,
                "context": d.context,
                "metadata": {"agent": "bench"},
            }
        )
        for d in _demos(101)
    ]


def step_bodies() -> list[str]:
    rng = random.Random(102)
    bodies = []
    for demo in _demos(102):
        steps = list(demo.steps)
        while len(steps) < BATCH:
            steps.append(_step(rng, rng.choice(["read_file", "edit_file", "pytest"]), True))
        bodies.append(json.dumps({"steps": steps[:BATCH]}))
    return bodies


def complete_bodies() -> list[str]:
    outcomes = [d.outcome for d in _demos(103) if d.outcome is not None]
    return [json.dumps({"outcome": o}) for o in outcomes]


def retrieve_bodies() -> list[str]:
    return [
        json.dumps(
            {
                "description": d.description,
                "context": {
                    "task_type": d.task_type,
                    "domain": d.context["domain"],
                    "language": d.context["language"],
                    "tags": d.context["tags"],
                },
                "limit": 10,
            }
        )
        for d in _demos(104)
    ]


# --- episode ids read straight from the file (stdlib sqlite3, read-only) ---------------------


def _query(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
        return conn.execute(sql, params).fetchall()


def _uuid(hex_id: str) -> str:
    return f"{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"


def write_ids(path: Path, hex_ids: list[str]) -> Path:
    path.write_text("".join(_uuid(h) + "\n" for h in hex_ids))
    return path


def open_episode_ids(db: Path, *, started_after: str = "") -> list[str]:
    """Open (not completed, live) episodes, newest first; optionally only recent ones."""
    sql = (
        "SELECT id FROM episodes_episode WHERE verdict IS NULL AND deleted_at IS NULL "
        "AND step_count <= 900 AND started_at > ? ORDER BY started_at DESC"
    )
    return [row[0] for row in _query(db, sql, (started_after,))]


def sample_live_ids(db: Path, count: int, *, seed: int = 5) -> list[str]:
    rows = [r[0] for r in _query(db, "SELECT id FROM episodes_episode WHERE deleted_at IS NULL")]
    return random.Random(seed).sample(rows, min(count, len(rows)))


def latest_started_at(db: Path) -> str:
    rows = _query(db, "SELECT MAX(started_at) FROM episodes_episode")
    return str(rows[0][0] or "")


def count(db: Path, table: str) -> int:
    return int(_query(db, f"SELECT COUNT(*) FROM {table}")[0][0])  # noqa: S608 - our names


def list_cursor(db: Path, offset: int) -> str:
    """The API's cursor (episodes/selectors.py) for the list position ``offset``."""
    rows = _query(
        db,
        "SELECT started_at, id FROM episodes_episode WHERE deleted_at IS NULL "
        "ORDER BY started_at DESC, id DESC LIMIT 1 OFFSET ?",
        (offset,),
    )
    started_at, hex_id = rows[0]
    when = datetime.fromisoformat(str(started_at)).replace(tzinfo=UTC).isoformat()
    return base64.urlsafe_b64encode(f"{when}|{hex_id}".encode()).decode().rstrip("=")
