"""Getting back into an account and moving it to another address: reset links and email changes."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dealflow import audit
from dealflow.auth import emails, links, passwords, sessions
from dealflow.auth.services import AccountError, EmailTaken, WeakPassword, find_user_by_email, normalise_email
from dealflow.extensions import db
from dealflow.models import TokenPurpose, User, utcnow


def request_password_reset(email: str, *, ip: str | None = None) -> None:
    """Email a reset link if the address has an account; the same work and the same answer if not."""
    user = find_user_by_email(email)
    minutes = current_app.config["RESET_PASSWORD_MINUTES"]
    if user is None or not user.active or user.deleted_at is not None:
        # Nothing to send, but build the email all the same so that the answer takes as long.
        sessions.hash_token(links.new_secret())
        emails.compose("reset_password", "nobody@invalid", None, user=None, secret="", minutes=minutes)
        return
    secret = links.issue(user, TokenPurpose.RESET_PASSWORD, lifetime=timedelta(minutes=minutes))
    emails.send("reset_password", user.email, user.locale, user=user, secret=secret, minutes=minutes)
    audit.record("auth.password_reset_requested", actor=None, target=user, actor_email=user.email, ip=ip)


def reset_password(secret: str, new_password: str, *, ip: str | None = None) -> User:
    """Set a new password through a reset link: the link is spent and every session of the account ends."""
    token = links.find(secret, TokenPurpose.RESET_PASSWORD)
    user = token.user
    problems = passwords.password_problems(new_password, email=user.email, name=user.name)
    if problems:
        raise WeakPassword(problems, field="new_password")
    links.use(token)
    user.password_hash = passwords.hash_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the reset link proved the owner reads this mailbox
    sessions.end_sessions(user)
    audit.record("auth.password_reset", actor=user, target=user, ip=ip)
    emails.send("password_reset", user.email, user.locale, user=user)
    db.session.flush()
    return user


def request_email_change(user: User, *, password: str, new_email: str, ip: str | None = None) -> None:
    """Send a confirmation link to the new address; the account keeps the old one until it is clicked."""
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError(_l("Your current password is not correct."), field="password")
    normalised = normalise_email(new_email)
    if normalised == user.email:
        raise AccountError(_l("This is already your email address."), field="new_email")
    if db.session.scalar(select(User.id).where(User.email == normalised)) is not None:
        taken = EmailTaken()
        taken.field = "new_email"
        raise taken
    hours = current_app.config["VERIFY_EMAIL_HOURS"]
    secret = links.issue(user, TokenPurpose.CHANGE_EMAIL, lifetime=timedelta(hours=hours), new_email=normalised)
    emails.send("change_email", normalised, user.locale, user=user, secret=secret, hours=hours)
    emails.send("email_change_requested", user.email, user.locale, user=user, new_email=normalised)
    audit.record("auth.email_change_requested", actor=user, target=user, details={"to": normalised}, ip=ip)


def confirm_email_change(secret: str, *, ip: str | None = None) -> User:
    """Spend the link sent to the new address: from now on the account uses it, already verified."""
    token = links.find(secret, TokenPurpose.CHANGE_EMAIL)
    user = token.user
    new_email = token.new_email or ""
    if db.session.scalar(select(User.id).where(User.email == new_email, User.id != user.id)) is not None:
        raise EmailTaken()
    links.use(token)
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    audit.record("auth.email_changed", actor=user, target=user, details={"from": old_email, "to": new_email}, ip=ip)
    emails.send("email_changed", old_email, user.locale, user=user, new_email=new_email)
    db.session.flush()
    return user
