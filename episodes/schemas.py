"""Request and response schemas of the episodes API (the contract agents code against).

Inputs are strict (unknown fields are refused, so a typo names its field);
outputs (schemas_out.py) mirror ``episodes.payloads`` and stay lenient, because
the cache may serve a payload written by an earlier version.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from annotated_types import Ge, Le
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StringConstraints, WrapValidator

from episodes import limits
from episodes.models.episode import Complexity, ResultKind, TaskType, Verdict
from episodes.models.learning import PatternKind
from memoryadmin.api_types import JSON_INTEGER

INT32_MAX = 2**31 - 1


def _aware(value: Any, handler: Any) -> datetime:
    """ISO 8601 (not Unix time, as pydantic reads "1e9") in; UTC out, naive ones as UTC."""
    try:
        float(value)
    except (TypeError, ValueError):
        parsed: datetime = handler(value)
    else:
        raise ValueError("must be an ISO 8601 date and time, not a number")
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+01:00 is before year 1 in UTC
        raise ValueError("the datetime is out of range once converted to UTC") from None


AwareDatetime = Annotated[datetime, WrapValidator(_aware)]
# Blank (all-space) texts pass the schema and are refused by the services with a
# 400: "space" differs between JSON Schema regexes and Python's str.strip().
Tag = Annotated[str, StringConstraints(min_length=1, max_length=limits.TAG_LENGTH_MAX)]
Required = StringConstraints(min_length=1)
ContextText = Annotated[str, StringConstraints(max_length=60)]
Text = Annotated[str, StringConstraints(max_length=limits.DESCRIPTION_MAX)]

# agent_id / user_id / session_id: an agent's own names for soft scoping in a namespace.
ScopeText = Annotated[str, StringConstraints(max_length=128)]

Count = Annotated[int, Ge(0), Le(INT32_MAX), JSON_INTEGER]
QueryCount = Annotated[int, Ge(0), Le(INT32_MAX)]


class StrictIn(Schema):
    model_config = ConfigDict(extra="forbid")


# -- inputs -----------------------------------------------------------------


class ContextIn(StrictIn):
    language: ContextText = ""
    framework: ContextText = ""
    domain: ContextText = ""
    complexity: Complexity = Complexity.MODERATE
    tags: list[Tag] = Field(default_factory=list, max_length=limits.TAGS_MAX)


class EpisodeIn(StrictIn):
    task_description: Annotated[Text, Required]
    task_type: TaskType
    context: ContextIn = Field(default_factory=ContextIn)
    metadata: dict[str, Any] = Field(default_factory=dict)
    agent_id: ScopeText = Field("", description="which agent ran it (filters lists, retrieval)")
    user_id: ScopeText = Field("", description="for whom (filters lists, retrieval)")
    session_id: ScopeText = Field("", description="which run or conversation")


class StepIn(StrictIn):
    tool: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    action: Text = ""
    parameters: dict[str, Any] = Field(default_factory=dict)
    success: StrictBool
    result_kind: ResultKind | None = None
    result_text: Text = ""
    latency_ms: Count = 0
    tokens: Count = 0
    observation: Text = ""
    timestamp: AwareDatetime | None = None


class StepsIn(StrictIn):
    steps: list[StepIn] = Field(min_length=1, max_length=limits.STEPS_MAX)


class SuccessOutcome(StrictIn):
    kind: Literal["success"]
    verdict: Text = ""
    artifacts: list[Text] = Field(default_factory=list)


class PartialSuccessOutcome(StrictIn):
    kind: Literal["partial_success"]
    verdict: Text = ""
    completed: list[Text] = Field(default_factory=list)
    failed: list[Text] = Field(default_factory=list)


class FailureOutcome(StrictIn):
    kind: Literal["failure"]
    reason: Text = ""
    error_details: Text | dict[str, Any] | None = None


class AbstainedOutcome(StrictIn):
    kind: Literal["abstained"]
    reason: Text = ""
    stopped_at_step: Count | None = None


Outcome = Annotated[
    SuccessOutcome | PartialSuccessOutcome | FailureOutcome | AbstainedOutcome,
    Field(discriminator="kind"),
]


class CompleteIn(StrictIn):
    outcome: Outcome


class EpisodePatchIn(StrictIn):
    tags: list[Tag] | None = Field(None, max_length=limits.TAGS_MAX)
    metadata: dict[str, Any] | None = Field(
        None, description="keys to merge into the metadata; a null value removes the key"
    )


class EpisodeFiltersIn(Schema):
    task_type: TaskType | None = None
    verdict: Verdict | None = None
    domain: ContextText | None = None
    language: ContextText | None = None
    tag: Tag | None = None
    text: Annotated[str, StringConstraints(max_length=500)] | None = None
    started_after: AwareDatetime | None = None
    started_before: AwareDatetime | None = None
    completed: bool | None = None
    include_archived: bool = True
    agent_id: ScopeText | None = None
    user_id: ScopeText | None = None
    session_id: ScopeText | None = None
    cursor: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: int = Field(50, ge=1, le=200)


class RetrievalContextIn(ContextIn):
    task_type: TaskType | None = None


class ScopeIn(StrictIn):
    """Narrow a retrieve to one agent, user or session of the key's namespace."""

    agent_id: ScopeText | None = None
    user_id: ScopeText | None = None
    session_id: ScopeText | None = None


class RetrieveIn(StrictIn):
    description: Annotated[Text, Required]
    context: RetrievalContextIn = Field(default_factory=RetrievalContextIn)
    scope: ScopeIn = Field(default_factory=ScopeIn)
    limit: Annotated[int, Ge(1), Le(50), JSON_INTEGER] = 10


class PatternFiltersIn(Schema):
    kind: PatternKind | None = None
    task_type: TaskType | None = None
    domain: ContextText | None = None
    min_occurrences: QueryCount = 0
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


class HeuristicFiltersIn(Schema):
    min_confidence: float = Field(0.0, ge=0.0, le=1.0)
    text: Annotated[str, StringConstraints(max_length=200)] | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)
