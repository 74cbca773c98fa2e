"""Investors' own lists: bookmarks with private notes and a pipeline stage, and saved searches."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow

if TYPE_CHECKING:
    from dealflow.models.startup import Startup


class PipelineStage(enum.StrEnum):
    WATCHING = "watching"
    CONTACTED = "contacted"
    MEETING = "meeting"
    DUE_DILIGENCE = "due_diligence"
    TERM_SHEET = "term_sheet"
    INVESTED = "invested"
    PASSED = "passed"


class Bookmark(Base):
    """An investor's private mark on a startup; nobody else sees it, the founder included."""

    __tablename__ = "bookmark"
    __table_args__ = (UniqueConstraint("investor_id", "startup_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"))
    note: Mapped[str | None] = mapped_column(Text)
    stage: Mapped[PipelineStage] = mapped_column(
        string_enum(PipelineStage, "pipeline_stage", 20), default=PipelineStage.WATCHING
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    startup: Mapped[Startup] = relationship()


class SavedSearch(Base):
    """A discovery query kept under a name; alerts email what newly matches it."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    investor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SavedSearchAlert(Base):
    """A startup already sent for a saved search: the unique key makes 'at most once' a database rule."""

    __tablename__ = "saved_search_alert"

    saved_search_id: Mapped[int] = mapped_column(ForeignKey("saved_search.id", ondelete="CASCADE"), primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), primary_key=True)
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ListingState(Base):
    """One row whose generation grows with every change to any startup, in the same transaction.

    Discovery keys its cached pages, counts and facets by it, so a cache is exact: the first request
    after a change reads a new generation and computes afresh, in every worker.
    """

    __tablename__ = "listing_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
