"""GET /namespaces, GET /namespaces/current and POST /namespaces."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from memoryadmin.namespaces.models import Namespace
from memoryadmin.namespaces.services import namespace_create, namespace_member_add
from memoryadmin.roles import ADMIN, OPERATOR
from tests.namespaces.conftest import API, key_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def two(db: None) -> tuple[Namespace, Namespace]:
    return namespace_create(slug="alpha", name="Alpha"), namespace_create(slug="beta")


def _session(username: str, group: str) -> tuple[Client, User]:
    user = User.objects.create_user(username, password=f"pw-{username}-1")
    user.groups.add(Group.objects.get_or_create(name=group)[0])
    client = Client()
    client.force_login(user)
    return client, user


def _slugs(response: Any) -> list[str]:
    assert response.status_code == 200, response.content
    return [n["slug"] for n in response.json()]


def test_a_bound_key_sees_its_own_namespace_only(two: Any) -> None:
    for scopes in (("read",), ("admin",)):
        agent, _ = key_in("alpha", *scopes)
        assert _slugs(agent.send("GET", "/namespaces")) == ["alpha"]
        current = agent.send("GET", "/namespaces/current").json()
        assert current["slug"] == "alpha" and current["name"] == "Alpha"


def test_an_all_namespaces_key_sees_all(two: Any) -> None:
    admin, _ = key_in(None, "admin")
    assert _slugs(admin.send("GET", "/namespaces")) == ["alpha", "beta", "default"]
    current = admin.send("GET", "/namespaces/current", **{"X-Namespace": "beta"})
    assert current.json()["slug"] == "beta"
    assert admin.send("GET", "/namespaces/current").json()["slug"] == "default"


def test_a_session_sees_its_memberships_an_admin_all(two: tuple[Namespace, Namespace]) -> None:
    operator, user = _session("olga", OPERATOR)
    namespace_member_add(namespace=two[1], member=user)
    headers = {"X-Namespace": "beta"}
    assert _slugs(operator.get(f"{API}/namespaces", headers=headers)) == ["beta"]
    current = operator.get(f"{API}/namespaces/current", headers=headers)
    assert current.json()["slug"] == "beta"
    admin, _ = _session("ada", ADMIN)
    assert _slugs(admin.get(f"{API}/namespaces")) == ["alpha", "beta", "default"]


def test_create_a_namespace(two: Any) -> None:
    admin, _ = key_in(None, "admin")
    body = {"slug": "gamma", "name": "Gamma team", "daily_episode_quota": 500}
    made = admin.send("POST", "/namespaces", body)
    assert made.status_code == 201, made.content
    assert made.json()["slug"] == "gamma" and made.json()["daily_episode_quota"] == 500
    assert Namespace.objects.get(slug="gamma").name == "Gamma team"
    # Usable at once, by the header.
    current = admin.send("GET", "/namespaces/current", **{"X-Namespace": "gamma"})
    assert current.json()["slug"] == "gamma"
    taken = admin.send("POST", "/namespaces", {"slug": "gamma"})
    assert taken.status_code == 409
    assert taken.json()["error"] == "conflict" and taken.json()["extra"] == {"field": "slug"}


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"slug": "Gamma"}, 400, "slug"),
        ({"slug": "gamma-"}, 400, "slug"),
        ({"slug": "ga mma"}, 400, "slug"),
        ({"slug": ""}, 422, "slug"),
        ({"slug": "g" * 41}, 422, "slug"),
        ({}, 422, "slug"),
        ({"slug": "gamma", "daily_episode_quota": 0}, 422, "daily_episode_quota"),
        ({"slug": "gamma", "colour": "red"}, 422, "colour"),
    ],
)
def test_create_refuses_bad_input_naming_the_field(
    two: Any, body: dict[str, Any], status: int, field: str
) -> None:
    admin, _ = key_in(None, "admin")
    refused = admin.send("POST", "/namespaces", body)
    assert refused.status_code == status, refused.content
    assert refused.json()["extra"]["field"] == field
    assert not Namespace.objects.filter(slug__startswith="g").exists()


def test_create_needs_the_admin_scope_and_all_namespaces(two: Any) -> None:
    """A bound key may not: its 409 "taken" would tell it that another namespace exists."""
    writer, _ = key_in("alpha", "read", "write")
    assert writer.send("POST", "/namespaces", {"slug": "gamma"}).status_code == 403
    bound_admin, _ = key_in("alpha", "admin")
    for slug in ("gamma", "beta"):
        refused = bound_admin.send("POST", "/namespaces", {"slug": slug})
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    operator, _ = _session("olga", OPERATOR)
    assert (
        operator.post(f"{API}/namespaces", {"slug": "gamma"}, "application/json").status_code == 403
    )
    admin, _ = _session("ada", ADMIN)
    made = admin.post(f"{API}/namespaces", {"slug": "gamma"}, "application/json")
    assert made.status_code == 201
    assert Namespace.objects.filter(slug="gamma").count() == 1


def test_the_operations_are_documented(client: Client) -> None:
    paths = client.get(f"{API}/openapi.json").json()["paths"]
    listed, current = paths[f"{API}/namespaces"], paths[f"{API}/namespaces/current"]
    for operation in (listed["get"], listed["post"], current["get"]):
        assert operation["tags"] == ["namespaces"] and operation["security"]
        assert {"401", "403", "404", "422", "429"} <= set(operation["responses"])
    assert {"201", "400", "409"} <= set(listed["post"]["responses"])
