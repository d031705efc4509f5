"""Recording audit events, with the acting person or key taken from the request."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from memoryadmin.audit.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    label: str
    user: Any = None


SYSTEM = Actor("system")
_current: ContextVar[Actor] = ContextVar("audit_actor", default=SYSTEM)


@contextmanager
def acting_as(actor: Actor) -> Iterator[None]:
    """Attribute audit events recorded inside the block to ``actor``."""
    token = _current.set(actor)
    try:
        yield
    finally:
        _current.reset(token)


def act_for_this_request(actor: Actor) -> None:
    """Attribute the rest of this request's events to ``actor`` (e.g. an API key).

    Only inside a request: AuditActorMiddleware scopes every request with
    ``acting_as``, which undoes this when the request ends.
    """
    _current.set(actor)


def actor_for_user(user: Any) -> Actor:
    if user is not None and getattr(user, "is_authenticated", False):
        return Actor(user.get_username(), user)
    return _current.get()


def audit_record(
    *,
    action: str,
    target: str = "",
    details: dict[str, Any] | None = None,
    user: Any = None,
    namespace_id: int | None = None,
) -> AuditEvent:
    """Write one audit event inside the caller's transaction (so it commits or
    rolls back with the change it describes)."""
    actor = actor_for_user(user)
    return AuditEvent.objects.create(
        actor=actor.user if actor.user is not None else None,
        actor_label=actor.label[:200],
        action=action,
        target=str(target)[:200],
        details=details or {},
        namespace_id=namespace_id,
    )
