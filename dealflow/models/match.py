"""Intro requests, matches and their progress; the evidence ledger, its link table, head and rollups.

The ledger (`match_event`) holds only public fields: snapshots of region, sector, stage and
investor origin, never a person. Which startup and investor an event belongs to lives in
`match_event_link`, so the hashed, published part carries no personal data.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow
from dealflow.models.startup import Currency, Instrument

if TYPE_CHECKING:
    from dealflow.models.startup import Startup
    from dealflow.models.user import User


class IntroStatus(enum.StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


OPEN_INTRO = text("status IN ('pending', 'accepted')")


class IntroRequest(Base):
    """An investor asks the founder of a listed startup for an intro; accepted, it is a match."""

    __tablename__ = "intro_request"
    __table_args__ = (
        # One pending request per pair, and no new request once matched, even when two clicks race.
        Index(
            "uq_intro_request_open_pair",
            "investor_id",
            "startup_id",
            unique=True,
            sqlite_where=OPEN_INTRO,
            postgresql_where=OPEN_INTRO,
        ),
        Index("ix_intro_request_investor_id_created_at", "investor_id", "created_at"),
        Index("ix_intro_request_startup_id_status", "startup_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    status: Mapped[IntroStatus] = mapped_column(
        string_enum(IntroStatus, "intro_status", 12), default=IntroStatus.PENDING
    )
    reply: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: a withdrawal and an acceptance racing each other cannot both win.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    investor: Mapped[User] = relationship()
    startup: Mapped[Startup] = relationship()

    @property
    def is_match(self) -> bool:
        return self.status == IntroStatus.ACCEPTED

    def __repr__(self) -> str:
        return f"<IntroRequest {self.id} {self.status.value}>"


class ProgressKind(enum.StrEnum):
    MEETING = "meeting"
    TERM_SHEET = "term_sheet"
    INVESTMENT_CLOSED = "investment_closed"


class ProgressStatus(enum.StrEnum):
    RECORDED = "recorded"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


AWAITING_CLOSE = text("kind = 'investment_closed' AND status = 'awaiting_confirmation'")


class MatchProgress(Base):
    """What happened after a match; a closed investment counts only once the other side confirms it."""

    __tablename__ = "match_progress"
    __table_args__ = (
        # At most one close waits for confirmation per match at a time.
        Index(
            "uq_match_progress_awaiting_close",
            "intro_request_id",
            unique=True,
            sqlite_where=AWAITING_CLOSE,
            postgresql_where=AWAITING_CLOSE,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    intro_request_id: Mapped[int] = mapped_column(ForeignKey("intro_request.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ProgressKind] = mapped_column(string_enum(ProgressKind, "progress_kind", 20))
    status: Mapped[ProgressStatus] = mapped_column(string_enum(ProgressStatus, "progress_status", 24))
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    currency: Mapped[Currency | None] = mapped_column(string_enum(Currency, "currency", 3))
    instrument: Mapped[Instrument | None] = mapped_column(string_enum(Instrument, "instrument", 20))
    amount_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    # The logger's wish to publish the amount; it is published only if the confirming side agrees too.
    publish_amount: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    logged_by: Mapped[User] = relationship(foreign_keys=[logged_by_id])

    def __repr__(self) -> str:
        return f"<MatchProgress {self.id} {self.kind.value} {self.status.value}>"


class EventKind(enum.StrEnum):
    INTRO_REQUESTED = "intro_requested"
    INTRO_ACCEPTED = "intro_accepted"
    MEETING = "meeting"
    TERM_SHEET = "term_sheet"
    INVESTMENT_CLOSED = "investment_closed"
    STARTUP_SUBMITTED = "startup_submitted"  # a startup first submitted for review (no investor)
    STARTUP_APPROVED = "startup_approved"  # a startup approved by hub staff (no investor)


class MatchEvent(Base):
    """One row of the evidence ledger: public fields only, chained by SHA-256. The database refuses edits.

    `kind` is a plain string rather than a CHECK-constrained enum: a later kind must not need the
    append-only table rebuilt.
    """

    __tablename__ = "match_event"
    __table_args__ = (Index("uq_match_event_leaf_index", "leaf_index", unique=True),)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_id: Mapped[str] = mapped_column(String(32), unique=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))
    region_code: Mapped[str | None] = mapped_column(String(5))
    is_main_hub: Mapped[bool] = mapped_column(Boolean)
    sector_code: Mapped[str | None] = mapped_column(String(32))
    stage_code: Mapped[str | None] = mapped_column(String(32))
    investor_country: Mapped[str | None] = mapped_column(String(2))
    is_foreign: Mapped[bool] = mapped_column(Boolean)
    investor_kind: Mapped[str | None] = mapped_column(String(20))
    amount_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    # 1: an event of the first chain, published whole; 2: a leaf of the Merkle tree, whose public leaf
    # carries only what the figures need and binds the rest (stage, investor country and kind, the exact
    # time, an undisclosed amount) through a salted commitment kept here with its salt.
    leaf_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    leaf_index: Mapped[int | None] = mapped_column(BigInteger)
    amount_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    salt: Mapped[str | None] = mapped_column(String(32))
    commitment: Mapped[str | None] = mapped_column(String(64))
    # Unique: two rows can never follow the same predecessor, so the chain cannot fork.
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    def __repr__(self) -> str:
        return f"<MatchEvent #{self.seq} {self.kind}>"


class MatchEventLink(Base):
    """Which intro, startup and investor a ledger event is about: private, outside the hashed part."""

    __tablename__ = "match_event_link"

    event_seq: Mapped[int] = mapped_column(ForeignKey("match_event.seq"), primary_key=True)
    intro_request_id: Mapped[int] = mapped_column(ForeignKey("intro_request.id", ondelete="CASCADE"), index=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    progress_id: Mapped[int | None] = mapped_column(ForeignKey("match_progress.id", ondelete="SET NULL"))


class LedgerHead(Base):
    """The single row naming the newest event; appends lock it, so they happen one at a time."""

    __tablename__ = "ledger_head"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    event_count: Mapped[int] = mapped_column(BigInteger)
    head_hash: Mapped[str] = mapped_column(String(64))
    tree_size: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class LedgerRollup(Base):
    """Counts and sums per month × region × kind × investor origin × sector, kept with each append."""

    __tablename__ = "ledger_rollup"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    is_main_hub: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    investor_origin: Mapped[str] = mapped_column(String(8), primary_key=True)
    sector_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_count: Mapped[int] = mapped_column(BigInteger)
    amount_usd_cents: Mapped[int] = mapped_column(BigInteger)
    # How many of the events published their amount (a close both sides agreed to disclose).
    disclosed_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LedgerSlice(Base):
    """The same counts per month × kind along one dimension at a time (region, hub, origin, sector).

    What the dashboard reads: at most a couple of hundred rows a month, however many events
    there are, where grouping the full rollup would read up to 3,200 rows a month.
    """

    __tablename__ = "ledger_slice"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_count: Mapped[int] = mapped_column(BigInteger)
    amount_usd_cents: Mapped[int] = mapped_column(BigInteger)
    disclosed_count: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")


class LedgerDay(Base):
    """Counts per day × kind × main hub or not: the dashboard's 'last 30 days' without raw events."""

    __tablename__ = "ledger_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    is_main_hub: Mapped[bool] = mapped_column(Boolean, primary_key=True)
    event_count: Mapped[int] = mapped_column(BigInteger)


class StartupFunnel(Base):
    """Startups first submitted and approved per month × region, counted where the status machine moves."""

    __tablename__ = "startup_funnel"

    month: Mapped[date] = mapped_column(Date, primary_key=True)
    region_code: Mapped[str] = mapped_column(String(5), primary_key=True)
    step: Mapped[str] = mapped_column(String(12), primary_key=True)
    startup_count: Mapped[int] = mapped_column(BigInteger)
