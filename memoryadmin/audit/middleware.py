from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from memoryadmin.audit.services import SYSTEM, Actor, acting_as


class AuditActorMiddleware:
    """Console requests act as their logged-in user (API keys are set by the API auth)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Always scoped to this request: whatever the API auth sets inside is
        # undone at the end, so a worker thread never carries it to the next one.
        user = getattr(request, "user", None)
        actor = Actor(user.get_username(), user) if user and user.is_authenticated else SYSTEM
        with acting_as(actor):
            return self.get_response(request)
