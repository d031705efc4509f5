"""Property: a secret an agent writes anywhere is found nowhere.

Every example writes one episode through the real API (start, steps, a PATCH, complete)
with a secret of a random kind in every field an agent can write, in a random position
(alone, inside a word, after ``_``/a digit/a letter, URL-encoded, as a dict key, nested),
then syncs and reads back everything the memory derives from it: every row of every
model, the keyword index, the redb cache, the console pages, the JSONL export, the API's
reads and retrieval. No secret's distinctive body may appear in any of them (compared
case-insensitively: tags and context fields are lowercased).
"""

from __future__ import annotations

import html
import itertools
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from episodes.models import Heuristic, Pattern
from episodes.search_index import TABLE
from hotcache.envelope import unpack
from memoryadmin.roles import ADMIN
from tests.episodes.test_redaction_matching import ANYWHERE, GLUED, SECRETS, Secret
from tests.reliability.conftest import API, api_key, bearer, snapshot
from tests.sync.conftest import dump_cache, sync

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

DESCRIPTION = "rotate the deploy credentials of the billing service"
SHORT_LIMIT = 60  # context.language/framework/domain and tags (a tool takes 100)
SHORT_POSITIONS = ["{}", "id_{}", "x{}", "7{}", "{}_prod", "token%3D{}"]
# Secrets short enough for a 60-character field in every short position.
SHORT = [s for s in SECRETS if len(s.build(random.Random(0).choice, True)[0]) <= 47]


class Writes:
    """What an example wrote: the needles to look for and the replies it got."""

    def __init__(self, rnd: random.Random, draw: Any) -> None:
        self.rnd, self.draw = rnd, draw
        self.needles: list[tuple[str, str]] = []
        self.statuses: list[tuple[str, str, int, bytes]] = []

    def _place(self, secrets: list[Secret], positions: list[str], compact: bool) -> str:
        secret = self.draw(st.sampled_from(secrets))
        allowed = positions if secret.prefixed else [p for p in positions if p in ANYWHERE]
        position = self.draw(st.sampled_from(allowed))
        text, needle = secret.build(self.rnd.choice, compact)
        self.needles.append((secret.kind, needle))
        return position.format(text)

    def text(self) -> str:
        return self._place(SECRETS, ANYWHERE + GLUED, compact=False)

    def short(self) -> str:
        return self._place(SHORT, SHORT_POSITIONS, compact=True)

    def json(self) -> dict[str, Any]:
        """Secrets as keys and values, nested in dicts and lists."""
        return {
            self.text(): self.text(),
            "nested": {"list": [self.text(), {self.short(): 1}], self.text(): {"deep": True}},
        }


def _agent_metadata_count() -> st.SearchStrategy[Any]:
    """What an agent might put under our "redactions" key."""
    return st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**40), 2**40),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(alphabet="ab1-", max_size=4),
        st.lists(st.integers(0, 3), max_size=2),
    )


def _write_episode(agent: Client, w: Writes, redactions: Any) -> str:
    def send(method: str, path: str, body: Any) -> dict[str, Any]:
        call = getattr(agent, method)
        reply = call(API + path, json.dumps(body), content_type="application/json")
        w.statuses.append((method, path, reply.status_code, reply.content[:300]))
        return reply.json() if reply.status_code < 300 else {}

    started = send(
        "post",
        "/episodes",
        {
            "task_description": f"{DESCRIPTION}: {w.text()}",
            "task_type": "debugging",
            "context": {
                "language": w.short(),
                "framework": w.short(),
                "domain": w.short(),
                "tags": [w.short(), w.short()],
            },
            "metadata": {**w.json(), "redactions": redactions},
        },
    )
    episode_id = started.get("id", "missing")
    steps = [
        {
            "tool": w.short(),
            "action": w.text(),
            "parameters": w.json(),
            "success": i == 1,
            "result_text": w.text(),
            "observation": w.text(),
        }
        for i in range(3)
    ]
    send("post", f"/episodes/{episode_id}/steps", {"steps": steps})
    tags = [*started.get("tags", []), w.short()]  # the stored ones are placeholders now
    send("patch", f"/episodes/{episode_id}", {"tags": tags, "metadata": {w.text(): w.text()}})
    kind = w.draw(st.sampled_from(["failure", "failure-text", "success", "partial", "abstained"]))
    outcomes: dict[str, Callable[[], dict[str, Any]]] = {
        "failure": lambda: {"kind": "failure", "reason": w.text(), "error_details": w.json()},
        "failure-text": lambda: {"kind": "failure", "reason": w.text(), "error_details": w.text()},
        "success": lambda: {"kind": "success", "verdict": w.text(), "artifacts": [w.text()]},
        "partial": lambda: {
            "kind": "partial_success",
            "verdict": w.text(),
            "completed": [w.text()],
            "failed": [w.text()],
        },
        "abstained": lambda: {"kind": "abstained", "reason": w.text()},
    }
    outcome = outcomes[kind]()
    send("post", f"/episodes/{episode_id}/complete", {"outcome": outcome})
    return episode_id


def _body(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return f"{response.status_code} {html.unescape(content.decode(errors='replace'))}"


def surfaces(agent: Client, admin: Client, episode_id: str) -> dict[str, str]:
    """Everything the memory derives from what was written, as text (after a sync)."""
    run = sync()
    found: dict[str, str] = {"database": repr(snapshot()), "sync": repr(run.warnings)}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {TABLE}")
        found["keyword index"] = repr(cursor.fetchall())
    cache = dump_cache()
    registry = cache.pop("registry")
    found["cache"] = repr(registry) + repr(
        {t: {k: unpack(v) for k, v in rows.items()} for t, rows in cache.items()}
    )
    pages = ["/episodes/", f"/episodes/?text={DESCRIPTION[:20]}", f"/episodes/{episode_id}/"]
    pages += ["/episodes/patterns/", "/episodes/heuristics/", "/episodes/export.jsonl"]
    pages += [f"/episodes/patterns/{pk}/" for pk in Pattern.objects.values_list("pk", flat=True)]
    pages += [
        f"/episodes/heuristics/{pk}/" for pk in Heuristic.objects.values_list("pk", flat=True)
    ]
    pages += [f"/episodes/retrieval/?description={DESCRIPTION}"]
    for page in pages:
        found[f"page {page}"] = _body(admin.get(page))
    for read in (f"/episodes/{episode_id}", "/episodes", "/patterns", "/heuristics"):
        found[f"api GET {read}"] = _body(agent.get(API + read))
    retrieved = agent.post(
        API + "/context/retrieve", {"description": DESCRIPTION}, content_type="application/json"
    )
    found["retrieval"] = _body(retrieved)
    assert retrieved.status_code == 200 and episode_id in found["retrieval"]
    return {name: text.lower() for name, text in found.items()}


def leaks(needles: list[tuple[str, str]], found: dict[str, str]) -> list[str]:
    out = []
    for kind, needle in needles:
        for name, text in found.items():
            if (at := text.find(needle.lower())) >= 0:
                out.append(f"{kind} {needle!r} in {name}: ...{text[max(0, at - 80) : at + 80]}...")
    return out


def clients() -> tuple[Client, Client]:
    agent = Client(headers=bearer(api_key("read", "write", name="redaction")))
    user = User.objects.create_user("ada-redaction", password="pw-ada-1")
    user.groups.add(Group.objects.get_or_create(name=ADMIN)[0])
    admin = Client()
    admin.force_login(user)
    return agent, admin


class _Rollback(Exception):
    pass


_examples = itertools.count()


@hypothesis_settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data(), seed=st.integers(0, 2**32), redactions=_agent_metadata_count())
def test_no_written_secret_is_found_anywhere(
    data: st.DataObject, seed: int, redactions: Any, tmp_path: Path, settings: Any
) -> None:
    settings.REDB_CACHE_PATH = tmp_path / f"example-{next(_examples)}" / "cache.redb"
    try:
        with transaction.atomic():  # every example starts from an empty memory
            agent, admin = clients()
            writes = Writes(random.Random(seed), data.draw)
            episode_id = _write_episode(agent, writes, redactions)
            assert all(200 <= s[2] < 300 for s in writes.statuses), writes.statuses
            found = surfaces(agent, admin, episode_id)
            assert leaks(writes.needles, found) == []
            count = json.loads(agent.get(f"{API}/episodes/{episode_id}").content)["metadata"]
            assert type(count["redactions"]) is int and count["redactions"] >= len(writes.needles)
            raise _Rollback
    except _Rollback:
        pass
