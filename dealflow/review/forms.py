"""Forms of the review pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional


class DecisionForm(FlaskForm):
    decision = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("approved", _l("Approve: list it for investors")),
            SelectChoice("changes_requested", _l("Request changes")),
            SelectChoice("rejected", _l("Reject")),
        ],
        validators=[InputRequired(message=_l("Choose a decision."))],
    )
    comment = TextAreaField(
        _l("Comment to the founder"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Required when you request changes or reject: say what to change or why."),
    )
    seen_version = HiddenField()


class RubricForm(FlaskForm):
    team = IntegerField(_l("Team (1–5)"), validators=[InputRequired(), NumberRange(min=1, max=5)])
    market = IntegerField(_l("Market (1–5)"), validators=[InputRequired(), NumberRange(min=1, max=5)])
    traction = IntegerField(_l("Traction (1–5)"), validators=[InputRequired(), NumberRange(min=1, max=5)])
    note = TextAreaField(
        _l("Internal note"),
        validators=[Optional(), Length(max=5000)],
        description=_l("Seen by hub staff only, never by the founder."),
    )
