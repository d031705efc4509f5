"""Bearer keys with scopes, revocation, and the dashboard's session path."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone
from django.utils.crypto import get_random_string

from memoryadmin.apikeys.models import ApiKey
from memoryadmin.apikeys.services import api_key_authenticate, api_key_create, key_hash
from tests.api.conftest import API, EPISODE, Agent
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def test_no_credentials_is_401(client: Client) -> None:
    for method in ("get", "post"):
        response = getattr(client, method)(f"{API}/episodes")
        assert response.status_code == 401
        assert response.json()["error"] == "unauthorized"
        assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("token", ["nonsense", "ma_live_" + "A" * 43])
def test_unknown_keys_are_401(token: str) -> None:
    response = Agent(token).send("GET", "/episodes")
    assert response.status_code == 401 and response.json()["extra"]["field"] == "Authorization"


def test_key_is_stored_hashed_with_a_visible_prefix() -> None:
    created = api_key_create(name="ci", scopes=["read"])
    row = ApiKey.objects.get()
    assert created.key.startswith("ma_live_") and len(created.key) > 40
    assert row.prefix == created.key[:16] and row.key_hash == key_hash(created.key)
    assert created.key not in str(ApiKey.objects.values().get())


def test_revoked_key_is_401_at_once(make_agent: Callable[..., Agent]) -> None:
    agent = make_agent()
    assert agent.send("GET", "/episodes").status_code == 200
    ApiKey.objects.update(revoked_at=timezone.now())
    response = agent.send("GET", "/episodes")
    assert response.status_code == 401 and "revoked" in response.json()["message"]


@pytest.mark.parametrize(
    ("scopes", "method", "path", "expected"),
    [
        (("read",), "GET", "/episodes", 200),
        (("read",), "POST", "/episodes", 403),
        (("read",), "GET", "/health", 200),
        (("write",), "GET", "/episodes", 200),  # write implies read
        (("write",), "POST", "/episodes", 201),
        (("sync",), "GET", "/episodes", 403),
        (("write",), "GET", "/keys", 403),
        (("admin",), "GET", "/keys", 200),
        (("admin",), "POST", "/episodes", 201),  # admin implies every scope
    ],
)
def test_scopes(
    make_agent: Callable[..., Agent], scopes: tuple[str, ...], method: str, path: str, expected: int
) -> None:
    body = EPISODE if method == "POST" else None
    response = make_agent(scopes=scopes).send(method, path, body)
    assert response.status_code == expected, response.content
    if expected == 403:
        assert response.json()["error"] == "forbidden" and response.json()["extra"]["scope"]


def test_last_used_is_written_at_most_once_a_minute() -> None:
    created = api_key_create(name="ci", scopes=["read"])
    api_key_authenticate(key=created.key)
    first = ApiKey.objects.get().last_used_at
    assert first is not None
    api_key_authenticate(key=created.key)
    assert ApiKey.objects.get().last_used_at == first
    ApiKey.objects.update(last_used_at=first - timedelta(minutes=2))
    api_key_authenticate(key=created.key)
    assert ApiKey.objects.get().last_used_at > first - timedelta(minutes=2)


def test_admin_manages_keys(make_agent: Callable[..., Agent]) -> None:
    admin = make_agent(scopes=("admin",))
    made = admin.send("POST", "/keys", {"name": "agent-7", "scopes": ["read", "write"]})
    assert made.status_code == 201 and made.json()["key"].startswith("ma_live_")
    new = Agent(made.json()["key"])
    assert new.send("GET", "/episodes").status_code == 200
    listed = admin.send("GET", "/keys").json()
    assert {k["name"] for k in listed} == {"test agent", "agent-7"}
    assert all("key" not in k for k in listed)
    assert admin.send("DELETE", f"/keys/{made.json()['id']}").json()["revoked_at"]
    assert new.send("GET", "/episodes").status_code == 401
    assert admin.send("DELETE", "/keys/999999").status_code == 404


def session(username: str, *, group: str = "", **flags: bool) -> Client:
    user = get_user_model().objects.create_user(username, password="pw-123456", **flags)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    make_member(user)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def test_operator_session_reads_without_csrf_but_may_not_write() -> None:
    operator = session("op", group="operator")
    assert operator.get(f"{API}/episodes").status_code == 200
    assert operator.get(f"{API}/health").status_code == 200
    token = get_random_string(32)
    operator.cookies["csrftoken"] = token
    refused = operator.post(
        f"{API}/episodes", EPISODE, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert refused.status_code == 403 and refused.json()["extra"]["scope"] == "write"


def test_admin_session_writes_with_the_csrf_token_only() -> None:
    admin = session("boss", group="admin")
    refused = admin.post(f"{API}/episodes", EPISODE, content_type="application/json")
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    token = get_random_string(32)  # what a page's {% csrf_token %} puts in the cookie
    admin.cookies["csrftoken"] = token
    accepted = admin.post(
        f"{API}/episodes", EPISODE, content_type="application/json", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 201, accepted.content
    assert admin.get(f"{API}/keys").status_code == 200


def test_staff_without_a_role_may_read() -> None:
    staff = session("staff", is_staff=True)
    assert staff.get(f"{API}/episodes").status_code == 200
    assert staff.get(f"{API}/keys").status_code == 403


def test_session_of_a_user_without_a_role_is_403() -> None:
    response = session("visitor").get(f"{API}/episodes")
    assert response.status_code == 403 and response.json()["error"] == "forbidden"


def test_superusers_are_admins() -> None:
    root = get_user_model().objects.create_superuser("root", password="pw-123456")
    client = Client()
    client.force_login(root)
    assert client.get(f"{API}/keys").status_code == 200
