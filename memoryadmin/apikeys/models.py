"""API keys and the rows the API keeps per key: rate counters and idempotent replies."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Scope(models.TextChoices):
    READ = "read"
    WRITE = "write"
    SYNC = "sync"
    ADMIN = "admin"


class ApiKey(models.Model):
    """A bearer key for agents. The key itself is never stored, only its SHA-256.

    Keys are 256 bits from ``secrets``: a plain SHA-256 is enough (no password
    stretching needed), and ``prefix`` lets people tell keys apart.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    # The namespace every call of this key acts in; None (admin keys only) means
    # all namespaces, chosen per request by the X-Namespace header.
    namespace = models.ForeignKey(
        "memoryadmin.Namespace",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="api_keys",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Written at most once a minute per key (see services.api_key_touch).
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Per-key overrides of API_RATE_LIMIT_PER_MINUTE / API_DAILY_EPISODE_QUOTA.
    rate_limit_per_minute = models.PositiveIntegerField(null=True, blank=True)
    daily_episode_quota = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RateCounter(models.Model):
    """One fixed-window counter: ``bucket`` = "<key id>:<rule>:<window start>".

    Shared by every worker process through the database; bumped by a single
    ``INSERT .. ON CONFLICT DO UPDATE .. RETURNING`` (see ratelimit.py).
    """

    bucket = models.CharField(max_length=80, primary_key=True)
    count = models.PositiveIntegerField(default=0)
    # Unix seconds when the window ends; rows past it are purged.
    expires = models.BigIntegerField(db_index=True)

    def __str__(self) -> str:
        return f"{self.bucket}={self.count}"


class IdempotencyRecord(models.Model):
    """The first reply to an ``Idempotency-Key``, replayed for 24 h."""

    owner = models.CharField(max_length=40)  # "key:<id>" or "user:<id>"
    key = models.CharField(max_length=255)
    # SHA-256 of method, path and the canonical JSON body: a reused key with
    # another request is refused instead of replaying the wrong reply.
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["owner", "key"], name="idempotency_owner_key")
        ]

    def __str__(self) -> str:
        return f"{self.owner}:{self.key} → {self.status_code}"
