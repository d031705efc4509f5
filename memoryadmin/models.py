"""Models of the memoryadmin app, kept in their sub-packages."""

from memoryadmin.apikeys.models import ApiKey, IdempotencyRecord, RateCounter, Scope
from memoryadmin.audit.models import AuditEvent
from memoryadmin.namespaces.models import Namespace, NamespaceMembership
from memoryadmin.ops.models import Heartbeat

__all__ = [
    "ApiKey",
    "AuditEvent",
    "Heartbeat",
    "IdempotencyRecord",
    "Namespace",
    "NamespaceMembership",
    "RateCounter",
    "Scope",
]
