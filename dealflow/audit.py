"""The audit trail: logins, role changes, reviews, verifications, exports. Rows are only ever added."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from dealflow.extensions import db
from dealflow.models import AuditLog, User

REDACTED = "[removed]"


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


@dataclass(frozen=True)
class ShownEntry:
    """An audit row as staff may read it: rows about a deleted account hide its addresses."""

    entry: AuditLog
    actor_deleted: bool
    redacted: bool
    details: dict[str, Any]
    ip: str | None


def _without_addresses(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_addresses(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_without_addresses(item) for item in value]
    if isinstance(value, str) and "@" in value:
        return REDACTED
    return value


def _target_user_id(entry: AuditLog) -> int | None:
    if entry.target_type == "user" and entry.target_id and entry.target_id.isdigit():
        return int(entry.target_id)
    return None


def shown(entries: Sequence[AuditLog]) -> list[ShownEntry]:
    """The rows for display; the log itself is append-only and kept as a legal record, so it is redacted here."""
    ids = {e.actor_id for e in entries if e.actor_id} | {i for e in entries if (i := _target_user_id(e)) is not None}
    deleted = set(db.session.scalars(select(User.id).where(User.id.in_(ids), User.deleted_at.is_not(None))))
    rows = []
    for e in entries:
        target_deleted = _target_user_id(e) in deleted
        actor_deleted = e.actor_id in deleted or (e.actor_id is None and target_deleted)
        redacted = actor_deleted or target_deleted
        details = _without_addresses(e.details or {}) if redacted else (e.details or {})
        rows.append(ShownEntry(e, actor_deleted, redacted, details, None if redacted else e.ip))
    return rows
