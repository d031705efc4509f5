"""The isolation matrix: every API operation, called with alpha's key, shows nothing of beta.

The walk reads the OpenAPI schema, so a new operation is walked the day it is added
(a new body or path parameter must be added to the tables below). Deployment-wide
operations (/health, /metrics, /sync/...) are walked for leaked ids too, but their
counts are the deployment's by design (the cache and its sync runs span namespaces),
so no count of theirs is checked.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any
from uuid import UUID

import pytest
from django.contrib.auth.models import User
from django.test import Client

from episodes.models import Episode, Heuristic, Pattern
from memoryadmin.apikeys.models import ApiKey
from sync.services import sync_run_execute, sync_run_start
from sync.services.failures import failed_item_record
from tests.namespaces.conftest import (
    API,
    RETRIEVE,
    SUCCESS,
    Agent,
    Side,
    World,
    episode_body,
    key_in,
    namespace_rows,
    start,
    steps,
)
from tests.namespaces.leaks import UNKNOWN_UUID, changed_rows, leaks, masked

pytestmark = pytest.mark.django_db

# A valid body for every operation that takes one (else the walk would stop at a 422).
BODIES: dict[tuple[str, str], Any] = {
    ("post", "/episodes"): episode_body(),
    ("post", "/episodes/{episode_id}/steps"): steps(),
    ("post", "/episodes/{episode_id}/complete"): SUCCESS,
    ("patch", "/episodes/{episode_id}"): {"tags": ["walked"], "metadata": {"walked": True}},
    ("post", "/context/retrieve"): RETRIEVE,
    ("post", "/keys"): {"name": "walked", "scopes": ["read"]},
    ("post", "/namespaces"): {"slug": "walked"},
    ("post", "/sync/runs"): {"dry_run": True},
    ("post", "/sync/verify"): {},
    ("post", "/sync/failed/{item_id}/retry"): None,
    ("post", "/sync/failed/{item_id}/dismiss"): None,
}
# Path parameters naming a namespace's rows; the others name deployment-wide rows.
NAMESPACED = {"episode_id", "pattern_id", "heuristic_id", "key_id"}
DEPLOYMENT_WIDE = {"run_id", "item_id"}
# Extra reads of the lists: filters must not widen what a namespace sees.
QUERIES = {
    ("get", "/episodes"): ["", "?text=flaky+login", "?task_type=debugging", "?tag=auth"],
    ("get", "/patterns"): ["", "?task_type=debugging", "?min_occurrences=1"],
    ("get", "/heuristics"): ["", "?text=pytest"],
}


def deployment_wide(path: str) -> bool:
    return path in ("/health", "/metrics") or path.startswith("/sync/")


def operations(client: Client) -> list[tuple[str, str, list[str]]]:
    """(method, path template, path parameters) of every operation in the schema."""
    schema = client.get(f"{API}/openapi.json").json()
    found = []
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            params = [p["name"] for p in operation.get("parameters", []) if p["in"] == "path"]
            found.append((method, path.removeprefix(API), params))
    assert len(found) > 25, "the walk did not reach the API"
    return found


def _alpha_ids(side: Side) -> dict[str, str]:
    """Real ids of alpha's for reads; writes get fresh rows (see _fresh)."""
    return {
        "episode_id": side.completed[0],
        "pattern_id": str(side.patterns[0]),
        "heuristic_id": str(side.heuristics[0]),
        "key_id": str(side.key_id),
    }


def _fresh(name: str, side: Side) -> str:
    """A new row of alpha's for one write, so no write depends on the walk's order."""
    if name == "episode_id":
        return start(side.agent)
    assert name == "key_id", name
    return str(key_in(side.slug, "read", name="to revoke")[1])


def _beta_ids(name: str, beta: Side) -> list[str]:
    return {
        "episode_id": [beta.completed[0], beta.open_episode],
        "pattern_id": [str(p) for p in beta.patterns],
        "heuristic_id": [str(h) for h in beta.heuristics],
        "key_id": [str(beta.key_id)],
    }[name]


def _never(name: str) -> str:
    if name == "episode_id":
        return UNKNOWN_UUID
    model = {"pattern_id": Pattern, "heuristic_id": Heuristic, "key_id": ApiKey}[name]
    last = model._default_manager.order_by("-pk").values_list("pk", flat=True).first()
    return str((last or 0) + 1000)


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: values[m[1]], path)


def _counts(path: str, body: Any, alpha: Side) -> str | None:
    """What is wrong with the size of an answer, if anything: lists hold alpha's rows only."""
    ns = alpha.namespace
    got: Any
    expected: Any
    if path.split("?")[0] == "/episodes":
        got = {e["id"] for e in body["items"]}
        live = Episode.objects.filter(namespace=ns, deleted_at__isnull=True)
        expected = {str(pk) for pk in live.values_list("pk", flat=True)}
    elif path.split("?")[0] in ("/patterns", "/heuristics"):
        got = {row["id"] for row in body}
        model = Pattern if path.startswith("/patterns") else Heuristic
        expected = set(model.objects.filter(namespace=ns).values_list("pk", flat=True))
    elif path == "/keys":
        got = {k["id"] for k in body}
        expected = set(ApiKey.objects.filter(namespace=ns).values_list("pk", flat=True))
    elif path == "/namespaces":
        got, expected = [n["slug"] for n in body], [alpha.slug]
    elif path == "/namespaces/current":
        got, expected = body["slug"], alpha.slug
    else:
        return None
    # A filtered list holds some of alpha's rows; the unfiltered one all of them.
    fits = got <= expected if "?" in path and isinstance(got, set) else got == expected
    return None if fits else f"got {got}, expected {expected}"


def _with_own_ids(
    alpha: Side, beta: Side, method: str, template: str, ids: dict[str, str]
) -> list[str]:
    """Alpha's call on its own rows: an answer (never a 5xx) holding nothing of beta's."""
    failures = []
    for query in QUERIES.get((method, template), [""]):
        path = _fill(template, ids) + query
        response = alpha.agent.send(method, path, BODIES.get((method, template)))
        where = f"{method.upper()} {path} -> {response.status_code}"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.content[:200]!r}")
        if found := leaks(response, beta):
            failures.append(f"{where} shows beta's {sorted(set(found))}")
        counted = method == "get" and response.status_code == 200
        if counted and not deployment_wide(template):
            problem = _counts(template + query, response.json(), alpha)
            failures += [f"{where}: {problem}"] if problem else []
    return failures


def _with_betas_ids(
    alpha: Side, beta: Side, method: str, template: str, ids: dict[str, str]
) -> list[str]:
    """Alpha's call on beta's rows: the very same 404 as on an id that never existed."""
    failures, body = [], BODIES.get((method, template))
    for name in sorted(set(ids) & NAMESPACED):
        never_ids = {**ids, name: _never(name)}
        never = alpha.agent.send(method, _fill(template, never_ids), body)
        for beta_id in _beta_ids(name, beta):
            path = _fill(template, {**ids, name: beta_id})
            theirs = alpha.agent.send(method, path, body)
            where = f"{method.upper()} {path} (beta's {name})"
            if theirs.status_code != 404 or never.status_code != 404:
                failures.append(
                    f"{where} -> {theirs.status_code}, never-existing -> {never.status_code}"
                )
            elif masked(theirs.json(), beta_id) != masked(never.json(), never_ids[name]):
                failures.append(
                    f"{where}: {theirs.json()} differs from never-existing {never.json()}"
                )
            if method == "get" and (head := alpha.agent.head(API + path)).status_code != 404:
                failures.append(f"HEAD {path} (beta's {name}) -> {head.status_code}")
    return failures


def test_every_operation_with_alphas_key_shows_nothing_of_beta(world: World) -> None:
    alpha, beta = world.alpha, world.beta
    # A real run first: the cache then holds both namespaces' rows (reads may be served
    # from it) and /sync/runs/{run_id} has a run with its report to show.
    run = sync_run_start()
    assert run.pk is not None and sync_run_execute(run_id=run.pk).status == "succeeded"
    # And one of beta's episodes waits in the retry queue, as after a failed cache write.
    failed_item_record(
        kind="episode", key=UUID(beta.completed[1]).hex, content_hash="", error=OSError("full")
    )
    before = namespace_rows(beta.namespace)
    # A crash is one more failure of the walk, not the end of it.
    alpha = replace(alpha, agent=Agent(alpha.agent.key, raise_request_exception=False))
    failures: list[str] = []
    for method, template, params in operations(alpha.agent):
        if method in ("post", "put", "patch") and (method, template) not in BODIES:
            failures.append(f"{method.upper()} {template}: add a body to BODIES")
            continue
        if unclassified := set(params) - NAMESPACED - DEPLOYMENT_WIDE:
            failures.append(f"{template}: classify path parameters {unclassified}")
            continue
        # Reads get alpha's real rows, writes fresh ones (no write depends on the order).
        own, wide = _alpha_ids(alpha), {"run_id": str(run.pk), "item_id": "999999"}
        ids = {n: own[n] if method == "get" else _fresh(n, alpha) for n in params if n in own}
        ids |= {n: wide[n] for n in params if n in wide}
        failures += _with_own_ids(alpha, beta, method, template, ids)
        failures += _with_betas_ids(alpha, beta, method, template, ids)
    failures += changed_rows(before, namespace_rows(beta.namespace))
    assert not failures, "\n".join(failures)


def test_writes_with_alphas_key_to_betas_episodes_are_404_and_change_nothing(
    world: World,
) -> None:
    alpha, beta = world.alpha, world.beta
    before = namespace_rows(beta.namespace)
    calls = [
        ("POST", f"/episodes/{beta.open_episode}/steps", steps()),
        ("POST", f"/episodes/{beta.open_episode}/complete", SUCCESS),
        ("PATCH", f"/episodes/{beta.completed[0]}", {"tags": ["mine now"]}),
        ("DELETE", f"/episodes/{beta.completed[0]}", None),
        ("DELETE", f"/episodes/{beta.open_episode}", None),
    ]
    for method, path, body in calls:
        for headers in ({}, {"Idempotency-Key": f"k-{method}-{path}"}):
            response = alpha.agent.send(method, path, body, **headers)
            assert response.status_code == 404, (method, path, response.content)
            assert response.json()["extra"] == {"field": "episode_id"}
    assert namespace_rows(beta.namespace) == before
    # Beta's own key still finds them as they were.
    assert beta.agent.send("GET", f"/episodes/{beta.open_episode}").json()["step_count"] == 4


def test_a_cached_episode_of_beta_is_404_for_alpha_like_a_missing_one(world: World) -> None:
    """The cache is shared by every namespace: its entry must not answer alpha."""
    run = sync_run_start()
    assert run.pk is not None and sync_run_execute(run_id=run.pk).status == "succeeded"
    beta_id = world.beta.completed[0]
    assert world.beta.agent.send("GET", f"/episodes/{beta_id}").json()["source"] == "cache"
    theirs = world.alpha.agent.send("GET", f"/episodes/{beta_id}")
    never = world.alpha.agent.send("GET", f"/episodes/{UNKNOWN_UUID}")
    assert theirs.status_code == never.status_code == 404
    assert masked(theirs.json(), beta_id) == masked(never.json(), UNKNOWN_UUID)


def test_keys_made_with_alphas_key_act_in_alpha(world: World) -> None:
    made = world.alpha.agent.send("POST", "/keys", {"name": "helper", "scopes": ["read"]})
    assert made.status_code == 201, made.content
    helper = Agent(made.json()["key"])
    assert helper.send("GET", "/namespaces/current").json()["slug"] == "alpha"


def test_a_key_bound_to_alpha_cannot_choose_beta_with_x_namespace(world: World) -> None:
    """The header is for callers spanning namespaces; a bound key always acts in its own."""
    beta = {"X-Namespace": "beta"}
    listed = world.alpha.agent.send("GET", "/episodes", **beta).json()["items"]
    assert {e["id"] for e in listed} == set(world.alpha.episodes)
    theirs = world.alpha.agent.send("GET", f"/episodes/{world.beta.completed[0]}", **beta)
    assert theirs.status_code == 404
    made = world.alpha.agent.send("POST", "/episodes", episode_body(), **beta)
    assert made.status_code == 201 and made.json()["namespace"] == "alpha"


def test_an_all_namespaces_admin_key_chooses_with_x_namespace(world: World) -> None:
    admin, _ = key_in(None, "admin", name="root")
    for side in (world.alpha, world.beta):
        listed = admin.send("GET", "/episodes", **{"X-Namespace": side.slug}).json()["items"]
        assert {e["id"] for e in listed} == set(side.episodes)
        current = admin.send("GET", "/namespaces/current", **{"X-Namespace": side.slug})
        assert current.json()["slug"] == side.slug
        other = world.beta if side is world.alpha else world.alpha
        missing = admin.send("GET", f"/episodes/{other.completed[0]}", **{"X-Namespace": side.slug})
        assert missing.status_code == 404
    made = admin.send("POST", "/episodes", episode_body(), **{"X-Namespace": "beta"})
    assert made.status_code == 201 and made.json()["namespace"] == "beta"
    assert admin.send("GET", "/episodes").json()["items"] == []  # no header: "default"
    slugs = [n["slug"] for n in admin.send("GET", "/namespaces").json()]
    assert slugs == ["alpha", "beta", "default"]
    unknown = admin.send("GET", "/episodes", **{"X-Namespace": "gamma"})
    assert unknown.status_code == 404
    assert unknown.json()["extra"] == {"field": "X-Namespace"}


def test_a_member_of_alpha_only_cannot_choose_beta(world: World, alpha_operator: User) -> None:
    client = Client()
    client.force_login(alpha_operator)

    def get(path: str, namespace: str | None) -> Any:
        headers = {"X-Namespace": namespace} if namespace else {}
        return client.get(API + path, headers=headers)

    mine = get("/episodes", "alpha")
    assert mine.status_code == 200
    assert {e["id"] for e in mine.json()["items"]} == set(world.alpha.episodes)
    assert [n["slug"] for n in get("/namespaces", "alpha").json()] == ["alpha"]
    assert get(f"/episodes/{world.beta.completed[0]}", "alpha").status_code == 404
    for path in ("/episodes", "/patterns", "/namespaces/current"):
        theirs, never = get(path, "beta"), get(path, "gamma")
        assert theirs.status_code == never.status_code == 404
        assert theirs.json()["extra"] == {"field": "X-Namespace"}
        assert masked(theirs.json(), "beta") == masked(never.json(), "gamma")
    # Not a member of "default": without a header the session acts where the console
    # does, in its first membership (alpha), never in default or beta.
    unnamed = get("/episodes", None)
    assert unnamed.status_code == 200
    assert {e["id"] for e in unnamed.json()["items"]} == set(world.alpha.episodes)
    retrieve = client.post(
        f"{API}/context/retrieve",
        RETRIEVE,
        content_type="application/json",
        headers={"X-Namespace": "beta"},
    )
    assert retrieve.status_code == 404
