"""Bulk seeding: the rows the services would write for demo episodes, in chunks.

Every rule of the service path (episodes/services/lifecycle.py) is applied
in memory with the services' own helpers: input cleaning and redaction,
sizes, tags, the rolling steps digest, reward, reflection, pattern and
heuristic merges, the full-text document and the content hashes. Change
markers are handed out in the order the services take them (start, steps,
complete, then one per pattern and heuristic bump), so the counter, every
``change_seq`` and every ``content_hash`` come out as the services would
leave them. Only the SQL differs: one executemany per table and chunk on the
raw libsql connection instead of ~40 statements per episode.

One run seeds one namespace: its patterns and heuristics (learning never
crosses a namespace) are the only ones read and merged into, so the merge
maps stay keyed by (kind, signature) and signature as in the services. New
rows take ids above every namespace's (ids are table-wide).

It must be the only writer while it runs: the change counter, patterns and
heuristics are read once and carried in memory.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Max
from django.utils import timezone

from episodes import limits, search_index
from episodes.changes import COUNTER
from episodes.demo import DemoEpisode, demo_episode
from episodes.hashing import episode_hash
from episodes.learning import heuristics, patterns
from episodes.management.commands._bulk_rows import Chunk, MemoRedactions, Step, Tables, write_chunk
from episodes.models import ChangeCounter, Episode, ExecutionStep, Heuristic, Pattern
from episodes.services.assembly import (
    add_steps,
    close_with_outcome,
    new_episode,
    remember_redactions,
)
from episodes.services.inputs import clean_outcome, clean_step
from memoryadmin.db.backends.libsql.params import is_wide_int

DEMO_METADATA = {"demo": True}
DEMO_AGENTS = ("planner", "coder", "reviewer", "tester")
DEMO_USERS = ("ana", "bo", "chen", "dara", "eli", "fay")
DEMO_SESSIONS = 200


def demo_scope(rng: random.Random) -> dict[str, str]:
    """agent_id / user_id / session_id of a demo episode: a few agents working for a few
    users, episodes grouped in sessions. Drawn from its own stream (see BulkSeeder), so
    the episodes themselves are the same as before scopes existed."""
    agent = rng.choice(DEMO_AGENTS)
    return {
        "agent_id": f"demo-{agent}",
        "user_id": rng.choice(DEMO_USERS),
        "session_id": f"demo-session-{rng.randrange(DEMO_SESSIONS):03d}",
    }


class BulkSeeder:
    """Builds demo episodes as the services would and writes them a chunk at a time."""

    def __init__(self, *, namespace_id: int, seed: int, days: int, running: bool = False) -> None:
        self.namespace_id = namespace_id
        self.rng = random.Random(seed)
        self.scope_rng = random.Random(f"scope-{seed}")  # as seed_demo's
        self.days = days
        self.running = running  # every episode left open (no outcome), e.g. to complete later
        self.now = timezone.now()
        self.seq = int(
            ChangeCounter.objects.filter(name=COUNTER).values_list("value", flat=True).first() or 0
        )
        own = {"namespace_id": namespace_id}
        self.patterns = {(p.kind, p.signature): p for p in Pattern.objects.filter(**own)}
        self.heuristics = {h.signature: h for h in Heuristic.objects.filter(**own)}
        self.next_pattern = (Pattern.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.next_heuristic = (Heuristic.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        self.tables = Tables.build()
        self.chunk = Chunk()
        self.created_ids: list[str] = []

    def _take_seq(self) -> int:
        self.seq += 1
        return self.seq

    # --- building one episode (mirrors episode_start / log_steps / complete) --------------

    def add(self) -> None:
        demo = demo_episode(self.rng, self.now, self.days)
        if self.running:
            demo.outcome = None
        episode = self._start(demo, demo_scope(self.scope_rng))
        steps = self._steps(episode, demo) if demo.steps else []
        completed = demo.outcome is not None
        if completed:
            assert demo.outcome is not None
            self._complete(episode, steps, demo.outcome, demo.started_at + demo.duration)
        episode.content_hash = episode_hash(episode)
        chunk = self.chunk
        now = timezone.now()
        chunk.episodes.append(self.tables.episode.row(episode, now))
        chunk.steps.extend(self.tables.step.row(s, now) for s in steps)
        chunk.tags.extend((episode.pk.hex, t) for t in episode.tags)
        document = search_index.episode_document(episode, steps if completed else ())
        ns = search_index.namespace_token(episode.namespace_id)
        chunk.fts.append((search_index.fts_rowid(episode.pk), episode.pk.hex, ns, document))
        self.created_ids.append(str(episode.pk))

    def _start(self, demo: DemoEpisode, scope: dict[str, str]) -> Episode:
        episode = new_episode(
            namespace_id=self.namespace_id,
            scope=scope,
            task_description=demo.description,
            task_type=demo.task_type,
            context=demo.context,
            metadata=DEMO_METADATA,
            tags=None,
            started_at=demo.started_at,
            redactions=MemoRedactions(),
        )
        episode.change_seq = self._take_seq()
        return episode

    def _steps(self, episode: Episode, demo: DemoEpisode) -> list[ExecutionStep]:
        redactions = MemoRedactions()
        at: datetime = demo.started_at
        clean = []
        for i, raw in enumerate(demo.steps):
            step = clean_step(i, raw, redactions)
            at += timedelta(milliseconds=step.latency_ms)  # logged as each step finished
            step.timestamp = at
            clean.append(step)
        raw_size = sum(limits.json_size(raw) for raw in demo.steps)
        rows = add_steps(episode, clean, raw_size=raw_size, default_time=at, make=Step)
        remember_redactions(episode, redactions)
        episode.change_seq = self._take_seq()
        return rows

    def _complete(
        self,
        episode: Episode,
        steps: list[ExecutionStep],
        outcome: dict[str, Any],
        ended_at: datetime,
    ) -> None:
        redactions = MemoRedactions()
        close_with_outcome(episode, steps, clean_outcome(outcome, redactions), ended_at)
        remember_redactions(episode, redactions)
        episode.change_seq = self._take_seq()
        self._learn(episode, steps)

    def _learn(self, episode: Episode, steps: list[ExecutionStep]) -> None:
        succeeded = episode.verdict == "success"
        for candidate in patterns.extract(episode, steps):
            key = (candidate.kind, candidate.signature)
            pattern = self.patterns.get(key)
            if pattern is None:
                pattern = patterns.new_pattern(candidate, namespace_id=self.namespace_id)
                pattern.pk = self.next_pattern
                self.next_pattern += 1
                self.patterns[key] = pattern
            patterns.count_in(pattern, succeeded=succeeded)
            pattern.change_seq = self._take_seq()
            self.chunk.dirty_patterns.add(key)
            self.chunk.pattern_evidence.append((pattern.pk, episode.pk.hex))
        for rule in heuristics.extract(episode, steps):
            heuristic = self.heuristics.get(rule.signature)
            if heuristic is None:
                heuristic = heuristics.new_heuristic(rule, namespace_id=self.namespace_id)
                heuristic.pk = self.next_heuristic
                self.next_heuristic += 1
                self.heuristics[rule.signature] = heuristic
            heuristics.count_in(heuristic, succeeded=succeeded)
            heuristic.change_seq = self._take_seq()
            self.chunk.dirty_heuristics.add(rule.signature)
            self.chunk.heuristic_evidence.append((heuristic.pk, episode.pk.hex))

    # --- writing -----------------------------------------------------------------------------

    def flush(self) -> None:
        """Write the pending chunk in one transaction (with the counter it advanced to)."""
        chunk, self.chunk = self.chunk, Chunk()
        if not chunk.episodes:
            return
        now = timezone.now()
        pattern_rows = []
        for key in chunk.dirty_patterns:
            pattern = self.patterns[key]
            pattern.content_hash = patterns.pattern_hash(pattern)
            pattern_rows.append(self.tables.pattern.row(pattern, now))
        heuristic_rows = []
        for signature in chunk.dirty_heuristics:
            heuristic = self.heuristics[signature]
            heuristic.content_hash = heuristics.heuristic_hash(heuristic)
            heuristic_rows.append(self.tables.heuristic.row(heuristic, now))
        if is_wide_int(self.seq):  # libsql would bind it as REAL
            raise RuntimeError("change markers beyond 32 bits: seed through the services instead")
        write_chunk(self.tables, chunk, pattern_rows, heuristic_rows, self.seq)
