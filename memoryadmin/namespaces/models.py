"""A namespace holds its own episodes, learning, cache entries, keys and audit trail.

Nothing crosses it: an API key is bound to one (admin keys may be bound to
none, meaning all), console users are members of some (admins see all), and
every read and write names the namespace it acts in.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models

DEFAULT_SLUG = "default"
SLUG_PATTERN = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
slug_validator = RegexValidator(
    SLUG_PATTERN, "1-40 lowercase letters, digits and inner hyphens (e.g. team-alpha)"
)


class Namespace(models.Model):
    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    # Settings; None means the deployment's default (settings.API_DAILY_EPISODE_QUOTA, ...).
    daily_episode_quota = models.PositiveIntegerField(null=True, blank=True)
    storage_quota_bytes = models.PositiveBigIntegerField(null=True, blank=True)
    retention_days = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class NamespaceMembership(models.Model):
    """A console user who may see and act in a namespace (admins need none)."""

    namespace = models.ForeignKey(Namespace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="namespace_memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["namespace", "user"], name="namespace_member_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.namespace}"
