"""Create an API key for an agent; the key is printed once and never stored."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from memoryadmin.apikeys.services import api_key_create
from memoryadmin.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Create an API key (scopes: read, write, sync, admin); prints the key once."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--name", required=True, help="who or what uses the key")
        parser.add_argument("--scopes", default="read,write", help="comma-separated scopes")
        parser.add_argument("--created-by", help="username recorded as the key's creator")
        parser.add_argument("--rate-limit", type=int, help="requests per minute (default: setting)")
        parser.add_argument("--daily-episode-quota", type=int, help="episode creations per day")
        parser.add_argument(
            "--namespace",
            default="default",
            help="the namespace the key acts in; '*' binds an admin key to all namespaces",
        )
        parser.add_argument("--quiet", action="store_true", help="print the key alone")

    def handle(self, *args: Any, **options: Any) -> None:
        user = None
        if options["created_by"]:
            try:
                user = get_user_model().objects.get_by_natural_key(options["created_by"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"no user named {options['created_by']!r}") from None
        try:
            created = api_key_create(
                name=options["name"],
                scopes=[s for s in options["scopes"].split(",") if s.strip()],
                created_by=user,
                rate_limit_per_minute=options["rate_limit"],
                daily_episode_quota=options["daily_episode_quota"],
                namespace=None if options["namespace"] == "*" else options["namespace"],
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        if options["quiet"]:
            self.stdout.write(created.key)
            return
        key = created.api_key
        where = options["namespace"] if options["namespace"] != "*" else "all namespaces"
        self.stdout.write(
            f"API key {key.name!r} (id {key.pk}, scopes {', '.join(key.scopes)}, in {where}):"
        )
        self.stdout.write(created.key)
        self.stdout.write(
            self.style.WARNING("Shown once: only its hash is stored. Revoke it in the admin API.")
        )
