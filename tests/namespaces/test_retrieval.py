"""Retrieval and learning per namespace: beta's identical memory never answers alpha.

Nor may beta's writes change what alpha's retrieval finds: a namespace's results
are a function of its own memory (else they tell it about the other's).
"""

from __future__ import annotations

from typing import Any

import pytest

from memoryadmin.namespaces.services import namespace_create
from tests.namespaces.conftest import RETRIEVE, SUCCESS, World, episode_body, key_in
from tests.namespaces.leaks import leaks

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("provider", ["none", "local"])
def test_retrieve_returns_only_alphas_episodes_patterns_and_heuristics(
    world: World, settings: Any, provider: str
) -> None:
    """Keyword mode, and hybrid mode whose vector index spans namespaces (beta's
    identical episodes are the nearest neighbours of alpha's query too)."""
    alpha, beta = world.alpha, world.beta
    if provider == "local":
        from episodes.embeddings.services import episode_embedding_refresh

        settings.EMBEDDINGS_PROVIDER = "local"
        for episode_id in [*alpha.completed, *beta.completed]:
            episode_embedding_refresh(episode_id=episode_id)
    else:
        settings.EMBEDDINGS_PROVIDER = "none"
    response = alpha.agent.send("POST", "/context/retrieve", RETRIEVE)
    assert response.status_code == 200, response.content
    found = response.json()
    assert found["mode"] == ("hybrid" if provider == "local" else "keyword")
    episodes = {e["id"] for e in found["episodes"]}
    assert set(alpha.completed) <= episodes <= set(alpha.episodes)
    assert {e["namespace"] for e in found["episodes"]} == {"alpha"}
    assert found["patterns"] and {p["id"] for p in found["patterns"]} <= set(alpha.patterns)
    assert found["heuristics"] and {h["id"] for h in found["heuristics"]} <= set(alpha.heuristics)
    assert leaks(response, beta) == []


def test_learning_counts_each_namespaces_own_episodes_only(world: World) -> None:
    """The same signatures learned in both: two rows, each counting its own episodes."""
    shapes = {}
    for side, n, wins in ((world.alpha, 3, 2), (world.beta, 4, 3)):
        patterns = side.agent.send("GET", "/patterns").json()
        heuristics = side.agent.send("GET", "/heuristics").json()
        assert {(p["occurrence_count"], p["success_count"]) for p in patterns} == {(n, wins)}
        assert {h["evidence"]["sample_size"] for h in heuristics} == {n}
        shapes[side.slug] = (
            sorted((p["kind"], p["description"]) for p in patterns),
            sorted((h["condition"], h["action"]) for h in heuristics),
        )
    assert shapes["alpha"] == shapes["beta"]


@pytest.mark.xfail(
    strict=True,
    reason="FTS5's bm25 weighs a word by its frequency over the whole table, every "
    "namespace included (our own pruning statistics are per namespace already): a word "
    "beta writes often gets ~0 weight in alpha's ranking. Fixed by the per-namespace "
    "keyword index of the retrieval issue; no data crosses, only a ranking statistic.",
)
def test_betas_writes_do_not_change_what_alphas_retrieval_finds(settings: Any, db: None) -> None:
    """Beta writing one word often must not drop that word from alpha's keyword search."""
    settings.EMBEDDINGS_PROVIDER = "none"
    namespace_create(slug="alpha")
    namespace_create(slug="beta")
    alpha, _ = key_in("alpha", "read", "write")
    beta, _ = key_in("beta", "read", "write")

    def done(agent: Any, description: str, task_type: str = "debugging") -> str:
        body = {**episode_body(), "task_description": description, "task_type": task_type}
        episode_id = agent.send("POST", "/episodes", body).json()["id"]
        assert agent.send("POST", f"/episodes/{episode_id}/complete", SUCCESS).status_code == 200
        return str(episode_id)

    kafka = done(alpha, "rotate the kafka credentials")
    login = done(alpha, "fix the flaky login test")
    done(alpha, "tune the ingress timeouts")
    query = {"description": "kafka login", "context": {"task_type": "testing"}, "limit": 10}

    def found() -> dict[str, float]:
        episodes = alpha.send("POST", "/context/retrieve", query).json()["episodes"]
        return {e["id"]: e["breakdown"]["keyword"] for e in episodes}

    before = found()
    assert set(before) == {kafka, login}
    for i in range(12):
        done(beta, f"kafka topic {i}", "refactoring")
    assert found() == before


@pytest.mark.parametrize(
    "text",
    ["ns{beta}", "ns : ns{beta}", '") OR ns : ns{beta} OR ("', "* OR kafka", "NEAR(flaky login)"],
)
def test_search_text_cannot_name_another_namespace(world: World, text: str) -> None:
    """The index holds every namespace, told apart by an ``ns`` column: no text reaches it."""
    text = text.format(beta=world.beta.namespace.pk)
    agent = world.alpha.agent
    listed = agent.get("/api/v1/episodes", {"text": text})
    assert listed.status_code == 200, listed.content
    assert {e["id"] for e in listed.json()["items"]} <= set(world.alpha.episodes)
    assert leaks(listed, world.beta) == []
    retrieved = agent.send("POST", "/context/retrieve", {**RETRIEVE, "description": text})
    assert retrieved.status_code == 200, retrieved.content
    assert leaks(retrieved, world.beta) == []
