"""The redactor's reach: tokens glued to words, URL-encoded assignments, dict keys.

``SECRETS`` lists one builder per kind the redactor knows (episodes/sanitize/rules.py); the
property test in tests/reliability/test_redaction_property.py places them everywhere an
agent can write. Bodies are built from noise that switches between upper case, digits and
lower case, as real tokens do, and are assembled at run time (no secret-shaped literal
sits in the source).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from episodes.sanitize import redact_text, redact_value, shorten

UPPER, DIGITS, LOWER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", "abcdefghijklmnopqrstuvwxyz"
Pick = Callable[[str], str]  # chooses one character of an alphabet (random.choice, or fixed)


def noise(n: int, pick: Pick, classes: tuple[str, ...] = (UPPER, DIGITS, LOWER)) -> str:
    """``n`` characters cycling through ``classes``: random-looking, as real tokens are."""
    return "".join(pick(classes[i % len(classes)]) for i in range(n))


def b64url(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@dataclass(frozen=True)
class Secret:
    """A way to write one kind of secret: ``build(pick, compact)`` returns the text and
    the needle (its distinctive part, which must appear nowhere once written).

    ``prefixed``: a token found by its prefix, so it may sit glued inside a word; the rest
    (assignments, headers, URLs) need their separator and cannot."""

    kind: str
    build: Callable[[Pick, bool], tuple[str, str]]
    prefixed: bool = True


def _token(head: str, n: int, short: int | None = None) -> Callable[[Pick, bool], tuple[str, str]]:
    def build(pick: Pick, compact: bool) -> tuple[str, str]:
        body = noise(short if compact and short else n, pick)
        return head + body, body

    return build


def _aws(pick: Pick, compact: bool) -> tuple[str, str]:
    head = ("AKIA", "ASIA", "ABIA", "ACCA")[DIGITS.index(pick(DIGITS)) % 4]
    body = noise(16, pick, (UPPER, DIGITS))
    return head + body, body


def _jwt(pick: Pick, compact: bool) -> tuple[str, str]:
    sub, signature = noise(8 if compact else 24, pick), noise(8 if compact else 43, pick)
    header = b64url('{"alg":"none"}' if compact else '{"alg":"HS256","typ":"JWT"}')
    return f"{header}.{b64url(sub)}.{signature}", signature


def _pem(pick: Pick, compact: bool) -> tuple[str, str]:
    line, label = noise(64, pick), "RSA PRIVATE KEY"
    return f"-----BEGIN {label}-----\n{line}\n{noise(20, pick)}==\n-----END {label}-----", line


def _around(before: str, n: int, after: str = "") -> Callable[[Pick, bool], tuple[str, str]]:
    def build(pick: Pick, compact: bool) -> tuple[str, str]:
        body = noise(n, pick)
        return before + body + after, body

    return build


def _slack(pick: Pick, compact: bool) -> tuple[str, str]:
    body = noise(12 if compact else 24, pick)
    return f"xoxb-{noise(10, pick, (DIGITS,))}-{body}", body


SECRETS = [
    Secret("aws_access_key_id", _aws),
    Secret("github_token", _token("ghp_", 36)),
    Secret("github_token", _token("gho_", 36)),
    Secret("github_token", _token("ghs_", 36)),
    Secret("github_token", _token("github_pat_11", 80, 30)),
    Secret("gitlab_token", _token("glpat-", 20)),
    Secret("slack_token", _slack),
    Secret("stripe_key", _token("sk_live_", 24)),
    Secret("stripe_key", _token("rk_test_", 24)),
    Secret("stripe_key", _token("whsec_", 32, 24)),
    Secret("anthropic_key", _token("sk-ant-api03-", 90, 24)),
    Secret("openai_key", _token("sk-", 48, 32)),
    Secret("openai_key", _token("sk-proj-", 40, 20)),
    Secret("huggingface_token", _token("hf_", 34, 30)),
    Secret("npm_token", _token("npm_", 36)),
    Secret("pypi_token", _token("pypi-AgEIcHlwaS5vcmc", 60, 50)),
    Secret("gcp_api_key", _token("AIza", 35)),
    Secret("jwt", _jwt),
    Secret("private_key", _pem, prefixed=False),
    Secret("slack_webhook", _around("https://hooks.slack.com/services/T0/B0/", 24), False),
    Secret("aws_secret_key", _around("aws_secret_access_key=", 40), False),
    Secret("azure_key", _around("AccountName=acct;AccountKey=", 40, "=="), False),
    Secret("auth_header", _around("Authorization: Basic ", 24), False),
    Secret("bearer_token", _around("Bearer ", 24), False),
    Secret("password", _around("redis://:", 16, "@cache:6379/0"), False),
    Secret("password", _around("Server=db;User Id=app;Password=", 16, ";"), False),
    Secret("assignment", _around("password=", 16), False),
    Secret("assignment", _around("api_key: ", 16), False),
    Secret("assignment", _around("gh auth login --token ", 16), False),
]


def fixed(alphabet: str) -> str:
    """A deterministic pick (the third character of each alphabet)."""
    return alphabet[2 % len(alphabet)]


def _cycle() -> Pick:
    state = {"i": 0}

    def pick(alphabet: str) -> str:
        state["i"] += 7
        return alphabet[state["i"] % len(alphabet)]

    return pick


# Where a secret sits in text. Glued positions only for prefixed tokens.
GLUED = ["id_{}", "x{}", "7{}", "key-{}", "{}_prod", "token%3D{}", "token%3d{}", "q%3D1%26t%3D{}"]
ANYWHERE = ["{}", "see {} here", '{{"cfg": "{}"}}', "line one\n{}\nline three"]


def _cases() -> list[tuple[Secret, str]]:
    return [
        (secret, position)
        for secret in SECRETS
        for position in ANYWHERE + (GLUED if secret.prefixed else [])
    ]


@pytest.mark.parametrize(
    ("secret", "position"),
    _cases(),
    ids=[f"{s.kind}:{s.build(fixed, False)[0][:12]}:{p}" for s, p in _cases()],
)
def test_every_kind_is_redacted_in_every_position(secret: Secret, position: str) -> None:
    text, needle = secret.build(_cycle(), False)
    clean, count = redact_text(position.format(text))
    assert needle not in clean
    assert count >= 1
    assert redact_text(clean) == (clean, 0)  # idempotent


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The cases: glued after `_`, a letter or a digit; URL-encoded assignments.
        ("id_AKIAIOSFODNN7EXAMPLE", "id_[REDACTED:aws_access_key_id]"),
        ("keyAKIAIOSFODNN7EXAMPLE", "key[REDACTED:aws_access_key_id]"),
        ("0AKIAIOSFODNN7EXAMPLE", "0[REDACTED:aws_access_key_id]"),
        ("token%3Dghp_" + noise(36, fixed), "token%3D[REDACTED:github_token]"),
        ("password%3Dletmein", "password%3D[REDACTED:assignment]"),
        ("api_key%3dabc123def456%26page%3D2", "api_key%3d[REDACTED:assignment]%26page%3D2"),
        ("x%26secret%253Dabc123def456", "x%26secret%253D[REDACTED:assignment]"),
        ("password%3A%20hunter2x9", "password%3A%20[REDACTED:assignment]"),
        ("password%3D%22hunter2%22", "password%3D[REDACTED:assignment]"),
        (
            "Authorization%3A%20Bearer%20abcdef123456",
            "Authorization%3A%20Bearer%20[REDACTED:bearer_token]",
        ),
        ("AKIAIOSFODNN7EXAMPLE_backup", "[REDACTED:aws_access_key_id]_backup"),
    ],
)
def test_glued_and_url_encoded_secrets(text: str, expected: str) -> None:
    assert redact_text(text)[0] == expected


@pytest.mark.parametrize(
    "text",
    [
        "task_test_CheckoutFlowV2Regression",  # a test name, not a Stripe key
        "mask_test_ValidationHelper1234",
        "disk-9fceb02d0ae598e95dc970b74767f19372d61af8",  # hex after "sk-"
        "monkeyJumping2Around.someObject12.call",  # "eyJ" inside a dotted path
        "surveyJson2Parser.readObject12.x",
        "hockeyJersey.Number12345.x",
        "laughs_" + "ab" * 20,  # "ghs_" glued, but no digits or capitals
        "the%20token%3A%20expired",  # URL-encoded prose
        "q%3Dpassword%20reset%20flow",
    ],
)
def test_words_that_only_contain_a_prefix_are_kept(text: str) -> None:
    assert redact_text(text) == (text, 0)


def test_dict_keys_are_redacted_and_collisions_keep_both() -> None:
    first, second = "ghp_" + noise(36, fixed), "ghp_" + noise(36, _cycle())
    value = {
        first: 1,
        "[REDACTED:github_token]": "already there",
        second: {
            "password=hunter2x": True,
            "AKIAIOSFODNN7EXAMPLE": [{"id_AKIAIOSFODNN7EXAMPLE": 0}],
        },
        "plain": "kept",
    }
    clean, count = redact_value(value)
    assert clean == {
        "[REDACTED:github_token]#2": 1,
        "[REDACTED:github_token]": "already there",  # unchanged keys keep their name
        "[REDACTED:github_token]#3": {
            "password=[REDACTED:assignment]": True,
            "[REDACTED:aws_access_key_id]": [{"id_[REDACTED:aws_access_key_id]": 0}],
        },
        "plain": "kept",
    }
    assert count == 5
    assert redact_value(clean) == (clean, 0)
    assert redact_value(value) == (clean, count)  # deterministic


def test_a_secret_named_key_still_replaces_its_value() -> None:
    clean, _ = redact_value({"api_key": "abc123", "x_AKIAIOSFODNN7EXAMPLE": "abc123"})
    assert clean == {
        "api_key": "[REDACTED:secret_field]",
        "x_[REDACTED:aws_access_key_id]": "abc123",
    }


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("short", 60, "short"),
        ("x" * 50 + "[REDACTED:aws_access_key_id]", 60, "x" * 50),  # never half a placeholder
        ("ab[REDACTED:jwt]" + "c" * 60, 20, "ab[REDACTED:jwt]cccc"),
        ("y" * 70, 60, "y" * 60),
    ],
)
def test_shorten_never_cuts_a_placeholder(text: str, limit: int, expected: str) -> None:
    assert shorten(text, limit) == expected


def test_the_shortest_secrets_still_pass_the_fast_path() -> None:
    # Texts under 15 characters with no separator skip the rules: none of them is a secret.
    assert redact_text("xoxb-1234567a8b")[1] == 1  # 15 characters: the shortest token
    assert redact_text("pwd=ab12")[1] == 1
    assert redact_text("xoxb-1234567a8")[1] == 0


GLUED_ADVERSARIAL = [
    "eyJ",
    "aeyJ1Aa",
    "xsk-1Aa",
    "_AKIA1",
    "axoxb-1Aa",
    "%26token%3D",
    "sk_test_1Aa",
]


@pytest.mark.parametrize("fragment", GLUED_ADVERSARIAL)
def test_a_megabyte_of_glued_heads_is_fast(fragment: str) -> None:
    text = (fragment * (1_000_000 // len(fragment) + 1))[:1_000_000]
    started = time.process_time()
    redact_text(text)
    assert time.process_time() - started < 2.0
