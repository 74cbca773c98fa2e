"""The outbox's rules: which rows a worker may take, how long it holds them, when a failure is retried or dead."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from dealflow.models import OutboxMessage, OutboxStatus, utcnow


class OutboxError(Exception):
    """A dead letter cannot be retried as asked."""


def _due(now: datetime) -> ColumnElement[bool]:
    """Rows a worker may take: pending and due, or leased by a worker whose lease ran out (it died)."""
    return or_(
        and_(OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.locked_until < now),
    )


def claim_due(
    session: Session, worker: str, *, channel: str, limit: int, now: datetime | None = None
) -> Sequence[OutboxMessage]:
    """Lease up to limit due rows to this worker; parallel workers never get the same row.

    PostgreSQL locks the rows it picks and skips those another worker is claiming (FOR UPDATE SKIP LOCKED),
    then leases them. SQLite has one writer at a time: a single UPDATE picks and leases, re-checking each
    row's status and lease, so it takes the write lock first and never acts on a stale read.
    """
    now = now or utcnow()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    picked = (
        select(OutboxMessage.id)
        .where(OutboxMessage.channel == channel, _due(now))
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        candidates: list[int] | ScalarSelect[int] = list(session.scalars(picked.with_for_update(skip_locked=True)))
        if not candidates:
            return []
    else:
        candidates = picked.scalar_subquery()
    claimed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(candidates), _due(now))
        .values(
            status=OutboxStatus.SENDING,
            locked_by=worker,
            locked_until=now + lease,
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id),
        execution_options={"synchronize_session": False},
    ).all()
    if not claimed:
        return []
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_(claimed))
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    ).all()
    return rows


def renew_lease(session: Session, rows: Sequence[OutboxMessage], worker: str) -> None:
    """Extend the lease on rows still waiting in this worker's batch: it expires only if the worker stops."""
    if not rows:
        return
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([r.id for r in rows]), OutboxMessage.locked_by == worker)
        .values(locked_until=utcnow() + lease),
        execution_options={"synchronize_session": False},
    )


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… times the base delay after each failed attempt, never more than the cap."""
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_CAP_SECONDS"]))


def mark_sent(row: OutboxMessage, *, now: datetime | None = None) -> None:
    """The backend accepted the message: it is never sent again."""
    row.status = OutboxStatus.SENT
    row.sent_at = now or utcnow()
    row.locked_by = row.locked_until = None
    row.last_error = None


def mark_failed(row: OutboxMessage, error: str, *, now: datetime | None = None) -> None:
    """Retry later with a growing delay; after the last allowed attempt the row is dead and waits for an admin."""
    now = now or utcnow()
    row.last_error = error[:2000]
    row.locked_by = row.locked_until = None
    if row.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]:
        row.status = OutboxStatus.DEAD
    else:
        row.status = OutboxStatus.PENDING
        row.next_attempt_at = now + backoff(row.attempts)


def retry_dead(session: Session, message_id: int) -> OutboxMessage:
    """An administrator sends a dead letter again, with a fresh set of attempts and the same Message-ID."""
    row = session.get(OutboxMessage, message_id)
    if row is None or row.status != OutboxStatus.DEAD:
        raise OutboxError(message_id)
    row.status = OutboxStatus.PENDING
    row.attempts = 0
    row.next_attempt_at = utcnow()
    session.flush()
    return row


def dead_letters_query() -> Select[OutboxMessage]:
    """Dead letters, newest first, for the administrators' page."""
    return select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.DEAD).order_by(OutboxMessage.id.desc())


def counts_by_status(session: Session) -> dict[str, int]:
    """How many messages wait, are being sent, were sent, or are dead."""
    rows = session.execute(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()
    counts = {status.value: 0 for status in OutboxStatus}
    counts.update({str(status): int(count) for status, count in rows})
    return counts
