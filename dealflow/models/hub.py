"""Hubs: Astana Hub and the regional hubs whose staff review submissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Column, ForeignKey, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dealflow.models.base import Base

if TYPE_CHECKING:
    from dealflow.models.reference import Region
    from dealflow.models.user import User

hub_region = Table(
    "hub_region",
    Base.metadata,
    Column("hub_id", ForeignKey("hub.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", ForeignKey("region.code"), primary_key=True),
)


class Hub(Base):
    __tablename__ = "hub"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_ru: Mapped[str | None] = mapped_column(String(120))
    name_kk: Mapped[str | None] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    home_region_code: Mapped[str] = mapped_column(ForeignKey("region.code"))

    home_region: Mapped[Region] = relationship()
    regions: Mapped[list[Region]] = relationship(secondary=hub_region, order_by="Region.position")
    staff: Mapped[list[User]] = relationship(back_populates="hub")

    def localized_name(self, locale: str) -> str:
        """The hub's name in the given language, the original where it has none."""
        return {"ru": self.name_ru, "kk": self.name_kk}.get(locale) or self.name

    def __repr__(self) -> str:
        return f"<Hub {self.slug}>"
