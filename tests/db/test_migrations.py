"""Every app's migrations apply from scratch and reverse on libsql."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def _tables() -> set[str]:
    return set(connection.introspection.table_names())


@pytest.mark.django_db(transaction=True)
def test_migrations_reverse_to_zero_and_apply_again() -> None:
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []  # fully applied
    before = _tables()
    # Reverse dependents first: our apps and django_q before Django's own.
    ours = sorted(executor.loader.migrated_apps - {"sessions", "admin", "auth", "contenttypes"})
    for app in [*ours, "sessions", "admin", "auth", "contenttypes"]:
        call_command("migrate", app, "zero", verbosity=0)
    remaining = {
        t for t in _tables() if not t.startswith(("test_", "sqlite_", "django_migrations"))
    }
    assert remaining == set(), f"tables left after reversing: {sorted(remaining)}"
    call_command("migrate", verbosity=0)
    assert _tables() == before
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == []


@pytest.mark.django_db
def test_no_model_changes_lack_a_migration() -> None:
    call_command("makemigrations", "--check", "--dry-run", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_pattern_hashes_are_recomputed_with_the_use_counts() -> None:
    """0005: a pattern hashed before the use counts were hashed gets today's hash
    and a new change marker (so a full verify passes and the sync rewrites it)."""
    from episodes.changes import current_change_seq
    from episodes.learning.patterns import pattern_hash
    from episodes.models import Pattern
    from tests.factories import SUCCESS, make_episode, step

    make_episode(steps=[step("grep"), step("pytest")], outcome=SUCCESS)
    Pattern.objects.update(content_hash="hashed-without-use-counts", times_retrieved=3)
    marker = current_change_seq()
    call_command("migrate", "episodes", "0004", verbosity=0)
    call_command("migrate", "episodes", "0005", verbosity=0)
    # The model of today needs the later migrations (namespaces), which leave hashes alone.
    call_command("migrate", "episodes", verbosity=0)
    patterns = list(Pattern.objects.order_by("pk"))
    assert patterns and all(p.content_hash == pattern_hash(p) for p in patterns)
    assert sorted(p.change_seq for p in patterns) == list(
        range(marker + 1, marker + 1 + len(patterns))
    )
    assert current_change_seq() == marker + len(patterns)
