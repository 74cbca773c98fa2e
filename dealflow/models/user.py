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
    # Replaced by server-side sessions (UserSession); kept since dropping a column rebuilds this table on SQLite.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # None until the owner clicks the link sent to the address: until then they cannot submit or request intros.
    email_verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terms_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    terms_version: Mapped[str | None] = mapped_column(String(20))
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
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

    def attach_session(self, token: str) -> None:
        """Tie this loaded user to the server-side session its cookie names (not a column)."""
        self.__dict__["_session_token"] = token

    def get_id(self) -> str:
        """Flask-Login's identifier: the random id of the server-side session, never the user id."""
        token = self.__dict__.get("_session_token")
        if not isinstance(token, str):
            raise RuntimeError("log users in through auth.sessions.start_session, which attaches a session")
        return token

    @property
    def is_email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_verified_investor(self) -> bool:
        return self.role == Role.INVESTOR and self.investor_profile is not None and self.investor_profile.is_verified

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
