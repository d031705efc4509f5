"""POST /context/retrieve, patterns and heuristics."""

from __future__ import annotations

from typing import Any

import pytest

from episodes.models import Pattern
from tests.api.conftest import Agent
from tests.factories import SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db

BREAKDOWN = {"semantic", "keyword", "context", "reward", "recency"}


@pytest.fixture
def learned() -> None:
    for i in range(3):
        make_episode(
            description=f"fix the flaky login test {i}",
            steps=[step("grep"), step("pytest")],
            outcome=SUCCESS,
        )
    make_episode(description="write the release notes", task_type="documentation", outcome=SUCCESS)


def test_retrieve_ranks_episodes_with_breakdowns(agent: Agent, learned: None, settings) -> None:
    settings.EMBEDDINGS_PROVIDER = "none"  # no embeddings: the keyword fallback ranks
    response = agent.send(
        "POST",
        "/context/retrieve",
        {
            "description": "flaky login test",
            "context": {"task_type": "debugging", "language": "python"},
            "limit": 2,
        },
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mode"] == "keyword"
    assert len(body["episodes"]) == 2
    first = body["episodes"][0]
    assert set(first["breakdown"]) == BREAKDOWN
    assert first["score"] >= body["episodes"][1]["score"]
    assert "flaky" in first["task_description"] and first["id"]
    assert body["patterns"] and {"score", "breakdown", "kind"} <= set(body["patterns"][0])
    assert body["heuristics"] and "confidence" in body["heuristics"][0]["breakdown"]


def test_retrieve_is_allowed_with_a_read_key(make_agent: Any, learned: None) -> None:
    reader = make_agent(scopes=("read",))
    response = reader.send("POST", "/context/retrieve", {"description": "login"})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "description"),
        ({"description": ""}, "description"),
        ({"description": "x", "limit": 0}, "limit"),
        ({"description": "x", "context": {"task_type": "nope"}}, "context.task_type"),
    ],
)
def test_retrieve_validation(agent: Agent, body: dict[str, Any], field: str) -> None:
    response = agent.send("POST", "/context/retrieve", body)
    assert response.status_code == 422 and response.json()["extra"]["field"] == field


def test_patterns_list_filters_and_get(agent: Agent, learned: None) -> None:
    listed = agent.send("GET", "/patterns?task_type=debugging&min_occurrences=3")
    assert listed.status_code == 200
    assert listed.json() and all(p["occurrence_count"] >= 3 for p in listed.json())
    assert {p["kind"] for p in listed.json()} == {"tool_sequence", "context_pattern"}
    kinds = [p["kind"] for p in agent.send("GET", "/patterns?kind=tool_sequence").json()]
    assert kinds == ["tool_sequence"]
    one = Pattern.objects.first()
    got = agent.send("GET", f"/patterns/{one.pk}")
    assert got.status_code == 200 and got.json()["id"] == one.pk
    everything = agent.send("GET", "/patterns").json()
    assert len(everything) == Pattern.objects.count() == 3
    assert agent.send("GET", "/patterns?limit=1&offset=1").json() == everything[1:2]


def test_heuristics_list_filters_and_get(agent: Agent, learned: None) -> None:
    listed = agent.send("GET", "/heuristics?min_confidence=0")
    assert listed.status_code == 200 and listed.json()
    first = listed.json()[0]
    got = agent.send("GET", f"/heuristics/{first['id']}")
    assert got.status_code == 200 and got.json()["condition"] == first["condition"]
    assert agent.send("GET", "/heuristics?min_confidence=1.0").json() == []
    assert agent.send("GET", "/heuristics?min_confidence=2").status_code == 422
