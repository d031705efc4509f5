"""Reads of the episodes app: lists with filters and keyset pagination."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.dateparse import parse_datetime

from episodes import search_index
from episodes.models import Episode, Heuristic, Pattern
from episodes.models.episode import SCOPE_FIELDS
from episodes.payloads import episode_payload
from hotcache import cache
from memoryadmin.db.rows import fetch_instance, select_columns
from memoryadmin.exceptions import ApplicationError, NotFound
from memoryadmin.namespaces.selectors import namespace_slug_of

PAGE_MAX = 200


@dataclass(frozen=True)
class EpisodeFilters:
    """What a list may be narrowed to; ``namespace_id`` is the hard boundary (required)."""

    namespace_id: int
    task_type: str | None = None
    verdict: str | None = None
    domain: str | None = None
    language: str | None = None
    tag: str | None = None
    text: str | None = None
    started_after: datetime | None = None
    started_before: datetime | None = None
    include_archived: bool = True
    completed: bool | None = None
    agent_id: str | None = None
    user_id: str | None = None
    session_id: str | None = None


@dataclass(frozen=True)
class Page:
    items: list[Any]
    next_cursor: str | None


def _encode_cursor(episode: Episode) -> str:
    raw = f"{episode.started_at.isoformat()}|{episode.pk.hex}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        when_text, hex_id = raw.split("|", 1)
        when = parse_datetime(when_text)
        UUID(hex=hex_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        when = None
    if when is None:
        raise ApplicationError(
            "cursor is not a cursor this API handed out", extra={"field": "cursor"}
        )
    return when, hex_id


def episode_queryset(filters: EpisodeFilters) -> QuerySet[Episode]:
    qs = Episode.objects.filter(namespace_id=filters.namespace_id, deleted_at__isnull=True)
    for scope in SCOPE_FIELDS:
        if (value := getattr(filters, scope)) is not None:
            qs = qs.filter(**{scope: value})
    if filters.task_type:
        qs = qs.filter(task_type=filters.task_type)
    if filters.verdict:
        qs = qs.filter(verdict=filters.verdict)
    if filters.completed is not None:
        qs = qs.filter(verdict__isnull=not filters.completed)
    if filters.domain:
        qs = qs.filter(domain=filters.domain.lower())
    if filters.language:
        qs = qs.filter(language=filters.language.lower())
    if filters.tag:
        qs = qs.filter(tag_rows__tag=filters.tag.strip().lower())
    if filters.started_after:
        qs = qs.filter(started_at__gte=filters.started_after)
    if filters.started_before:
        qs = qs.filter(started_at__lt=filters.started_before)
    if not filters.include_archived:
        qs = qs.filter(archived_at__isnull=True)
    if filters.text and (query := search_index.match_query(filters.text)):
        qs = qs.filter(
            id__in=RawSQL(
                f"SELECT episode_id FROM {search_index.TABLE} WHERE {search_index.TABLE} MATCH %s",  # noqa: S608
                [search_index.in_namespace(query, filters.namespace_id)],
            )
        )
    return qs


def episode_list(
    *,
    filters: EpisodeFilters,
    cursor: str | None = None,
    limit: int = 50,
    newest_first: bool = True,
) -> Page:
    """A page of episodes by start time; the cursor stays valid under inserts."""
    if not 1 <= limit <= PAGE_MAX:
        raise ApplicationError(f"limit must be between 1 and {PAGE_MAX}", extra={"field": "limit"})
    qs = episode_queryset(filters)
    if cursor:
        when, hex_id = _decode_cursor(cursor)
        # The redundant bound keeps SQLite on the (started_at, id) index from the cursor:
        # the OR alone is planned as a MULTI-INDEX OR that sorts every older row per page.
        if newest_first:
            qs = qs.filter(started_at__lte=when).filter(
                Q(started_at__lt=when) | Q(started_at=when, id__lt=hex_id)
            )
        else:
            qs = qs.filter(started_at__gte=when).filter(
                Q(started_at__gt=when) | Q(started_at=when, id__gt=hex_id)
            )
    order = ("-started_at", "-id") if newest_first else ("started_at", "id")
    rows = list(qs.order_by(*order)[: limit + 1])
    next_cursor = _encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return Page(items=rows[:limit], next_cursor=next_cursor)


# Every write to an episode reads it first: a raw statement on the primary key
# converts columns as the ORM does at half the cost of building a queryset.
_EPISODE_BY_ID = f"SELECT {select_columns(Episode)} FROM {Episode._meta.db_table} WHERE id = %s"  # noqa: S608


def episode_get(
    *, episode_id: UUID | str, namespace_id: int | None, include_deleted: bool = False
) -> Episode:
    """One episode of ``namespace_id`` (None: of any namespace, for internal callers).

    An episode of another namespace is "does not exist", exactly like a missing one.
    """
    try:
        key = episode_id.hex if isinstance(episode_id, UUID) else UUID(str(episode_id)).hex
    except ValueError:
        key = None
    episode = fetch_instance(Episode, _EPISODE_BY_ID, [key]) if key else None
    if episode is None or (namespace_id is not None and episode.namespace_id != namespace_id):
        raise NotFound(f"episode {episode_id} does not exist", extra={"field": "episode_id"})
    if episode.deleted_at is not None and not include_deleted:
        raise NotFound(f"episode {episode_id} was deleted", extra={"field": "episode_id"})
    return episode


def pattern_list(
    *,
    namespace_id: int,
    kind: str | None = None,
    task_type: str | None = None,
    domain: str | None = None,
    min_occurrences: int = 0,
    limit: int = 50,
    offset: int = 0,
) -> list[Pattern]:
    qs = Pattern.objects.filter(namespace_id=namespace_id)
    if kind:
        qs = qs.filter(kind=kind)
    if task_type:
        qs = qs.filter(task_type=task_type)
    if domain:
        qs = qs.filter(domain=domain.lower())
    if min_occurrences:
        qs = qs.filter(occurrence_count__gte=min_occurrences)
    return list(qs.order_by("-occurrence_count", "-success_rate", "id")[offset : offset + limit])


def pattern_get(*, pattern_id: int, namespace_id: int) -> Pattern:
    try:
        return Pattern.objects.get(pk=pattern_id, namespace_id=namespace_id)
    except Pattern.DoesNotExist:
        raise NotFound(
            f"pattern {pattern_id} does not exist", extra={"field": "pattern_id"}
        ) from None


def heuristic_list(
    *,
    namespace_id: int,
    min_confidence: float = 0.0,
    text: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Heuristic]:
    qs = Heuristic.objects.filter(namespace_id=namespace_id, confidence__gte=min_confidence)
    if text:
        qs = qs.filter(Q(condition__icontains=text) | Q(action__icontains=text))
    return list(qs.order_by("-confidence", "-sample_size", "id")[offset : offset + limit])


def heuristic_get(*, heuristic_id: int, namespace_id: int) -> Heuristic:
    try:
        return Heuristic.objects.get(pk=heuristic_id, namespace_id=namespace_id)
    except Heuristic.DoesNotExist:
        raise NotFound(
            f"heuristic {heuristic_id} does not exist", extra={"field": "heuristic_id"}
        ) from None


@dataclass(frozen=True)
class EpisodeRead:
    """An episode as JSON, with where it came from (``cache`` or ``database``)."""

    payload: dict[str, Any]
    source: str
    cache_status: str


def episode_read(*, episode_id: UUID | str, namespace_id: int) -> EpisodeRead:
    """Read one episode with its steps: the redb cache first, then the database.

    The cache never makes a reader wait: busy, missing or damaged → database.
    A read writes nothing: the schedules and the write-behind keep the cache in
    step, not the readers.
    """
    try:
        key = UUID(str(episode_id)).hex
    except ValueError:
        raise NotFound(
            f"episode {episode_id} does not exist", extra={"field": "episode_id"}
        ) from None
    cached = cache.cache_get(cache.EPISODES, key)
    status = cached.status
    if cached.hit and isinstance(cached.value, dict) and "steps" in cached.value:
        # One indexed primary-key probe (far cheaper than the steps) makes a delete
        # visible at once and catches an entry the write-behind has not refreshed yet.
        # It also answers whether the episode is this namespace's: a cached entry of
        # another namespace is "does not exist", as the database read would say.
        current = _change_seq_in(key, namespace_id)
        if current is None:
            raise NotFound(f"episode {episode_id} does not exist", extra={"field": "episode_id"})
        if current == "deleted":
            raise NotFound(f"episode {episode_id} was deleted", extra={"field": "episode_id"})
        if current == cached.value.get("change_seq"):
            # Entries cached before namespaces lack these fields (their hash is unchanged,
            # so no sync rewrites them); the probe above proved whose the episode is.
            payload = {"agent_id": "", "user_id": "", "session_id": "", **cached.value}
            payload["namespace"] = namespace_slug_of(namespace_id=namespace_id)
            return EpisodeRead(payload, "cache", status)
        status = "stale"
    # The id as the caller gave it, in both paths: the message must not tell a cached
    # episode of another namespace from one that never existed.
    episode = episode_get(episode_id=episode_id, namespace_id=namespace_id)
    payload = episode_payload(episode, episode.steps.order_by("step_number"))
    return EpisodeRead(payload, "database", status)


# A raw statement: the ORM's query building costs ~7x the probe itself.
_CHANGE_SEQ_IN = (
    f"SELECT change_seq, deleted_at IS NOT NULL FROM {Episode._meta.db_table} "  # noqa: S608
    "WHERE id = %s AND namespace_id = %s"
)


def _change_seq_in(episode_hex: str, namespace_id: int) -> int | str | None:
    """The episode's change marker; "deleted"; or None when the namespace has no such one."""
    with connection.cursor() as cursor:
        cursor.execute(_CHANGE_SEQ_IN, [episode_hex, namespace_id])
        row = cursor.fetchone()
    if row is None:
        return None
    return "deleted" if row[1] else int(row[0])


def episode_cache_state(*, episode: Episode) -> dict[str, Any]:
    """How the redb cache holds this episode: its read status and whether its hash matches."""
    cached = cache.cache_get(cache.EPISODES, episode.pk.hex)
    matches = cached.hit and isinstance(cached.value, dict)
    return {
        "status": cached.status,
        "hash_matches": matches and cached.value.get("content_hash") == episode.content_hash,
    }
