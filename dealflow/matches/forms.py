"""Forms of the intro and match pages: they check shape; the services check meaning."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, RadioField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from dealflow.labels import INSTRUMENT_LABELS, PROGRESS_LABELS
from dealflow.matches.services import MAX_MESSAGE_LENGTH, MAX_NOTE_LENGTH
from dealflow.models import Currency
from dealflow.parsing import FiniteDecimalField


class IntroRequestForm(FlaskForm):
    message = TextAreaField(
        _l("Message to the founder"),
        validators=[
            DataRequired(message=_l("Write a short message to the founder: who you are and why this startup.")),
            Length(max=MAX_MESSAGE_LENGTH),
        ],
        description=_l("Up to 1,000 characters. The founder sees your name, organisation and this message."),
    )


class IntroAnswerForm(FlaskForm):
    decision = RadioField(
        _l("Answer"),
        choices=[SelectChoice("accepted", _l("Accept")), SelectChoice("declined", _l("Decline"))],
        validators=[InputRequired(message=_l("Choose to accept or decline."))],
    )
    reply = TextAreaField(
        _l("Reply to the investor (optional)"),
        validators=[Optional(), Length(max=MAX_MESSAGE_LENGTH)],
    )


class ProgressForm(FlaskForm):
    kind = SelectField(
        _l("What happened"),
        choices=[SelectChoice(kind.value, label) for kind, label in PROGRESS_LABELS.items()],
    )
    occurred_on = DateField(_l("Date"), validators=[Optional()])
    note = TextAreaField(_l("Note (only the two of you see it)"), validators=[Optional(), Length(max=MAX_NOTE_LENGTH)])
    amount = FiniteDecimalField(
        _l("Amount invested"),
        places=2,
        validators=[Optional(), NumberRange(min=Decimal("0.01"), max=Decimal("1e12"))],
        description=_l("For a closed investment only; the other side confirms it before it counts."),
    )
    currency = SelectField(
        _l("Currency"),
        choices=[SelectChoice("", _l("Choose…")), *(SelectChoice(c.value, c.value) for c in Currency)],
        validators=[Optional()],
    )
    instrument = SelectField(
        _l("Instrument"),
        choices=[SelectChoice("", _l("Choose…")), *(SelectChoice(i.value, t) for i, t in INSTRUMENT_LABELS.items())],
        validators=[Optional()],
    )
    publish_amount = BooleanField(_l("Publish the amount in the open data (only if the other side agrees too)"))


class CloseAnswerForm(FlaskForm):
    decision = RadioField(
        _l("Did this investment close?"),
        choices=[SelectChoice("confirmed", _l("Confirm")), SelectChoice("disputed", _l("It did not happen"))],
        validators=[InputRequired()],
    )
    publish_amount = BooleanField(_l("Publish the amount in the open data"))
