from __future__ import annotations

from django.utils import timezone

from memoryadmin.ops.health import SCHEDULER
from memoryadmin.ops.models import Heartbeat


def heartbeat_record(*, name: str = SCHEDULER) -> None:
    """Stamp ``name`` as alive now."""
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})
