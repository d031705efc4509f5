"""Who is calling: an agent's bearer API key or a staff user's session.

Every operation declares the scope it needs with ``auth=scoped(Scope.X)``.
A key must hold the scope (``admin`` implies every scope, ``write`` implies
``read``). A session follows the console's roles (memoryadmin/roles.py):
admins (superusers, group "admin") hold every scope; operators (group
"operator") and other staff users view and sync.
Keys are also counted against their per-minute rate limit here, after the
scope check, so a refused call never costs the caller a request.

The namespace a call acts in is decided here too, never by the body: a key's
own namespace; for a key bound to all namespaces (admin only) and for a
session, the ``X-Namespace`` header (default "default"), which a session may
only name when its user is a member (admins are members of all). An unknown or
forbidden namespace answers 404, like any id the caller may not see.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.security.base import AuthBase

from memoryadmin.apikeys.errors import Forbidden
from memoryadmin.apikeys.models import ApiKey, Scope
from memoryadmin.apikeys.ratelimit import rate_limit_check
from memoryadmin.apikeys.services import api_key_authenticate
from memoryadmin.audit.services import Actor, act_for_this_request
from memoryadmin.exceptions import NotFound
from memoryadmin.namespaces.console import console_namespace_id
from memoryadmin.namespaces.models import DEFAULT_SLUG
from memoryadmin.namespaces.selectors import namespace_id_for, namespace_is_member
from memoryadmin.roles import is_admin, is_operator

NAMESPACE_HEADER = "HTTP_X_NAMESPACE"

IMPLIED = {Scope.ADMIN: set(Scope.values), Scope.WRITE: {Scope.READ}}
OPERATOR_SCOPES = frozenset({Scope.READ, Scope.SYNC})


def expand(scopes: list[str] | frozenset[str]) -> frozenset[str]:
    held = set(scopes)
    for scope in list(held):
        held |= IMPLIED.get(scope, set())  # type: ignore[call-overload]
    return frozenset(held)


@dataclass(frozen=True)
class Caller:
    """``request.auth`` of every API operation."""

    kind: str  # "key" | "session"
    scopes: frozenset[str]
    namespace_id: int
    api_key: ApiKey | None = None
    user: AbstractBaseUser | AnonymousUser | None = field(default=None)

    @property
    def all_namespaces(self) -> bool:
        """May act in every namespace: a key bound to all, or an admin's session."""
        if self.api_key is not None:
            return self.api_key.namespace_id is None
        return self.user is not None and is_admin(self.user)

    @property
    def owner(self) -> str:
        """Who owns idempotency keys: an API key or a user, in the namespace it acts in
        (a key bound to one namespace always acts there)."""
        if self.api_key is not None and self.api_key.namespace_id is not None:
            return f"key:{self.api_key.pk}"
        who = (
            f"key:{self.api_key.pk}"
            if self.api_key is not None
            else (f"user:{self.user.pk if self.user is not None else 0}")
        )
        return f"{who}@{self.namespace_id}"


def _named_namespace(request: HttpRequest) -> int:
    slug = str(request.META.get(NAMESPACE_HEADER) or DEFAULT_SLUG).strip()
    found = namespace_id_for(slug=slug) if len(slug) <= 40 else None
    if found is None:
        raise NotFound(f"namespace {slug[:40]!r} does not exist", extra={"field": "X-Namespace"})
    return found


def _require(scopes: frozenset[str], needed: str, who: str) -> None:
    if needed not in scopes:
        raise Forbidden(
            f"{who} lacks the {needed!r} scope this operation needs",
            extra={"scope": needed, "held": sorted(scopes)},
        )


class ApiKeyAuth(HttpBearer):
    """``Authorization: Bearer ma_live_…``; a bad or revoked key is a 401, never a fallback."""

    def __init__(self, scope: str) -> None:
        self.scope = str(scope)
        super().__init__()

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        api_key = api_key_authenticate(key=token.strip())
        scopes = expand(api_key.scopes)
        _require(scopes, self.scope, f"API key {api_key.prefix}…")
        rate_limit_check(api_key=api_key)
        # Audit events recorded by this request name the key (never its secret).
        act_for_this_request(Actor(f"api key {api_key.prefix}… ({api_key.name})"))
        namespace_id = api_key.namespace_id
        if namespace_id is None:  # bound to all namespaces: the header chooses
            namespace_id = _named_namespace(request)
        return Caller(kind="key", scopes=scopes, namespace_id=namespace_id, api_key=api_key)


class StaffSessionAuth(SessionAuth):
    """The dashboard's own calls: an operator's or admin's session, with Django's CSRF check."""

    def __init__(self, scope: str) -> None:
        self.scope = str(scope)
        super().__init__(csrf=True)

    def __call__(self, request: HttpRequest) -> Any:
        # Anonymous callers fall through to a 401 before the CSRF check (a 403).
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        return super().__call__(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = request.user
        if is_admin(user):
            scopes = expand(frozenset({Scope.ADMIN}))
        elif is_operator(user) or user.is_staff:
            scopes = expand(OPERATOR_SCOPES)
        else:
            raise Forbidden(
                "only operators and admins may call the API with a session",
                extra={"scope": self.scope},
            )
        _require(scopes, self.scope, f"user {user.get_username()!r}")
        if request.META.get(NAMESPACE_HEADER):
            namespace_id = _named_namespace(request)
            if not namespace_is_member(user=user, namespace_id=namespace_id):
                slug = request.META.get(NAMESPACE_HEADER)
                raise NotFound(
                    f"namespace {str(slug)[:40]!r} does not exist", extra={"field": "X-Namespace"}
                )
        else:  # the namespace the console works in (default, else the first membership)
            try:
                namespace_id = console_namespace_id(request)
            except PermissionDenied:
                raise Forbidden(
                    f"user {user.get_username()!r} is a member of no namespace",
                    extra={"field": "X-Namespace"},
                ) from None
        return Caller(kind="session", scopes=scopes, namespace_id=namespace_id, user=user)


def scoped(scope: str) -> list[AuthBase]:
    """The ``auth=`` of an operation needing ``scope``: a bearer key or a staff session."""
    return [ApiKeyAuth(scope), StaffSessionAuth(scope)]


def caller_of(request: HttpRequest) -> Caller:
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Caller):  # only reachable if an operation forgot auth=
        raise Forbidden("this operation has no authentication configured")
    return caller
