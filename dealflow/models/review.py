"""What hub staff keep while reviewing: claims on waiting items and internal rubric scores."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from dealflow.models.user import User


class ReviewClaim(Base):
    """One reviewer at a time per waiting startup (a new submission or changes to a listed one)."""

    __tablename__ = "review_claim"

    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), primary_key=True)
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User] = relationship()


class RubricScore(Base):
    """A reviewer's internal scores; founders never see them."""

    __tablename__ = "rubric_score"
    __table_args__ = tuple(
        CheckConstraint(f"{name} BETWEEN 1 AND 5", name=f"{name}_1_to_5") for name in ("team", "market", "traction")
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    startup_id: Mapped[int] = mapped_column(ForeignKey("startup.id", ondelete="CASCADE"), index=True)
    revision_id: Mapped[int | None] = mapped_column(ForeignKey("startup_revision.id", ondelete="CASCADE"))
    reviewer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    team: Mapped[int] = mapped_column(Integer)
    market: Mapped[int] = mapped_column(Integer)
    traction: Mapped[int] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    reviewer: Mapped[User] = relationship()
