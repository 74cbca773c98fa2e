"""The account emails (verification, reset, warnings), each in its recipient's language."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from flask import current_app, render_template
from flask_babel import LazyString, force_locale
from flask_babel import lazy_gettext as _l

from dealflow.extensions import db
from dealflow.notifications import mail

SUBJECTS: dict[str, LazyString] = {
    "verify_email": _l("Confirm your email address for Dealflow"),
    "already_registered": _l("Someone tried to sign up to Dealflow with your address"),
    "change_email": _l("Confirm your new email address for Dealflow"),
    "email_change_requested": _l("Your Dealflow email address is being changed"),
    "email_changed": _l("Your Dealflow email address was changed"),
    "email_change_to_taken": _l("Someone asked to use your email address on Dealflow"),
    "reset_password": _l("Reset your Dealflow password"),
    "password_reset": _l("Your Dealflow password was changed"),
    "login_attack": _l("Someone is trying to guess your Dealflow password"),
    "login_locked": _l("Logging in to your Dealflow account with a password is paused"),
    "account_deleted": _l("Your Dealflow account was deleted"),
}


def compose(kind: str, to: str, locale: str | None, **context: Any) -> EmailMessage:
    """The email written in the recipient's language, with site links made absolute."""
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        body = render_template(f"emails/{kind}.txt", site=current_app.config["SITE_URL"], **context)
        return mail.build(to, str(SUBJECTS[kind]), body)


def send(kind: str, to: str, locale: str | None, **context: Any) -> None:
    """Queue the email so that it leaves only if the request's transaction commits."""
    mail.queue(db.session(), compose(kind, to, locale, **context))
