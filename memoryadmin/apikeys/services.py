"""API keys: create (the key is returned once), authenticate, touch, revoke."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from memoryadmin.apikeys.errors import Unauthorized
from memoryadmin.apikeys.models import ApiKey, Scope
from memoryadmin.apikeys.selectors import api_key_by_hash, api_keys_visible
from memoryadmin.audit.services import audit_record
from memoryadmin.exceptions import ApplicationError, NotFound
from memoryadmin.namespaces.models import DEFAULT_SLUG
from memoryadmin.namespaces.selectors import namespace_get

KEY_PREFIX = "ma_live_"
PREFIX_LENGTH = len(KEY_PREFIX) + 8  # "ma_live_" + 8 random characters, shown in lists
TOKEN_BYTES = 32  # 256 bits: hashing without a salt or stretching is safe
TOUCH_EVERY = timedelta(minutes=1)
NAME_MAX = 100


@dataclass(frozen=True)
class NewApiKey:
    """A freshly created key: ``key`` is the only time the secret is visible."""

    api_key: ApiKey
    key: str


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def clean_scopes(scopes: Iterable[str]) -> list[str]:
    allowed = list(Scope.values)
    clean: list[str] = []
    for scope in scopes:
        scope = str(scope).strip().lower()
        if scope not in allowed:
            raise ApplicationError(
                f"unknown scope {scope!r}; scopes are {', '.join(allowed)}",
                extra={"field": "scopes", "allowed": allowed},
            )
        if scope not in clean:
            clean.append(scope)
    if not clean:
        raise ApplicationError("at least one scope is required", extra={"field": "scopes"})
    return clean


@transaction.atomic
def api_key_create(
    *,
    name: str,
    scopes: Iterable[str],
    created_by: AbstractBaseUser | None = None,
    rate_limit_per_minute: int | None = None,
    daily_episode_quota: int | None = None,
    namespace: str | None = DEFAULT_SLUG,
) -> NewApiKey:
    """Make a random key and store only its hash; the caller shows ``key`` once.

    The key acts in ``namespace`` (a slug) only; ``None`` binds an admin key to all
    namespaces (its calls name one with the X-Namespace header).
    """
    name = (name or "").strip()
    if not name or len(name) > NAME_MAX:
        raise ApplicationError(f"name must be 1 to {NAME_MAX} characters", extra={"field": "name"})
    scopes = clean_scopes(scopes)
    namespace_id = None
    if namespace is None:
        if Scope.ADMIN not in scopes:
            raise ApplicationError(
                "only an admin key may be bound to all namespaces", extra={"field": "namespace"}
            )
    else:
        namespace_id = namespace_get(slug=namespace).pk
    key = KEY_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)
    api_key = ApiKey.objects.create(
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_hash=key_hash(key),
        scopes=scopes,
        namespace_id=namespace_id,
        created_by=created_by if created_by is not None and created_by.is_authenticated else None,  # type: ignore[misc]
        rate_limit_per_minute=rate_limit_per_minute,
        daily_episode_quota=daily_episode_quota,
    )
    audit_record(
        action="key.create",
        target=f"{api_key.prefix}… ({api_key.name})",
        details={"scopes": api_key.scopes, "namespace": namespace or "*"},
        user=created_by,
        namespace_id=namespace_id,
    )
    return NewApiKey(api_key=api_key, key=key)


def api_key_authenticate(*, key: str) -> ApiKey:
    """The active key for a presented secret, or ``Unauthorized``.

    Looked up by its hash (unique, indexed: the secret itself never reaches the
    database); the row is read on every request, so a revocation takes effect at once.
    """
    if not key.startswith(KEY_PREFIX) or len(key) < PREFIX_LENGTH + 16:
        raise Unauthorized("the API key is malformed", extra={"field": "Authorization"})
    match = api_key_by_hash(digest=key_hash(key))
    if match is None:
        raise Unauthorized("the API key is not valid", extra={"field": "Authorization"})
    if match.revoked_at is not None:
        raise Unauthorized("the API key was revoked", extra={"field": "Authorization"})
    api_key_touch(api_key=match)
    return match


def api_key_touch(*, api_key: ApiKey) -> None:
    """Record use at most once a minute: one conditional UPDATE, never a read."""
    now = timezone.now()
    if api_key.last_used_at is not None and now - api_key.last_used_at < TOUCH_EVERY:
        return
    ApiKey.objects.filter(pk=api_key.pk).exclude(last_used_at__gte=now - TOUCH_EVERY).update(
        last_used_at=now
    )
    api_key.last_used_at = now


@transaction.atomic
def api_key_revoke(
    *, api_key_id: int, namespace_id: int, all_namespaces: bool, user: Any = None
) -> ApiKey:
    """Stop a key at once (kept for the record); revoking twice is harmless.

    Only a key of ``namespace_id`` (or, when ``all_namespaces``, one bound to all) is
    found: another namespace's key is "does not exist", like a missing one.
    """
    visible = api_keys_visible(namespace_id=namespace_id, all_namespaces=all_namespaces)
    try:
        api_key = ApiKey.objects.filter(visible).get(pk=api_key_id)
    except ApiKey.DoesNotExist:
        raise NotFound(f"API key {api_key_id} does not exist", extra={"field": "key_id"}) from None
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit_record(
            action="key.revoke",
            target=f"{api_key.prefix}… ({api_key.name})",
            user=user,
            namespace_id=api_key.namespace_id,
        )
    return api_key
