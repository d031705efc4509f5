"""create_namespace and create_api_key --namespace: keys made where they will act."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from memoryadmin.apikeys.models import ApiKey
from memoryadmin.namespaces.models import Namespace
from tests.namespaces.conftest import Agent

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_namespace() -> None:
    said = run("create_namespace", "team-alpha", "--name", "Team Alpha")
    namespace = Namespace.objects.get(slug="team-alpha")
    assert namespace.name == "Team Alpha"
    assert "'team-alpha' created" in said
    run("create_namespace", "beta")
    assert Namespace.objects.get(slug="beta").name == "beta"  # the slug, without --name


@pytest.mark.parametrize(
    ("slug", "message"),
    [
        ("alpha", "already exists"),
        ("Alpha", "invalid"),
        ("alpha-", "invalid"),
        ("a" * 41, "invalid"),
    ],
)
def test_create_namespace_refuses_taken_and_bad_slugs(slug: str, message: str) -> None:
    run("create_namespace", "alpha")
    with pytest.raises(CommandError, match=message):
        run("create_namespace", slug)
    assert list(Namespace.objects.values_list("slug", flat=True)) == ["alpha", "default"]


def _key(*args: str) -> str:
    return run("create_api_key", "--name", "cli", "--quiet", *args).strip()


def test_create_api_key_in_a_namespace_acts_there() -> None:
    run("create_namespace", "alpha")
    key = _key("--namespace", "alpha", "--scopes", "read,write")
    assert ApiKey.objects.get().namespace.slug == "alpha"
    current = Agent(key).get("/api/v1/namespaces/current")
    assert current.status_code == 200 and current.json()["slug"] == "alpha"
    # A bound key cannot choose another namespace with the header.
    chosen = Agent(key).get("/api/v1/namespaces/current", headers={"X-Namespace": "default"})
    assert chosen.json()["slug"] == "alpha"


def test_create_api_key_defaults_to_the_default_namespace() -> None:
    key = _key()
    assert Agent(key).get("/api/v1/namespaces/current").json()["slug"] == "default"


def test_create_api_key_for_all_namespaces_needs_the_admin_scope() -> None:
    run("create_namespace", "alpha")
    with pytest.raises(CommandError, match="only an admin key"):
        _key("--namespace", "*", "--scopes", "read,write")
    assert not ApiKey.objects.exists()
    key = _key("--namespace", "*", "--scopes", "admin")
    assert ApiKey.objects.get().namespace is None
    agent = Agent(key)
    current = agent.get("/api/v1/namespaces/current", headers={"X-Namespace": "alpha"})
    assert current.json()["slug"] == "alpha"
    said = run("create_api_key", "--name", "root", "--namespace", "*", "--scopes", "admin")
    assert "in all namespaces" in said


def test_create_api_key_in_an_unknown_namespace_is_refused() -> None:
    with pytest.raises(CommandError, match="'nope' does not exist"):
        _key("--namespace", "nope")
    assert not ApiKey.objects.exists()
