"""Namespaces over the API: which ones a caller may act in, and creating new ones.

A namespace is the hard isolation boundary, so even its existence is shown only
to callers who may act in it: a key bound to one namespace (whatever its scopes)
sees that one; an all-namespaces admin key sees every one; a session sees the
namespaces its user is a member of (admins: all). Creating a namespace is for
callers that span namespaces: a bound key answering 409 "taken" would tell it
that another namespace exists.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import Ge, Le
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from memoryadmin.api_types import JSON_INTEGER
from memoryadmin.apikeys.auth import Caller, caller_of, scoped
from memoryadmin.apikeys.errors import Forbidden
from memoryadmin.apikeys.errors import error_responses as errors
from memoryadmin.apikeys.models import Scope
from memoryadmin.namespaces.models import Namespace
from memoryadmin.namespaces.selectors import (
    namespace_get,
    namespace_list,
    namespace_slug_of,
    namespaces_for_user,
)
from memoryadmin.namespaces.services import DESCRIPTION_MAX, NAME_MAX, namespace_create

router = Router(tags=["namespaces"])
READ, ADMIN = scoped(Scope.READ), scoped(Scope.ADMIN)


class NamespaceIn(Schema):
    model_config = ConfigDict(extra="forbid")

    # The pattern itself is checked by the service (a 400 naming "slug"), so the API,
    # the console and the command refuse the same slugs with the same message.
    slug: Annotated[str, StringConstraints(min_length=1, max_length=40)] = Field(
        description="1-40 lowercase letters, digits and inner hyphens; never renamed"
    )
    name: Annotated[str, StringConstraints(max_length=NAME_MAX)] = Field(
        "", description="a display name (default: the slug)"
    )
    description: Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX)] = ""
    daily_episode_quota: Annotated[int, Ge(1), Le(100_000_000), JSON_INTEGER] | None = Field(
        None, description="episode starts per UTC day (null: the deployment's default)"
    )


class NamespaceOut(Schema):
    slug: str
    name: str
    description: str
    created_at: datetime
    daily_episode_quota: int | None
    storage_quota_bytes: int | None
    retention_days: int | None

    @classmethod
    def of(cls, namespace: Namespace) -> NamespaceOut:
        return cls(
            slug=namespace.slug,
            name=namespace.name,
            description=namespace.description,
            created_at=namespace.created_at,
            daily_episode_quota=namespace.daily_episode_quota,
            storage_quota_bytes=namespace.storage_quota_bytes,
            retention_days=namespace.retention_days,
        )


def _bound(caller: Caller) -> bool:
    """Is the caller a key bound to one namespace (it can never act in another)?"""
    return caller.api_key is not None and caller.api_key.namespace_id is not None


@router.get(
    "/namespaces",
    response={200: list[NamespaceOut], **errors(404)},
    auth=READ,
    summary="List the namespaces this caller may act in",
    description=(
        "A key bound to one namespace: that one. An all-namespaces admin key: all of them. "
        "A session: the namespaces its user is a member of (admins: all)."
    ),
)
def namespace_list_view(request: HttpRequest) -> list[NamespaceOut]:
    caller = caller_of(request)
    if _bound(caller):
        found = [namespace_get(slug=namespace_slug_of(namespace_id=caller.namespace_id))]
    elif caller.user is not None:
        found = list(namespaces_for_user(user=caller.user))
    else:  # only admin keys are bound to all namespaces
        found = list(namespace_list())
    return [NamespaceOut.of(n) for n in found]


@router.get(
    "/namespaces/current",
    response={200: NamespaceOut, **errors(404)},
    auth=READ,
    summary="The namespace this call acts in",
    description=(
        "A key's own namespace; for an all-namespaces admin key or a session, the one "
        "named by the X-Namespace header (default: default)."
    ),
)
def namespace_current_view(request: HttpRequest) -> NamespaceOut:
    slug = namespace_slug_of(namespace_id=caller_of(request).namespace_id)
    return NamespaceOut.of(namespace_get(slug=slug))


@router.post(
    "/namespaces",
    response={201: NamespaceOut, **errors(400, 404, 409)},
    auth=ADMIN,
    summary="Create a namespace (admin key bound to all namespaces, or an admin session)",
    description="409 when the slug is taken; 400 naming `slug` when it is not a valid slug.",
)
def namespace_create_view(request: HttpRequest, payload: NamespaceIn) -> Status[NamespaceOut]:
    caller = caller_of(request)
    if _bound(caller):
        raise Forbidden(
            "a key bound to one namespace may not create namespaces; use an admin key "
            "bound to all namespaces or an admin session",
            extra={"field": "Authorization"},
        )
    namespace = namespace_create(
        slug=payload.slug,
        name=payload.name,
        description=payload.description,
        daily_episode_quota=payload.daily_episode_quota,
        user=caller.user,
    )
    return Status(201, NamespaceOut.of(namespace))
