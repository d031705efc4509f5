"""Ingest sanitisation: secrets are redacted before storage, ordinary text is left alone.

Fake secrets are assembled at run time so no secret-shaped literal sits in the source
(secret scanners would flag it, and nothing here is real).
"""

from __future__ import annotations

import copy
import time

import pytest

from episodes.sanitize import REDACTED, RedactionCounter, redact_text, redact_value

_ALPHABET = "aB3xK9mQ2wE7rT5yU1iO8pL4zN6vC0"


def fake(n: int, alphabet: str = _ALPHABET) -> str:
    """``n`` token-like characters (mixed case and digits, deterministic)."""
    return (alphabet * (n // len(alphabet) + 1))[:n]


UPPER = "Q3EGRV7ZK2WJ5XNB"  # 16 chars of an AWS access key id body
JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0" + "." + fake(43)
PEM_BODY = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC" + "\n" + fake(64) + "\n" + fake(20) + "=="


def pem(label: str, body: str = PEM_BODY) -> str:
    return f"-----BEGIN {label}-----\n{body}\n-----END {label}-----"


# (kind, text, the secret that must disappear, context that must survive)
CASES = [
    ("aws_access_key_id", f"key id AKIA{UPPER} in config", f"AKIA{UPPER}", "key id "),
    ("aws_access_key_id", f"AWS_ACCESS_KEY_ID=ASIA{UPPER}", f"ASIA{UPPER}", "AWS_ACCESS_KEY_ID="),
    ("aws_secret_key", f"aws_secret_access_key = {fake(38)}/+", f"{fake(38)}/+", "aws_secret"),
    ("aws_secret_key", f'"SecretAccessKey": "{fake(40)}"', fake(40), '"SecretAccessKey": "'),
    ("gcp_api_key", f"?key=AIza{fake(35)}&q=1", f"AIza{fake(35)}", "&q=1"),
    ("private_key", pem("PRIVATE KEY") + "\nnext", PEM_BODY, "\nnext"),
    ("private_key", pem("RSA PRIVATE KEY"), PEM_BODY, ""),
    ("private_key", pem("OPENSSH PRIVATE KEY"), PEM_BODY, ""),
    ("private_key", pem("EC PRIVATE KEY"), PEM_BODY, ""),
    ("private_key", pem("ENCRYPTED PRIVATE KEY"), PEM_BODY, ""),
    (
        "private_key",
        pem("RSA PRIVATE KEY", "Proc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,AB12\n\n" + fake(64)),
        fake(64),
        "",
    ),
    (
        "private_key",  # GCP service-account JSON, as raw text with escaped newlines
        '{"type": "service_account", "private_key": "'
        + pem("PRIVATE KEY").replace("\n", "\\n")
        + '\\n", "client_email": "a@b.iam.gserviceaccount.com"}',
        fake(64),
        '"client_email": "a@b.iam.gserviceaccount.com"',
    ),
    ("private_key", f"$ head -3 id_rsa\n-----BEGIN RSA PRIVATE KEY-----\n{fake(64)}", fake(64), ""),
    (
        "azure_key",
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={fake(86)}==;"
        "EndpointSuffix=core.windows.net",
        fake(86),
        "AccountName=acct;AccountKey=",
    ),
    ("github_token", f"GITHUB_TOKEN=ghp_{fake(36)}", f"ghp_{fake(36)}", "GITHUB_TOKEN="),
    ("github_token", f"oauth gho_{fake(36)}", f"gho_{fake(36)}", "oauth "),
    ("github_token", f"ghu_{fake(36)} user", f"ghu_{fake(36)}", " user"),
    ("github_token", f"https://x-access-token:ghs_{fake(36)}@github.com/o/r", fake(36), "@github"),
    ("github_token", f"refresh: ghr_{fake(36)}", f"ghr_{fake(36)}", "refresh: "),
    ("github_token", f"github_pat_11{fake(20)}_{fake(59)}", fake(59), ""),
    ("gitlab_token", f"PRIVATE-TOKEN: glpat-{fake(20)}", f"glpat-{fake(20)}", "PRIVATE-TOKEN: "),
    ("slack_token", f"xoxb-1234567890-{fake(24)}", fake(24), ""),
    ("slack_token", f"token xoxp-1234-5678-{fake(32)}", fake(32), ""),
    ("slack_token", f"xoxa-2-{fake(40)}", fake(40), ""),
    ("slack_token", f"xoxr-{fake(40)}", fake(40), ""),
    ("slack_token", f"xoxs-{fake(40)}", fake(40), ""),
    (
        "slack_webhook",
        f"POST https://hooks.slack.com/services/T0000/B0000/{fake(24)} done",
        fake(24),
        "https://hooks.slack.com/services/",
    ),
    ("jwt", f"id_token={JWT}&state=1", JWT, "&state=1"),
    ("bearer_token", "Authorization: Bearer xyz", "xyz", "Authorization: Bearer "),
    ("bearer_token", f"authorization: bearer {fake(30)}", fake(30), "authorization: bearer "),
    ("bearer_token", f'{{"Authorization": "Bearer {fake(30)}"}}', fake(30), '"Bearer '),
    ("bearer_token", f"then call it with Bearer {fake(20)} again", fake(20), " again"),
    ("auth_header", f"-H 'Authorization: Basic {fake(28)}=='", fake(28), "Basic "),
    ("auth_header", f"Authorization: token {fake(40)}", fake(40), "Authorization: token "),
    ("password", "postgres://user:s3cret-pw@db.local:5432/app", "s3cret-pw", "@db.local:5432/app"),
    ("password", "mongodb+srv://u:p4ss@cluster0.example.net/db", "p4ss", "mongodb+srv://u:"),
    ("password", "redis://:hunter2@cache:6379/0", "hunter2", "redis://:"),
    ("password", "amqp://guest:pa@ss@mq/vhost", "pa@ss", "@mq/vhost"),
    (
        "password",
        "Server=tcp:db.example.net;Database=app;User Id=admin;Password=my p@ss w0rd;Encrypt=1;",
        "my p@ss w0rd",
        "User Id=admin;Password=",
    ),
    ("password", 'Data Source=db;Pwd="semi;colon";', "semi;colon", 'Pwd="'),
    ("assignment", "api_key=abc123def456", "abc123def456", "api_key="),
    ("assignment", "apikey: 'abc123def456'", "abc123def456", "apikey: '"),
    ("assignment", "-H 'X-Api-Key: abc123def456'", "abc123def456", "X-Api-Key: "),
    ("assignment", "secret=s3cr3t-value", "s3cr3t-value", "secret="),
    ("assignment", 'SECRET_KEY = "django-insecure-9x"', "django-insecure-9x", "SECRET_KEY = "),
    ("assignment", "access_token=abcdef123456&expires=3600", "abcdef123456", "&expires=3600"),
    ("assignment", "auth_token: 'abcdef123456'", "abcdef123456", "auth_token: "),
    ("assignment", '{"password": "hunter2", "user": "bob"}', "hunter2", '"user": "bob"'),
    ("assignment", "password: hunter2", "hunter2", "password: "),
    ("assignment", "passwd=Tr0ub4dor&3", "Tr0ub4dor", "passwd="),
    ("assignment", "mysql --pwd=hunter2 -h db", "hunter2", " -h db"),
    ("assignment", "token = 'abcdef123456'", "abcdef123456", "token = '"),
    ("assignment", "client_secret => 'abc123def456'", "abc123def456", "client_secret => '"),
    ("assignment", "export API_KEY=abc123def456", "abc123def456", "export API_KEY="),
    ("assignment", "DB_PASSWORD=hunter2 ./manage.py migrate", "hunter2", " ./manage.py"),
    ("assignment", '{"accessToken":"abcdef123456"}', "abcdef123456", '"accessToken":"'),
    ("assignment", '{\\"password\\": \\"hunter2\\"}', "hunter2", '{\\"password\\": \\"'),
    ("assignment", "gh auth login --token abc123def456", "abc123def456", "--token "),
    ("assignment", "User(password=b'p4ssw0rd')", "p4ssw0rd", "User(password=b'"),
    ("stripe_key", f"STRIPE=sk_live_{fake(24)}", f"sk_live_{fake(24)}", "STRIPE="),
    ("stripe_key", f"sk_test_{fake(24)}", f"sk_test_{fake(24)}", ""),
    ("openai_key", f"OPENAI_API_KEY=sk-{fake(48)}", f"sk-{fake(48)}", "OPENAI_API_KEY="),
    ("openai_key", f"key sk-proj-{fake(40)}_{fake(20)}", fake(40), "key "),
    ("anthropic_key", f"sk-ant-api03-{fake(90)}", fake(90), ""),
    ("huggingface_token", f"HF_TOKEN=hf_{fake(34)}", f"hf_{fake(34)}", "HF_TOKEN="),
    ("npm_token", f"//registry.npmjs.org/:_authToken=npm_{fake(36)}", fake(36), "_authToken="),
    ("pypi_token", f"password = pypi-AgEIcHlwaS5vcmc{fake(60)}", fake(60), "password = "),
]


def case_id(case: tuple[str, str, str, str]) -> str:
    return f"{case[0]}:{case[1][:24]}"


@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES, ids=map(case_id, CASES))
def test_each_kind_of_secret_is_redacted(kind: str, text: str, secret: str, kept: str) -> None:
    clean, count = redact_text(text)
    assert secret not in clean
    assert REDACTED.format(kind=kind) in clean
    assert count == 1
    assert kept in clean


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgres://user:pass@host/db", "postgres://user:[REDACTED:password]@host/db"),
        ("api_key=abc123def456", "api_key=[REDACTED:assignment]"),
        ('"password": "hunter2"', '"password": "[REDACTED:assignment]"'),
        (
            f"Authorization: Bearer {JWT}",  # the more specific label wins
            "Authorization: Bearer [REDACTED:jwt]",
        ),
    ],
)
def test_only_the_secret_part_is_replaced(text: str, expected: str) -> None:
    assert redact_text(text)[0] == expected


def test_several_secrets_are_counted_by_kind() -> None:
    counter = RedactionCounter()
    text = f"ghp_{fake(36)} and ghs_{fake(36)}; db postgres://u:pw1@h/db; AKIA{UPPER}"
    clean, count = redact_text(text, counter=counter)
    assert count == 4
    assert counter.total == 4
    assert counter.by_kind == {"github_token": 2, "password": 1, "aws_access_key_id": 1}
    assert clean == (
        "[REDACTED:github_token] and [REDACTED:github_token]; "
        "db postgres://u:[REDACTED:password]@h/db; [REDACTED:aws_access_key_id]"
    )


@pytest.mark.parametrize(("kind", "text", "secret", "kept"), CASES, ids=map(case_id, CASES))
def test_redacting_twice_changes_nothing(kind: str, text: str, secret: str, kept: str) -> None:
    once, _ = redact_text(text)
    assert redact_text(once) == (once, 0)
    value_once, _ = redact_value({"observation": text, "password": text})
    assert redact_value(value_once) == (value_once, 0)


NOT_SECRETS = [
    "password_field = forms.CharField()",
    "token = tokenizer.next()",
    "def get_api_key(self):",
    "commit 9fceb02d0ae598e95dc970b74767f19372d61af8",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "pip install sk-learn scikit-learn",
    "https://example.com/path?x=1",
    "aGVsbG8gd29ybGQ= and c2VjcmV0IHdvcmRz",  # base64 of "hello world", "secret words"
    "self.token = token",
    "password = request.POST['password']",
    "const token = await getToken();",
    "def login(password: str, token: Optional[str] = None) -> None:",
    "api_key: SecretStr",
    "Invalid token: expired",
    "Missing authorization: please log in",
    'headers = {"Authorization": f"Bearer {token}"}',
    '"Authorization": "Bearer " + token',
    "Bearer tokens are sent in a header",
    'eos_token = "</s>"; pad_token = "[PAD]"',
    "max_tokens=1024, num_tokens: 12",
    "PWD=/home/agent/project",
    "GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}",
    "export API_KEY=$API_KEY",
    "password = getPassword();",
    "secret = secrets.token_hex(16)",
    "SECRET_KEY = env('SECRET_KEY')",
    "if password == 'x': pass",
    "WHERE password = :password",
    "password: ********",
    "for token in tokens: print(token)",
    "https://example.com:8443/api/v1",
    "git@github.com:org/repo.git",
    "if line.startswith('-----BEGIN PRIVATE KEY-----'):",
    "The AKIA prefix marks AWS keys; ghp_ marks GitHub ones.",
    # Found by running the redactor over real libraries: names of secrets, placeholders,
    # masks, templates and prose are not secrets.
    'EXPIRED_TOKEN = "expired_token"',
    'HEADER_ACCESS_TOKEN = "X-Access-Token"',
    'client = Client(api_key="your-api-key")',
    'client = Client(api_key="sk-or-...")',
    '{"authorization": "Bearer hf_***"}',
    "'AUTHORIZATION': tokens.Keyword,",
    "token = Punctuation",
    "FRAMES_PER_TOKEN = SAMPLE_RATE // HOP_LENGTH",
    '"skipped_secret": 0, "password": 1',
    "# cache the exchanged token: re-exchanging it on every call is slow",
    "Invalid token: expired.",
    "pattern_token = f'([{start}][{cont}]+)'",
    "pass `--secrets SECRET=value`",
]


@pytest.mark.parametrize("text", NOT_SECRETS)
def test_ordinary_code_and_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == (text, 0)


def test_json_is_walked_and_rebuilt() -> None:
    original = {
        "task": "deploy",
        "steps": [
            {
                "params": {"password": "hunter2", "retries": 3, "dry_run": False, "ratio": 0.5},
                "observation": f"pushed with ghp_{fake(36)}",
            },
            ["plain", f"AKIA{UPPER}", None, 7],
        ],
        "metadata": ("ok", {"db": "postgres://u:pw1@h/db"}),
    }
    before = copy.deepcopy(original)

    clean, count = redact_value(original)

    assert clean == {
        "task": "deploy",
        "steps": [
            {
                "params": {
                    "password": "[REDACTED:secret_field]",
                    "retries": 3,
                    "dry_run": False,
                    "ratio": 0.5,
                },
                "observation": "pushed with [REDACTED:github_token]",
            },
            ["plain", "[REDACTED:aws_access_key_id]", None, 7],
        ],
        "metadata": ("ok", {"db": "postgres://u:[REDACTED:password]@h/db"}),
    }
    assert count == 4
    assert original == before  # the input is not mutated
    assert clean["steps"] is not original["steps"]
    assert clean["steps"][0]["params"] is not original["steps"][0]["params"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("password", "correct horse battery staple", "[REDACTED:secret_field]"),
        ("api_key", "abc", "[REDACTED:secret_field]"),
        ("apiKey", "abc123", "[REDACTED:secret_field]"),
        ("X-Api-Key", "abc123", "[REDACTED:secret_field]"),
        ("client_secret", "abc123", "[REDACTED:secret_field]"),
        ("DB_PASSWORD", "hunter2", "[REDACTED:secret_field]"),
        ("access_token", "abcdefghijk", "[REDACTED:secret_field]"),
        ("Cookie", "sessionid=abc123", "[REDACTED:secret_field]"),
        ("authorization", "Basic dXNlcjpwYXNz", "[REDACTED:secret_field]"),
        ("Authorization", f"Bearer {JWT}", "Bearer [REDACTED:jwt]"),
        ("private_key", pem("PRIVATE KEY") + "\n", "[REDACTED:private_key]\n"),
    ],
)
def test_a_secret_named_key_has_its_whole_value_replaced(
    key: str, value: str, expected: str
) -> None:
    clean, count = redact_value({key: value, "note": "kept"})
    assert clean == {key: expected, "note": "kept"}
    assert count == 1


def test_secret_named_keys_keep_non_str_and_stand_in_values() -> None:
    value = {
        "token": 42,
        "password": None,
        "secret": {"nested": "plain"},
        "api_key": ["plain", True],
        "passphrase": "",
        "eos_token": "</s>",
        "token_logprob": {"token": " the", "logprob": -0.1},  # LLM output, not a credential
        "PWD": "/home/agent",
        "db_password": "${DB_PASSWORD}",
    }
    assert redact_value(value) == (value, 0)


def test_redact_value_counts_into_a_counter() -> None:
    counter = RedactionCounter()
    redact_value({"a": f"ghp_{fake(36)}", "password": "x9"}, counter=counter)
    redact_value([f"AKIA{UPPER}"], counter=counter)
    assert counter == RedactionCounter(
        total=3, by_kind={"github_token": 1, "secret_field": 1, "aws_access_key_id": 1}
    )


def test_scalars_pass_through() -> None:
    for value in (None, True, 3, 2.5):
        assert redact_value(value) == (value, 0)
    assert redact_value("password=hunter2") == ("password=[REDACTED:assignment]", 1)


MB = 1_000_000

ADVERSARIAL = {
    "unterminated PEM blocks": "-----BEGIN RSA PRIVATE KEY-----\n" + "A" * 40 + "\n-",
    "token prefixes without bodies": "ghp_gho_glpat-xoxb-sk-AIzaAKIAeyJ.hf_npm_",
    "long token runs": "eyJ" + "a" * 5000 + ".",
    "keys without values": "password=password:token=api_key=secret_key:",
    "unclosed quotes": "password=\"\\'token='\\\"",
    "spaced code": "password = a token = b ",
    "url-ish": "://:a@://a:",
    "headers": "Authorization: Bearer Authorization: Basic ",
    "dense real secrets": "Password=a1b2;",
    "word soup": "the quick brown fox jumps over the lazy dog ",
}


@pytest.mark.parametrize("fragment", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_a_megabyte_of_adversarial_input_is_fast(fragment: str) -> None:
    text = (fragment * (MB // len(fragment) + 1))[:MB]
    started = time.process_time()  # CPU time: other processes on a busy machine don't count
    redact_text(text)
    # Linear rules take a fraction of a second; catastrophic backtracking would take minutes.
    assert time.process_time() - started < 2.0
