"""Retry items of the retry queue: those due (default), one by id, or every open one."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from memoryadmin.exceptions import ApplicationError
from sync.management.progress import ProgressBar
from sync.selectors import FailedItemFilters, failed_item_list
from sync.services import failed_item_retry, failed_items_retry_due


class Command(BaseCommand):
    help = "Retry failed sync items (due ones by default)."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group()
        group.add_argument("--id", type=int, help="retry this item now, whatever its schedule")
        group.add_argument(
            "--all", action="store_true", help="retry every open item now (dead letters too)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["id"]:
                item = failed_item_retry(item_id=options["id"], namespace_id=None)
                self.stdout.write(f"item {item.pk} {item.kind}:{item.key} is now {item.state}")
                return
            if options["all"]:
                self._retry_all()
                return
            counts = failed_items_retry_due()
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(" ".join(f"{k}={v}" for k, v in counts.items()))

    def _retry_all(self) -> None:
        # The retry queue is the deployment's: an operator's command works every namespace.
        items = failed_item_list(
            namespace_id=None, filters=FailedItemFilters(open_only=True), limit=200
        )
        bar = ProgressBar(self.stdout, label="retry ")
        states: dict[str, int] = {}
        for i, item in enumerate(items, 1):
            state = failed_item_retry(item_id=item.pk, namespace_id=None).state
            states[state] = states.get(state, 0) + 1
            bar.draw(i, len(items))
        bar.close()
        self.stdout.write(" ".join(f"{k}={v}" for k, v in sorted(states.items())) or "nothing open")
