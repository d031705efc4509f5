"""API test fixtures: real keys through the real service, Django's test client."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from memoryadmin.apikeys.services import api_key_create

API = "/api/v1"


class Agent(Client):
    """A client that sends its bearer key and JSON bodies."""

    def __init__(self, key: str, **kwargs: Any) -> None:
        super().__init__(headers={"Authorization": f"Bearer {key}"}, **kwargs)
        self.key = key

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        call = getattr(self, method.lower())
        if body is None:
            return call(API + path, headers=headers)
        return call(API + path, body, content_type="application/json", headers=headers)


@pytest.fixture
def make_agent(db: None) -> Callable[..., Agent]:
    def make(scopes: tuple[str, ...] = ("read", "write"), **options: Any) -> Agent:
        created = api_key_create(name=options.pop("name", "test agent"), scopes=scopes, **options)
        return Agent(created.key)

    return make


@pytest.fixture
def agent(make_agent: Callable[..., Agent]) -> Agent:
    return make_agent()


EPISODE = {
    "task_description": "fix the flaky login test",
    "task_type": "debugging",
    "context": {
        "language": "python",
        "framework": "django",
        "domain": "web",
        "complexity": "moderate",
        "tags": ["auth"],
    },
    "metadata": {"agent": "tests"},
}
STEP = {
    "tool": "pytest",
    "action": "run the auth tests",
    "parameters": {},
    "success": False,
    "latency_ms": 840,
    "tokens": 310,
    "observation": "2 failed",
}
SUCCESS = {"outcome": {"kind": "success", "verdict": "tests pass", "artifacts": ["fix.patch"]}}
