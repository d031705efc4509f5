"""The row path of the sync builds exactly the payloads the ORM path builds."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from episodes.models import Episode
from episodes.payloads import episode_payload
from episodes.services import episode_archive, episode_update
from hotcache.envelope import pack
from sync.services.episode_rows import episode_payloads_from_rows
from tests.factories import SUCCESS, make_episode, step
from tests.sync.conftest import seed

pytestmark = pytest.mark.django_db


def _orm(episode: Episode) -> dict:
    episode.refresh_from_db()
    return episode_payload(episode, episode.steps.order_by("step_number"))


def test_rows_and_orm_give_the_same_payload_and_bytes() -> None:
    episodes = seed(4, tags=["Hot", "ünïcode"])
    running = make_episode(description="still running — no outcome, no steps")
    odd = make_episode(
        description="zero microseconds, nested parameters",
        steps=[step("grep", parameters={"q": ["a", {"b": None}], "n": 1.5}, observation="")],
        outcome=SUCCESS,
        started_at=datetime(2024, 2, 29, 12, 0, 0, tzinfo=timezone.get_current_timezone()),
        duration=timedelta(seconds=1),
    )
    episode_archive(episode_id=episodes[0].pk, namespace_id=episodes[0].namespace_id)
    episode_update(
        episode_id=episodes[1].pk,
        namespace_id=episodes[1].namespace_id,
        metadata={"reviewed": True, "score": 0.25},
    )
    every = [*episodes, running, odd]
    rows = episode_payloads_from_rows([e.pk.hex for e in every] + ["0" * 32])
    assert set(rows) == {e.pk.hex for e in every}  # a missing key is left out
    for episode in every:
        expected = _orm(episode)
        assert rows[episode.pk.hex] == expected
        assert pack(rows[episode.pk.hex]) == pack(expected)  # the cached bytes too


def test_no_keys_no_queries(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        assert episode_payloads_from_rows([]) == {}
