"""Key management for operators and admin keys (scope ``admin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from annotated_types import Ge, Le
from django.http import HttpRequest
from ninja import Field, Path, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints

from memoryadmin.api_types import JSON_INTEGER
from memoryadmin.apikeys.auth import caller_of, scoped
from memoryadmin.apikeys.errors import ErrorOut
from memoryadmin.apikeys.models import ApiKey, Scope
from memoryadmin.apikeys.selectors import api_key_list
from memoryadmin.apikeys.services import api_key_create, api_key_revoke
from memoryadmin.namespaces.selectors import namespace_slug_of

router = Router(tags=["api keys"], auth=scoped(Scope.ADMIN))
AUTH_ERRORS: dict[int, type[ErrorOut]] = {
    401: ErrorOut,
    403: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}


class ApiKeyIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope.values))
    rate_limit_per_minute: Annotated[int, Ge(1), Le(1_000_000), JSON_INTEGER] | None = None
    daily_episode_quota: Annotated[int, Ge(1), Le(100_000_000), JSON_INTEGER] | None = None


class ApiKeyOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    namespace: str | None = Field(description="the namespace it acts in; null: all (admin)")
    created_by: str | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    rate_limit_per_minute: int | None
    daily_episode_quota: int | None

    @classmethod
    def of(cls, api_key: ApiKey) -> ApiKeyOut:
        user = api_key.created_by
        return cls(
            namespace=api_key.namespace.slug if api_key.namespace is not None else None,
            id=api_key.pk,
            name=api_key.name,
            prefix=api_key.prefix,
            scopes=api_key.scopes,
            created_by=user.get_username() if user is not None else None,
            created_at=api_key.created_at,
            last_used_at=api_key.last_used_at,
            revoked_at=api_key.revoked_at,
            rate_limit_per_minute=api_key.rate_limit_per_minute,
            daily_episode_quota=api_key.daily_episode_quota,
        )


class NewApiKeyOut(ApiKeyOut):
    key: str = Field(description="the secret: shown once, never stored")


@router.get("/keys", response={200: list[ApiKeyOut], **AUTH_ERRORS}, summary="List API keys")
def api_key_list_view(request: HttpRequest) -> list[ApiKeyOut]:
    caller = caller_of(request)
    keys = api_key_list(
        namespace_id=caller.namespace_id, with_all_namespace_keys=caller.all_namespaces
    )
    return [ApiKeyOut.of(k) for k in keys]


@router.post(
    "/keys",
    response={201: NewApiKeyOut, 400: ErrorOut, **AUTH_ERRORS},
    summary="Create an API key (the secret is in this reply only)",
)
def api_key_create_view(request: HttpRequest, payload: ApiKeyIn) -> Status[NewApiKeyOut]:
    caller = caller_of(request)
    created = api_key_create(
        name=payload.name,
        scopes=[s.value for s in payload.scopes],
        created_by=caller.user if caller.kind == "session" else None,  # type: ignore[arg-type]
        rate_limit_per_minute=payload.rate_limit_per_minute,
        daily_episode_quota=payload.daily_episode_quota,
        # A new key acts where its maker acts (never in a namespace the maker cannot see).
        namespace=namespace_slug_of(namespace_id=caller.namespace_id),
    )
    out = ApiKeyOut.of(created.api_key).model_dump()
    return Status(201, NewApiKeyOut(**out, key=created.key))


@router.delete(
    "/keys/{key_id}",
    response={200: ApiKeyOut, 404: ErrorOut, **AUTH_ERRORS},
    summary="Revoke an API key (effective at once)",
)
def api_key_revoke_view(request: HttpRequest, key_id: int = Path(..., ge=1, le=2**62)) -> ApiKeyOut:
    caller = caller_of(request)
    revoked = api_key_revoke(
        api_key_id=key_id,
        namespace_id=caller.namespace_id,
        all_namespaces=caller.all_namespaces,
        user=caller.user,
    )
    return ApiKeyOut.of(revoked)
