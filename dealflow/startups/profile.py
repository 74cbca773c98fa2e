"""A startup's editable profile as one value, whether it lives on the startup or in a revision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from decimal import Decimal
from typing import Any

from dealflow.models import Currency, DeckVisibility, Instrument, Startup


@dataclass(frozen=True)
class TeamMember:
    name: str
    role: str
    profile_url: str = ""


@dataclass(frozen=True)
class Profile:
    """Everything a founder fills in; None means not given yet (drafts may be partial)."""

    name: str
    tagline: str | None = None
    description: str | None = None
    content_language: str | None = None
    tagline_ru: str | None = None
    tagline_kk: str | None = None
    description_ru: str | None = None
    description_kk: str | None = None
    website: str | None = None
    founded_year: int | None = None
    region_code: str | None = None
    city: str | None = None
    sector_code: str | None = None
    stage_code: str | None = None
    team_size: int | None = None
    team: tuple[TeamMember, ...] = ()
    currency: Currency | None = None
    ask_amount: Decimal | None = None
    instrument: Instrument | None = None
    monthly_revenue: Decimal | None = None
    customers_count: int | None = None
    export_markets: tuple[str, ...] = ()
    bin: str | None = None
    contact_email: str | None = None
    contact_phone: str | None = None
    logo_file_id: int | None = None
    deck_file_id: int | None = None
    deck_visibility: DeckVisibility = DeckVisibility.VERIFIED_INVESTORS

    def replace(self, **changes: Any) -> Profile:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(changes)
        return Profile(**values)

    # -- storage in a revision -------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict: decimals as strings, enums as values."""
        data = asdict(self)
        data["team"] = [asdict(m) for m in self.team]
        data["export_markets"] = list(self.export_markets)
        for key in ("ask_amount", "monthly_revenue"):
            data[key] = None if data[key] is None else str(data[key])
        for key in ("currency", "instrument", "deck_visibility"):
            data[key] = None if data[key] is None else str(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Profile:
        values = dict(data)
        values["team"] = tuple(TeamMember(**m) for m in values.get("team", []))
        values["export_markets"] = tuple(values.get("export_markets", []))
        for key in ("ask_amount", "monthly_revenue"):
            values[key] = None if values.get(key) is None else Decimal(values[key])
        values["currency"] = Currency(values["currency"]) if values.get("currency") else None
        values["instrument"] = Instrument(values["instrument"]) if values.get("instrument") else None
        values["deck_visibility"] = DeckVisibility(values.get("deck_visibility") or DeckVisibility.VERIFIED_INVESTORS)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    # -- storage on the startup row ----------------------------------------------
    @classmethod
    def of(cls, startup: Startup) -> Profile:
        """The profile as it stands on the startup row (the approved version once listed)."""
        return cls(
            name=startup.name,
            tagline=startup.tagline,
            description=startup.description,
            content_language=startup.content_language,
            tagline_ru=startup.tagline_ru,
            tagline_kk=startup.tagline_kk,
            description_ru=startup.description_ru,
            description_kk=startup.description_kk,
            website=startup.website,
            founded_year=startup.founded_year,
            region_code=startup.region_code,
            city=startup.city,
            sector_code=startup.sector_code,
            stage_code=startup.stage_code,
            team_size=startup.team_size,
            team=tuple(TeamMember(**m) for m in startup.team or []),
            currency=startup.currency,
            ask_amount=startup.ask_amount,
            instrument=startup.instrument,
            monthly_revenue=startup.monthly_revenue,
            customers_count=startup.customers_count,
            export_markets=tuple(startup.export_markets or []),
            bin=startup.bin,
            contact_email=startup.contact_email,
            contact_phone=startup.contact_phone,
            logo_file_id=startup.logo_file_id,
            deck_file_id=startup.deck_file_id,
            deck_visibility=startup.deck_visibility,
        )

    def apply_to(self, startup: Startup) -> None:
        """Write the profile onto the startup row (amounts in USD are set by the caller)."""
        for f in fields(self):
            if f.name in ("team", "export_markets"):
                continue
            setattr(startup, f.name, getattr(self, f.name))
        startup.team = [asdict(m) for m in self.team]
        startup.export_markets = list(self.export_markets)
