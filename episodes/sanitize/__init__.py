"""Redact secrets from what agents send (text and JSON-like values) before it is stored.

Every secret found is replaced by ``[REDACTED:<kind>]``; the text around it (user names,
hosts, key names, quotes) is kept so a stored episode still reads sensibly.

Trade-offs, chosen on purpose:

- Rules are regular expressions, applied in a fixed order: provider-specific tokens first
  (their label is the most useful), then header/URL/connection-string shapes, then the
  generic ``name=value`` rule. A later rule never re-matches a placeholder, which is also
  what makes ``redact_text`` idempotent.
- No entropy detector: a random-looking string on its own (a commit sha, a UUID, base64 of
  some words) is kept. Secrets are found by a provider prefix (``ghp_``, ``AKIA``, ``xoxb-``,
  ``eyJ``...) or by a secret-naming key next to them (``password=``, ``"api_key": ...``).
- The generic rule leans towards redacting config and shell text, and away from code: values
  that read as code or as the *name* of a secret are kept (calls, attribute paths,
  ``db_password``, ``MY_API_KEY``, ``your-api-key``, type names, ``${VAR}``, ``{{ tpl }}``,
  ``f"{x}"``, ``<placeholder>``, masked or elided examples such as ``***`` and ``sk-...``).
  After ``:`` or a spaced `` = `` (YAML, dicts, code, prose) a digit-free name or a number
  is kept too (``token = Punctuation``, ``"retries": 3``, ``token: expired``); ``KEY=value``
  without spaces (shell, env files, query strings, kwargs) is redacted. Under a ``*token``
  key, values shorter than 8 characters or holding spaces are kept (LLM log-probs carry
  ``"token": " the"``). The price: a weak digit-free password (``password: letmein``) slips
  through.
- Unterminated PEM blocks are redacted up to the last base64-looking line; a key cut off in
  a log is still a key.
- A prefixed token glued to the word before it (``id_AKIA...``, ``x-ghp_...``, the
  ``ghp_`` of ``token%3Dghp_...``) is a token only if its body looks random: for base62
  bodies digits, upper- and lowercase letters that switch often (``_looks_random``; about
  1% of real 30-character tokens look too regular and are kept when glued), for AWS key ids
  a digit, for JWTs a first segment that decodes to a JSON object. Identifiers
  (``task_test_CheckoutFlowV2Regression``) and hex (``disk-<sha1>``) are kept. A token
  followed by ``_`` or ``-`` (``ghp_..._prod``) is a token.
- URL-encoded separators count as their characters: ``%3D``/``%3d`` as ``=``, ``%3A`` as
  ``:``, ``%20`` as a space, ``%22``/``%27`` as quotes, double-encoded (``%253D``) too, in
  ``name=value`` assignments, ``Authorization``/``Bearer`` headers and AWS/Azure keys; a name
  may follow a percent-escape (``%26token%3D...``) and, after an encoded separator, a bare
  value ends at an encoded ``&``, space, ``,`` or ``;``.
- No rule can backtrack catastrophically: token bodies use possessive quantifiers, a token
  may only start where no token character precedes it unless bounded lookaheads (a few
  dozen characters) say its body is random, quoted values stay on one line and every
  unbounded run stops at the character that would start the next candidate (the header of
  a glued JWT is bounded to 1000 characters for the same reason). Each rule is one linear
  pass; 1 MB of adversarial input takes a fraction of a second, ordinary text about
  0.1 s/MB. Prefixed tokens share one regex led by literal heads, so the engine can skip
  ahead instead of trying every position once per provider.
- Dict keys are text like any other: a key holding a secret is redacted, and if it then
  collides with another key it gets a ``#2``, ``#3``... suffix (keys that did not change
  keep their name; the rest follow the dict's order, so the result is deterministic).

Known gaps: credentials that are only a URL user (``https://TOKEN@host``) unless the token
has a known prefix; ``Authorization`` parameters after the first comma (Digest, AWS SigV4 -
the access key id is still caught); secrets split across JSON values; a secret-naming key
glued inside a lowercase word (``mypassword=...``; ``myPassword=`` and ``my_password=``
are caught); URL-encoded connection strings and URL passwords (``%3A...%40``); very deep
nesting is bounded by Python's recursion limit.
"""

from __future__ import annotations

import re
from typing import Any

from episodes.sanitize.matching import (
    _REDACTED_VALUE,
    _SECRET_NAME,
    REDACTED,
    RedactionCounter,
    _value_may_be_secret,
)
from episodes.sanitize.rules import (
    _RULES,
    _Rule,
)

__all__ = ["REDACTED", "RedactionCounter", "redact_text", "redact_value", "shorten"]

_PLACEHOLDER = re.compile(r"\[REDACTED:[a-z0-9_]+\]")
_PLACEHOLDER_MAX = 40  # "[REDACTED:" + the longest kind + "]", with room to spare


def _apply(rule: _Rule, text: str, counter: RedactionCounter) -> str:
    def replace(m: re.Match[str]) -> str:
        kind = rule.kind if rule.decide is None else rule.decide(m)
        if kind is None:
            return m.group(0)
        counter.add(kind)
        placeholder = REDACTED.format(kind=kind)
        group = None if rule.whole else m.lastgroup
        if group is None:
            return placeholder
        start, end = m.span(group)
        return text[m.start() : start] + placeholder + text[end : m.end()]

    return rule.pattern.sub(replace, text)


# Every secret a rule finds is at least this long ("xoxb-" and ten characters) or holds a
# separator (`=`, `:`, `%3D`, a space): the many short words of JSON keys and values skip
# the rules (a typical step batch is redacted ~20% faster).
_SHORTEST_SECRET = 15
_SEPARATOR = re.compile(r"[=:%\s]")


def _redact_text(text: str, counter: RedactionCounter) -> str:
    if len(text) < _SHORTEST_SECRET and _SEPARATOR.search(text) is None:
        return text
    for rule in _RULES:
        text = _apply(rule, text, counter)
    return text


def redact_text(text: str, *, counter: RedactionCounter | None = None) -> tuple[str, int]:
    """Return ``(text with secrets replaced by [REDACTED:<kind>], number of redactions)``.

    ``counter``, when given, also receives the per-kind totals.
    """
    local = RedactionCounter()
    clean = _redact_text(text, local)
    if counter is not None:
        counter.merge(local)
    return clean, local.total


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, never inside a placeholder.

    For short fields (a tool name, a tag): a placeholder can be longer than the secret it
    replaced, and half a placeholder reads as garbage. A cut one is dropped whole.
    """
    if len(text) <= limit:
        return text
    cut = limit
    for m in _PLACEHOLDER.finditer(text, 0, limit + _PLACEHOLDER_MAX):
        if m.start() < limit < m.end():
            cut = m.start()
    return text[:cut]


def _redact_secret_field(key: str, value: str, counter: RedactionCounter) -> str:
    if _REDACTED_VALUE.fullmatch(value):
        return value  # already redacted: idempotent
    local = RedactionCounter()
    clean = _redact_text(value, local)
    if _REDACTED_VALUE.fullmatch(clean) or not _value_may_be_secret(key, value):
        counter.merge(local)  # keep the specific label ("Bearer [REDACTED:jwt]")
        return clean
    counter.add("secret_field")
    return REDACTED.format(kind="secret_field")


def _unique(name: str, taken: set[str]) -> str:
    """``name``, or ``name#2``, ``name#3``... : the first one not yet taken (then taken)."""
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{name}#{n}"
    taken.add(candidate)
    return candidate


def _walk_dict(value: dict[Any, Any], counter: RedactionCounter) -> dict[Any, Any]:
    # Keys are text too. Keys that stay as they were keep their name; a redacted key that
    # now collides with another key gets a suffix, in the dict's order (deterministic).
    keys = [_redact_text(k, counter) if isinstance(k, str) else k for k in value]
    taken = {new for old, new in zip(value, keys, strict=True) if new == old}
    out = {}
    for (key, item), new in zip(value.items(), keys, strict=True):
        if new != key:
            new = _unique(new, taken)
        if isinstance(key, str) and isinstance(item, str) and _SECRET_NAME.search(key):
            out[new] = _redact_secret_field(key, item, counter)
        else:
            out[new] = _walk(item, counter)
    return out


def _walk(value: Any, counter: RedactionCounter) -> Any:
    if isinstance(value, str):
        return _redact_text(value, counter)
    if isinstance(value, dict):
        return _walk_dict(value, counter)
    if isinstance(value, list | tuple):
        items = [_walk(item, counter) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value  # numbers, booleans, None and anything else are kept as they are


def redact_value(value: Any, *, counter: RedactionCounter | None = None) -> tuple[Any, int]:
    """Deep-copy a JSON-like value with every secret redacted; return it and the count.

    Strings are redacted as text, dict keys included (a key that collides with another once
    redacted gets a ``#2``, ``#3``... suffix). A string under a dict key that names a secret
    (password, api_key, token, secret, authorization, cookie, ...) is replaced as a whole.
    Dicts, lists and tuples are rebuilt, so the input is never mutated.
    """
    local = RedactionCounter()
    clean = _walk(value, local)
    if counter is not None:
        counter.merge(local)
    return clean, local.total
