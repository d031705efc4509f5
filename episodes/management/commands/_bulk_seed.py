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

It must be the only writer while it runs: the change counter, patterns and
heuristics are read once and carried in memory.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any, cast

from django.utils import timezone

from episodes import limits, search_index
from episodes.changes import COUNTER
from episodes.demo import DemoEpisode, demo_episode
from episodes.hashing import chain_steps, episode_hash, step_fields
from episodes.learning import heuristics, patterns
from episodes.learning.reflection import build_reflection
from episodes.learning.reward import compute_reward
from episodes.management.commands._bulk_rows import Chunk, MemoRedactions, Step, Tables, write_chunk
from episodes.models import ChangeCounter, Episode, ExecutionStep, Heuristic, Pattern
from episodes.models.episode import Complexity, TaskType
from episodes.services.inputs import Redactions, as_text, choice, clean_outcome, clean_step
from memoryadmin.db.backends.libsql.params import is_wide_int

DEMO_METADATA = {"demo": True}


def _remember(episode: Episode, redactions: Redactions) -> None:
    if redactions.count:  # as lifecycle._remember_redactions
        metadata = dict(episode.metadata)
        metadata["redactions"] = int(metadata.get("redactions", 0)) + redactions.count
        episode.metadata = metadata


class BulkSeeder:
    """Builds demo episodes as the services would and writes them a chunk at a time."""

    def __init__(self, *, seed: int, days: int, running: bool = False) -> None:
        self.rng = random.Random(seed)
        self.days = days
        self.running = running  # every episode left open (no outcome), e.g. to complete later
        self.now = timezone.now()
        self.seq = int(
            ChangeCounter.objects.filter(name=COUNTER).values_list("value", flat=True).first() or 0
        )
        self.patterns = {(p.kind, p.signature): p for p in Pattern.objects.all()}
        self.heuristics = {h.signature: h for h in Heuristic.objects.all()}
        self.next_pattern = max((p.pk for p in self.patterns.values()), default=0) + 1
        self.next_heuristic = max((h.pk for h in self.heuristics.values()), default=0) + 1
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
        episode = self._start(demo)
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
        chunk.fts.append((search_index.fts_rowid(episode.pk), episode.pk.hex, document))
        self.created_ids.append(str(episode.pk))

    def _start(self, demo: DemoEpisode) -> Episode:
        redactions = MemoRedactions()
        description = as_text("task_description", demo.description, limits.DESCRIPTION_MAX)
        context = demo.context
        size = limits.check_json("metadata", DEMO_METADATA) + limits.text_size(description)
        episode = Episode(
            task_type=choice("task_type", demo.task_type, TaskType),
            task_description=redactions.text(description.strip()),
            language=as_text("context.language", context.get("language"), 60).strip().lower(),
            framework=as_text("context.framework", context.get("framework"), 60).strip().lower(),
            domain=as_text("context.domain", context.get("domain"), 60).strip().lower(),
            complexity=choice("context.complexity", context.get("complexity"), Complexity),
            tags=limits.check_tags("context.tags", list(context.get("tags") or [])),
            metadata=redactions.value(DEMO_METADATA),
            started_at=demo.started_at,
            size_bytes=size,
        )
        _remember(episode, redactions)
        episode.change_seq = self._take_seq()
        return episode

    def _steps(self, episode: Episode, demo: DemoEpisode) -> list[ExecutionStep]:
        redactions = MemoRedactions()
        at: datetime = demo.started_at
        rows: list[ExecutionStep] = []
        for i, raw in enumerate(demo.steps):
            step = clean_step(i, raw, redactions)
            at += timedelta(milliseconds=step.latency_ms)  # logged as each step finished
            step_row = Step(
                episode_id=episode.pk,
                step_number=i + 1,
                timestamp=at,
                tool=step.tool,
                action=step.action,
                parameters=step.parameters,
                result_kind=step.result_kind,
                result_text=step.result_text,
                success=step.success,
                latency_ms=step.latency_ms,
                tokens=step.tokens,
                observation=step.observation,
            )
            rows.append(cast(ExecutionStep, step_row))
        episode.steps_digest = chain_steps("", (step_fields(r) for r in rows))
        episode.step_count = len(rows)
        episode.size_bytes += sum(limits.json_size(raw) for raw in demo.steps)
        _remember(episode, redactions)
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
        clean = clean_outcome(outcome, redactions)
        episode.outcome = clean
        episode.verdict = clean["kind"]
        episode.ended_at = max(ended_at, episode.started_at)
        reward = compute_reward(episode, steps)
        episode.reward = reward.as_dict()
        episode.reward_total = reward.total
        episode.reflection = build_reflection(episode, steps, reward)
        episode.size_bytes += limits.json_size(clean)
        _remember(episode, redactions)
        episode.change_seq = self._take_seq()
        self._learn(episode, steps)

    def _learn(self, episode: Episode, steps: list[ExecutionStep]) -> None:
        succeeded = int(episode.verdict == "success")
        for candidate in patterns.extract(episode, steps):
            key = (candidate.kind, candidate.signature)
            pattern = self.patterns.get(key)
            if pattern is None:
                pattern = Pattern(
                    pk=self.next_pattern,
                    kind=candidate.kind,
                    signature=candidate.signature,
                    description=candidate.description,
                    data=candidate.key,
                    task_type=candidate.task_type,
                    domain=candidate.domain,
                )
                self.next_pattern += 1
                self.patterns[key] = pattern
            pattern.occurrence_count += 1
            pattern.success_count += succeeded
            pattern.success_rate = round(pattern.success_count / pattern.occurrence_count, 4)
            pattern.change_seq = self._take_seq()
            self.chunk.dirty_patterns.add(key)
            self.chunk.pattern_evidence.append((pattern.pk, episode.pk.hex))
        for rule in heuristics.extract(episode, steps):
            heuristic = self.heuristics.get(rule.signature)
            if heuristic is None:
                heuristic = Heuristic(
                    pk=self.next_heuristic,
                    signature=rule.signature,
                    condition=rule.condition,
                    action=rule.action,
                    condition_data=rule.condition_data,
                )
                self.next_heuristic += 1
                self.heuristics[rule.signature] = heuristic
            heuristic.sample_size += 1
            heuristic.success_count += succeeded
            heuristic.success_rate = round(heuristic.success_count / heuristic.sample_size, 4)
            heuristic.confidence = heuristics.wilson_lower_bound(
                heuristic.success_count, heuristic.sample_size
            )
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
