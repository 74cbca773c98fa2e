"""The audit trail: logins, role changes, reviews, verifications, exports. Rows are only ever added."""

from __future__ import annotations

from typing import Any

from dealflow.extensions import db
from dealflow.models import AuditLog, User


def record(
    action: str,
    *,
    actor: User | None,
    target: Any = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
    actor_email: str | None = None,
) -> AuditLog:
    """Append one entry; the caller's transaction commits it with the action itself."""
    entry = AuditLog(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else actor_email,
        action=action,
        target_type=type(target).__name__.lower() if target is not None else None,
        target_id=str(getattr(target, "id", "")) or None if target is not None else None,
        details=details or {},
        ip=ip,
    )
    db.session.add(entry)
    db.session.flush()
    return entry
