"""The agents' JSON API for episodes, retrieval, patterns and heuristics.

Thin: parse (schemas), check the scope (``auth=scoped(...)``), call one
service or selector, shape the reply. Start, steps and complete honour an
``Idempotency-Key`` header (see memoryadmin/apikeys/idempotency.py).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Header, Path, Query, Router, Status

from episodes.payloads import episode_payload, heuristic_payload, pattern_payload, step_payload
from episodes.retrieval import Scored, context_retrieve
from episodes.schemas import (
    CompleteIn,
    EpisodeFiltersIn,
    EpisodeIn,
    EpisodePatchIn,
    HeuristicFiltersIn,
    PatternFiltersIn,
    RetrieveIn,
    StepsIn,
)
from episodes.schemas_out import (
    EpisodeDetailOut,
    EpisodeOut,
    EpisodePageOut,
    HeuristicOut,
    PatternOut,
    RetrievalOut,
    StepsOut,
)
from episodes.selectors import (
    EpisodeFilters,
    episode_list,
    episode_read,
    heuristic_get,
    heuristic_list,
    pattern_get,
    pattern_list,
)
from episodes.services import (
    episode_complete,
    episode_log_steps,
    episode_soft_delete,
    episode_start,
    episode_update,
)
from episodes.services.usage import pattern_retrievals_record
from memoryadmin.apikeys.auth import caller_of, scoped
from memoryadmin.apikeys.errors import error_responses as errors
from memoryadmin.apikeys.idempotency import Result, idempotent
from memoryadmin.apikeys.models import Scope
from memoryadmin.apikeys.ratelimit import episode_quota_check
from memoryadmin.namespaces.quota import namespace_quota_check
from memoryadmin.ops import metrics

router = Router()
READ, WRITE = scoped(Scope.READ), scoped(Scope.WRITE)
IDEMPOTENCY = Header(
    None,
    alias="Idempotency-Key",
    min_length=1,
    max_length=255,
    description="Retry-safe key: the same key returns the first reply for 24 h",
)
EPISODE_ID = Path(..., description="the episode's UUID")
PK = Path(..., ge=1, le=2**62)


@router.post(
    "/episodes",
    response={201: EpisodeOut, **errors(400, 413)},
    auth=WRITE,
    tags=["episodes"],
    summary="Start an episode",
)
def episode_start_view(
    request: HttpRequest, payload: EpisodeIn, idempotency_key: str | None = IDEMPOTENCY
) -> HttpResponse:
    caller = caller_of(request)

    def run() -> Result:
        with transaction.atomic():
            if caller.api_key is not None:
                episode_quota_check(api_key=caller.api_key)
            namespace_quota_check(namespace_id=caller.namespace_id)
            episode = episode_start(
                namespace_id=caller.namespace_id,
                scope={
                    "agent_id": payload.agent_id,
                    "user_id": payload.user_id,
                    "session_id": payload.session_id,
                },
                task_description=payload.task_description,
                task_type=payload.task_type.value,
                context=payload.context.model_dump(mode="json"),
                metadata=payload.metadata,
            )
            transaction.on_commit(metrics.episode_created)
        return 201, EpisodeOut.model_validate(episode_payload(episode))

    return idempotent(request, caller, idempotency_key, run)


@router.post(
    "/episodes/{episode_id}/steps",
    response={200: StepsOut, **errors(400, 404, 409, 413)},
    auth=WRITE,
    tags=["episodes"],
    summary="Log a batch of steps (all or nothing)",
)
def episode_steps_view(
    request: HttpRequest,
    payload: StepsIn,
    episode_id: UUID = EPISODE_ID,
    idempotency_key: str | None = IDEMPOTENCY,
) -> HttpResponse:
    caller = caller_of(request)

    def run() -> Result:
        steps = [step.model_dump(mode="python", exclude_none=True) for step in payload.steps]
        rows = episode_log_steps(
            episode_id=episode_id, namespace_id=caller.namespace_id, steps=steps
        )
        return 200, StepsOut(
            episode_id=episode_id,
            logged=len(rows),
            step_count=rows[-1].step_number,
            steps=[step_payload(r) for r in rows],  # type: ignore[misc]
        )

    return idempotent(request, caller, idempotency_key, run)


@router.post(
    "/episodes/{episode_id}/complete",
    response={200: EpisodeOut, **errors(400, 404, 409, 413)},
    auth=WRITE,
    tags=["episodes"],
    summary="Complete an episode: reward, reflection and learning",
)
def episode_complete_view(
    request: HttpRequest,
    payload: CompleteIn,
    episode_id: UUID = EPISODE_ID,
    idempotency_key: str | None = IDEMPOTENCY,
) -> HttpResponse:
    caller = caller_of(request)

    def run() -> Result:
        episode = episode_complete(
            episode_id=episode_id,
            namespace_id=caller.namespace_id,
            outcome=payload.outcome.model_dump(),
        )
        return 200, EpisodeOut.model_validate(episode_payload(episode))

    return idempotent(request, caller, idempotency_key, run)


@router.get(
    "/episodes",
    response={200: EpisodePageOut, **errors(400)},
    auth=READ,
    tags=["episodes"],
    summary="List episodes, newest first (cursor pagination)",
)
def episode_list_view(request: HttpRequest, filters: Query[EpisodeFiltersIn]) -> EpisodePageOut:
    values = filters.model_dump(exclude={"cursor", "limit"})
    for name in ("task_type", "verdict"):
        values[name] = values[name].value if values[name] is not None else None
    filters_in = EpisodeFilters(namespace_id=caller_of(request).namespace_id, **values)
    page = episode_list(filters=filters_in, cursor=filters.cursor, limit=filters.limit)
    return EpisodePageOut(
        items=[EpisodeOut.model_validate(episode_payload(e)) for e in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/episodes/{episode_id}",
    response={200: EpisodeDetailOut, **errors(404)},
    auth=READ,
    tags=["episodes"],
    summary="Get one episode with its steps (from the cache or the database)",
)
def episode_get_view(request: HttpRequest, episode_id: UUID = EPISODE_ID) -> EpisodeDetailOut:
    read = episode_read(episode_id=episode_id, namespace_id=caller_of(request).namespace_id)
    return EpisodeDetailOut.model_validate(
        {**read.payload, "source": read.source, "cache_status": read.cache_status}
    )


@router.patch(
    "/episodes/{episode_id}",
    response={200: EpisodeOut, **errors(400, 404, 413)},
    auth=WRITE,
    tags=["episodes"],
    summary="Replace tags and/or merge metadata",
)
def episode_update_view(
    request: HttpRequest, payload: EpisodePatchIn, episode_id: UUID = EPISODE_ID
) -> EpisodeOut:
    episode = episode_update(
        episode_id=episode_id,
        namespace_id=caller_of(request).namespace_id,
        tags=payload.tags,
        metadata=payload.metadata,
    )
    return EpisodeOut.model_validate(episode_payload(episode))


@router.delete(
    "/episodes/{episode_id}",
    response={204: None, **errors(404)},
    auth=WRITE,
    tags=["episodes"],
    summary="Soft-delete an episode",
)
def episode_delete_view(request: HttpRequest, episode_id: UUID = EPISODE_ID) -> Status[None]:
    caller = caller_of(request)
    episode_soft_delete(episode_id=episode_id, namespace_id=caller.namespace_id, user=caller.user)
    return Status(204, None)


@router.post(
    "/context/retrieve",
    response={200: RetrievalOut, **errors(400, 413)},
    auth=READ,
    tags=["retrieval"],
    summary="Rank past episodes, patterns and heuristics for a new task",
)
def context_retrieve_view(request: HttpRequest, payload: RetrieveIn) -> RetrievalOut:
    found = context_retrieve(
        namespace_id=caller_of(request).namespace_id,
        scope=payload.scope.model_dump(),
        description=payload.description,
        context=payload.context.model_dump(mode="json"),
        limit=payload.limit,
    )
    metrics.retrieval_observed(found.took_ms / 1000)
    # Counted in this process's tally, never written here (reads write nothing).
    pattern_retrievals_record(pattern_ids=[s.item.pk for s in found.patterns])
    return RetrievalOut.model_validate(
        {
            "mode": found.mode,
            "took_ms": found.took_ms,
            "episodes": [_scored(episode_payload(s.item), s) for s in found.episodes],
            "patterns": [_scored(pattern_payload(s.item), s) for s in found.patterns],
            "heuristics": [_scored(heuristic_payload(s.item), s) for s in found.heuristics],
        }
    )


def _scored(payload: dict[str, Any], scored: Scored) -> dict[str, Any]:
    return {**payload, "score": scored.score, "breakdown": scored.breakdown}


@router.get(
    "/patterns",
    response={200: list[PatternOut], **errors()},
    auth=READ,
    tags=["learning"],
    summary="List learned patterns",
)
def pattern_list_view(request: HttpRequest, filters: Query[PatternFiltersIn]) -> list[PatternOut]:
    rows = pattern_list(
        namespace_id=caller_of(request).namespace_id,
        kind=filters.kind.value if filters.kind else None,
        task_type=filters.task_type.value if filters.task_type else None,
        domain=filters.domain,
        min_occurrences=filters.min_occurrences,
        limit=filters.limit,
        offset=filters.offset,
    )
    return [PatternOut.model_validate(pattern_payload(p)) for p in rows]


@router.get(
    "/patterns/{pattern_id}",
    response={200: PatternOut, **errors(404)},
    auth=READ,
    tags=["learning"],
    summary="Get one pattern",
)
def pattern_get_view(request: HttpRequest, pattern_id: int = PK) -> PatternOut:
    pattern = pattern_get(pattern_id=pattern_id, namespace_id=caller_of(request).namespace_id)
    return PatternOut.model_validate(pattern_payload(pattern))


@router.get(
    "/heuristics",
    response={200: list[HeuristicOut], **errors()},
    auth=READ,
    tags=["learning"],
    summary="List learned heuristics",
)
def heuristic_list_view(
    request: HttpRequest, filters: Query[HeuristicFiltersIn]
) -> list[HeuristicOut]:
    rows = heuristic_list(namespace_id=caller_of(request).namespace_id, **filters.model_dump())
    return [HeuristicOut.model_validate(heuristic_payload(h)) for h in rows]


@router.get(
    "/heuristics/{heuristic_id}",
    response={200: HeuristicOut, **errors(404)},
    auth=READ,
    tags=["learning"],
    summary="Get one heuristic",
)
def heuristic_get_view(request: HttpRequest, heuristic_id: int = PK) -> HeuristicOut:
    heuristic = heuristic_get(
        heuristic_id=heuristic_id, namespace_id=caller_of(request).namespace_id
    )
    return HeuristicOut.model_validate(heuristic_payload(heuristic))
