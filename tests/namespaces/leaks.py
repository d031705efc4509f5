"""Finding beta in an answer to alpha: its ids, slug and marker; 404s compared by shape."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.namespaces.conftest import BETA_MARK, Side

UNKNOWN_UUID = "00000000-0000-4000-8000-00000000dead"


def leaks(response: Any, beta: Side) -> list[str]:
    """Everything of beta's in an answer: ids, its namespace, its marker."""
    text = response.content.decode()
    found = [f"episode {e}" for e in beta.episodes if e in text or e.replace("-", "") in text]
    if BETA_MARK in text:
        found.append(f"marker {BETA_MARK}")
    try:
        body = json.loads(text) if text else None
    except ValueError:
        return found  # /metrics is text
    for node in _nodes(body):
        if isinstance(node, str) and node == beta.slug:
            found.append(f"namespace {beta.slug!r}")
        if not isinstance(node, dict) or "id" not in node:
            continue
        if node["id"] in beta.patterns and "occurrence_count" in node:
            found.append(f"pattern {node['id']}")
        if node["id"] in beta.heuristics and "condition" in node:
            found.append(f"heuristic {node['id']}")
        if node["id"] == beta.key_id and "prefix" in node:
            found.append(f"API key {node['id']}")
    return found


def _nodes(value: Any) -> Any:
    yield value
    children = value.values() if isinstance(value, dict) else value
    if isinstance(value, dict | list):
        for child in children:
            yield from _nodes(child)


def masked(value: Any, id_text: str) -> Any:
    """``value`` with the id written as <id> (a UUID's hex form as <hex>, so the form
    shows too): a 404 about beta's id must read exactly like one about an id that
    never existed."""
    if isinstance(value, dict):
        return {k: masked(v, id_text) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v, id_text) for v in value]
    if isinstance(value, str):
        value = re.sub(rf"\b{re.escape(id_text)}\b", "<id>", value)
        return re.sub(rf"\b{re.escape(id_text.replace('-', ''))}\b", "<hex>", value)
    return "<id>" if str(value) == id_text else value


def changed_rows(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    """Beta's rows that alpha's calls changed, as "label: row before -> row after"."""
    changed = []
    for label, rows in before.items():
        gone = [r for r in rows if r not in after[label]]
        new = [r for r in after[label] if r not in rows]
        if gone or new:
            changed.append(f"alpha's calls changed beta's {label} rows: {gone} -> {new}")
    return changed
