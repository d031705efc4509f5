"""Soft scoping inside a namespace: agent_id / user_id / session_id narrow lists and retrieval.

Beta holds an episode with the very same agent, user and session names: a scope
never reaches across the namespace boundary.
"""

from __future__ import annotations

from typing import Any

import pytest

from memoryadmin.namespaces.services import namespace_create
from tests.namespaces.conftest import DESCRIPTION, key_in, write_episode

pytestmark = pytest.mark.django_db

# name -> (agent_id, user_id, session_id)
SCOPED = {
    "e1": ("a1", "u1", "s1"),
    "e2": ("a1", "u2", "s2"),
    "e3": ("a2", "u1", "s2"),
    "e4": ("a2", "u2", "s3"),
}
# One value of each field and the episodes that carry it.
NARROWED = [("agent_id", "a1", {"e1", "e2"}), ("user_id", "u1", {"e1", "e3"}),
            ("session_id", "s2", {"e2", "e3"})]  # fmt: skip


class Scoped:
    def __init__(self) -> None:
        namespace_create(slug="alpha")
        namespace_create(slug="beta")
        self.agent, _ = key_in("alpha", "read", "write")
        self.beta, _ = key_in("beta", "read", "write")
        self.ids = {
            name: write_episode(self.agent, agent_id=a, user_id=u, session_id=s)
            for name, (a, u, s) in SCOPED.items()
        }
        self.ids["unscoped"] = write_episode(self.agent)
        self.theirs = write_episode(self.beta, agent_id="a1", user_id="u1", session_id="s2")

    def names(self, ids: set[str]) -> set[str]:
        by_id = {v: k for k, v in self.ids.items()}
        return {by_id.get(i, f"not alpha's: {i}") for i in ids}

    def retrieve(self, **scope: str) -> set[str]:
        body: dict[str, Any] = {"description": DESCRIPTION, "limit": 50, "scope": scope}
        response = self.agent.send("POST", "/context/retrieve", body)
        assert response.status_code == 200, response.content
        return self.names({e["id"] for e in response.json()["episodes"]})

    def listed(self, query: str) -> set[str]:
        response = self.agent.send("GET", f"/episodes?{query}")
        assert response.status_code == 200, response.content
        return self.names({e["id"] for e in response.json()["items"]})


@pytest.fixture
def scoped(db: None, settings: Any) -> Scoped:
    settings.EMBEDDINGS_PROVIDER = "none"
    return Scoped()


@pytest.mark.parametrize(("field", "value", "expected"), NARROWED)
def test_retrieve_with_a_scope_returns_only_its_episodes(
    scoped: Scoped, field: str, value: str, expected: set[str]
) -> None:
    assert scoped.retrieve(**{field: value}) == expected


@pytest.mark.parametrize(("field", "value", "expected"), NARROWED)
def test_the_episode_list_filters_by_scope(
    scoped: Scoped, field: str, value: str, expected: set[str]
) -> None:
    assert scoped.listed(f"{field}={value}") == expected


def test_scopes_combine(scoped: Scoped) -> None:
    assert scoped.retrieve(agent_id="a1", session_id="s2") == {"e2"}
    assert scoped.listed("agent_id=a2&user_id=u1") == {"e3"}
    assert scoped.retrieve(agent_id="nobody") == set()


def test_without_a_scope_the_whole_namespace(scoped: Scoped) -> None:
    everything = {*SCOPED, "unscoped"}
    assert scoped.retrieve() == everything
    assert scoped.listed("") == everything


def test_a_scope_stays_inside_its_namespace(scoped: Scoped) -> None:
    """Beta's episode carries the same names: it is beta's alone."""
    body = {"description": DESCRIPTION, "limit": 50, "scope": {"agent_id": "a1"}}
    found = scoped.beta.send("POST", "/context/retrieve", body).json()["episodes"]
    assert [e["id"] for e in found] == [scoped.theirs]
    listed = scoped.beta.send("GET", "/episodes?user_id=u1").json()["items"]
    assert [e["id"] for e in listed] == [scoped.theirs]
