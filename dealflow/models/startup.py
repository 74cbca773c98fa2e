"""Startups listed by founders, their revisions, review history and files."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, Numeric, String, Text, text
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


class DeckVisibility(enum.StrEnum):
    VERIFIED_INVESTORS = "verified_investors"
    MATCHED_INVESTORS = "matched_investors"


class FileKind(enum.StrEnum):
    LOGO = "logo"
    DECK = "deck"


class StoredFile(Base):
    """An upload that passed its content checks, kept outside static/ and served by a checked route."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    kind: Mapped[FileKind] = mapped_column(string_enum(FileKind, "file_kind", 10))
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    original_name: Mapped[str] = mapped_column(String(255))
    page_count: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def __repr__(self) -> str:
        return f"<StoredFile {self.id} {self.kind.value}>"


APPROVED_ONLY = text("status = 'approved'")


class Startup(Base):
    __tablename__ = "startup"
    __table_args__ = (
        # Discovery reads approved startups only; the literal condition lets the planner use these.
        Index(
            "ix_startup_approved_filters",
            "region_code",
            "sector_code",
            "stage_code",
            "created_at",
            sqlite_where=APPROVED_ONLY,
            postgresql_where=APPROVED_ONLY,
        ),
        Index(
            "ix_startup_approved_created_at", "created_at", sqlite_where=APPROVED_ONLY, postgresql_where=APPROVED_ONLY
        ),
        Index("ix_startup_approved_ask_usd", "ask_usd", sqlite_where=APPROVED_ONLY, postgresql_where=APPROVED_ONLY),
        # Single-dimension filters (a sector alone, a stage alone), which the composite cannot serve.
        Index(
            "ix_startup_approved_sector",
            "sector_code",
            "created_at",
            sqlite_where=APPROVED_ONLY,
            postgresql_where=APPROVED_ONLY,
        ),
        Index(
            "ix_startup_approved_stage",
            "stage_code",
            "created_at",
            sqlite_where=APPROVED_ONLY,
            postgresql_where=APPROVED_ONLY,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    tagline: Mapped[str | None] = mapped_column(String(140))
    description: Mapped[str | None] = mapped_column(Text)
    # The language the founder wrote the tagline and description in (en, ru or kk), and their own
    # versions in the site's other languages; tagline and description are the original.
    content_language: Mapped[str | None] = mapped_column(String(2))
    tagline_ru: Mapped[str | None] = mapped_column(String(140))
    tagline_kk: Mapped[str | None] = mapped_column(String(140))
    description_ru: Mapped[str | None] = mapped_column(Text)
    description_kk: Mapped[str | None] = mapped_column(Text)
    website: Mapped[str | None] = mapped_column(String(255))
    founded_year: Mapped[int | None] = mapped_column(Integer)
    region_code: Mapped[str | None] = mapped_column(ForeignKey("region.code"), index=True)
    city: Mapped[str | None] = mapped_column(String(80))
    sector_code: Mapped[str | None] = mapped_column(ForeignKey("sector.code"))
    stage_code: Mapped[str | None] = mapped_column(ForeignKey("stage.code"))
    team_size: Mapped[int | None] = mapped_column(Integer)
    team: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list, server_default="[]")
    currency: Mapped[Currency | None] = mapped_column(string_enum(Currency, "currency", 3))
    ask_amount: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    ask_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    instrument: Mapped[Instrument | None] = mapped_column(string_enum(Instrument, "instrument", 20))
    monthly_revenue: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    monthly_revenue_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    customers_count: Mapped[int | None] = mapped_column(Integer)
    export_markets: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    has_exports: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # derived, for filtering
    bin: Mapped[str | None] = mapped_column(String(12))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    logo_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    deck_file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_file.id", ondelete="SET NULL"))
    deck_visibility: Mapped[DeckVisibility] = mapped_column(
        string_enum(DeckVisibility, "deck_visibility", 20),
        default=DeckVisibility.VERIFIED_INVESTORS,
        server_default=DeckVisibility.VERIFIED_INVESTORS.value,
    )
    status: Mapped[StartupStatus] = mapped_column(
        string_enum(StartupStatus, "startup_status", 20), default=StartupStatus.DRAFT, index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Optimistic locking: an UPDATE that lost a race to another request changes no row and fails.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    owner: Mapped[User] = relationship()
    region: Mapped[Region | None] = relationship()
    sector: Mapped[Sector | None] = relationship()
    stage: Mapped[Stage | None] = relationship()
    logo: Mapped[StoredFile | None] = relationship(foreign_keys=[logo_file_id])
    deck: Mapped[StoredFile | None] = relationship(foreign_keys=[deck_file_id])
    revisions: Mapped[list[StartupRevision]] = relationship(
        back_populates="startup", order_by="StartupRevision.id", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Startup {self.slug} {self.status.value}>"


class RevisionStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    WITHDRAWN = "withdrawn"


OPEN_REVISION_STATUSES = (RevisionStatus.DRAFT, RevisionStatus.SUBMITTED, RevisionStatus.CHANGES_REQUESTED)


class StartupRevision(Base):
    """Proposed changes to an approved profile; investors keep seeing the approved one until it is approved."""

    __tablename__ = "startup_revision"
    __table_args__ = (
        # At most one open revision per startup, even when two saves race.
        Index(
            "uq_startup_revision_open",
            "startup_id",
            unique=True,
            sqlite_where=text("status IN ('draft', 'submitted', 'changes_requested')"),
            postgresql_where=text("status IN ('draft', 'submitted', 'changes_requested')"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    status: Mapped[RevisionStatus] = mapped_column(
        string_enum(RevisionStatus, "revision_status", 20), default=RevisionStatus.DRAFT
    )
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")

    __mapper_args__ = {"version_id_col": version}

    startup: Mapped[Startup] = relationship(back_populates="revisions")

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REVISION_STATUSES

    def __repr__(self) -> str:
        return f"<StartupRevision {self.id} of {self.startup_id} {self.status.value}>"


class ReviewEvent(Base):
    """One status change of a startup or of a revision: who, when, from, to, why. Never edited."""

    __tablename__ = "review_event"
    __table_args__ = (Index("ix_review_event_startup_id_created_at", "startup_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id"))
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("startup_revision.id"))
    actor_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    actor: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<ReviewEvent {self.startup_id} {self.from_status}->{self.to_status}>"


class ExchangeRate(Base):
    """How many units of a currency buy one US dollar; admins keep it current."""

    __tablename__ = "exchange_rate"

    currency: Mapped[Currency] = mapped_column(string_enum(Currency, "currency", 3), primary_key=True)
    units_per_usd: Mapped[Decimal] = mapped_column(Numeric(18, 6))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))
