"""Reference data: the regions of Kazakhstan, sectors and stages, named in three languages."""

from __future__ import annotations

from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from dealflow.models.base import Base


class _Coded:
    """A row known by a code and named in each language of the site, in a fixed order.

    The names live in the project's own table, not pycountry's: its Russian and
    Kazakh names are incomplete.
    """

    name_en: Mapped[str] = mapped_column(String(80))
    name_ru: Mapped[str] = mapped_column(String(80))
    name_kk: Mapped[str] = mapped_column(String(80))
    position: Mapped[int] = mapped_column(Integer, default=0)

    def name(self, locale: str) -> str:
        """The name in the given language, English when the language is unknown."""
        return {"ru": self.name_ru, "kk": self.name_kk}.get(locale, self.name_en)


class Region(_Coded, Base):
    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(5), primary_key=True)
    centre_en: Mapped[str] = mapped_column(String(80))
    is_main_hub: Mapped[bool] = mapped_column(Boolean, default=False)

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class Sector(_Coded, Base):
    __tablename__ = "sector"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)

    def __repr__(self) -> str:
        return f"<Sector {self.code}>"


class Stage(_Coded, Base):
    __tablename__ = "stage"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)

    def __repr__(self) -> str:
        return f"<Stage {self.code}>"
