from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import connection

from tests.db.models import ProbeChild, TypeProbe


@pytest.fixture(scope="session")
def probe_tables(django_db_setup, django_db_blocker) -> Iterator[None]:
    """Create the test-only tables outside any transaction (SQLite's schema
    editor must toggle foreign keys, which a transaction forbids)."""
    with django_db_blocker.unblock(), connection.schema_editor() as editor:
        editor.create_model(TypeProbe)
        editor.create_model(ProbeChild)
    yield
