"""The startup profile form: it checks shape; the services check meaning."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar, cast

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import (
    EmailField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    URLField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional, ValidationError

from dealflow.countries import country_names, is_country
from dealflow.extensions import db
from dealflow.labels import DECK_VISIBILITY_LABELS, INSTRUMENT_LABELS, LANGUAGE_NAMES
from dealflow.models import Currency, DeckVisibility, Instrument, Region, Sector, Stage
from dealflow.money import to_cents
from dealflow.parsing import FiniteDecimalField
from dealflow.startups.bin import is_valid_bin
from dealflow.startups.fields import FIELD_LABELS, REQUIRED_FOR_SUBMISSION, TEXT_LIMITS
from dealflow.startups.profile import Profile, TeamMember

TEAM_ROWS = 3
E = TypeVar("E", bound=Enum)
PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{7,20}$")


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _web_address(value: Any) -> Any:
    """Let founders type 'example.kz'; store it as a full https address."""
    value = _strip(value)
    if value and not re.match(r"^[a-z][a-z0-9+.-]*://", value, re.IGNORECASE):
        return "https://" + value
    return value


def _choice(enum_type: type[E], value: str | None) -> E | None:
    """The enum member for a submitted value, or None for an empty or forged one."""
    try:
        return enum_type(value) if value else None
    except ValueError:
        return None


def _cents(value: Decimal | None) -> Decimal | None:
    return None if value is None else to_cents(value)


def not_in_the_future(_form: Form, field: IntegerField) -> None:
    if field.data is not None and not 1990 <= field.data <= date.today().year:
        raise ValidationError(_l("Enter a year between 1990 and this year."))


def printable(_form: Form, field: StringField) -> None:
    if field.data and not field.data.isprintable():
        raise ValidationError(_l("Use letters, digits and punctuation only."))


def valid_bin(_form: Form, field: StringField) -> None:
    if field.data and not is_valid_bin(field.data):
        raise ValidationError(_l("A BIN has 12 digits and its last digit is a check digit; this one does not match."))


def valid_phone(_form: Form, field: StringField) -> None:
    if field.data and (not PHONE_RE.match(field.data) or not 7 <= sum(c.isdigit() for c in field.data) <= 15):
        raise ValidationError(_l("Enter a phone number with its country code, e.g. +7 701 234 5678."))


def http_url(_form: Form, field: StringField) -> None:
    if field.data and not re.match(r"^https?://[^\s/$.?#][^\s]*\.[^\s]{2,}$", field.data, re.IGNORECASE):
        raise ValidationError(_l("Enter a web address such as https://example.kz."))


IN_RUSSIAN, IN_KAZAKH = _l("In Russian"), _l("In Kazakh")
TOO_LONG = _l("This is %(length)d characters long; the limit is %(max)d. Shorten it and save again.")


def limited(name: str, **render_kw: Any) -> dict[str, Any]:
    """The length check and the maxlength of a text field, from the one table of limits."""
    limit = TEXT_LIMITS[name]
    return {
        "validators": [Optional(), Length(max=limit, message=TOO_LONG)],
        "render_kw": {"maxlength": limit, "data-limit": limit, **render_kw},
    }


class TeamMemberForm(Form):
    name = StringField(_l("Name"), filters=[_strip], validators=[Optional(), Length(max=120)])
    role = StringField(_l("Role in the team"), filters=[_strip], validators=[Optional(), Length(max=120)])
    profile_url = URLField(
        _l("Profile link (optional)"), filters=[_web_address], validators=[Optional(), Length(max=255), http_url]
    )


def _choices(model: type[Region] | type[Sector] | type[Stage]) -> list[SelectChoice]:
    locale = str(get_locale())
    rows = cast(Sequence[Region | Sector | Stage], db.session.scalars(select(model).order_by(model.position)).all())
    return [SelectChoice("", _l("Choose…"))] + [SelectChoice(r.code, r.name(locale)) for r in rows]


class StartupForm(FlaskForm):
    name = StringField(
        FIELD_LABELS["name"],
        filters=[_strip],
        validators=[InputRequired(), Length(max=TEXT_LIMITS["name"], message=TOO_LONG), printable],
        render_kw={"maxlength": TEXT_LIMITS["name"]},
    )
    tagline = StringField(
        FIELD_LABELS["tagline"],
        filters=[_strip],
        description=_l("One sentence, at most 140 characters: what you do and for whom."),
        **limited("tagline"),
    )
    description = TextAreaField(
        FIELD_LABELS["description"],
        description=_l("Up to 10,000 characters. Markdown is supported: **bold**, *italic*, lists and links."),
        **limited("description", rows=12),
    )
    content_language = SelectField(
        FIELD_LABELS["content_language"],
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
        validators=[Optional()],
        description=_l("The language of the tagline and description above, so screen readers say them right."),
    )
    # Labelled by language alone: each pair sits in a fieldset that names the field.
    tagline_ru = StringField(IN_RUSSIAN, filters=[_strip], **limited("tagline_ru", lang="ru"))
    tagline_kk = StringField(IN_KAZAKH, filters=[_strip], **limited("tagline_kk", lang="kk"))
    description_ru = TextAreaField(IN_RUSSIAN, **limited("description_ru", rows=8, lang="ru"))
    description_kk = TextAreaField(IN_KAZAKH, **limited("description_kk", rows=8, lang="kk"))
    website = URLField(
        FIELD_LABELS["website"], filters=[_web_address], validators=[Optional(), Length(max=255), http_url]
    )
    founded_year = IntegerField(FIELD_LABELS["founded_year"], validators=[Optional(), not_in_the_future])
    region_code = SelectField(FIELD_LABELS["region_code"], choices=[], validators=[Optional()])
    city = StringField(FIELD_LABELS["city"], filters=[_strip], validators=[Optional(), Length(max=80)])
    sector_code = SelectField(FIELD_LABELS["sector_code"], choices=[], validators=[Optional()])
    stage_code = SelectField(FIELD_LABELS["stage_code"], choices=[], validators=[Optional()])
    team_size = IntegerField(FIELD_LABELS["team_size"], validators=[Optional(), NumberRange(min=1, max=100_000)])
    team = FieldList(FormField(TeamMemberForm), min_entries=TEAM_ROWS, max_entries=30)
    currency = SelectField(
        FIELD_LABELS["currency"],
        choices=[
            SelectChoice("", _l("Choose…")),
            SelectChoice("KZT", _l("Tenge (KZT)")),
            SelectChoice("USD", _l("US dollars (USD)")),
        ],
        validators=[Optional()],
        description=_l("Used for the funding ask and the revenue; investors also see the amount in US dollars."),
    )
    ask_amount = FiniteDecimalField(
        FIELD_LABELS["ask_amount"],
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("1"), max=Decimal("1e12"))],
    )
    instrument = SelectField(
        FIELD_LABELS["instrument"],
        choices=[SelectChoice("", _l("Choose…"))]
        + [SelectChoice(i.value, label) for i, label in INSTRUMENT_LABELS.items()],
        validators=[Optional()],
    )
    monthly_revenue = FiniteDecimalField(
        FIELD_LABELS["monthly_revenue"],
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0"), max=Decimal("1e12"))],
        description=_l("Average of the last three months; 0 if you have no revenue yet."),
    )
    customers_count = IntegerField(
        FIELD_LABELS["customers_count"], validators=[Optional(), NumberRange(min=0, max=1_000_000_000)]
    )
    export_markets = SelectMultipleField(
        FIELD_LABELS["export_markets"],
        choices=[],
        validators=[Optional()],
        description=_l("Countries where you already sell. Hold Ctrl (Cmd on a Mac) to choose several."),
    )
    bin = StringField(
        FIELD_LABELS["bin"],
        filters=[lambda v: re.sub(r"\s", "", v) if isinstance(v, str) else v],
        validators=[Optional(), valid_bin],
        description=_l("Optional: the 12-digit business identification number of your company."),
    )
    contact_email = EmailField(
        FIELD_LABELS["contact_email"],
        filters=[_strip],
        validators=[Optional(), Email(message=_l("Enter a valid email address.")), Length(max=254)],
        description=_l("Shown to an investor only after you accept their intro request."),
    )
    contact_phone = StringField(
        FIELD_LABELS["contact_phone"], filters=[_strip], validators=[Optional(), valid_phone, Length(max=32)]
    )
    logo = FileField(
        FIELD_LABELS["logo_file_id"],
        description=_l("PNG, JPEG or WebP, up to 2 MB."),
        render_kw={"accept": "image/png,image/jpeg,image/webp", "data-max-bytes": 2 * 2**20},
    )
    deck = FileField(
        FIELD_LABELS["deck_file_id"],
        description=_l("PDF, up to 20 MB."),
        render_kw={"accept": "application/pdf,.pdf", "data-max-bytes": 20 * 2**20},
    )
    logo_file_id = HiddenField()
    deck_file_id = HiddenField()
    deck_visibility = RadioField(
        FIELD_LABELS["deck_visibility"],
        choices=[SelectChoice(v.value, label) for v, label in DECK_VISIBILITY_LABELS.items()],
        default=DeckVisibility.VERIFIED_INVESTORS.value,
        validators=[Optional()],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in REQUIRED_FOR_SUBMISSION:  # the form's live progress counts these, as the server does
            if name in self._fields and name != "team":
                self[name].render_kw = {**(self[name].render_kw or {}), "data-required": name}
        self.logo.render_kw = {**(self.logo.render_kw or {}), "data-required": "logo_file_id"}
        self.deck.render_kw = {**(self.deck.render_kw or {}), "data-required": "deck_file_id"}
        self.region_code.choices = _choices(Region)
        self.sector_code.choices = _choices(Sector)
        self.stage_code.choices = _choices(Stage)
        self.export_markets.choices = [
            SelectChoice(code, name) for code, name in country_names(str(get_locale())).items()
        ]

    def fill_from(self, profile: Profile) -> None:
        """Show a saved profile in the form."""
        for name in (
            "name", "tagline", "description", "tagline_ru", "tagline_kk", "description_ru", "description_kk",
            "website", "founded_year", "city", "team_size", "ask_amount",
            "monthly_revenue", "customers_count", "bin", "contact_email", "contact_phone",
        ):  # fmt: skip
            getattr(self, name).data = getattr(profile, name)
        for name in ("region_code", "sector_code", "stage_code", "currency", "instrument", "deck_visibility"):
            value = getattr(profile, name)
            getattr(self, name).data = str(value) if value else ""
        self.export_markets.data = list(profile.export_markets)
        self.content_language.data = profile.content_language or str(get_locale())
        self.logo_file_id.data = str(profile.logo_file_id or "")
        self.deck_file_id.data = str(profile.deck_file_id or "")
        while len(self.team.entries):
            self.team.pop_entry()
        for member in profile.team:
            self.team.append_entry({"name": member.name, "role": member.role, "profile_url": member.profile_url})
        for _ in range(max(TEAM_ROWS - len(profile.team), 1)):
            self.team.append_entry()

    @staticmethod
    def _codes(field: SelectField) -> set[str]:
        return {str(choice.value) for choice in field.choices or [] if choice.value}

    def profile(self, *, logo_file_id: int | None, deck_file_id: int | None) -> Profile:
        """The profile the founder submitted, with the files decided by the route."""
        team = tuple(
            TeamMember(name=e.data["name"], role=e.data["role"] or "", profile_url=e.data["profile_url"] or "")
            for e in self.team.entries
            if e.data["name"]
        )
        return Profile(
            name=self.name.data or "",
            tagline=self.tagline.data or None,
            description=(self.description.data or "").strip() or None,
            content_language=self.content_language.data if self.content_language.data in LANGUAGE_NAMES else None,
            tagline_ru=self.tagline_ru.data or None,
            tagline_kk=self.tagline_kk.data or None,
            description_ru=(self.description_ru.data or "").strip() or None,
            description_kk=(self.description_kk.data or "").strip() or None,
            website=self.website.data or None,
            founded_year=self.founded_year.data,
            region_code=self.region_code.data if self.region_code.data in self._codes(self.region_code) else None,
            city=self.city.data or None,
            sector_code=self.sector_code.data if self.sector_code.data in self._codes(self.sector_code) else None,
            stage_code=self.stage_code.data if self.stage_code.data in self._codes(self.stage_code) else None,
            team_size=self.team_size.data,
            team=team,
            currency=_choice(Currency, self.currency.data),
            ask_amount=_cents(self.ask_amount.data),
            instrument=_choice(Instrument, self.instrument.data),
            monthly_revenue=_cents(self.monthly_revenue.data),
            customers_count=self.customers_count.data,
            export_markets=tuple(c for c in self.export_markets.data or () if is_country(c)),
            bin=self.bin.data or None,
            contact_email=(self.contact_email.data or "").lower() or None,
            contact_phone=self.contact_phone.data or None,
            logo_file_id=logo_file_id,
            deck_file_id=deck_file_id,
            deck_visibility=_choice(DeckVisibility, self.deck_visibility.data) or DeckVisibility.VERIFIED_INVESTORS,
        )


class MarkdownPreviewForm(FlaskForm):
    """The text of a description box, sent for a preview; as long as the field itself may be."""

    text = TextAreaField(validators=[Optional(), Length(max=TEXT_LIMITS["description"], message=TOO_LONG)])
