"""Startups listed by founders and reviewed by hub staff."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow

if TYPE_CHECKING:
    from dealflow.models.reference import Region, Sector, Stage
    from dealflow.models.user import User


class StartupStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    ARCHIVED = "archived"


class Currency(enum.StrEnum):
    KZT = "KZT"
    USD = "USD"


class Instrument(enum.StrEnum):
    EQUITY = "equity"
    SAFE = "safe"
    CONVERTIBLE_NOTE = "convertible_note"
    GRANT = "grant"
    DEBT = "debt"


class Startup(Base):
    __tablename__ = "startup"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    tagline: Mapped[str | None] = mapped_column(String(140))
    description: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(255))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    city: Mapped[str | None] = mapped_column(String(80))
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    stage_code: Mapped[str | None] = mapped_column(ForeignKey("stage.code"))
    team_size: Mapped[int | None] = mapped_column(Integer)
    ask_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    ask_currency: Mapped[Currency | None] = mapped_column(string_enum(Currency, "currency", 3))
    ask_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    instrument: Mapped[Instrument | None] = mapped_column(string_enum(Instrument, "instrument", 20))
    monthly_revenue_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    customers_count: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[StartupStatus] = mapped_column(
        string_enum(StartupStatus, "startup_status", 20), default=StartupStatus.DRAFT, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    owner: Mapped[User] = relationship()
    region: Mapped[Region | None] = relationship()
    sector: Mapped[Sector | None] = relationship()
    stage: Mapped[Stage | None] = relationship()

    def __repr__(self) -> str:
        return f"<Startup {self.slug} {self.status.value}>"
