"""The audit log names who did what, whether through the console, the API or a command."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client

from memoryadmin.apikeys.services import api_key_create, api_key_revoke
from memoryadmin.audit.models import AuditEvent
from sync.models import FailedItem
from sync.services import failed_item_dismiss, sync_run_start, sync_verify
from tests.factories import default_namespace_id, make_episode

pytestmark = pytest.mark.django_db


def _events() -> list[tuple[str, str]]:
    return list(AuditEvent.objects.order_by("id").values_list("actor_label", "action"))


def test_services_record_the_user_they_are_given() -> None:
    ada = User.objects.create_superuser("ada", password="x")
    created = api_key_create(name="ci agent", scopes=["read"], created_by=ada)
    api_key_revoke(
        api_key_id=created.api_key.pk,
        namespace_id=default_namespace_id(),
        all_namespaces=False,
        user=ada,
    )
    run = sync_run_start(user=ada)
    assert run.pk is not None
    assert _events() == [("ada", "key.create"), ("ada", "key.revoke"), ("ada", "sync.trigger")]
    event = AuditEvent.objects.get(action="key.create")
    assert event.actor == ada and created.key not in str(event.details) + event.target


def test_scheduled_work_is_not_audited_but_on_demand_verify_is() -> None:
    sync_run_start(trigger="periodic")
    sync_verify(full=False)
    assert _events() == [("system", "sync.verify")]


def test_api_key_calls_are_attributed_to_the_key(client: Client) -> None:
    key = api_key_create(name="cleanup bot", scopes=["write"]).key
    episode = make_episode()
    response = client.delete(f"/api/v1/episodes/{episode.pk}", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 204
    label, action = _events()[-1]
    assert action == "episode.delete" and label.startswith("api key ma_live_")
    assert "(cleanup bot)" in label and key not in label


def test_console_actions_are_attributed_to_the_logged_in_user() -> None:
    ada = User.objects.create_superuser("ada", password="x")
    client = Client()
    client.force_login(ada)
    episode = make_episode()
    client.post("/episodes/bulk", {"action": "delete", "episode_ids": [str(episode.pk)]})
    assert _events()[-1] == ("ada", "episode.delete")


def test_dismissing_a_failed_item_is_audited() -> None:
    item = FailedItem.objects.create(
        kind="episode", key="k1", error_class="ValueError", error_message="boom"
    )
    failed_item_dismiss(item_id=item.pk, namespace_id=None)
    assert _events() == [("system", "failed.dismiss")]


def test_ensure_admin_creates_the_role_groups_and_one_admin(monkeypatch) -> None:
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    monkeypatch.setenv("MEMORYADMIN_ADMIN_PASSWORD", "a-long-password-1")
    call_command("ensure_admin")
    call_command("ensure_admin")
    assert set(Group.objects.values_list("name", flat=True)) >= {"operator", "admin"}
    assert User.objects.filter(is_superuser=True).count() == 1
    assert User.objects.get(username="admin").check_password("a-long-password-1")
