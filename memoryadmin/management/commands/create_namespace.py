"""Create a namespace: the hard isolation boundary for one project or team's memory."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from memoryadmin.exceptions import ApplicationError
from memoryadmin.namespaces.services import namespace_create


class Command(BaseCommand):
    help = "Create a namespace (then: create_api_key --namespace SLUG)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("slug", help="lowercase letters, digits, inner hyphens (<= 40)")
        parser.add_argument("--name", default="", help="a display name (default: the slug)")
        parser.add_argument("--description", default="")
        parser.add_argument("--daily-episode-quota", type=int, help="episode starts per UTC day")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            namespace = namespace_create(
                slug=options["slug"],
                name=options["name"],
                description=options["description"],
                daily_episode_quota=options["daily_episode_quota"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"namespace {namespace.slug!r} created (id {namespace.pk})")
