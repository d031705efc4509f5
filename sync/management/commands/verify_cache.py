"""Verify the redb cache against the database and print the checks."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from memoryadmin.exceptions import ApplicationError
from sync.services import sync_verify


class Command(BaseCommand):
    help = "Verify the cache: counts, latest N present, orphans, content hashes, integrity."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--full", action="store_true", help="compare every hash, not a sample")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = sync_verify(full=options["full"])
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        checks = list(report.checks.all())
        if options["json"]:
            data = {
                "id": report.pk,
                "passed": report.passed,
                "full": report.full,
                "summary": report.summary,
                "checks": [
                    {"name": c.name, "passed": c.passed, "details": c.details} for c in checks
                ],
            }
            self.stdout.write(json.dumps(data, default=str))
        else:
            for check in checks:
                mark = self.style.SUCCESS("pass") if check.passed else self.style.ERROR("FAIL")
                detail = "" if check.passed else f"  {json.dumps(check.details, default=str)[:400]}"
                self.stdout.write(f"{mark}  {check.name}{detail}")
            self.stdout.write(f"{report.summary} ({report.duration_ms:.0f} ms)")
        if not report.passed:
            raise CommandError(f"validation #{report.pk} failed: {report.summary}")
