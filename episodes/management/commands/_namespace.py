"""The ``--namespace SLUG`` option of the seeding commands."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser

from memoryadmin.namespaces.models import DEFAULT_SLUG
from memoryadmin.namespaces.selectors import namespace_id_for


def add_namespace_argument(parser: CommandParser) -> None:
    parser.add_argument(
        "--namespace",
        default=DEFAULT_SLUG,
        help=f"slug of the namespace to seed into (default {DEFAULT_SLUG!r}; it must exist)",
    )


def namespace_id_of(slug: str) -> int:
    """The id of namespace ``slug``; a missing one stops the command, naming it."""
    found = namespace_id_for(slug=slug)
    if found is None:
        raise CommandError(
            f"namespace {slug!r} does not exist (create it with manage.py create_namespace)"
        )
    return found
