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

import math
import time
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from episodes import search_index
from episodes.models import Episode, Heuristic, Pattern

HYBRID_WEIGHTS = {"semantic": 0.35, "keyword": 0.25, "context": 0.2, "reward": 0.1, "recency": 0.1}
KEYWORD_WEIGHTS = {"semantic": 0.0, "keyword": 0.45, "context": 0.3, "reward": 0.15, "recency": 0.1}
CANDIDATES = 200
RECENCY_DAYS = 30.0
SCORED_FIELDS = (
    *("id", "task_type", "domain", "language", "framework", "tags"),
    *("reward_total", "started_at"),
)
CONTEXT_PARTS = {"task_type": 0.35, "domain": 0.25, "language": 0.2, "framework": 0.1, "tags": 0.1}


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


def _context_score(episode: Episode, context: dict[str, Any]) -> float:
    score = 0.0
    for key in ("task_type", "domain", "language", "framework"):
        wanted = str(context.get(key) or "").lower()
        if wanted and getattr(episode, key) == wanted:
            score += CONTEXT_PARTS[key]
    wanted_tags = {str(t).lower() for t in context.get("tags") or []}
    if wanted_tags and episode.tags:
        score += CONTEXT_PARTS["tags"] * len(wanted_tags & set(episode.tags)) / len(wanted_tags)
    return round(score, 4)


def _reward_score(episode: Episode) -> float:
    if episode.reward_total is None:
        return 0.0
    return round(min(max((episode.reward_total + 0.5) / 2.0, 0.0), 1.0), 4)


def _recency_score(episode: Episode, now: Any) -> float:
    age_days = max((now - episode.started_at).total_seconds() / 86400, 0.0)
    return round(math.exp(-age_days / RECENCY_DAYS), 4)


def _semantic_hits(description: str, limit: int) -> dict[str, float] | None:
    """{episode id hex: similarity}, or None when no embedding provider is set."""
    from episodes.embeddings import semantic_episode_hits

    return semantic_episode_hits(description, limit=limit)


def _unindexed_equals(column: str, value: str) -> RawSQL:
    # Unary "+" keeps SQLite off the task_type/domain indexes (a few values each):
    # walking episode_started_desc from the newest finds the latest matches after a
    # few thousand rows, where the index plan sorts every episode of the type (~20 ms).
    table = Episode._meta.db_table
    return RawSQL(f'+"{table}"."{column}" = %s', [value], output_field=BooleanField())


def _context_candidates(context: dict[str, Any], limit: int) -> list[str]:
    qs = Episode.objects.filter(deleted_at__isnull=True, verdict__isnull=False)
    if context.get("task_type"):
        qs = qs.filter(_unindexed_equals("task_type", str(context["task_type"])))
    if context.get("domain"):
        qs = qs.filter(_unindexed_equals("domain", str(context["domain"]).lower()))
    return [pk.hex for pk in qs.order_by("-started_at").values_list("id", flat=True)[:limit]]


def context_retrieve(
    *, description: str, context: dict[str, Any] | None = None, limit: int = 10
) -> Retrieval:
    """Rank past episodes, patterns and heuristics for a task; each carries its breakdown."""
    started = time.perf_counter()
    context = dict(context or {})
    keyword = dict(search_index.keyword_search(description, limit=CANDIDATES))
    semantic = _semantic_hits(description, CANDIDATES)
    mode = "hybrid" if semantic is not None else "keyword"
    weights = HYBRID_WEIGHTS if semantic is not None else KEYWORD_WEIGHTS
    semantic = semantic or {}
    ids = set(keyword) | set(semantic) | set(_context_candidates(context, 50))
    best_keyword = max(keyword.values(), default=0.0) or 1.0
    now = timezone.now()
    scored: list[Scored] = []
    # Score on the columns the score reads (~250 candidates); whole rows are loaded
    # for the top ones only (the JSON columns cost more to decode than to rank).
    episodes = Episode.objects.filter(pk__in=list(ids), deleted_at__isnull=True).only(
        *SCORED_FIELDS
    )
    for episode in episodes:
        key = episode.pk.hex
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
    scored.sort(key=lambda s: (-s.score, s.item.pk.hex))
    top = scored[:limit]
    whole = Episode.objects.in_bulk([s.item.pk for s in top])
    top = [Scored(whole[s.item.pk], s.score, s.breakdown) for s in top if s.item.pk in whole]
    return Retrieval(
        mode=mode,
        episodes=top,
        patterns=_rank_patterns(context, top, limit),
        heuristics=_rank_heuristics(context, limit),
        took_ms=round((time.perf_counter() - started) * 1000, 3),
    )


def _rank_patterns(context: dict[str, Any], episodes: list[Scored], limit: int) -> list[Scored]:
    evidence_ids = [s.item.pk for s in episodes]
    # A subquery on the evidence table's episode index, not a join: joining every
    # pattern to all its evidence rows and DISTINCT-ing them took ~100 ms at 100,000.
    evidenced = Pattern.evidence.through.objects.filter(episode_id__in=evidence_ids)
    condition = Q(pk__in=evidenced.values("pattern_id"))
    if context.get("task_type"):
        condition |= Q(task_type=context["task_type"])
    qs = Pattern.objects.filter(condition)
    ranked = []
    for pattern in qs[:500]:
        match = 0.0
        if context.get("task_type") and pattern.task_type == context["task_type"]:
            match += 0.6
        if context.get("domain") and pattern.domain == str(context["domain"]).lower():
            match += 0.4
        support = min(pattern.occurrence_count / 10, 1.0)
        breakdown = {
            "context": round(match, 4),
            "success_rate": pattern.success_rate,
            "support": round(support, 4),
        }
        ranked.append(
            Scored(
                pattern,
                round(0.4 * match + 0.4 * pattern.success_rate + 0.2 * support, 4),
                breakdown,
            )
        )
    ranked.sort(key=lambda s: (-s.score, s.item.pk))
    top = ranked[:limit]
    if top:
        Pattern.objects.filter(pk__in=[s.item.pk for s in top]).update(
            times_retrieved=F("times_retrieved") + 1
        )
    return top


def _rank_heuristics(context: dict[str, Any], limit: int) -> list[Scored]:
    ranked = []
    for heuristic in Heuristic.objects.order_by("-confidence")[:500]:
        data = heuristic.condition_data
        relevant = [k for k in data if k in ("task_type", "language")]
        matches = sum(1 for k in relevant if str(context.get(k) or "").lower() == str(data[k]))
        if relevant and matches < len(relevant):
            continue
        match = 1.0 if relevant else 0.3
        breakdown = {"context": match, "confidence": heuristic.confidence}
        ranked.append(
            Scored(heuristic, round(0.5 * match + 0.5 * heuristic.confidence, 4), breakdown)
        )
    ranked.sort(key=lambda s: (-s.score, s.item.pk))
    return ranked[:limit]
