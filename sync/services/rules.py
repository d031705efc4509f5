"""Exclude rules (items an operator keeps out of the cache) and per-item errors."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from memoryadmin.exceptions import ApplicationError

RULE_FIELDS = ("task_type", "domain", "language", "framework", "verdict", "tag", "pattern_kind")


@dataclass(frozen=True)
class ExcludeRules:
    """Rules such as ``domain:payments``, ``tag:secret``, ``archived``, ``pattern_kind:x``."""

    rules: tuple[str, ...] = ()
    by_field: dict[str, frozenset[str]] = field(default_factory=dict)
    archived: bool = False

    @classmethod
    def parse(cls, rules: Iterable[str]) -> ExcludeRules:
        clean: list[str] = []
        by_field: dict[str, set[str]] = {}
        archived = False
        for raw in rules:
            rule = str(raw).strip().lower()
            if not rule:
                continue
            if rule == "archived":
                archived = True
            else:
                name, sep, value = rule.partition(":")
                if not sep or name not in RULE_FIELDS or not value:
                    raise ApplicationError(
                        f"exclude rule {raw!r} is not 'archived' or <field>:<value> "
                        f"with field one of {', '.join(RULE_FIELDS)}",
                        extra={"field": "exclude", "rule": raw},
                    )
                by_field.setdefault(name, set()).add(value)
            clean.append(rule)
        frozen = {k: frozenset(v) for k, v in by_field.items()}
        return cls(tuple(sorted(set(clean))), frozen, archived)

    @property
    def concerns_episodes(self) -> bool:
        """Whether any rule can exclude an episode (else no episode row need be read)."""
        return self.archived or any(name != "pattern_kind" for name in self.by_field)

    def excludes_episode(self, row: dict[str, Any]) -> bool:
        if self.archived and row.get("archived_at") is not None:
            return True
        for name, values in self.by_field.items():
            if name == "tag":
                if values & {str(t).lower() for t in row.get("tags") or []}:
                    return True
            elif name != "pattern_kind" and str(row.get(name) or "").lower() in values:
                return True
        return False

    def excludes_pattern(self, kind: str) -> bool:
        return kind in self.by_field.get("pattern_kind", frozenset())


class ItemError(Exception):
    """One item cannot be cached; ``remediation`` tells the operator what to do."""

    remediation = "fix the source row, then retry it from the retry queue"


class ItemTooLarge(ItemError):
    remediation = (
        "the packed value exceeds SYNC_MAX_ITEM_BYTES: trim the episode (fewer or shorter "
        "steps) or raise the limit, then retry"
    )


class CorruptVector(ItemError):
    remediation = (
        "the stored vector does not match its dimension: re-embed the owner "
        "(manage.py backfill_embeddings) or delete the row, then retry"
    )
