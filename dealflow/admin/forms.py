"""Forms for administrators managing accounts."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from dealflow.labels import ROLE_LABELS
from dealflow.parsing import FiniteDecimalField


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(role.value, label) for role, label in ROLE_LABELS.items()]


class _HubChoice:
    hub_id: SelectField

    def set_hub_choices(self, hubs: list[tuple[int, str]]) -> None:
        self.hub_id.choices = [SelectChoice("", _l("No hub"))] + [SelectChoice(str(i), n) for i, n in hubs]


class CreateUserForm(FlaskForm, _HubChoice):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"),
        validators=[DataRequired(), Length(max=128)],
        description=_l("Give it to the person privately; they can change it in their account settings."),
    )
    role = SelectField(_l("Role"), choices=[])
    hub_id = SelectField(_l("Hub"), choices=[], description=_l("For hub staff: the hub whose queue they review."))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()


class EditUserForm(FlaskForm, _HubChoice):
    role = SelectField(_l("Role"), choices=[])
    hub_id = SelectField(_l("Hub"), choices=[])
    active = BooleanField(_l("Can log in"))

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.role.choices = _role_choices()


class ExchangeRateForm(FlaskForm):
    units_per_usd = FiniteDecimalField(
        _l("Tenge per US dollar"),
        places=2,
        validators=[InputRequired(), NumberRange(min=Decimal("1"), max=Decimal("100000"))],
        description=_l("Amounts entered in tenge are converted with this rate for filtering and totals."),
    )


class HubForm(FlaskForm):
    name = StringField(_l("Hub name"), validators=[DataRequired(), Length(max=120)])
    name_ru = StringField(
        _l("Name in Russian"),
        validators=[Optional(), Length(max=120)],
        description=_l("Leave empty where the name is the same in every language."),
    )
    name_kk = StringField(_l("Name in Kazakh"), validators=[Optional(), Length(max=120)])
    home_region = SelectField(_l("Home region"), choices=[])
    regions = SelectMultipleField(
        _l("Regions it reviews"),
        choices=[],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        description=_l("Submissions from these regions go to this hub's queue."),
    )

    def set_region_choices(self, regions: list[tuple[str, str]]) -> None:
        self.home_region.choices = [SelectChoice(code, name) for code, name in regions]
        self.regions.choices = [SelectChoice(code, name) for code, name in regions]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search form changes nothing

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    actor = StringField(_l("Who (email contains)"), validators=[Length(max=254)])
