"""One failing item goes to the retry queue; the run goes on. Backoff, dead letters, operators."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from episodes.models import Embedding, Episode
from episodes.payloads import episode_payload
from hotcache import cache
from hotcache.envelope import pack
from memoryadmin.exceptions import Conflict
from sync.models import FailedItem
from sync.models.failures import FailedState
from sync.models.runs import Status
from sync.services import failed_item_dismiss, failed_item_retry, failed_items_retry_due
from tests.factories import SUCCESS, make_episode, step
from tests.sync.conftest import embed, seed, sync

pytestmark = pytest.mark.django_db


def _packed(episode: Episode) -> int:
    return len(episode.pk.hex) + len(pack(episode_payload(episode, episode.steps.all())))


@pytest.fixture
def big_episode(settings: Any) -> Episode:
    """An episode above SYNC_MAX_ITEM_BYTES while everything else fits."""
    normal = seed(4)
    big = make_episode(
        description="a long one",
        steps=[step("pytest", observation=f"run {i}: " + "lorem ipsum " * 40) for i in range(40)],
        outcome=SUCCESS,
    )
    settings.SYNC_MAX_ITEM_BYTES = (max(_packed(e) for e in normal) + _packed(big)) // 2
    settings.SYNC_RETRY_BASE_SECONDS = 30
    return big


def test_failing_item_is_queued_and_the_run_continues(big_episode: Episode, settings) -> None:
    before = timezone.now()
    run = sync()
    assert run.status == Status.PARTIAL and run.failed_count == 1
    assert run.new_count == run.progress_total - 1
    item = FailedItem.objects.get()
    assert (item.kind, item.key, item.state, item.attempts) == (
        "episode",
        big_episode.pk.hex,
        FailedState.PENDING,
        1,
    )
    assert item.error_class == "ItemTooLarge" and "SYNC_MAX_ITEM_BYTES" in item.remediation
    assert item.run_id == run.pk and item.content_hash == big_episode.content_hash
    # First retry after 30 s with equal jitter: between 15 and 30 s.
    delay = (item.next_attempt_at - before).total_seconds()
    assert 15 <= delay <= 31
    assert run.report["failed"][0]["remediation"] == item.remediation
    assert cache.cache_get(cache.EPISODES, big_episode.pk.hex).status == "miss"
    assert "validation failed: episode_count, latest_present" in run.warnings
    # Not due yet: nothing happens. Once the limit is raised and time has come, it resolves.
    assert failed_items_retry_due()["due"] == 0
    settings.SYNC_MAX_ITEM_BYTES = 10**7
    counts = failed_items_retry_due(now=timezone.now() + timedelta(minutes=1))
    assert counts["resolved"] == 1
    item.refresh_from_db()
    assert item.state == FailedState.RESOLVED and item.closed_at is not None
    assert cache.cache_get(cache.EPISODES, big_episode.pk.hex).hit


def test_backoff_grows_then_dead_letter(big_episode: Episode, settings) -> None:
    settings.SYNC_RETRY_MAX_ATTEMPTS = 3
    sync()
    item = FailedItem.objects.get()
    now = timezone.now() + timedelta(hours=1)
    failed_items_retry_due(now=now)
    item.refresh_from_db()
    assert item.attempts == 2 and item.state == FailedState.PENDING
    delay = (item.next_attempt_at - item.last_attempt_at).total_seconds()
    assert 30 <= delay <= 61  # 60 s with equal jitter
    failed_items_retry_due(now=now + timedelta(hours=1))
    item.refresh_from_db()
    assert item.attempts == 3 and item.state == FailedState.DEAD_LETTER
    assert item.next_attempt_at is None
    assert failed_items_retry_due(now=now + timedelta(days=1))["due"] == 0
    # A later run fails it again: the one open record counts it, no duplicate appears.
    sync()
    assert FailedItem.objects.count() == 1
    assert FailedItem.objects.get().attempts == 4


def test_operator_retry_and_dismiss(big_episode: Episode, settings) -> None:
    user = get_user_model().objects.create_user("op", password="pw-123456789")
    sync()
    item = FailedItem.objects.get()
    item = failed_item_retry(item_id=item.pk, namespace_id=None, user=user)
    assert item.attempts == 2 and item.retried_by == user and item.state == FailedState.PENDING
    item = failed_item_dismiss(item_id=item.pk, namespace_id=None, user=user)
    assert item.state == FailedState.DISMISSED and item.dismissed_by == user
    with pytest.raises(Conflict):
        failed_item_retry(item_id=item.pk, namespace_id=None, user=user)
    with pytest.raises(Conflict):
        failed_item_dismiss(item_id=item.pk, namespace_id=None, user=user)
    # A fixed source is written by the next run; a new failure would open a new record.
    settings.SYNC_MAX_ITEM_BYTES = 10**7
    assert sync().status == Status.SUCCEEDED


def test_a_later_run_resolves_the_item(big_episode: Episode, settings) -> None:
    sync()
    settings.SYNC_MAX_ITEM_BYTES = 10**7
    run = sync()
    assert run.status == Status.SUCCEEDED and run.new_count == 1
    assert FailedItem.objects.get().state == FailedState.RESOLVED


def test_corrupt_vector_fails_only_that_embedding() -> None:
    episodes = seed(3)
    good, bad = embed(episodes[0]), embed(episodes[1])
    Embedding.objects.filter(pk=bad.pk).update(vector=b"\x00\x01\x02")
    run = sync()
    assert run.status == Status.PARTIAL and run.failed_count == 1
    item = FailedItem.objects.get()
    assert item.kind == "embedding" and item.error_class == "CorruptVector"
    assert "backfill_embeddings" in item.remediation
    assert cache.cache_get(cache.EMBEDDINGS, f"episode:{episodes[0].pk.hex}:{good.model_id}").hit
