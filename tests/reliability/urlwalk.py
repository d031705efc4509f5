"""Walk every URL pattern of the project and turn each into concrete requests.

``routes()`` flattens ``get_resolver().url_patterns`` (includes, namespaces,
Django's admin site, ninja's API) into ``Route`` objects; ``Route.url`` fills
the path converters with real ids (reads) or unknown ones (writes), so a walk
reaches the view itself instead of stopping at a 404 from the resolver.
API routes carry their ninja ``Operation``: its methods and the scope its
``auth=scoped(...)`` demands.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from memoryadmin.apikeys.auth import ApiKeyAuth

API_PREFIX = "api/v1/"
ADMIN_PREFIX = "admin/"
UNKNOWN_INT = "999999"
UNKNOWN_UUID = "00000000-0000-4000-8000-00000000dead"
# Values for path parameters that are not ids of our own rows.
FIXED = {
    "uidb64": "MQ",
    "token": "set-password",
    "id": "1",
    "object_id": "1",
    "content_type_id": "1",
    "app_label": "episodes",
    "url": "no-such-page/",
    "rest": "no/such/endpoint",
}
_PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>[^)]*\)")


@dataclass(frozen=True)
class Route:
    route: str  # the full pattern, e.g. "episodes/<uuid:episode_id>/"
    name: str  # namespaced URL name; "admin:?" for Django admin's unnamed redirects
    callback: Any
    operation: Any = None  # ninja Operation for API routes

    @property
    def is_api(self) -> bool:
        return self.route.startswith(API_PREFIX)

    @property
    def is_django_admin(self) -> bool:
        return self.route.startswith(ADMIN_PREFIX)

    @property
    def key(self) -> str:
        """What the classification tables are keyed by."""
        return self.name

    @property
    def methods(self) -> list[str]:
        return list(self.operation.methods) if self.operation is not None else []

    @property
    def scope(self) -> str | None:
        """The scope an API operation demands (None: no authentication at all)."""
        if self.operation is None or not self.operation.auth_callbacks:
            return None
        scopes = {a.scope for a in self.operation.auth_callbacks if isinstance(a, ApiKeyAuth)}
        assert len(scopes) == 1, f"{self.name}: one scope per operation, got {scopes}"
        return scopes.pop()

    def params(self) -> list[str]:
        return [m["name"] for m in _PARAM.finditer(self.route)] + [
            m["name"] for m in _GROUP.finditer(self.route)
        ]

    def url(self, ids: Mapping[str, str], *, real: bool = True) -> str:
        """The path with every parameter filled: ``ids[name]`` when ``real``, else unknown."""

        def value(name: str, conv: str | None) -> str:
            if real and ids.get(name):
                return ids[name]
            if name in FIXED:
                return FIXED[name]
            if conv == "uuid" or name == "episode_id":
                return UNKNOWN_UUID
            if conv == "int" or name.endswith("_id"):
                return UNKNOWN_INT
            raise KeyError(f"{self.route}: no value for path parameter {name!r}; add one")

        path = _PARAM.sub(lambda m: value(m["name"], m["conv"]), self.route)
        path = _GROUP.sub(lambda m: value(m["name"], None), path)
        return "/" + path.replace("^", "").replace("$", "")


def _operation(callback: Any, name: str) -> Any:
    """The ninja Operation behind an API URL pattern (ninja names patterns by view)."""
    for cell in getattr(callback, "__closure__", None) or ():
        view = cell.cell_contents
        for operation in getattr(view, "operations", ()):
            if operation.view_func.__name__ == name:
                return operation
    return None


def _walk(patterns: list[Any], prefix: str, namespaces: tuple[str, ...]) -> Iterator[Route]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), spaces)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name or "?"))
            route = prefix + str(entry.pattern)
            operation = _operation(entry.callback, entry.name or "")
            yield Route(route, name, entry.callback, operation)


def routes() -> list[Route]:
    """Every URL pattern of the project, in resolver order."""
    return list(_walk(get_resolver().url_patterns, "", ()))


def api_operations() -> list[Route]:
    """API routes backed by a ninja operation (one Route per operation)."""
    return [r for r in routes() if r.is_api and r.operation is not None]


def allowed_methods(client: Any, path: str) -> set[str]:
    """The methods a page accepts, from the ``Allow`` header of an OPTIONS request.

    ``require_GET``/``require_POST`` answer 405 with ``Allow``; class-based views
    answer OPTIONS with it. A view without either (Django admin) accepts anything.
    """
    response = client.options(path)
    allow = response.headers.get("Allow")
    if not allow:
        return {"GET", "POST"}
    return {m.strip().upper() for m in allow.split(",")} - {"OPTIONS", "HEAD"}
