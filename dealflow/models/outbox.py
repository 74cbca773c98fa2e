"""The outbox: every message to the outside world, written in the transaction of the action that causes it."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first attempt or for its next retry
    SENDING = "sending"  # leased by a worker until locked_until; a dead worker's lease runs out
    SENT = "sent"
    DEAD = "dead"  # every attempt failed: an administrator sees it and may retry it


class OutboxMessage(Base):
    """One message on one channel (email now; telegram or webhook later), delivered by the job worker."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        Index("ix_outbox_message_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_message_status_locked_until", "status", "locked_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), default="email")
    # The same Message-ID on every delivery attempt, so a redelivered email is recognisably the same one.
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Set when an event must cause one message at most, e.g. one email per failed invoice.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    sender: Mapped[str] = mapped_column(String(254))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(998))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[OutboxStatus] = mapped_column(
        string_enum(OutboxStatus, "outbox_status", 10), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_by: Mapped[str | None] = mapped_column(String(120))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
