"""Forms of the investors' pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dealflow.countries import country_names
from dealflow.labels import INVESTOR_KIND_LABELS, PIPELINE_LABELS
from dealflow.parsing import FiniteDecimalField
from dealflow.reference.data import REGIONS, SECTORS, STAGES, reference_name, region_name


def _checkboxes(label: Any) -> SelectMultipleField:
    return SelectMultipleField(
        label, choices=[], option_widget=CheckboxInput(), widget=ListWidget(prefix_label=False), validators=[Optional()]
    )


class InvestorProfileForm(FlaskForm):
    kind = SelectField(_l("Kind of investor"), choices=[], validators=[Optional()])
    organisation = StringField(_l("Organisation"), validators=[Optional(), Length(max=160)])
    country = SelectField(_l("Country"), choices=[], validators=[Optional()])
    ticket_min_usd = FiniteDecimalField(
        _l("Smallest ticket (USD)"), places=0, validators=[Optional(), NumberRange(min=Decimal(0), max=Decimal("1e12"))]
    )
    ticket_max_usd = FiniteDecimalField(
        _l("Largest ticket (USD)"), places=0, validators=[Optional(), NumberRange(min=Decimal(0), max=Decimal("1e12"))]
    )
    sectors = _checkboxes(_l("Sectors"))
    stages = _checkboxes(_l("Stages"))
    regions = _checkboxes(_l("Regions of interest"))
    regional_mandate = BooleanField(_l("Regional mandate: I look for deals outside Astana and Almaty"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        locale = str(get_locale())
        self.kind.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(k.value, label) for k, label in INVESTOR_KIND_LABELS.items()
        ]
        self.country.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(code, name) for code, name in country_names(locale).items()
        ]
        self.sectors.choices = [SelectChoice(s.code, reference_name(SECTORS, s.code, locale)) for s in SECTORS]
        self.stages.choices = [SelectChoice(s.code, reference_name(STAGES, s.code, locale)) for s in STAGES]
        self.regions.choices = [SelectChoice(r.code, region_name(r.code, locale)) for r in REGIONS]


class BookmarkForm(FlaskForm):
    note = TextAreaField(_l("Private note"), validators=[Optional(), Length(max=5000)])
    stage = SelectField(
        _l("Pipeline stage"), choices=[SelectChoice(s.value, label) for s, label in PIPELINE_LABELS.items()]
    )


class SaveSearchForm(FlaskForm):
    name = StringField(_l("Name of the search"), validators=[DataRequired(), Length(max=120)])
    query = HiddenField()


class RenameSearchForm(FlaskForm):
    name = StringField(_l("New name"), validators=[DataRequired(), Length(max=120)])
