"""Hybrid retrieval of past context for a new task.

score = Σ weight x component, every component in 0..1:
- semantic: cosine similarity of embeddings (only when a provider is set);
- keyword: FTS5 bm25 relevance over description, steps and reflection,
  scaled by the best hit of the query;
- context: task type, domain, language, framework and shared tags;
- reward: the episode's reward total mapped from [-0.5, 1.5] to [0, 1];
- recency: exp(-age / 30 days).
Without embeddings the keyword + task-type fallback applies (mode "keyword").
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from django.db import connection
from django.db.models import BooleanField, ExpressionWrapper, Q
from django.utils import timezone

from episodes import search_index
from episodes.embeddings import semantic_episode_hits
from episodes.models import Episode, Heuristic, Pattern
from episodes.models.episode import SCOPE_FIELDS
from memoryadmin.db.rows import plain_converters

HYBRID_WEIGHTS = {"semantic": 0.35, "keyword": 0.25, "context": 0.2, "reward": 0.1, "recency": 0.1}
KEYWORD_WEIGHTS = {"semantic": 0.0, "keyword": 0.45, "context": 0.3, "reward": 0.15, "recency": 0.1}
CANDIDATES = 200
SEMANTIC_OVERFETCH = 4
RECENCY_DAYS = 30.0
CONDITION_KEYS = ("task_type", "language")  # heuristic conditions a context must meet
CONTEXT_PARTS = {"task_type": 0.35, "domain": 0.25, "language": 0.2, "framework": 0.1, "tags": 0.1}


class Candidate(NamedTuple):
    """The columns an episode's score reads (whole rows are loaded for the winners only)."""

    id: str  # hex, as stored
    task_type: str
    domain: str
    language: str
    framework: str
    tags: list[str]
    reward_total: float | None
    started_at: datetime


@dataclass
class Scored:
    item: Any
    score: float
    breakdown: dict[str, float] = field(default_factory=dict)


@dataclass
class Retrieval:
    mode: str
    episodes: list[Scored]
    patterns: list[Scored]
    heuristics: list[Scored]
    took_ms: float


def _context_score(episode: Candidate, context: dict[str, Any]) -> float:
    score = 0.0
    for key in ("task_type", "domain", "language", "framework"):
        wanted = str(context.get(key) or "").lower()
        if wanted and getattr(episode, key) == wanted:
            score += CONTEXT_PARTS[key]
    wanted_tags = {str(t).lower() for t in context.get("tags") or []}
    if wanted_tags and episode.tags:
        score += CONTEXT_PARTS["tags"] * len(wanted_tags & set(episode.tags)) / len(wanted_tags)
    return round(score, 4)


def _reward_score(episode: Candidate) -> float:
    if episode.reward_total is None:
        return 0.0
    return round(min(max((episode.reward_total + 0.5) / 2.0, 0.0), 1.0), 4)


def _recency_score(episode: Candidate, now: Any) -> float:
    age_days = max((now - episode.started_at).total_seconds() / 86400, 0.0)
    return round(math.exp(-age_days / RECENCY_DAYS), 4)


def _semantic_hits(description: str, limit: int) -> dict[str, float] | None:
    """{episode id hex: similarity}, or None when no embedding provider is set."""
    return semantic_episode_hits(description, limit=limit)


def _context_candidates(
    context: dict[str, Any], namespace_id: int, scope: dict[str, str], limit: int
) -> list[str]:
    """The newest completed episodes of the task's type (and domain): a walk down the
    episode_type_recent index (namespace, task_type, started_at DESC), ~0.05 ms at 100,000."""
    qs = Episode.objects.filter(
        namespace_id=namespace_id, deleted_at__isnull=True, verdict__isnull=False, **scope
    )
    if context.get("task_type"):
        qs = qs.filter(task_type=str(context["task_type"]))
    if context.get("domain"):
        qs = qs.filter(domain=str(context["domain"]).lower())
    return [pk.hex for pk in qs.order_by("-started_at").values_list("id", flat=True)[:limit]]


CANDIDATE_COLUMNS = Candidate._fields


def _candidates(ids: set[str], namespace_id: int, scope: dict[str, str]) -> list[Candidate]:
    """Live episodes of the namespace (and scope) among ``ids``, as plain tuples: model
    instances and the ORM's converters cost ~4 ms for 250 rows, the raw rows ~0.8 ms.
    The namespace is checked here for every list (the semantic one spans namespaces)."""
    table = Episode._meta.db_table
    convert = plain_converters(Episode, CANDIDATE_COLUMNS)
    scoped = "".join(f" AND {name} = %s" for name in scope)  # names from SCOPE_FIELDS only
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(CANDIDATE_COLUMNS)} FROM {table} "  # noqa: S608 - our table
            f"WHERE deleted_at IS NULL AND namespace_id = %s{scoped} "
            "AND id IN (SELECT value FROM json_each(%s))",
            [namespace_id, *scope.values(), json.dumps(sorted(ids))],
        )
        rows = cursor.fetchall()
    return [Candidate(*(f(v) for f, v in zip(convert, row, strict=True))) for row in rows]


def context_retrieve(
    *,
    namespace_id: int,
    description: str,
    context: dict[str, Any] | None = None,
    scope: dict[str, str | None] | None = None,
    limit: int = 10,
) -> Retrieval:
    """Rank past episodes, patterns and heuristics of one namespace for a task; each carries
    its breakdown. ``scope`` (agent_id / user_id / session_id) narrows the episodes."""
    started = time.perf_counter()
    context = dict(context or {})
    wanted = {k: str(v) for k, v in (scope or {}).items() if k in SCOPE_FIELDS and v is not None}
    keyword = dict(
        search_index.keyword_search(description, namespace_id=namespace_id, limit=CANDIDATES)
    )
    # The vector index spans namespaces (the namespace is checked in _candidates):
    # ask it for more, so another namespace's near neighbours cannot crowd ours out.
    semantic = _semantic_hits(description, CANDIDATES * SEMANTIC_OVERFETCH)
    mode = "hybrid" if semantic is not None else "keyword"
    weights = HYBRID_WEIGHTS if semantic is not None else KEYWORD_WEIGHTS
    semantic = semantic or {}
    ids = set(keyword) | set(semantic) | set(_context_candidates(context, namespace_id, wanted, 50))
    best_keyword = max(keyword.values(), default=0.0) or 1.0
    now = timezone.now()
    scored: list[Scored] = []
    for episode in _candidates(ids, namespace_id, wanted):
        key = episode.id
        breakdown = {
            "semantic": round(max(semantic.get(key, 0.0), 0.0), 4),
            "keyword": round(keyword.get(key, 0.0) / best_keyword, 4),
            "context": _context_score(episode, context),
            "reward": _reward_score(episode),
            "recency": _recency_score(episode, now),
        }
        if breakdown["semantic"] == 0 and breakdown["keyword"] == 0 and breakdown["context"] == 0:
            continue  # nothing ties it to the query: reward and recency alone don't qualify
        total = sum(weights[k] * v for k, v in breakdown.items())
        scored.append(Scored(episode, round(total, 4), breakdown))
    scored.sort(key=lambda s: (-s.score, s.item.id))
    top = scored[:limit]
    whole = Episode.objects.in_bulk([UUID(s.item.id) for s in top])
    top = [
        Scored(whole[UUID(s.item.id)], s.score, s.breakdown)
        for s in top
        if UUID(s.item.id) in whole
    ]
    return Retrieval(
        mode=mode,
        episodes=top,
        patterns=_rank_patterns(context, namespace_id, top, limit),
        heuristics=_rank_heuristics(context, namespace_id, limit),
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def _rank_patterns(
    context: dict[str, Any], namespace_id: int, episodes: list[Scored], limit: int
) -> list[Scored]:
    evidence_ids = [s.item.pk for s in episodes]
    # A subquery on the evidence table's episode index, not a join: joining every
    # pattern to all its evidence rows and DISTINCT-ing them took ~100 ms at 100,000.
    evidenced = Pattern.evidence.through.objects.filter(episode_id__in=evidence_ids)
    condition = Q(pk__in=evidenced.values("pattern_id"))
    if context.get("task_type"):
        condition |= Q(task_type=context["task_type"])
    condition &= Q(namespace_id=namespace_id)
    # Ranked on five columns; whole rows (description, data) only for the winners.
    rows = Pattern.objects.filter(condition).values_list(
        "pk", "task_type", "domain", "occurrence_count", "success_rate"
    )
    ranked = []
    for pk, task_type, domain, occurrences, success_rate in rows[:500]:
        match = 0.0
        if context.get("task_type") and task_type == context["task_type"]:
            match += 0.6
        if context.get("domain") and domain == str(context["domain"]).lower():
            match += 0.4
        support = min(occurrences / 10, 1.0)
        breakdown = {
            "context": round(match, 4),
            "success_rate": success_rate,
            "support": round(support, 4),
        }
        score = round(0.4 * match + 0.4 * success_rate + 0.2 * support, 4)
        ranked.append(Scored(pk, score, breakdown))
    ranked.sort(key=lambda s: (-s.score, s.item))
    top = ranked[:limit]
    if not top:
        return []
    whole = Pattern.objects.in_bulk([s.item for s in top])
    return [Scored(whole[s.item], s.score, s.breakdown) for s in top if s.item in whole]


def _rank_heuristics(context: dict[str, Any], namespace_id: int, limit: int) -> list[Scored]:
    # A condition on task_type or language must equal the context's (learned conditions
    # hold strings): filtered and ranked on two columns in SQL, whole rows for the winners
    # only (loading every heuristic's JSON to drop most of them cost ~1 ms a call).
    qs = Heuristic.objects.filter(namespace_id=namespace_id)
    for key in CONDITION_KEYS:
        wanted = str(context.get(key) or "").lower()
        qs = qs.filter(~Q(condition_data__has_key=key) | Q(**{f"condition_data__{key}": wanted}))
    conditioned = Q(condition_data__has_key=CONDITION_KEYS[0])
    for key in CONDITION_KEYS[1:]:
        conditioned |= Q(condition_data__has_key=key)
    rows = qs.annotate(relevant=ExpressionWrapper(conditioned, output_field=BooleanField()))
    ranked = []
    for pk, confidence, relevant in rows.order_by("-confidence").values_list(
        "pk", "confidence", "relevant"
    )[:500]:
        match = 1.0 if relevant else 0.3
        breakdown = {"context": match, "confidence": confidence}
        ranked.append(Scored(pk, round(0.5 * match + 0.5 * confidence, 4), breakdown))
    ranked.sort(key=lambda s: (-s.score, s.item))
    top = ranked[:limit]
    whole = Heuristic.objects.in_bulk([s.item for s in top])
    return [Scored(whole[s.item], s.score, s.breakdown) for s in top if s.item in whole]
