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
- No rule can backtrack catastrophically: token bodies use possessive quantifiers, a token
  may only start where no token character precedes it, quoted values stay on one line and
  every unbounded run stops at the character that would start the next candidate. Each rule
  is one linear pass; 1 MB of adversarial input takes a fraction of a second, ordinary text
  about 0.1 s/MB. Prefixed tokens share one regex led by literal heads, so the engine can
  skip ahead instead of trying every position once per provider.

Known gaps: credentials that are only a URL user (``https://TOKEN@host``) unless the token
has a known prefix; ``Authorization`` parameters after the first comma (Digest, AWS SigV4 -
the access key id is still caught); secrets split across JSON values; dict keys themselves
are never rewritten; very deep nesting is bounded by Python's recursion limit.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

REDACTED = "[REDACTED:{kind}]"

# Names of settings/fields that hold secrets; a key matches when it *ends* with one of them
# (OPENAI_API_KEY, db_password, x-api-key), so password_field or get_api_key( do not.
_KEYWORDS = (
    r"api[_-]?key|secret[_-]?(?:access[_-]?)?key|(?:private|account|signing|encryption|master)"
    r"[_-]?key|secret|token|password|passwd|passphrase|pwd"
)
_CAMEL = (
    r"Api[Kk]ey|APIKey|Secret(?:Access)?Key|(?:Private|Account|Signing|Encryption|Master)Key"
    r"|Secret|Token|Password|Passwd|Passphrase|Pwd"
)
# The leading lookahead lists the first letters of all of them: it lets the regex engine skip
# positions quickly instead of trying every alternative everywhere (several times faster).
_KEY = (
    rf"(?=[AaEeMmPpSsTt])(?:(?<![A-Za-z0-9])(?i:{_KEYWORDS})|(?<=[a-z0-9])(?:{_CAMEL}))"
    r"(?![A-Za-z0-9_])"
)
_SECRET_NAME = re.compile(
    rf"(?:(?<![A-Za-z0-9])(?i:{_KEYWORDS}|(?:proxy-)?authorization|(?:set-)?cookie)"
    rf"|(?<=[a-z0-9])(?:{_CAMEL}|Authorization|Cookie))\Z"
)
_SCHEMES = r"bearer|basic|token|bot|digest|negotiate|ntlm|apikey|aws4-hmac-sha256|oauth|hawk|jwt"
# What a secret-named field looks like once handled: a placeholder, maybe after its scheme.
_REDACTED_VALUE = re.compile(rf"\s*(?:(?i:{_SCHEMES})\s+)?\[REDACTED:[a-z0-9_]+\]\s*")

# Whole values that only stand in for a secret: no letters or digits at all ("***", "?"),
# masks ("xxxx"), bind parameters (":password", "%s"), literals, type names and keywords.
_STAND_IN = re.compile(
    r"[\W_]*|[*xX#._-]+|[:@$%?][A-Za-z_]\w*|%s"
    r"|(?i:none|null|nil|true|false|undefined|yes|no|on|off|str|string|int|integer|bool|boolean"
    r"|bytes|any|object|optional|required|text|await|new|yield|lambda|function|async|not|this"
    r"|self|typeof|require|input|getpass|value|placeholder|redacted|masked|hidden)"
)
# Parts of a variable name that mark it as holding a secret (password=db_password is code).
_SECRET_WORD = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|pw|tok(?:en)?|secrets?|key|api(?:key)?|creds?|credentials?|auth",
    re.IGNORECASE,
)
_DOTTED = re.compile(r"[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+")
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_TEMPLATE_FIELD = re.compile(r"\{[A-Za-z_][\w.]*\}")  # f"{name}", "{0.attr}" is not literal
_KEBAB = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)+")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")
_WORD_PARTS = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_PATHLIKE = re.compile(r"[/~]|[A-Za-z]:[\\/]")
_EXPRESSION_GOES_ON = re.compile(r"[ \t]+[^\s#;/]")  # not a comment or the end of a statement
_PROSE_GOES_ON = re.compile(r"[ \t]+[A-Za-z]")


@dataclass
class RedactionCounter:
    """Running totals of redactions, overall and per kind (e.g. for an episode's metadata)."""

    total: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str, count: int = 1) -> None:
        self.total += count
        self.by_kind[kind] = self.by_kind.get(kind, 0) + count

    def merge(self, other: RedactionCounter) -> None:
        for kind, count in other.by_kind.items():
            self.add(kind, count)


def _is_non_secret(value: str) -> bool:
    """Placeholders, masks, references and type names: things that stand in for a secret."""
    v = value.strip()
    # ${VAR}, $VAR, {{ secrets.X }}, {name}, %(name)s, <your-key>, [PAD], [REDACTED:...]
    if v.startswith(("$", "%(", "{", "#{", "<", "[")) or _STAND_IN.fullmatch(v):
        return True
    # Elided or masked examples ("sk-or-...", "hf_***"), templates with substitutions inside.
    if any(mark in v for mark in ("...", "\u2026", "***", "%(", "{{", "${")):
        return True
    if _TEMPLATE_FIELD.search(v):
        return True
    return _names_a_secret(v)


def _names_a_secret(value: str) -> bool:
    """MY_API_KEY, X-Api-Key, reset_token, your-api-key: the name of a secret, not one."""
    shaped = _IDENTIFIER.fullmatch(value) and ("_" in value or value.isupper())
    return bool(shaped or _KEBAB.fullmatch(value)) and _has_secret_word(value)


def _has_secret_word(name: str) -> bool:
    return any(_SECRET_WORD.fullmatch(part) for part in _WORD_PARTS.findall(name))


def _is_code_name(value: str) -> bool:
    """settings.SECRET_KEY, self.token, db_password: a reference to a secret, not one."""
    if _DOTTED.fullmatch(value):
        return True
    return _IDENTIFIER.fullmatch(value) is not None and _has_secret_word(value)


def _is_name_like(value: str) -> bool:
    """A number, or a digit-free name that reads as a word, a CONSTANT or a ClassName.

    Random secrets almost always hold a digit; long all-lowercase words still count as
    secrets (a passphrase).
    """
    if _NUMBER.fullmatch(value):
        return True
    if not _IDENTIFIER.fullmatch(value) or any(c.isdigit() for c in value):
        return False
    return len(value) < 12 or "_" in value or not value.islower()


def _is_plain_word(value: str) -> bool:
    return value.isalpha() and len(value) < 12


def _value_may_be_secret(key: str, value: str) -> bool:
    """Whether ``value``, found under the secret-naming ``key``, should be redacted."""
    if _is_non_secret(value):
        return False
    name = key.lower().rstrip("\"' ")
    if name.endswith("token") and (len(value) < 8 or value.isdigit() or " " in value.strip()):
        return False  # LLM tokens, token counts, ids: real tokens are long and unbroken
    # PWD=/home/me is the working directory, not a password.
    return not (name.endswith("pwd") and _PATHLIKE.match(value))


def _looks_like_code(m: re.Match[str], value: str, op: str) -> bool:
    """An unquoted value that reads as source code or prose rather than a literal secret."""
    text, end = m.string, m.end()
    if text.startswith(("(", "["), end) or _is_code_name(value):
        return True  # get_secret(), os.environ[...], settings.SECRET_KEY, password=password
    # Shell, env files, query strings and kwargs write `KEY=value` with no spaces; a space
    # next to "=" (or a ":") means code, YAML, a dict or prose, where a digit-free name or a
    # number is a reference or a literal: token = Punctuation, "retries": 3, token: expired.
    eq = op.find("=")
    after = eq + 2 if op.startswith(">", eq + 1) else eq + 1
    before_spaced = eq > 0 and op[eq - 1] in " \t"
    after_spaced = eq >= 0 and op[after : after + 1] in (" ", "\t")
    word = value.rstrip(".,!?:")  # "token: expired."
    if (eq < 0 or before_spaced or after_spaced) and _is_name_like(word):
        return True
    if eq < 0 and not any(c.isdigit() for c in value) and _PROSE_GOES_ON.match(text, end):
        return True  # "the token: re-exchanging it on every call" (a sentence goes on)
    # `x = y z` is an expression (await f(), new Foo).
    return before_spaced and after_spaced and _EXPRESSION_GOES_ON.match(text, end) is not None


def _value_group(m: re.Match[str]) -> tuple[str, str]:
    name = m.lastgroup or ""  # the value alternative that matched (eq, dq, sq or bare)
    return name, m.group(name)


def _assignment_kind(m: re.Match[str]) -> str | None:
    name, value = _value_group(m)
    if not _value_may_be_secret(m.group("key"), value):
        return None
    if name == "bare" and _looks_like_code(m, value, m.group("op")):
        return None
    return "assignment"


def _connection_password_kind(m: re.Match[str]) -> str | None:
    name, value = _value_group(m)
    if not _value_may_be_secret("password", value):
        return None
    if name == "bare" and ("(" in value or _looks_like_code(m, value.strip(), m.group("op"))):
        return None  # password = getPassword();
    return "password"


def _cli_kind(m: re.Match[str]) -> str | None:
    name, value = _value_group(m)
    if name == "bare" and _is_plain_word(value):
        return None  # "use --token to pass it"
    return "assignment" if _value_may_be_secret(m.group("key"), value) else None


def _auth_header_kind(m: re.Match[str]) -> str | None:
    scheme, cred = m.group("scheme"), m.group("secret")
    if _is_non_secret(cred) or (scheme is None and (_is_name_like(cred) or _is_code_name(cred))):
        return None  # "Authorization: required", f"Bearer {token}", 'AUTHORIZATION': t.Keyword
    return "bearer_token" if scheme and scheme.lower() == "bearer" else "auth_header"


def _bearer_kind(m: re.Match[str]) -> str | None:
    token = m.group("secret")
    if len(token) < 8 or _is_non_secret(token):
        return None
    # "Bearer tokens are..." in prose: require a digit, or the length of a real token.
    return "bearer_token" if len(token) >= 24 or any(c.isdigit() for c in token) else None


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


def _redact_text(text: str, counter: RedactionCounter) -> str:
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


def _walk(value: Any, counter: RedactionCounter) -> Any:
    if isinstance(value, str):
        return _redact_text(value, counter)
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if isinstance(key, str) and isinstance(item, str) and _SECRET_NAME.search(key):
                out[key] = _redact_secret_field(key, item, counter)
            else:
                out[key] = _walk(item, counter)
        return out
    if isinstance(value, list | tuple):
        items = [_walk(item, counter) for item in value]
        return items if isinstance(value, list) else tuple(items)
    return value  # numbers, booleans, None and anything else are kept as they are


def redact_value(value: Any, *, counter: RedactionCounter | None = None) -> tuple[Any, int]:
    """Deep-copy a JSON-like value with every secret redacted; return it and the count.

    Strings are redacted as text. A string under a dict key that names a secret (password,
    api_key, token, secret, authorization, cookie, ...) is replaced as a whole. Dicts, lists
    and tuples are rebuilt, so the input is never mutated.
    """
    local = RedactionCounter()
    clean = _walk(value, local)
    if counter is not None:
        counter.merge(local)
    return clean, local.total
