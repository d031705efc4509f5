"""Each case of the "secrets stored and spread unredacted" report, pinned.

Each test writes through the real API with a real key, syncs, and looks for the secret in
every surface (tests/reliability/test_redaction_property.py ``surfaces``): the database,
the keyword index, the cache, the console pages, the export, the API's reads, retrieval.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from episodes.models import Episode
from episodes.services import episodes_bulk_tag
from tests.episodes.test_redaction_matching import fixed, noise
from tests.reliability.conftest import API
from tests.reliability.test_redaction_property import DESCRIPTION, clients, leaks, surfaces

pytestmark = pytest.mark.django_db

GITHUB = "ghp_" + noise(36, fixed)  # what the agent sent as a step's tool
AWS = "AKIAIOSFODNN7EXAMPLE"


@pytest.fixture
def both() -> tuple[Client, Client]:
    return clients()


def send(agent: Client, method: str, path: str, body: Any = None) -> dict[str, Any]:
    if body is None:
        reply = agent.get(API + path)
    else:
        data = json.dumps(body)
        reply = getattr(agent, method)(API + path, data, content_type="application/json")
    assert reply.status_code < 300, reply.content  # never a 500
    return reply.json() if reply.content else {}


def write(agent: Client, **parts: Any) -> str:
    """One episode through the API; ``parts`` replace the plain defaults."""
    context = {"language": "python", "framework": "django", "domain": "billing", "tags": ["ops"]}
    context.update(parts.pop("context", {}))
    episode = send(
        agent,
        "post",
        "/episodes",
        {
            "task_description": parts.pop("description", DESCRIPTION),
            "task_type": "debugging",
            "context": context,
            "metadata": parts.pop("metadata", {"agent": "tests"}),
        },
    )
    step = {"tool": "pytest", "action": "run", "parameters": {}, "observation": "ok"}
    step.update(parts.pop("step", {}))
    steps = [
        {**step, "success": False},
        {"tool": "ruff", "success": True},
        {**step, "success": True},
    ]
    send(agent, "post", f"/episodes/{episode['id']}/steps", {"steps": steps})
    if patch := parts.pop("patch", None):
        send(agent, "patch", f"/episodes/{episode['id']}", patch)
    outcome = parts.pop("outcome", {"kind": "failure", "reason": "flaky", "error_details": {}})
    assert not parts, parts
    send(agent, "post", f"/episodes/{episode['id']}/complete", {"outcome": outcome})
    return str(episode["id"])


def assert_nowhere(both: tuple[Client, Client], episode_id: str, *needles: str) -> None:
    found = surfaces(*both, episode_id)
    assert leaks([("secret", n) for n in needles], found) == []


CASES: dict[str, tuple[dict[str, Any], str]] = {
    # Never redacted before: a step's tool, context fields, tags, dict keys.
    "step tool": ({"step": {"tool": GITHUB}}, GITHUB),
    "context.language": ({"context": {"language": AWS}}, AWS),
    "context.framework": ({"context": {"framework": f"id_{AWS}"}}, AWS),
    "context.domain": ({"context": {"domain": AWS}}, AWS),
    "context.tags": ({"context": {"tags": [AWS, "ops"]}}, AWS),
    "PATCH tags": ({"patch": {"tags": ["ops", f"x{AWS}"]}}, AWS),
    "metadata key": ({"metadata": {GITHUB: "v", "n": {AWS: 1}}}, GITHUB),
    "nested metadata key": ({"metadata": {"n": [{f"id_{AWS}": 1}]}}, AWS),
    "PATCH metadata key": ({"patch": {"metadata": {GITHUB: True}}}, GITHUB),
    "parameters key": ({"step": {"parameters": {GITHUB: 1}}}, GITHUB),
    "error_details key": (
        {"outcome": {"kind": "failure", "reason": "x", "error_details": {"env": {AWS: "1"}}}},
        AWS,
    ),
    # Text gaps: glued after `_`, a letter, a digit; URL-encoded assignments.
    "description glued": ({"description": f"{DESCRIPTION} id_{AWS}"}, AWS),
    "action glued after a letter": ({"step": {"action": f"use key{AWS} now"}}, AWS),
    "observation glued after a digit": ({"step": {"observation": f"got 0{AWS}"}}, AWS),
    "parameters value glued": ({"step": {"parameters": {"k": f"id_{AWS}"}}}, AWS),
    "description url-encoded": ({"description": f"{DESCRIPTION} ?q=token%3D{GITHUB}"}, GITHUB),
    "action url-encoded": ({"step": {"action": f"curl /?token%3d{GITHUB}"}}, GITHUB),
    "observation url-encoded": (
        {"step": {"observation": "api_key%3Dz9y8x7w6v5u4"}},
        "z9y8x7w6v5u4",
    ),
    "parameters url-encoded": ({"step": {"parameters": {"u": f"a%26token%3D{GITHUB}"}}}, GITHUB),
}


@pytest.mark.parametrize(("parts", "needle"), CASES.values(), ids=CASES.keys())
def test_each_reported_field_is_redacted_everywhere(
    both: tuple[Client, Client], parts: dict[str, Any], needle: str
) -> None:
    episode_id = write(both[0], **parts)
    assert_nowhere(both, episode_id, needle)
    assert Episode.objects.get(pk=episode_id).metadata["redactions"] >= 1


def test_a_bulk_tag_is_redacted(both: tuple[Client, Client]) -> None:
    episode_id = write(both[0])
    ns = Episode.objects.get(pk=episode_id).namespace_id
    assert episodes_bulk_tag(episode_ids=[episode_id], namespace_id=ns, add=[f"x_{AWS}"]) == 1
    episode = Episode.objects.get(pk=episode_id)
    assert episode.tags == ["ops", "x_[redacted:aws_access_key_id]"]
    assert episode.metadata["redactions"] == 1
    assert_nowhere(both, episode_id, AWS)


def test_a_console_bulk_tag_is_redacted(both: tuple[Client, Client]) -> None:
    agent, admin = both
    episode_id = write(agent)
    admin.post("/episodes/bulk", {"action": "tag", "tag": AWS, "episode_ids": [episode_id]})
    assert "[redacted:aws_access_key_id]" in Episode.objects.get(pk=episode_id).tags


# -- metadata.redactions is ours ------------------------------------------------

AGENT_VALUES = ["lots", 2.5, -7, True, None, [1], {"n": 1}, 10**12]


@pytest.mark.parametrize("value", AGENT_VALUES, ids=map(repr, AGENT_VALUES))
def test_an_agent_cannot_set_the_redaction_count(both: tuple[Client, Client], value: Any) -> None:
    agent = both[0]
    episode_id = write(
        agent,
        metadata={"redactions": value, "note": "kept"},
        step={"observation": f"key {AWS}"},  # a later write that carries a secret
        patch={"metadata": {"redactions": value, "more": f"id_{AWS}"}},
    )
    metadata = send(agent, "get", f"/episodes/{episode_id}")["metadata"]
    assert metadata == {"note": "kept", "more": "id_[REDACTED:aws_access_key_id]", "redactions": 3}


def test_without_secrets_there_is_no_count(both: tuple[Client, Client]) -> None:
    episode_id = write(both[0], metadata={"redactions": 5})
    assert "redactions" not in Episode.objects.get(pk=episode_id).metadata


def test_a_patch_cannot_remove_or_reset_the_count(both: tuple[Client, Client]) -> None:
    agent = both[0]
    episode_id = write(agent, description=f"{DESCRIPTION} {GITHUB}")
    for value in (None, 0, -1, "0"):
        send(agent, "patch", f"/episodes/{episode_id}", {"metadata": {"redactions": value}})
        assert Episode.objects.get(pk=episode_id).metadata["redactions"] == 1


@pytest.mark.parametrize("stored", ["lots", -4, 1.5, [2], True])
def test_a_count_stored_by_an_agent_before_the_fix_never_breaks_a_write(
    both: tuple[Client, Client], stored: Any
) -> None:
    agent = both[0]
    started = send(
        agent,
        "post",
        "/episodes",
        {"task_description": DESCRIPTION, "task_type": "debugging", "metadata": {}},
    )
    Episode.objects.filter(pk=started["id"]).update(metadata={"redactions": stored})
    steps = [{"tool": "pytest", "success": True, "observation": f"leaked {GITHUB}"}]
    send(agent, "post", f"/episodes/{started['id']}/steps", {"steps": steps})  # was a 500
    assert Episode.objects.get(pk=started["id"]).metadata == {"redactions": 1}
