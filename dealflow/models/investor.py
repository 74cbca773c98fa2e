"""Investors' side of an account: who they are, what they look for, and whether staff verified them."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow

if TYPE_CHECKING:
    from dealflow.models.user import User

HOME_COUNTRY = "KZ"


class InvestorKind(enum.StrEnum):
    ANGEL = "angel"
    VC_FUND = "vc_fund"
    CORPORATE = "corporate"
    GOVERNMENT_FUND = "government_fund"
    FAMILY_OFFICE = "family_office"
    ACCELERATOR = "accelerator"


class InvestorProfile(Base):
    __tablename__ = "investor_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[InvestorKind | None] = mapped_column(string_enum(InvestorKind, "investor_kind", 20))
    organisation: Mapped[str | None] = mapped_column(String(160))
    country: Mapped[str | None] = mapped_column(String(2))
    ticket_min_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    ticket_max_usd: Mapped[Decimal | None] = mapped_column(Numeric(16, 2))
    sectors: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    stages: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    regions: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    regional_mandate: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="SET NULL"))

    user: Mapped[User] = relationship(foreign_keys=[user_id], back_populates="investor_profile")
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    @property
    def is_foreign(self) -> bool:
        """Derived, never stored: any country but Kazakhstan."""
        return self.country is not None and self.country != HOME_COUNTRY
