"""Forms of the billing pages: they carry ids from Stripe.js, never a card number."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import DataRequired, Regexp

SETUP_INTENT_ID = Regexp(r"^seti_[A-Za-z0-9_]{1,200}$", message=_l("Enter your card again."))
PRICE_KEY = Regexp(r"^[a-z_]{1,40}$", message=_l("Choose the monthly or the yearly plan."))


class SubscribeForm(FlaskForm):
    price = HiddenField(validators=[DataRequired(message=_l("Choose the monthly or the yearly plan.")), PRICE_KEY])
    setup_intent = HiddenField(validators=[DataRequired(message=_l("Enter your card.")), SETUP_INTENT_ID])


class CardForm(FlaskForm):
    setup_intent = HiddenField(validators=[DataRequired(message=_l("Enter your card.")), SETUP_INTENT_ID])


class ChangePlanForm(FlaskForm):
    price = HiddenField(validators=[DataRequired(message=_l("Choose the monthly or the yearly plan.")), PRICE_KEY])
