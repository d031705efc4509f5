"""seed_bulk writes what the services would: same hashes, digests, markers, values and index."""

from __future__ import annotations

from itertools import groupby
from typing import Any
from uuid import UUID

import pytest
from django.core.management import call_command
from django.db import connection

from episodes import search_index
from episodes.changes import current_change_seq
from episodes.hashing import chain_steps, episode_hash, step_fields
from episodes.learning.heuristics import heuristic_hash
from episodes.learning.patterns import pattern_hash
from episodes.models import Episode, ExecutionStep, Heuristic, Pattern
from episodes.services import episode_complete, episode_log_steps, episode_start

pytestmark = pytest.mark.django_db


def _raw_row(table: str, key_column: str, key: Any) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" WHERE "{key_column}" = %s', [key])
        return tuple(cursor.fetchone())


def _fts_docs(episode_id: UUID) -> list[tuple[int, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, body FROM {search_index.TABLE} WHERE episode_id = %s",
            [episode_id.hex],
        )
        return [tuple(row) for row in cursor.fetchall()]  # type: ignore[misc]


def test_rows_follow_the_service_rules() -> None:
    call_command("seed_bulk", episodes=60, chunk=25, seed=3, stdout=None)
    episodes = list(Episode.objects.all())
    assert len(episodes) == 60
    steps = {
        k: list(g)
        for k, g in groupby(
            ExecutionStep.objects.order_by("episode_id", "step_number"), key=lambda s: s.episode_id
        )
    }
    markers = []
    for episode in episodes:
        own = steps.get(episode.pk, [])
        assert episode.content_hash == episode_hash(episode)
        assert episode.steps_digest == chain_steps("", (step_fields(s) for s in own))
        assert episode.step_count == len(own)
        document = search_index.episode_document(episode, own if episode.verdict else ())
        assert _fts_docs(episode.pk) == [(search_index.fts_rowid(episode.pk), document)]
        markers.append(episode.change_seq)
    for pattern in Pattern.objects.all():
        assert pattern.content_hash == pattern_hash(pattern)
        assert pattern.evidence.count() == pattern.occurrence_count
        markers.append(pattern.change_seq)
    for heuristic in Heuristic.objects.all():
        assert heuristic.content_hash == heuristic_hash(heuristic)
        assert heuristic.evidence.count() == heuristic.sample_size
        markers.append(heuristic.change_seq)
    assert len(set(markers)) == len(markers)  # one marker per write, never shared
    assert current_change_seq() == max(markers)


def test_values_are_stored_as_the_orm_stores_them() -> None:
    call_command("seed_bulk", episodes=20, seed=4, stdout=None)
    episode = Episode.objects.exclude(verdict=None).exclude(step_count=0).first()
    assert episode is not None
    step = episode.steps.first()
    pattern = Pattern.objects.first()
    assert step is not None and pattern is not None
    cases = [
        ("episodes_episode", "id", episode.pk.hex, episode),
        ("episodes_executionstep", "id", step.pk, step),
        ("episodes_pattern", "id", pattern.pk, pattern),
    ]
    for table, column, key, obj in cases:
        before = _raw_row(table, column, key)
        obj.save()  # the ORM writes every field back in its own representation
        after = _raw_row(table, column, key)
        changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
        names = [d[0] for d in connection.cursor().execute(f'SELECT * FROM "{table}"').description]
        assert {names[i] for i in changed} <= {"updated_at"}, (table, before, after)


def test_services_carry_on_after_a_bulk_seed() -> None:
    call_command("seed_bulk", episodes=10, seed=5, running=True, stdout=None)
    marker = current_change_seq()
    running = Episode.objects.filter(verdict=None).first()
    assert running is not None
    completed = episode_complete(episode_id=running.pk, outcome={"kind": "success"})
    assert completed.change_seq > marker
    assert len(_fts_docs(running.pk)) == 1  # the document was replaced, not duplicated
    fresh = episode_start(task_description="fix the flaky auth test", task_type="debugging")
    episode_log_steps(
        episode_id=fresh.pk, steps=[{"tool": "pytest", "action": "run", "success": True}]
    )
    hits = dict(search_index.keyword_search("flaky auth", limit=50))
    assert fresh.pk.hex in hits
