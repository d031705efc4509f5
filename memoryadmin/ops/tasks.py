"""django-q2 tasks of the operations side (thin: they call a service)."""

from __future__ import annotations

from memoryadmin.ops.services import heartbeat_record


def scheduler_heartbeat() -> None:
    """Scheduled every minute: proves the cluster runs (read by GET /api/v1/health)."""
    heartbeat_record()
