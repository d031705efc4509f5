"""seed_bulk writes what the services would: same hashes, digests, markers, values and index,
in the namespace it is told, learning there only."""

from __future__ import annotations

from itertools import groupby
from typing import Any
from uuid import UUID

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from episodes import search_index
from episodes.changes import current_change_seq
from episodes.hashing import chain_steps, episode_hash, step_fields
from episodes.learning.heuristics import heuristic_hash
from episodes.learning.patterns import pattern_hash
from episodes.models import Episode, ExecutionStep, Heuristic, Pattern
from episodes.services import episode_complete, episode_log_steps, episode_start
from memoryadmin.namespaces.selectors import namespace_id_for
from memoryadmin.namespaces.services import namespace_create

pytestmark = pytest.mark.django_db

# Columns that differ between two seedings of the same demo: ids, the namespace, and
# what depends on the time of the run (start times move with "now"; the digest and
# hashes chain them).
RUN_DEPENDENT = {
    "id",
    "namespace_id",
    "started_at",
    "ended_at",
    "created_at",
    "updated_at",
    "change_seq",
    "content_hash",
    "steps_digest",
}


def _raw_row(table: str, key_column: str, key: Any) -> tuple[Any, ...]:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT * FROM "{table}" WHERE "{key_column}" = %s', [key])
        return tuple(cursor.fetchone())


def _default_id() -> int:
    found = namespace_id_for(slug="default")
    assert found is not None
    return found


def _fts_docs(episode_id: UUID) -> list[tuple[int, str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid, ns, body FROM {search_index.TABLE} WHERE episode_id = %s",
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
    default = _default_id()
    token = search_index.namespace_token(default)
    for episode in episodes:
        own = steps.get(episode.pk, [])
        assert episode.namespace_id == default
        assert episode.agent_id.startswith("demo-") and episode.user_id and episode.session_id
        assert episode.content_hash == episode_hash(episode)
        assert episode.steps_digest == chain_steps("", (step_fields(s) for s in own))
        assert episode.step_count == len(own)
        document = search_index.episode_document(episode, own if episode.verdict else ())
        assert _fts_docs(episode.pk) == [(search_index.fts_rowid(episode.pk), token, document)]
        markers.append(episode.change_seq)
    for pattern in Pattern.objects.all():
        assert pattern.namespace_id == default
        assert pattern.content_hash == pattern_hash(pattern)
        assert pattern.evidence.count() == pattern.occurrence_count
        markers.append(pattern.change_seq)
    for heuristic in Heuristic.objects.all():
        assert heuristic.namespace_id == default
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
    heuristic = Heuristic.objects.first()
    assert step is not None and pattern is not None and heuristic is not None
    cases = [
        ("episodes_episode", "id", episode.pk.hex, episode),  # namespace_id and scope too
        ("episodes_executionstep", "id", step.pk, step),
        ("episodes_pattern", "id", pattern.pk, pattern),
        ("episodes_heuristic", "id", heuristic.pk, heuristic),
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
    default = _default_id()
    marker = current_change_seq()
    running = Episode.objects.filter(verdict=None).first()
    assert running is not None
    completed = episode_complete(
        episode_id=running.pk, namespace_id=default, outcome={"kind": "success"}
    )
    assert completed.change_seq > marker
    assert len(_fts_docs(running.pk)) == 1  # the document was replaced, not duplicated
    fresh = episode_start(
        namespace_id=default, task_description="fix the flaky auth test", task_type="debugging"
    )
    episode_log_steps(
        episode_id=fresh.pk,
        namespace_id=default,
        steps=[{"tool": "pytest", "action": "run", "success": True}],
    )
    hits = dict(search_index.keyword_search("flaky auth", namespace_id=default, limit=50))
    assert fresh.pk.hex in hits


def _episode_rows(namespace_id: int) -> list[dict[str, Any]]:
    """The namespace's episodes in the order they were made, without run-dependent columns."""
    return [
        {k: v for k, v in row.items() if k not in RUN_DEPENDENT}
        for row in Episode.objects.filter(namespace_id=namespace_id).order_by("change_seq").values()
    ]


def _learned(namespace_id: int) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    patterns = Pattern.objects.filter(namespace_id=namespace_id).values_list(
        "kind", "signature", "occurrence_count", "success_count", "success_rate"
    )
    heuristics = Heuristic.objects.filter(namespace_id=namespace_id).values_list(
        "signature", "sample_size", "confidence"
    )
    return set(patterns), set(heuristics)


def test_each_namespace_learns_alone_as_through_the_services() -> None:
    """The same demo through the services into one namespace and in bulk into another:
    the same rows (scope included), and each namespace's learning counts its own only."""
    services = namespace_create(slug="seed-services").pk
    bulk = namespace_create(slug="seed-bulk").pk
    call_command("seed_demo", episodes=12, seed=6, namespace="seed-services", stdout=None)
    call_command("seed_bulk", episodes=12, seed=6, chunk=5, namespace="seed-bulk", stdout=None)
    expected = _episode_rows(services)
    assert len(expected) == 12
    assert _episode_rows(bulk) == expected
    assert {(e["agent_id"], e["user_id"]) for e in expected} != {("", "")}
    assert _learned(bulk) == _learned(services) != (set(), set())
    for model in (Pattern, Heuristic):
        for row in model.objects.filter(namespace_id=bulk):
            assert {e.namespace_id for e in row.evidence.all()} == {bulk}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT e.namespace_id, f.ns FROM {search_index.TABLE} f "
            "JOIN episodes_episode e ON e.id = f.episode_id"
        )
        assert {(ns, search_index.namespace_token(ns)) for ns in (services, bulk)} == set(
            cursor.fetchall()
        )
    word = expected[0]["task_description"].split()[-1]
    for namespace_id in (services, bulk):
        hits = search_index.keyword_search(word, namespace_id=namespace_id, limit=50)
        found = Episode.objects.filter(pk__in=[UUID(h) for h, _ in hits])
        assert hits and {e.namespace_id for e in found} == {namespace_id}


@pytest.mark.parametrize("command", ["seed_bulk", "seed_demo"])
def test_a_missing_namespace_is_named(command: str) -> None:
    with pytest.raises(CommandError, match="'nowhere' does not exist"):
        call_command(command, episodes=1, namespace="nowhere", stdout=None)
    assert not Episode.objects.exists()
