"""The project's whole migration history applies to (and partly reverses on) a
remote database, then the ORM works on the migrated tables."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.auth.models import Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connections
from django.db.migrations import Migration
from django.db.migrations.executor import MigrationExecutor

from tests.remote.conftest import HranaServer


def _pending(alias: str) -> list[tuple[Migration, bool]]:
    executor = MigrationExecutor(connections[alias])
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


@pytest.mark.slow
def test_migrate_applies_every_app_and_reverses(
    server_factory: Callable[..., HranaServer], remote_alias: Callable[..., str]
) -> None:
    server = server_factory()
    alias = remote_alias(server)
    call_command("migrate", database=alias, verbosity=0, interactive=False)
    assert _pending(alias) == []
    tables = set(connections[alias].introspection.table_names())
    assert {"auth_user", "django_content_type", "django_q_task", "django_session"} <= tables
    # post_migrate filled content types and permissions through the ORM.
    assert ContentType.objects.using(alias).filter(app_label="auth").exists()
    assert Permission.objects.using(alias).filter(codename="add_user").exists()

    User.objects.db_manager(alias).create_user("remote-admin", password="pw-123456")
    assert User.objects.using(alias).get().username == "remote-admin"

    # Reversing rebuilds tables (foreign keys off, see the backend) with rows in them.
    call_command("migrate", "auth", "0001", database=alias, verbosity=0, interactive=False)
    assert User.objects.using(alias).values_list("username", flat=True).get() == "remote-admin"
    call_command("migrate", database=alias, verbosity=0, interactive=False)
    assert _pending(alias) == []
    with connections[alias].cursor() as cursor:
        cursor.execute("PRAGMA foreign_key_check")
        assert cursor.fetchall() == []
