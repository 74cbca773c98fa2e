"""The outbox's rules: which rows a worker may take, how long it holds them, when a failure is retried or dead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, ScalarSelect, Select, and_, func, or_, select, update
from sqlalchemy.orm import Session

from dealflow.models import OutboxMessage, OutboxStatus, utcnow


class OutboxError(Exception):
    """A dead letter cannot be retried as asked."""


@dataclass(frozen=True)
class Leased:
    """A claimed row as plain values: sending it reads nothing more from the database, so no transaction stays open."""

    id: int
    message_id: str
    sender: str
    recipient: str
    subject: str
    body: str
    attempts: int

    @classmethod
    def of(cls, row: OutboxMessage) -> Leased:
        return cls(row.id, row.message_id, row.sender, row.recipient, row.subject, row.body, row.attempts)


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
    bury_exhausted(session, channel=channel, now=now)
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


def bury_exhausted(session: Session, *, channel: str, now: datetime) -> int:
    """Due rows that used every attempt (e.g. a worker crashed on each) become dead letters instead of being leased."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            _due(now),
            OutboxMessage.attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"],
        )
        .values(
            status=OutboxStatus.DEAD,
            locked_by=None,
            locked_until=None,
            last_error=func.coalesce(OutboxMessage.last_error, "no outcome was recorded for any attempt"),
        ),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def _held_by(worker: str) -> ColumnElement[bool]:
    """The fence: only the worker whose lease is current may record an outcome or extend it."""
    return and_(OutboxMessage.locked_by == worker, OutboxMessage.status == OutboxStatus.SENDING)


def renew_lease(session: Session, rows: Sequence[OutboxMessage | Leased], worker: str) -> set[int]:
    """Extend the lease on rows still waiting in this worker's batch; returns the ids it still holds.

    A row missing from the answer was taken over by another worker after this one's lease ran out: skip it.
    """
    if not rows:
        return set()
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    renewed = session.scalars(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_([r.id for r in rows]), _held_by(worker))
        .values(locked_until=utcnow() + lease)
        .returning(OutboxMessage.id),
        execution_options={"synchronize_session": False},
    ).all()
    return set(renewed)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8… times the base delay after each failed attempt, never more than the cap."""
    config = current_app.config
    seconds = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, config["OUTBOX_BACKOFF_CAP_SECONDS"]))


def _record(session: Session, row_id: int, worker: str, **values: object) -> bool:
    result = session.execute(
        update(OutboxMessage).where(OutboxMessage.id == row_id, _held_by(worker)).values(**values),
        execution_options={"synchronize_session": False},
    )
    return bool(getattr(result, "rowcount", 0))


def mark_sent(session: Session, row: Leased, worker: str, *, now: datetime | None = None) -> bool:
    """The backend accepted the message: it is never sent again. False when this worker no longer held the row."""
    return _record(
        session,
        row.id,
        worker,
        status=OutboxStatus.SENT,
        sent_at=now or utcnow(),
        locked_by=None,
        locked_until=None,
        last_error=None,
    )


def mark_failed(
    session: Session,
    row: Leased,
    worker: str,
    error: str,
    *,
    counted: bool = True,
    permanent: bool = False,
    now: datetime | None = None,
) -> bool:
    """Retry later with a growing delay; dead after the last allowed attempt, or at once when retrying cannot help.

    An uncounted failure (the server could not be reached) gives the attempt back but still waits before the
    next one, so an outage of any length turns no email into a dead letter. False when the row was taken over.
    """
    now = now or utcnow()
    attempts = row.attempts if counted else max(row.attempts - 1, 0)
    values: dict[str, object] = {"last_error": error[:2000], "locked_by": None, "locked_until": None}
    if permanent or (counted and attempts >= current_app.config["OUTBOX_MAX_ATTEMPTS"]):
        values["status"] = OutboxStatus.DEAD
    else:
        values.update(
            status=OutboxStatus.PENDING, attempts=attempts, next_attempt_at=now + backoff(max(row.attempts, 1))
        )
    return _record(session, row.id, worker, **values)


def purge_sent_bodies(session: Session, older_than: datetime) -> int:
    """Empty the bodies of emails sent before the cut-off: the row stays as a record, the personal text goes."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.SENT, OutboxMessage.sent_at < older_than, OutboxMessage.body != "")
        .values(body=""),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


def retry_all_dead(session: Session) -> int:
    """An administrator sends every dead letter again (after fixing the mail server), each with fresh attempts."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.DEAD)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    return int(getattr(result, "rowcount", 0) or 0)


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
