"""The redaction rules, most specific first (order matters: later rules skip
what earlier ones already replaced)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from episodes.sanitize.matching import (
    _KEY,
    _SCHEMES,
    _assignment_kind,
    _auth_header_kind,
    _bearer_kind,
    _cli_kind,
    _connection_password_kind,
    _glued_jwt_kind,
)

_WORD_CHAR = "[A-Za-z0-9_-]"
# URL-encoded separators (also double-encoded: %253D): `token%3Dghp_...` is an assignment.
_EQ = r"(?:=|%(?:25)?3[Dd])"
_COLON = r"(?::|%(?:25)?3[Aa])"
_SPACE = r"(?:[ \t]|%(?:25)?20)"
_QUOTE = r"(?:[\"']|%(?:25)?2[27])"

# A token glued to the word before it (`id_AKIA...`, `token%3Dghp_...`) only counts when its
# body looks random, checked by the regex (bounded lookaheads, so a glued head costs a few
# dozen steps however long the word is) and, for base62 bodies, by `_looks_random`:
# real tokens mix digits, upper- and lowercase letters, identifiers
# (`task_test_CheckoutFlowV2Regression`) and hex (`disk-<sha>`) do not.
_HAS_DIGIT = r"(?=[A-Za-z_-]{0,64}+[0-9])"
_HAS_LETTER = r"(?=[0-9_-]{0,64}+[A-Za-z])"
_GLUED = {
    "mixed": _HAS_DIGIT + r"(?=[a-z0-9_-]{0,64}+[A-Z])(?=[A-Z0-9_-]{0,64}+[a-z])",
    "alnum": _HAS_DIGIT + _HAS_LETTER,
    "aws": r"(?=[A-Z]{0,18}+[0-9])",  # AKIA bodies are uppercase and digits
    "always": "",  # the head alone is distinctive (pypi-AgEIcHlwaS5vcmc...)
}
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


def _glued(m: re.Match[str]) -> bool:
    """Whether a token character (not a JSON escape such as ``\\n``) comes right before."""
    text, start = m.string, m.start()
    if start == 0 or text[start - 1] not in _TOKEN_CHARS:
        return False
    return not (start >= 2 and text[start - 2] == "\\" and text[start - 1] in "nrt")


def _looks_random(body: str) -> bool:
    """Base62 noise switches between digits, upper- and lowercase at ~62% of its characters
    (36 random characters: 22 ± 3 switches); words in camelCase switch about twice a word
    (`CheckoutFlowV2Regression`: 8 in 24). The bar at 40% misses ~1% of real tokens."""
    classes = [c.isdigit() + 2 * c.isupper() for c in body if c.isalnum()]
    switches = sum(a != b for a, b in pairwise(classes))
    return switches * 5 >= len(classes) * 2


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


def _tokens(*alternatives: tuple[str, str, int, str, str | None]) -> _Rule:
    """One regex for all prefixed tokens, ``(kind, head, width of head, body, glued)``.

    Each branch starts with its literal head so the engine can jump between candidates (a
    lookbehind first would make it try every position, once per kind); the check of what
    precedes the head comes right after it: nothing of a token (or a JSON escape such as
    ``\\n``), or else a token character and a body that passes the ``glued`` check (a key
    of ``_GLUED``; ``None``: never glued). The empty group ``(?P<tN>)`` names the branch.
    """
    branches = [
        rf"{head}(?P<t{i}>)(?:(?<!{_WORD_CHAR}.{{{width}}})|(?<=\\[nrt].{{{width}}})"
        + ("" if glued is None else f"|{_GLUED[glued]}")
        + f"){body}"
        for i, (_, head, width, body, glued) in enumerate(alternatives)
    ]

    def decide(m: re.Match[str]) -> str | None:
        kind, _, width, _, glued = alternatives[int((m.lastgroup or "t0")[1:])]
        if glued == "mixed" and _glued(m) and not _looks_random(m.group(0)[width:]):
            return None
        return kind

    return _Rule("token", re.compile("|".join(branches), re.ASCII), decide, whole=True)


_PEM_BEGIN = r"-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
_PEM_END = r"-----END (?:[A-Z0-9]+ ){0,3}PRIVATE KEY(?: BLOCK)?-----"
_PEM_LINE = r"[A-Za-z0-9+/]{16,}+={0,2}|[A-Za-z0-9+/]*+={1,2}|(?:Proc-Type|DEK-Info):[^\r\n\\]*+"
# Value forms after `key=` / `"key": `: quoted on one line, JSON-escaped quotes, or bare.
# After a URL-encoded separator (group `enc`) a bare value also ends at an encoded
# `&`, space, `,` or `;` (`token%3Dabc%26page%3D2`).
_VALUE = (
    r"(?:(?:[bBrRuUfF]{1,2}(?=[\"']))?"  # Python string prefixes: b'...', f"...", rb"..."
    r"(?:\\\"(?P<eq>[^\"\\\r\n]*+)\\\"|\"(?P<dq>(?:[^\"\\\r\n]++|\\.)*+)\""
    r"|'(?P<sq>(?:[^'\\\r\n]++|\\.)*+)')"
    r"|(?(enc)(?P<ebare>(?:[^\s\"'`,;&|<>(){}\[\]\\%]++|%(?!(?:25)?(?:2[06Cc]|3[Bb])))++)"
    r"|(?P<bare>[^\s\"'`,;&|<>(){}\[\]\\]++)))"
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
        # Glued JWTs have a rule of their own (below): their body can hold another "eyJ".
        ("jwt", "eyJ", 3, r"[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]{8,}+\.[A-Za-z0-9_-]++", None),
        ("github_token", "gh[pousr]_", 4, r"[A-Za-z0-9]{30,}+", "mixed"),
        ("github_token", "github_pat_", 11, r"[A-Za-z0-9_]{30,}+", "mixed"),
        (
            "gitlab_token",
            "gl",
            2,
            r"(?:pat|dt|rt|ptt|ft|cbt|oas|soat|imt|agent)-[A-Za-z0-9_-]{20,}+"
            r"(?:\.[A-Za-z0-9_-]++)*+",
            "alnum",
        ),
        ("slack_token", "xox", 3, r"(?:[abeprs]|e\.xox[bp])-[A-Za-z0-9-]{10,}+", "alnum"),
        ("stripe_key", "[sr]k_", 3, r"(?:live|test)_[A-Za-z0-9]{16,}+", "mixed"),
        ("stripe_key", "whsec_", 6, r"[A-Za-z0-9_]{24,}+", "mixed"),
        ("anthropic_key", "sk-ant-", 7, r"(?:api|admin)\d\d-[A-Za-z0-9_-]{20,}+", "mixed"),
        (
            "openai_key",
            "sk-",
            3,
            r"(?:(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}+|[A-Za-z0-9]{32,}+)",
            "mixed",
        ),
        ("huggingface_token", "hf_", 3, r"[A-Za-z0-9]{30,}+", "mixed"),
        # Fixed-length bodies end where their alphabet ends (`AIza...` then `_prod` is fine).
        ("npm_token", "npm_", 4, r"[A-Za-z0-9]{36}(?![A-Za-z0-9])", "mixed"),
        ("pypi_token", "pypi-", 5, r"AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}+", "always"),
        ("gcp_api_key", "AIza", 4, r"[A-Za-z0-9_-]{35}(?![A-Za-z0-9])", "mixed"),
        (
            "aws_access_key_id",
            "A",
            1,
            r"(?:KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Z0-9])",
            "aws",
        ),
    ),
    # A JWT glued to the word before it: its first segment must decode to a JSON object.
    # The header is bounded so a run of "eyJ"s without dots stays linear.
    _rule(
        "jwt",
        r"(?P<secret>eyJ(?<=[A-Za-z0-9_-].{3})[A-Za-z0-9_-]{8,1000}+\.[A-Za-z0-9_-]{8,}+"
        r"\.[A-Za-z0-9_-]++)",
        _glued_jwt_kind,
    ),
    _rule(
        "aws_secret_key",
        r"(?=[AaSs])(?i:(?<![A-Za-z0-9])(?:aws_?secret_?(?:access_?)?key|secret_?access_?key))"
        rf"{_QUOTE}?{_SPACE}*(?:{_EQ}>?|{_COLON}){_SPACE}*{_QUOTE}?"
        r"(?P<secret>[A-Za-z0-9/+]{40})(?![A-Za-z0-9/+=])",
    ),
    _rule(
        "azure_key",
        r"(?=[AaSs])(?i:(?<![A-Za-z0-9])(?:AccountKey|SharedAccessKey|SharedAccessSignature|sig))"
        rf"{_SPACE}*{_EQ}{_SPACE}*(?P<secret>[A-Za-z0-9+/%]{{16,}}+={{0,2}})",
    ),
    _rule(
        "auth_header",
        r"(?=[AaPp])(?:(?<![A-Za-z0-9_-])|(?<=%[0-9A-Fa-f]{2}))(?i:(?:proxy-)?authorization)"
        rf"\\?{_QUOTE}?{_SPACE}*(?:{_COLON}|{_EQ}){_SPACE}*\\?{_QUOTE}?{_SPACE}*"
        rf"(?:(?P<scheme>(?i:{_SCHEMES})){_SPACE}+)?{_NOT_REDACTED}(?P<secret>[^\s\"'\\,;%]++)",
        _auth_header_kind,
    ),
    _rule(
        "bearer_token",
        r"(?=[Bb])(?:(?<![A-Za-z0-9_-])|(?<=%[0-9A-Fa-f]{2}))(?i:bearer)"
        rf"{_SPACE}+{_NOT_REDACTED}"
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
        rf"(?P<key>{_KEY})(?P<op>\\?{_QUOTE}?{_SPACE}*"
        rf"(?:=>|=(?!=)|:(?![:=])|(?P<enc>%(?:25)?3[DdAa])){_SPACE}*){_VALUE}",
        _assignment_kind,
    ),
)
