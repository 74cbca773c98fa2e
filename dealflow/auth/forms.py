"""Forms for signing up, logging in and account settings: they check shape, services check meaning."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from dealflow.auth.services import AccountError, WeakPassword
from dealflow.labels import LANGUAGE_NAMES
from dealflow.models import Role


def show_account_error(form: FlaskForm, error: AccountError, fallback: str) -> None:
    """Put the reason a service refused the change under the field it concerns."""
    messages = error.problems if isinstance(error, WeakPassword) else [error.message]
    getattr(form, error.field or fallback).errors = [str(m) for m in messages]


def language_choices(with_auto: bool = False) -> list[SelectChoice]:
    choices = [SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()]
    return ([SelectChoice("", _l("Same as my browser"))] if with_auto else []) + choices


class RegisterForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=128)],
        description=_l("At least 10 characters; not a common password."),
    )
    confirm = PasswordField(
        _l("Repeat the password"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords do not match."))],
    )
    role = RadioField(
        _l("I am"),
        choices=[
            SelectChoice(Role.FOUNDER.value, _l("A founder: I want to list my startup")),
            SelectChoice(Role.INVESTOR.value, _l("An investor: I want to find startups")),
        ],
        validators=[DataRequired(message=_l("Choose founder or investor."))],
    )
    accept_terms = BooleanField(
        _l("I accept the terms of use and the privacy notice"),
        validators=[DataRequired(message=_l("Accept the terms and the privacy notice to open an account."))],
    )


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=128)])
    remember = BooleanField(_l("Keep me logged in on this device"))


class SettingsForm(FlaskForm):
    name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=120)])
    locale = SelectField(_l("Language"), choices=[])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.locale.choices = language_choices(with_auto=True)


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])


class ResetPasswordForm(FlaskForm):
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(), Length(max=128)],
        description=_l("At least 10 characters; not a common password."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords do not match."))],
    )


class PasswordChangeForm(ResetPasswordForm):
    """The reset form's new password, after proving the current one."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])


class EmailChangeForm(FlaskForm):
    new_email = EmailField(_l("New email address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])


class DeleteAccountForm(FlaskForm):
    password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=128)])


class ButtonForm(FlaskForm):
    """A form that is only a button: it carries the CSRF token and nothing else."""
