"""Console roles: operators view, sync and verify; admins do everything.

Membership is a Django group ("operator" / "admin"); superusers are admins.
A missing role answers 403 — hiding a button is never the only guard.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

OPERATOR, ADMIN = "operator", "admin"
View = TypeVar("View", bound=Callable[..., HttpResponseBase])


def _groups(user: Any) -> frozenset[str]:
    """The user's group names, read once per request (kept on the user object:
    the view's guard, the API auth and the template context all ask)."""
    names = getattr(user, "_role_groups", None)
    if names is None:
        names = frozenset(user.groups.values_list("name", flat=True))
        user._role_groups = names
    return names


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or ADMIN in _groups(user)))


def is_operator(user: Any) -> bool:
    return bool(user.is_authenticated and (is_admin(user) or OPERATOR in _groups(user)))


def _require(check: Callable[[Any], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not check(request.user):
                raise PermissionDenied("your role does not allow this")
            return view(request, *args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


operator_required = _require(is_operator)
admin_required = _require(is_admin)


def roles(request: HttpRequest) -> dict[str, bool]:
    """Template context: which role-gated links to show."""
    user = getattr(request, "user", None)
    if user is None:
        return {"is_admin": False, "is_operator": False}
    return {"is_admin": is_admin(user), "is_operator": is_operator(user)}
