"""Interleaved writes of two namespaces: after any sequence, every read shows its own only.

Each example gets two fresh namespaces (the database is not reset between
hypothesis examples), writes a random interleaving of start / steps / complete
through the API with each one's key, then reads everything back with both keys.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import pytest
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from memoryadmin.namespaces.services import namespace_create
from tests.namespaces.conftest import (
    DESCRIPTION,
    FAILURE,
    SUCCESS,
    TOOLS,
    Agent,
    key_in,
    start,
    steps,
)

pytestmark = pytest.mark.django_db

TOOLSETS = [TOOLS, [("read_file", True), ("pytest", True)], [("grep", False), ("edit_file", True)]]
ACTIONS = st.lists(
    st.tuples(
        st.sampled_from(["a", "b"]),
        st.sampled_from(["start", "steps", "complete"]),
        st.integers(min_value=0, max_value=11),
    ),
    min_size=1,
    max_size=14,
)
_examples = itertools.count()


@dataclass
class Model:
    """What one namespace should hold: its episodes, open or done, and their step counts."""

    slug: str
    agent: Agent
    open: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    step_counts: dict[str, int] = field(default_factory=dict)

    @property
    def episodes(self) -> set[str]:
        return {*self.open, *self.done}

    def apply(self, action: str, pick: int) -> None:
        if action == "start":
            episode_id = start(self.agent)
            self.open.append(episode_id)
            self.step_counts[episode_id] = 0
        elif self.open and action == "steps":
            episode_id = self.open[pick % len(self.open)]
            tools = TOOLSETS[pick % len(TOOLSETS)]
            response = self.agent.send("POST", f"/episodes/{episode_id}/steps", steps(tools))
            assert response.status_code == 200, response.content
            self.step_counts[episode_id] += len(tools)
        elif self.open and action == "complete":
            episode_id = self.open.pop(pick % len(self.open))
            outcome = SUCCESS if pick % 2 else FAILURE
            response = self.agent.send("POST", f"/episodes/{episode_id}/complete", outcome)
            assert response.status_code == 200, response.content
            self.done.append(episode_id)


def _json(agent: Agent, method: str, path: str, body: Any = None) -> Any:
    response = agent.send(method, path, body)
    assert response.status_code == 200, (method, path, response.content)
    return response.json()


def check_reads(mine: Model, theirs: Model) -> None:
    """Every read of ``mine`` (list, get, retrieve, patterns, heuristics) is its own."""
    agent = mine.agent
    listed = _json(agent, "GET", "/episodes?limit=200")["items"]
    assert {e["id"] for e in listed} == mine.episodes
    assert {e["namespace"] for e in listed} <= {mine.slug}
    for episode_id in mine.episodes:
        got = _json(agent, "GET", f"/episodes/{episode_id}")
        assert got["namespace"] == mine.slug
        assert got["step_count"] == mine.step_counts[episode_id]
    for episode_id in theirs.episodes:
        assert agent.send("GET", f"/episodes/{episode_id}").status_code == 404
    found = _json(agent, "POST", "/context/retrieve", {"description": DESCRIPTION, "limit": 50})
    assert {e["id"] for e in found["episodes"]} <= mine.episodes
    patterns = _json(agent, "GET", "/patterns?limit=200")
    heuristics = _json(agent, "GET", "/heuristics?limit=200")
    assert {p["id"] for p in found["patterns"]} <= {p["id"] for p in patterns}
    assert {h["id"] for h in found["heuristics"]} <= {h["id"] for h in heuristics}
    # Every completed episode has the same context, so one context pattern counts them
    # all: exactly this namespace's completions, none of the other's.
    context = [p["occurrence_count"] for p in patterns if p["kind"] == "context_pattern"]
    assert context == ([len(mine.done)] if mine.done else [])
    assert all(p["occurrence_count"] <= len(mine.done) for p in patterns)
    assert all(h["evidence"]["sample_size"] <= len(mine.done) for h in heuristics)
    for kind, rows in (("patterns", patterns), ("heuristics", heuristics)):
        for row in rows:
            assert theirs.agent.send("GET", f"/{kind}/{row['id']}").status_code == 404


@hypothesis.settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(actions=ACTIONS)
def test_interleaved_writes_of_two_namespaces_stay_apart(
    db: None, settings: Any, actions: list[tuple[str, str, int]]
) -> None:
    settings.EMBEDDINGS_PROVIDER = "none"
    n = next(_examples)
    models = {}
    for side in ("a", "b"):
        slug = f"mix{n}-{side}"
        namespace_create(slug=slug)
        models[side] = Model(slug, key_in(slug, "read", "write")[0])
    for side, action, pick in actions:
        models[side].apply(action, pick)
    check_reads(models["a"], models["b"])
    check_reads(models["b"], models["a"])
