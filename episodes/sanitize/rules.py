"""The redaction rules, most specific first (order matters: later rules skip
what earlier ones already replaced)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from episodes.sanitize.matching import (
    _KEY,
    _SCHEMES,
    _assignment_kind,
    _auth_header_kind,
    _bearer_kind,
    _cli_kind,
    _connection_password_kind,
)

_WORD_CHAR = "[A-Za-z0-9_-]"
_END = r"(?![A-Za-z0-9_-])"  # a token ends where token characters end


@dataclass(frozen=True)
class _Rule:
    """One regex. The last capturing group to close holds the secret (the rest of the match
    is kept); a rule marked ``whole`` replaces the whole match."""

    kind: str
    pattern: re.Pattern[str]
    decide: Callable[[re.Match[str]], str | None] | None = None  # None: keep this match
    whole: bool = False


def _rule(
    kind: str, pattern: str, decide: Callable[[re.Match[str]], str | None] | None = None
) -> _Rule:
    return _Rule(kind, re.compile(pattern, re.ASCII), decide)


def _tokens(*alternatives: tuple[str, str, int, str]) -> _Rule:
    """One regex for all prefixed tokens, ``(kind, head, width of head, body)``.

    Each branch starts with its literal head so the engine can jump between candidates (a
    lookbehind first would make it try every position, once per kind); the check that no
    token character precedes the head comes right after it. The empty group ``(?P<tN>)``
    names the branch that matched.
    """
    kinds = [kind for kind, _, _, _ in alternatives]
    branches = [
        rf"{head}(?P<t{i}>)(?:(?<!{_WORD_CHAR}.{{{width}}})|(?<=\\[nrt].{{{width}}})){body}"
        for i, (_, head, width, body) in enumerate(alternatives)
    ]
    pattern = re.compile("|".join(branches), re.ASCII)
    return _Rule("token", pattern, lambda m: kinds[int((m.lastgroup or "t0")[1:])], whole=True)


_PEM_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
_PEM_LINE = r"[A-Za-z0-9+/]{16,}+={0,2}|[A-Za-z0-9+/]*+={1,2}|(?:Proc-Type|DEK-Info):[^\r\n\\]*+"
# Value forms after `key=` / `"key": `: quoted on one line, JSON-escaped quotes, or bare.
_VALUE = (
    r"(?:(?:[bBrRuUfF]{1,2}(?=[\"']))?"  # Python string prefixes: b'...', f"...", rb"..."
    r"(?:\\\"(?P<eq>[^\"\\\r\n]*+)\\\"|\"(?P<dq>(?:[^\"\\\r\n]++|\\.)*+)\""
    r"|'(?P<sq>(?:[^'\\\r\n]++|\\.)*+)')|(?P<bare>[^\s\"'`,;&|<>(){}\[\]\\]++))"
)
_NOT_REDACTED = r"(?!\[REDACTED:)"

# Order matters: specific labels first; later rules skip anything already a placeholder.
_RULES: tuple[_Rule, ...] = (
    _rule("private_key", _PEM_BEGIN + r"(?:[^-]++|-(?!----))*+" + _PEM_END),
    # Truncated block (no END line): the header plus the base64 lines that follow it.
    _rule("private_key", _PEM_BEGIN + rf"(?:(?:[ \t]|\r?\n|\\r?\\n)++(?:{_PEM_LINE}))++"),
    _rule(
        "slack_webhook",
        r"hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>[A-Za-z0-9_/-]{8,}+)",
    ),
    _tokens(
        ("jwt", "eyJ", 3, rf"[A-Za-z0-9_-]{{8,}}+\.[A-Za-z0-9_-]{{8,}}+\.[A-Za-z0-9_-]++{_END}"),
        ("github_token", "gh[pousr]_", 4, rf"[A-Za-z0-9]{{30,}}+{_END}"),
        ("github_token", "github_pat_", 11, rf"[A-Za-z0-9_]{{30,}}+{_END}"),
        (
            "gitlab_token",
            "gl",
            2,
            r"(?:pat|dt|rt|ptt|ft|cbt|oas|soat|imt|agent)-[A-Za-z0-9_-]{20,}+"
            r"(?:\.[A-Za-z0-9_-]++)*+",
        ),
        ("slack_token", "xox", 3, rf"(?:[abeprs]|e\.xox[bp])-[A-Za-z0-9-]{{10,}}+{_END}"),
        ("stripe_key", "[sr]k_", 3, r"(?:live|test)_[A-Za-z0-9]{16,}+"),
        ("stripe_key", "whsec_", 6, r"[A-Za-z0-9_]{24,}+"),
        ("anthropic_key", "sk-ant-", 7, r"(?:api|admin)\d\d-[A-Za-z0-9_-]{20,}+"),
        (
            "openai_key",
            "sk-",
            3,
            rf"(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{{20,}}+|[A-Za-z0-9]{{32,}}+){_END}",
        ),
        ("huggingface_token", "hf_", 3, rf"[A-Za-z0-9]{{30,}}+{_END}"),
        ("npm_token", "npm_", 4, rf"[A-Za-z0-9]{{36}}{_END}"),
        ("pypi_token", "pypi-", 5, r"AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}+"),
        ("gcp_api_key", "AIza", 4, rf"[A-Za-z0-9_-]{{35}}{_END}"),
        ("aws_access_key_id", "A", 1, rf"(?:KIA|SIA|BIA|CCA)[A-Z0-9]{{16}}{_END}"),
    ),
    _rule(
        "aws_secret_key",
        r"(?=[AaSs])(?i:(?<![A-Za-z0-9])(?:aws_?secret_?(?:access_?)?key|secret_?access_?key))"
        r"[\"']?[ \t]*(?:=>?|:)[ \t]*[\"']?(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    ),
    _rule(
        "azure_key",
        r"(?=[AaSs])(?i:(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig))"
        r"[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9+/%]{16,}+={0,2})",
    ),
    _rule(
        "auth_header",
        r"(?=[AaPp])(?i:(?<![A-Za-z0-9_-])(?:proxy-)?authorization)"
        r"\\?[\"']?[ \t]*[:=][ \t]*\\?[\"']?[ \t]*"
        rf"(?:(?P<scheme>(?i:{_SCHEMES}))[ \t]+)?{_NOT_REDACTED}(?P<secret>[^\s\"'\\,;]++)",
        _auth_header_kind,
    ),
    _rule(
        "bearer_token",
        rf"(?=[Bb])(?<![A-Za-z0-9_-])(?i:bearer)[ \t]+{_NOT_REDACTED}"
        r"(?P<secret>[A-Za-z0-9._~+/-]++=*+)",
        _bearer_kind,
    ),
    # scheme://user:password@host - the password may hold "@", so take up to the last one.
    _rule("password", rf"://[^\s:/?#@\"'<>\[\]]*+:{_NOT_REDACTED}(?P<secret>[^\s/?#\"'<>]+)@"),
    # ADO-style connection strings: Server=...;User Id=...;Password=p a s s; (the bare value
    # stops at "=" so a run of "password=password=..." cannot make this quadratic).
    _rule(
        "password",
        r"(?=[Pp])(?i:(?<![A-Za-z0-9_-])(?:password|pwd))(?P<op>[ \t]*=[ \t]*)"
        + _NOT_REDACTED
        + r"(?:\"(?P<dq>[^\"\r\n]*+)\"|'(?P<sq>[^'\r\n]*+)'|(?P<bare>[^;=\r\n\"']++))(?=;)",
        _connection_password_kind,
    ),
    _rule(
        "assignment",
        r"(?=-)(?<![A-Za-z0-9_-])(?P<key>--?(?i:password|passwd|token|api[_-]?key|secret"
        r"|client[_-]?secret|access[_-]?token|auth[_-]?token))[ \t]+(?!-)"
        + _NOT_REDACTED
        + r"(?:\"(?P<dq>[^\"\r\n]*+)\"|'(?P<sq>[^'\r\n]*+)'|(?P<bare>[^\s\"'`]++))",
        _cli_kind,
    ),
    _rule(
        "assignment",
        rf"(?P<key>{_KEY})(?P<op>\\?[\"']?[ \t]*(?:=>|=(?!=)|:(?![:=]))[ \t]*){_VALUE}",
        _assignment_kind,
    ),
)
