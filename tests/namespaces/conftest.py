"""Two namespaces with the same memory, written through the API with each one's own key.

"alpha" and "beta" get episodes with identical descriptions, contexts and tools, so
their patterns and heuristics have identical signatures: anything of beta's that
reaches alpha (a row, an id, a count) shows up as a difference. Beta writes one
episode more, so counting one namespace's episodes into the other's shows too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db.models import ForeignKey

from episodes.models import Episode, Heuristic, Pattern
from memoryadmin.apikeys.services import api_key_create
from memoryadmin.namespaces.models import Namespace
from memoryadmin.namespaces.services import namespace_create, namespace_member_add
from memoryadmin.roles import OPERATOR
from tests.api.conftest import Agent

API = "/api/v1"
DESCRIPTION = "fix the flaky login test"
CONTEXT = {
    "language": "python",
    "framework": "django",
    "domain": "web",
    "complexity": "moderate",
    "tags": ["auth"],
}
TOOLS = [("grep", True), ("pytest", False), ("edit_file", True), ("pytest", True)]
SUCCESS = {"outcome": {"kind": "success", "verdict": "tests pass", "artifacts": ["fix.patch"]}}
FAILURE = {"outcome": {"kind": "failure", "reason": "still flaky"}}
RETRIEVE = {"description": DESCRIPTION, "context": {"task_type": "debugging"}, "limit": 50}
# Written only into beta's rows (metadata, its keys' names): never in an answer to alpha.
BETA_MARK = "only-in-beta-7f3a"
OUTCOMES = {"alpha": [SUCCESS, SUCCESS, FAILURE], "beta": [SUCCESS, SUCCESS, FAILURE, SUCCESS]}


def steps(tools: list[tuple[str, bool]] = TOOLS) -> dict[str, Any]:
    """The same four steps for every episode: one failure, recovered."""
    return {"steps": [{"tool": tool, "action": f"run {tool}", "success": ok} for tool, ok in tools]}


def episode_body(marker: str = "", **scope: str) -> dict[str, Any]:
    return {
        "task_description": DESCRIPTION,
        "task_type": "debugging",
        "context": CONTEXT,
        "metadata": {"marker": marker} if marker else {},
        **scope,
    }


def start(agent: Agent, marker: str = "", **scope: str) -> str:
    response = agent.send("POST", "/episodes", episode_body(marker, **scope))
    assert response.status_code == 201, response.content
    return str(response.json()["id"])


def write_episode(
    agent: Agent, outcome: dict[str, Any] | None = SUCCESS, marker: str = "", **scope: str
) -> str:
    """start → steps → complete (``outcome`` None: left open) through the API."""
    episode_id = start(agent, marker, **scope)
    logged = agent.send("POST", f"/episodes/{episode_id}/steps", steps())
    assert logged.status_code == 200, logged.content
    if outcome is not None:
        done = agent.send("POST", f"/episodes/{episode_id}/complete", outcome)
        assert done.status_code == 200, done.content
    return episode_id


def key_in(namespace: str | None, *scopes: str, name: str = "agent") -> tuple[Agent, int]:
    created = api_key_create(
        name=name,
        scopes=list(scopes),
        namespace=namespace,
        rate_limit_per_minute=10**6,
        daily_episode_quota=10**6,
    )
    return Agent(created.key), created.api_key.pk


@dataclass
class Side:
    """One namespace's memory as written: its key (all scopes) and its rows' ids."""

    namespace: Namespace
    agent: Agent
    key_id: int
    completed: list[str]
    open_episode: str
    patterns: list[int] = field(default_factory=list)
    heuristics: list[int] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.namespace.slug

    @property
    def episodes(self) -> list[str]:
        return [*self.completed, self.open_episode]


@dataclass
class World:
    alpha: Side
    beta: Side


def _side(slug: str, marker: str = "") -> Side:
    namespace = namespace_create(slug=slug, name=slug.title())
    agent, key_id = key_in(slug, "admin", name=f"{slug} agent {marker}".strip())
    completed = [write_episode(agent, outcome, marker) for outcome in OUTCOMES[slug]]
    open_episode = write_episode(agent, None, marker)
    return Side(namespace, agent, key_id, completed, open_episode)


@pytest.fixture
def world(db: None) -> World:
    alpha, beta = _side("alpha"), _side("beta", BETA_MARK)
    for side in (alpha, beta):
        ns = side.namespace.pk
        side.patterns = list(Pattern.objects.filter(namespace_id=ns).values_list("pk", flat=True))
        side.heuristics = list(
            Heuristic.objects.filter(namespace_id=ns).values_list("pk", flat=True)
        )
        assert side.patterns and side.heuristics, f"{side.slug} learned nothing"
    return World(alpha, beta)


@pytest.fixture
def alpha_operator(world: World) -> User:
    """A console operator who is a member of alpha only."""
    user = User.objects.create_user("olga", password="pw-olga-1")
    user.groups.add(Group.objects.get_or_create(name=OPERATOR)[0])
    namespace_member_add(namespace=world.alpha.namespace, member=user)
    return user


# What every accepted call touches: rate counters and the key's last-use stamp.
BOOKKEEPING_FIELDS = {"last_used_at"}


def namespace_rows(namespace: Namespace) -> dict[str, list[tuple[Any, ...]]]:
    """Every row that belongs to ``namespace``: models with a namespace, and rows hanging
    off its episodes (steps, evidence, tags). A call in another namespace must leave it."""
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        names = {f.name: f for f in model._meta.concrete_fields}
        if isinstance(names.get("namespace"), ForeignKey):
            qs = model._default_manager.filter(namespace=namespace)
        elif isinstance(names.get("episode"), ForeignKey) and _points_at_episode(names["episode"]):
            qs = model._default_manager.filter(episode__namespace=namespace)
        else:
            continue
        columns = [f.attname for f in names.values() if f.name not in BOOKKEEPING_FIELDS]
        rows[model._meta.label] = list(qs.order_by("pk").values_list(*columns))
    return rows


def _points_at_episode(field_: ForeignKey) -> bool:
    return field_.related_model is Episode
