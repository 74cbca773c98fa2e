"""Accounts: one user, one role."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow

if TYPE_CHECKING:
    from dealflow.models.hub import Hub
    from dealflow.models.investor import InvestorProfile


class Role(enum.StrEnum):
    FOUNDER = "founder"
    INVESTOR = "investor"
    HUB_STAFF = "hub_staff"
    ADMIN = "admin"


SELF_SERVICE_ROLES = (Role.FOUNDER, Role.INVESTOR)
STAFF_ROLES = (Role.HUB_STAFF, Role.ADMIN)


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role] = mapped_column(string_enum(Role, "role", 20))
    locale: Mapped[str | None] = mapped_column(String(5))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Part of the session identifier: bumping it ends every other session of the user.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    hub_id: Mapped[int | None] = mapped_column(ForeignKey("hub.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    hub: Mapped[Hub | None] = relationship(back_populates="staff")
    investor_profile: Mapped[InvestorProfile | None] = relationship(
        back_populates="user", foreign_keys="InvestorProfile.user_id", uselist=False
    )

    # Flask-Login's protocol, written out so the model does not import Flask.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_verified_investor(self) -> bool:
        return self.role == Role.INVESTOR and self.investor_profile is not None and self.investor_profile.is_verified

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
