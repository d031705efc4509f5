"""Fixtures of the reliability tests: one of every row a URL can point at, and every role."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.test import Client

from episodes.models import Heuristic, Pattern
from memoryadmin.apikeys.services import api_key_create
from memoryadmin.roles import ADMIN, OPERATOR
from sync.models import ValidationReport
from tests.factories import FAILURE, SUCCESS, make_episode, make_member, step
from tests.sync.conftest import sync

API = "/api/v1"
LOGIN = "/accounts/login/"
ADMIN_LOGIN = "/admin/login/"


@pytest.fixture
def ids(db: None) -> dict[str, str]:
    """Real ids for path parameters: an episode with steps, learned patterns and
    heuristics, a sync run with its validation report, an API key."""
    for outcome in (SUCCESS, FAILURE, SUCCESS):
        episode = make_episode(steps=[step("grep"), step("pytest", success=False)], outcome=outcome)
    run = sync()
    key = api_key_create(name="walked", scopes=["read"]).api_key
    found = {
        "episode_id": str(episode.pk),
        "run_id": str(run.pk),
        "report_id": str(ValidationReport.objects.latest("pk").pk),
        "key_id": str(key.pk),
    }
    if pattern := Pattern.objects.first():
        found["pattern_id"] = str(pattern.pk)
    if heuristic := Heuristic.objects.first():
        found["heuristic_id"] = str(heuristic.pk)
    return found


def _user(username: str, group: str = "", **flags: Any) -> User:
    user = User.objects.create_user(username, password=f"pw-{username}-1", **flags)
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return make_member(user)


def logged_in(user: User, **options: Any) -> Client:
    client = Client(**options)
    client.force_login(user)
    return client


@pytest.fixture
def operator(db: None) -> User:
    return _user("olive", OPERATOR)


@pytest.fixture
def staff_operator(db: None) -> User:
    """An operator who may enter Django's admin site (is_staff) but holds no model permission."""
    return _user("stella", OPERATOR, is_staff=True)


@pytest.fixture
def admin_user(db: None) -> User:
    return _user("ada", ADMIN)


@pytest.fixture
def superuser(db: None) -> User:
    return User.objects.create_superuser("root", password="pw-root-1")


def api_key(*scopes: str, name: str = "reliability") -> str:
    """A real key with generous limits (a walk makes many calls)."""
    created = api_key_create(
        name=name, scopes=list(scopes), rate_limit_per_minute=10**6, daily_episode_quota=10**6
    )
    return created.key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# What every accepted call touches: per-key rate counters and the last-use stamp.
BOOKKEEPING = {"memoryadmin.RateCounter"}
BOOKKEEPING_FIELDS = {"last_used_at"}


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every model: a refused request must leave this unchanged."""
    rows = {}
    for model in apps.get_models():
        label = model._meta.label
        if not model._meta.managed or model._meta.proxy or label in BOOKKEEPING:
            continue
        fields = [
            f.attname for f in model._meta.concrete_fields if f.name not in BOOKKEEPING_FIELDS
        ]
        rows[label] = list(model._default_manager.order_by("pk").values_list(*fields))
    return rows
