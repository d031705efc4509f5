"""What a secret looks like in context: names, values that are code, not secrets."""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

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
# A name may also follow a percent-escape: `%26token%3D...` in a URL-encoded query.
_KEY = (
    rf"(?=[AaEeMmPpSsTt])(?:(?:(?<![A-Za-z0-9])|(?<=%[0-9A-Fa-f]{{2}}))(?i:{_KEYWORDS})"
    rf"|(?<=[a-z0-9])(?:{_CAMEL}))"
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
    op = m.group("op")
    if m.group("enc") is not None:  # `token%3Dvalue`: judge what the URL decodes to
        op, value = unquote(unquote(op)), unquote(unquote(value))
    if not _value_may_be_secret(m.group("key"), value):
        return None
    if name in ("bare", "ebare") and _looks_like_code(m, value, op):
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


def _glued_jwt_kind(m: re.Match[str]) -> str | None:
    """``id_eyJ...``: a JWT only if its header segment decodes to a JSON object."""
    header = m.group("secret").split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    except (binascii.Error, ValueError):
        return None
    return "jwt" if decoded.startswith(b'{"') and decoded.rstrip().endswith(b"}") else None
