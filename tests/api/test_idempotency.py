"""Idempotency-Key on start, steps and complete: one effect, the first reply replayed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from episodes.models import Episode, ExecutionStep
from memoryadmin.apikeys.models import IdempotencyRecord
from tests.api.conftest import EPISODE, STEP, SUCCESS, Agent

pytestmark = pytest.mark.django_db


def test_same_key_twice_creates_one_episode(agent: Agent) -> None:
    first = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "start-1"})
    second = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "start-1"})
    assert first.status_code == second.status_code == 201
    assert first.content == second.content
    assert second["Idempotent-Replayed"] == "true"
    assert Episode.objects.count() == 1


def test_same_key_with_another_body_is_refused(agent: Agent) -> None:
    agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "start-2"})
    changed = {**EPISODE, "task_description": "something else"}
    response = agent.send("POST", "/episodes", changed, **{"Idempotency-Key": "start-2"})
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert response.json()["extra"]["field"] == "Idempotency-Key"
    assert Episode.objects.count() == 1


def test_key_order_and_spacing_do_not_change_the_fingerprint(agent: Agent) -> None:
    agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "k"})
    reordered = dict(reversed(list(EPISODE.items())))
    again = agent.send("POST", "/episodes", reordered, **{"Idempotency-Key": "k"})
    assert again.status_code == 201 and Episode.objects.count() == 1


def test_keys_belong_to_one_api_key(make_agent: Callable[..., Agent]) -> None:
    one, two = make_agent(), make_agent()
    a = one.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "shared"})
    b = two.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "shared"})
    assert a.json()["id"] != b.json()["id"] and Episode.objects.count() == 2


def test_steps_are_not_logged_twice(agent: Agent) -> None:
    episode_id = agent.send("POST", "/episodes", EPISODE).json()["id"]
    for _ in range(2):
        response = agent.send(
            "POST", f"/episodes/{episode_id}/steps", {"steps": [STEP]}, **{"Idempotency-Key": "s1"}
        )
        assert response.status_code == 200 and response.json()["step_count"] == 1
    assert ExecutionStep.objects.count() == 1


def test_complete_replays_its_200_instead_of_a_409(agent: Agent) -> None:
    episode_id = agent.send("POST", "/episodes", EPISODE).json()["id"]
    path = f"/episodes/{episode_id}/complete"
    first = agent.send("POST", path, SUCCESS, **{"Idempotency-Key": "c1"})
    again = agent.send("POST", path, SUCCESS, **{"Idempotency-Key": "c1"})
    assert first.status_code == again.status_code == 200 and first.content == again.content
    assert agent.send("POST", path, SUCCESS).status_code == 409  # without the key: a conflict


def test_a_refusal_by_the_rules_is_replayed_too(agent: Agent) -> None:
    unknown = "/episodes/00000000-0000-4000-8000-000000000000/steps"
    first = agent.send("POST", unknown, {"steps": [STEP]}, **{"Idempotency-Key": "x"})
    again = agent.send("POST", unknown, {"steps": [STEP]}, **{"Idempotency-Key": "x"})
    assert first.status_code == again.status_code == 404 and first.content == again.content


def test_records_expire_after_24_hours(agent: Agent) -> None:
    agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "old"})
    IdempotencyRecord.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    again = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "old"})
    assert again.status_code == 201 and "Idempotent-Replayed" not in again
    assert Episode.objects.count() == 2
    record = IdempotencyRecord.objects.get()
    assert timedelta(hours=23) < record.expires_at - timezone.now() <= timedelta(hours=24)


def test_a_too_long_key_is_422(agent: Agent) -> None:
    response = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "k" * 256})
    assert response.status_code == 422 and Episode.objects.count() == 0


def test_rate_limited_requests_are_never_stored(make_agent: Callable[..., Agent]) -> None:
    agent = make_agent(daily_episode_quota=1)
    agent.send("POST", "/episodes", EPISODE)
    refused = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "q"})
    assert refused.status_code == 429 and not IdempotencyRecord.objects.exists()


def test_a_concurrent_twin_replays_the_committed_reply(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race: both requests looked before either committed; the loser replays."""
    from memoryadmin.apikeys import idempotency

    first = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "race"})
    monkeypatch.setattr(idempotency, "_existing", lambda owner, key: None)
    twin = agent.send("POST", "/episodes", EPISODE, **{"Idempotency-Key": "race"})
    assert twin.status_code == 201 and twin.content == first.content
    assert twin["Idempotent-Replayed"] == "true" and Episode.objects.count() == 1
