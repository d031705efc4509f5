"""Listing with filters and a cursor that stays stable under inserts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from episodes.selectors import EpisodeFilters, episode_get, episode_list
from episodes.services import episode_soft_delete, episode_update
from memoryadmin.exceptions import ApplicationError, NotFound
from tests.factories import FAILURE, SUCCESS, default_namespace_id, make_episode, step

pytestmark = pytest.mark.django_db


def _ids(page) -> list[str]:
    return [e.task_description for e in page.items]


def test_cursor_pages_are_stable_when_new_episodes_arrive() -> None:
    ns = default_namespace_id()
    now = timezone.now()
    for i in range(7):
        make_episode(description=f"task {i}", started_at=now - timedelta(hours=10 - i))
    first = episode_list(filters=EpisodeFilters(namespace_id=ns), limit=3)
    assert _ids(first) == ["task 6", "task 5", "task 4"]
    make_episode(description="newcomer", started_at=now)  # lands before the cursor
    second = episode_list(
        filters=EpisodeFilters(namespace_id=ns), cursor=first.next_cursor, limit=3
    )
    assert _ids(second) == ["task 3", "task 2", "task 1"]
    third = episode_list(
        filters=EpisodeFilters(namespace_id=ns), cursor=second.next_cursor, limit=3
    )
    assert _ids(third) == ["task 0"] and third.next_cursor is None


def test_filters_combine() -> None:
    ns = default_namespace_id()
    make_episode(
        description="payment webhook retries",
        context={"domain": "payments", "tags": ["stripe"]},
        steps=[step()],
        outcome=SUCCESS,
    )
    make_episode(
        description="webhook signature check",
        context={"domain": "payments"},
        steps=[step()],
        outcome=FAILURE,
    )
    make_episode(
        description="render the docs site", task_type="documentation", context={"domain": "docs"}
    )
    assert _ids(
        episode_list(filters=EpisodeFilters(namespace_id=ns, domain="Payments", verdict="success"))
    ) == ["payment webhook retries"]
    assert _ids(episode_list(filters=EpisodeFilters(namespace_id=ns, tag="stripe"))) == [
        "payment webhook retries"
    ]
    assert len(episode_list(filters=EpisodeFilters(namespace_id=ns, text="webhook")).items) == 2
    assert _ids(
        episode_list(filters=EpisodeFilters(namespace_id=ns, task_type="documentation"))
    ) == ["render the docs site"]
    assert len(episode_list(filters=EpisodeFilters(namespace_id=ns, completed=False)).items) == 1


def test_time_range_filter() -> None:
    ns = default_namespace_id()
    now = timezone.now()
    make_episode(description="old", started_at=now - timedelta(days=10))
    make_episode(description="new", started_at=now - timedelta(hours=1))
    page = episode_list(
        filters=EpisodeFilters(namespace_id=ns, started_after=now - timedelta(days=1))
    )
    assert _ids(page) == ["new"]


def test_deleted_episodes_disappear_but_are_kept() -> None:
    ns = default_namespace_id()
    episode = make_episode(description="to delete")
    episode_soft_delete(episode_id=episode.pk, namespace_id=episode.namespace_id)
    assert episode_list(filters=EpisodeFilters(namespace_id=ns)).items == []
    with pytest.raises(NotFound, match="was deleted"):
        episode_get(episode_id=episode.pk, namespace_id=episode.namespace_id)
    assert (
        episode_get(
            episode_id=episode.pk, namespace_id=episode.namespace_id, include_deleted=True
        ).deleted_at
        is not None
    )


def test_update_tags_and_metadata() -> None:
    ns = default_namespace_id()
    episode = make_episode()
    updated = episode_update(
        episode_id=episode.pk, namespace_id=episode.namespace_id, tags=["A", "b"], metadata={"x": 1}
    )
    assert updated.tags == ["a", "b"] and updated.metadata["x"] == 1
    assert _ids(episode_list(filters=EpisodeFilters(namespace_id=ns, tag="b"))) == [
        episode.task_description
    ]
    updated = episode_update(
        episode_id=episode.pk, namespace_id=episode.namespace_id, tags=["b"], metadata={"x": None}
    )
    assert "x" not in updated.metadata
    assert episode_list(filters=EpisodeFilters(namespace_id=ns, tag="a")).items == []


def test_bad_cursor_and_limit() -> None:
    ns = default_namespace_id()
    with pytest.raises(ApplicationError, match="cursor"):
        episode_list(filters=EpisodeFilters(namespace_id=ns), cursor="garbage!!")
    with pytest.raises(ApplicationError, match="limit"):
        episode_list(filters=EpisodeFilters(namespace_id=ns), limit=0)
