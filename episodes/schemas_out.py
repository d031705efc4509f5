"""Response schemas of the episodes API: they mirror ``episodes.payloads`` and stay
lenient, because the cache may serve a payload written by an earlier version."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from ninja import Field, Schema
from pydantic import StrictBool

# -- outputs ----------------------------------------------------------------


class ContextOut(Schema):
    language: str = ""
    framework: str = ""
    domain: str = ""
    complexity: str = ""
    tags: list[str] = []


class EpisodeOut(Schema):
    id: UUID
    namespace: str = Field("", description="the namespace it belongs to (the key's)")
    agent_id: str = ""
    user_id: str = ""
    session_id: str = ""
    task_type: str
    task_description: str
    context: ContextOut
    tags: list[str] = []
    metadata: dict[str, Any] = {}
    started_at: datetime
    ended_at: datetime | None = None
    step_count: int = 0
    outcome: dict[str, Any] | None = None
    verdict: str | None = None
    reward: dict[str, Any] | None = None
    reflection: dict[str, Any] | None = None
    archived_at: datetime | None = None
    content_hash: str = ""
    change_seq: int = 0


class StepResultOut(Schema):
    kind: str
    text: str = ""


class StepOut(Schema):
    step_number: int
    timestamp: datetime | None = None
    tool: str
    action: str = ""
    parameters: dict[str, Any] = {}
    result: StepResultOut
    success: StrictBool
    latency_ms: int = 0
    tokens: int = 0
    observation: str = ""


class EpisodeDetailOut(EpisodeOut):
    steps: list[StepOut] = []
    source: Literal["cache", "database"]
    cache_status: str = Field(
        description="hit; stale (the row changed since the last sync); or why the cache "
        "could not answer: miss, busy, corrupt, unavailable, format"
    )


class StepsOut(Schema):
    episode_id: UUID
    logged: int
    step_count: int
    steps: list[StepOut]


class EpisodePageOut(Schema):
    items: list[EpisodeOut]
    next_cursor: str | None


class PatternOut(Schema):
    id: int
    kind: str
    description: str
    data: dict[str, Any] = {}
    task_type: str = ""
    domain: str = ""
    occurrence_count: int = 0
    success_count: int = 0
    success_rate: float = 0.0
    effectiveness: dict[str, int | float] = {}
    content_hash: str = ""
    updated_at: datetime | None = None


class HeuristicOut(Schema):
    id: int
    condition: str
    action: str
    condition_data: dict[str, Any] = {}
    confidence: float = 0.0
    evidence: dict[str, int | float] = {}
    content_hash: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None


class EpisodeBreakdown(Schema):
    semantic: float
    keyword: float
    context: float
    reward: float
    recency: float


class ScoredEpisodeOut(EpisodeOut):
    score: float
    breakdown: EpisodeBreakdown


class ScoredPatternOut(PatternOut):
    score: float
    breakdown: dict[str, float]


class ScoredHeuristicOut(HeuristicOut):
    score: float
    breakdown: dict[str, float]


class RetrievalOut(Schema):
    mode: Literal["hybrid", "keyword"]
    episodes: list[ScoredEpisodeOut]
    patterns: list[ScoredPatternOut]
    heuristics: list[ScoredHeuristicOut]
    took_ms: float
