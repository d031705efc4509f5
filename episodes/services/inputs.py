"""Validation of service inputs into clean values, naming the field on error."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from episodes import limits
from episodes.models.episode import Complexity, ResultKind, TaskType, Verdict
from episodes.sanitize import redact_text, redact_value, shorten
from memoryadmin.exceptions import ApplicationError

# The metadata key that holds how many secrets were redacted from an episode. Only our code
# writes it: an agent's own `metadata.redactions` (at start or in a PATCH, any value, null
# included) is dropped, not kept under another name, so a read-modify-write of the metadata
# round-trips and the count can neither be faked, reset nor made to break a later write.
REDACTIONS_KEY = "redactions"


@dataclass
class Redactions:
    """Counts secrets removed on the way in; kept in the episode's metadata.

    Every string an agent writes passes through one of these methods before it is
    lowercased, stored or used to derive anything (reflection, patterns, index, cache).
    """

    count: int = 0

    def text(self, value: str) -> str:
        clean, n = redact_text(value)
        self.count += n
        return clean

    def value(self, value: Any) -> Any:
        clean, n = redact_value(value)
        self.count += n
        return clean

    def tag(self, value: str) -> str:
        """A tag as stored: redacted, lowercased, within the tag length."""
        return shorten(self.text(value).lower(), limits.TAG_LENGTH_MAX)

    def label(self, value: str, limit: int) -> str:
        """A short field (tool, language, tag): redacted, then cut to its column's width
        (a placeholder can be longer than the secret it replaced)."""
        return shorten(self.text(value), limit)


def redaction_count(metadata: dict[str, Any]) -> int:
    """The count stored in ``metadata``; anything but a positive integer (an agent's value
    stored before the key was ours) counts as 0 and is overwritten."""
    stored = metadata.get(REDACTIONS_KEY)
    return stored if type(stored) is int and stored > 0 else 0


def agent_metadata(value: dict[str, Any], redactions: Redactions) -> dict[str, Any]:
    """An agent's metadata, redacted (keys and values, nested), without our own key."""
    return redactions.value({k: v for k, v in value.items() if k != REDACTIONS_KEY})


def choice(field_name: str, value: Any, choices: type[TaskType | Complexity | Verdict]) -> str:
    allowed = [c.value for c in choices]
    if value not in allowed:
        raise ApplicationError(
            f"{field_name} must be one of {', '.join(allowed)} (got {value!r})",
            extra={"field": field_name, "allowed": allowed},
        )
    return str(value)


def as_int(field_name: str, value: Any, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ApplicationError(
            f"{field_name} must be an integer ≥ {minimum}", extra={"field": field_name}
        )
    return value


def as_text(field_name: str, value: Any, limit: int, *, required: bool = False) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ApplicationError(f"{field_name} must be a string", extra={"field": field_name})
    limits.check_text(field_name, value, limit, required=required)
    return value


@dataclass
class CleanStep:
    tool: str
    action: str
    parameters: dict[str, Any]
    success: bool
    result_kind: str
    result_text: str
    latency_ms: int
    tokens: int
    observation: str
    timestamp: datetime | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def clean_step(index: int, raw: dict[str, Any], redactions: Redactions) -> CleanStep:
    where = f"steps[{index}]"
    tool = as_text(f"{where}.tool", raw.get("tool"), limits.TOOL_MAX, required=True).strip()
    action = as_text(f"{where}.action", raw.get("action", ""), limits.ACTION_MAX)
    parameters = raw.get("parameters") or {}
    if not isinstance(parameters, dict):
        raise ApplicationError(
            f"{where}.parameters must be an object", extra={"field": f"{where}.parameters"}
        )
    limits.check_json(f"{where}.parameters", parameters)
    success = raw.get("success")
    if not isinstance(success, bool):
        raise ApplicationError(
            f"{where}.success must be true or false", extra={"field": f"{where}.success"}
        )
    observation = as_text(f"{where}.observation", raw.get("observation"), limits.OBSERVATION_MAX)
    result_kind = raw.get("result_kind") or (ResultKind.SUCCESS if success else ResultKind.ERROR)
    if result_kind not in ResultKind.values:
        raise ApplicationError(
            f"{where}.result_kind must be one of {', '.join(ResultKind.values)}",
            extra={"field": f"{where}.result_kind"},
        )
    result_text = as_text(f"{where}.result_text", raw.get("result_text"), limits.OBSERVATION_MAX)
    timestamp = raw.get("timestamp")
    if timestamp is not None and not isinstance(timestamp, datetime):
        raise ApplicationError(
            f"{where}.timestamp must be a datetime", extra={"field": f"{where}.timestamp"}
        )
    return CleanStep(
        tool=redactions.label(tool, limits.TOOL_MAX),
        action=redactions.text(action),
        parameters=redactions.value(parameters),
        success=success,
        result_kind=str(result_kind),
        result_text=redactions.text(result_text),
        latency_ms=as_int(f"{where}.latency_ms", raw.get("latency_ms", 0)),
        tokens=as_int(f"{where}.tokens", raw.get("tokens", 0)),
        observation=redactions.text(observation),
        timestamp=timestamp,
    )


OUTCOME_FIELDS: dict[str, dict[str, type | tuple[type, ...]]] = {
    Verdict.SUCCESS: {"verdict": str, "artifacts": list},
    Verdict.PARTIAL_SUCCESS: {"verdict": str, "completed": list, "failed": list},
    Verdict.FAILURE: {"reason": str, "error_details": (str, dict, type(None))},
    Verdict.ABSTAINED: {"reason": str, "stopped_at_step": (int, type(None))},
}


def clean_outcome(raw: Any, redactions: Redactions) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ApplicationError("outcome must be an object with a kind", extra={"field": "outcome"})
    kind = choice("outcome.kind", raw.get("kind"), Verdict)
    clean: dict[str, Any] = {"kind": kind}
    for name, expected in OUTCOME_FIELDS[kind].items():
        value = raw.get(name)
        if value is None and name in ("artifacts", "completed", "failed"):
            value = []
        if value is None and name in ("verdict", "reason"):
            value = ""
        if not isinstance(value, expected) or isinstance(value, bool):
            raise ApplicationError(
                f"outcome.{name} has the wrong type for a {kind} outcome",
                extra={"field": f"outcome.{name}"},
            )
        if isinstance(value, list) and not all(isinstance(v, str) for v in value):
            raise ApplicationError(
                f"outcome.{name} must be a list of strings", extra={"field": f"outcome.{name}"}
            )
        clean[name] = value
    if kind == Verdict.ABSTAINED and clean["stopped_at_step"] is not None:
        as_int("outcome.stopped_at_step", clean["stopped_at_step"])
    limits.check_json("outcome", clean)
    for name in ("verdict", "reason"):
        if name in clean:
            limits.check_text(f"outcome.{name}", clean[name], limits.DESCRIPTION_MAX)
    return redactions.value(clean)
