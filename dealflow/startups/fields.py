"""Names of the profile's fields, shared by the form and by the list of what is missing."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

FIELD_LABELS = {
    "name": _l("Startup name"),
    "tagline": _l("Tagline"),
    "description": _l("Description"),
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

REQUIRED_FOR_SUBMISSION = (
    "name",
    "tagline",
    "description",
    "website",
    "founded_year",
    "region_code",
    "city",
    "sector_code",
    "stage_code",
    "team_size",
    "team",
    "currency",
    "ask_amount",
    "instrument",
    "monthly_revenue",
    "customers_count",
    "contact_email",
    "contact_phone",
    "logo_file_id",
    "deck_file_id",
)
