"""The namespace a console request acts in: the one the user switched to, if still theirs.

Kept in the session; a user may only act in namespaces they are a member of
(admins: all). Without a choice it is "default" when they may see it, else
their first membership; with none at all the console refuses (403), rather
than show another namespace's data.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

from memoryadmin.namespaces.models import DEFAULT_SLUG, Namespace
from memoryadmin.namespaces.selectors import (
    namespace_id_for,
    namespace_is_member,
    namespaces_for_user,
)

SESSION_KEY = "namespace_id"


_MEMO = "_console_namespace_id"


def console_namespace_id(request: HttpRequest) -> int:
    """Decided once per request (a page, its template context and the API auth ask)."""
    known = getattr(request, _MEMO, None)
    if known is None:
        known = _decide(request)
        setattr(request, _MEMO, known)
    return int(known)


def _decide(request: HttpRequest) -> int:
    user = request.user
    chosen = request.session.get(SESSION_KEY)
    if isinstance(chosen, int) and namespace_is_member(user=user, namespace_id=chosen):
        return chosen
    default = namespace_id_for(slug=DEFAULT_SLUG)
    if default is not None and namespace_is_member(user=user, namespace_id=default):
        return default
    first = namespaces_for_user(user=user).values_list("pk", flat=True).first()
    if first is None:
        raise PermissionDenied("you are not a member of any namespace; ask an admin to add you")
    return int(first)


def console_namespace_choose(request: HttpRequest, *, slug: str) -> Namespace | None:
    """Switch the session to the namespace ``slug``; None when the user may not."""
    found = namespace_id_for(slug=slug)
    if found is None or not namespace_is_member(user=request.user, namespace_id=found):
        return None
    request.session[SESSION_KEY] = found
    setattr(request, _MEMO, found)
    return Namespace.objects.get(pk=found)


def namespaces(request: HttpRequest) -> dict[str, Any]:
    """Template context: the current namespace and the ones the user may switch to."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    try:
        current = console_namespace_id(request)
    except PermissionDenied:
        return {"namespaces": [], "current_namespace": None}
    choices = list(namespaces_for_user(user=user))
    return {
        "namespaces": choices,
        "current_namespace": next((n for n in choices if n.pk == current), None),
    }
