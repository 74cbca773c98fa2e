"""Names of the profile's fields, shared by the form and by the list of what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "name": _l("Startup name"),
    "tagline": _l("Tagline"),
    "description": _l("Description"),
    "content_language": _l("Original language"),
    "tagline_ru": _l("Tagline in Russian"),
    "tagline_kk": _l("Tagline in Kazakh"),
    "description_ru": _l("Description in Russian"),
    "description_kk": _l("Description in Kazakh"),
    "website": _l("Website"),
    "founded_year": _l("Year founded"),
    "region_code": _l("Region"),
    "city": _l("City or town"),
    "sector_code": _l("Sector"),
    "stage_code": _l("Stage"),
    "team_size": _l("Team size"),
    "team": _l("Team members"),
    "currency": _l("Currency"),
    "ask_amount": _l("Funding ask"),
    "instrument": _l("Instrument"),
    "monthly_revenue": _l("Monthly revenue"),
    "customers_count": _l("Number of customers"),
    "export_markets": _l("Export markets"),
    "bin": _l("BIN"),
    "contact_email": _l("Contact email"),
    "contact_phone": _l("Contact phone"),
    "logo_file_id": _l("Logo"),
    "deck_file_id": _l("Pitch deck"),
    "deck_visibility": _l("Who may open the pitch deck"),
}


@dataclass(frozen=True)
class Section:
    """A part of the founder's form; it is complete when none of its required fields is empty."""

    key: str
    title: LazyString
    required: tuple[str, ...]


# The form's sections in order, with the fields each must have before the profile can be submitted.
SECTIONS = (
    Section("startup", _l("The startup"), ("name", "tagline", "description", "website", "founded_year")),
    Section("place", _l("Where you are"), ("region_code", "city")),
    Section("business", _l("Business"), ("sector_code", "stage_code", "team_size", "customers_count")),
    Section("team", _l("Team members"), ("team",)),
    Section("funding", _l("Funding and traction"), ("currency", "ask_amount", "instrument", "monthly_revenue")),
    Section("contacts", _l("Company and contacts"), ("contact_email", "contact_phone")),
    Section("files", _l("Logo and pitch deck"), ("logo_file_id", "deck_file_id")),
)
REQUIRED_FOR_SUBMISSION = tuple(name for section in SECTIONS for name in section.required)

# The longest text each field takes: the form's maxlength, its counter and its server-side check.
TEXT_LIMITS = {
    "name": 120,
    "tagline": 140,
    "tagline_ru": 140,
    "tagline_kk": 140,
    "description": 10_000,
    "description_ru": 10_000,
    "description_kk": 10_000,
}
