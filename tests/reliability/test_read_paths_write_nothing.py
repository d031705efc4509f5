"""Reads write nothing: every GET page, every GET API call and POST /context/retrieve
leave the memory's tables (and the redb cache file) exactly as they found them.

The snapshot is every row of every episodes and sync model, the audit log, the
full-text index and the change counter, plus the cache's bytes. What a call may
still touch is the caller's own bookkeeping (the key's last-use stamp, rate
counters), which is not in the snapshot.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_q.models import OrmQ

from episodes import search_index
from episodes.models import Pattern
from episodes.services import usage
from tests.reliability.conftest import API, api_key, bearer, logged_in
from tests.reliability.urlwalk import Route, allowed_methods, api_operations, routes
from tests.sync.conftest import dump_cache

pytestmark = pytest.mark.django_db
MEMORY_APPS = ("episodes", "sync")
MEMORY_MODELS = ("memoryadmin.AuditEvent",)
RETRIEVE = {"description": "flaky login test", "context": {"language": "python"}, "limit": 5}


def memory_snapshot() -> dict[str, Any]:
    """Every memory row, the full-text rows and a digest of every cache entry."""
    models = [m for name in MEMORY_APPS for m in apps.get_app_config(name).get_models()]
    models += [apps.get_model(label) for label in MEMORY_MODELS]
    rows: dict[str, Any] = {}
    for model in models:
        fields = [f.attname for f in model._meta.concrete_fields]
        rows[model._meta.label] = list(model._default_manager.order_by("pk").values_list(*fields))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT rowid, * FROM {search_index.TABLE} ORDER BY rowid")
        rows["fts"] = [tuple(row) for row in cursor.fetchall()]
    rows["cache"] = {
        table: hashlib.sha256(repr(sorted(entries.items())).encode()).hexdigest()
        for table, entries in dump_cache().items()
    }
    return rows


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def _pages() -> list[Route]:
    return [r for r in routes() if not r.is_api and not r.is_django_admin]


def test_the_snapshot_sees_a_write(ids: dict[str, str]) -> None:
    """The detector itself: one counter bump on one pattern is a difference."""
    before = memory_snapshot()
    Pattern.objects.filter(pk=int(ids["pattern_id"])).update(times_retrieved=7)
    assert _changed(before, memory_snapshot()) == ["episodes.Pattern"]


def test_console_pages_write_nothing(ids: dict[str, str], admin_user: User) -> None:
    client = logged_in(admin_user)
    walked = 0
    before = memory_snapshot()
    for route in _pages():
        path = route.url(ids)
        if "GET" not in allowed_methods(client, path):
            continue
        for headers in ({}, {"HX-Request": "true"}):
            response = client.get(path, headers=headers)
            assert response.status_code < 500, (path, response.status_code)
            walked += 1
    assert walked >= 20  # the walk reached the pages (overview, lists, details, sync, ...)
    assert _changed(before, memory_snapshot()) == []


def test_the_retrieval_playground_counts_nothing(ids: dict[str, str], admin_user: User) -> None:
    client = logged_in(admin_user)
    before = memory_snapshot()
    query = {"description": "flaky login test", "task_type": "debugging"}
    response = client.get(reverse("episodes:retrieval_playground"), query)
    pattern_link = reverse("episodes:pattern_detail", args=[int(ids["pattern_id"])])
    assert response.status_code == 200 and pattern_link.encode() in response.content
    assert _changed(before, memory_snapshot()) == []
    assert usage.pattern_retrievals_pending() == {}


def test_api_reads_and_retrieve_write_nothing(ids: dict[str, str]) -> None:
    client = Client(headers=bearer(api_key("read", "write", "sync", "admin")))
    gets = [r for r in api_operations() if "GET" in r.methods]
    before = memory_snapshot()
    for route in gets:
        response = client.get(route.url(ids))
        assert response.status_code < 500, (route.route, response.status_code)
    for _ in range(3):
        response = client.post(f"{API}/context/retrieve", RETRIEVE, content_type="application/json")
        assert response.status_code == 200
        assert response.json()["patterns"], "the seeded patterns are retrieved"
    assert len(gets) >= 15
    assert _changed(before, memory_snapshot()) == []
    # The retrievals were counted in this process only, and nothing was queued yet.
    counted = response.json()["patterns"]
    assert usage.pattern_retrievals_pending() == {p["id"]: 3 for p in counted}
    assert not OrmQ.objects.exists()


def test_counts_land_through_the_task_and_move_the_change_marker(
    ids: dict[str, str], settings: Any
) -> None:
    """Off the request path: a due tally is queued once; the task adds the counts,
    bumps each pattern's change marker and hash (so the sync rewrites the entry)."""
    settings.RETRIEVAL_COUNT_FLUSH_SECONDS = 10
    pattern = Pattern.objects.get(pk=int(ids["pattern_id"]))
    usage.pattern_retrievals_record(pattern_ids=[pattern.pk, pattern.pk], now=100.0)
    usage.pattern_retrievals_record(pattern_ids=[pattern.pk], now=105.0)
    assert not OrmQ.objects.exists()  # not due yet: nothing queued
    usage.pattern_retrievals_record(pattern_ids=[pattern.pk], now=110.0)
    queued = list(OrmQ.objects.all())
    assert [q.func() for q in queued] == ["episodes.tasks.pattern_retrievals_add_task"]
    assert usage.pattern_retrievals_pending() == {}
    (counts,) = queued[0].args()
    assert counts == {pattern.pk: 4}
    assert usage.pattern_retrievals_add(counts=counts) == 1
    after = Pattern.objects.get(pk=pattern.pk)
    assert after.times_retrieved == pattern.times_retrieved + 4
    assert after.change_seq > pattern.change_seq
    assert after.content_hash != pattern.content_hash
