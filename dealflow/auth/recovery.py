"""Getting back into an account and moving it to another address: reset links and email changes."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dealflow import audit
from dealflow.auth import emails, links, passwords, sessions
from dealflow.auth.services import AccountError, WeakPassword, find_user_by_email, normalise_email
from dealflow.extensions import db
from dealflow.models import TokenPurpose, User, UserSession, utcnow


class AddressNowTaken(AccountError):
    """The new address was taken by another account between the request and the click."""

    def __init__(self) -> None:
        super().__init__(_l("This address now belongs to another account. Your email address was not changed."))


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
    links.revoke_all(user)  # a pending email change or an older link must not outlive the recovery
    user.password_hash = passwords.hash_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()  # the reset link proved the owner reads this mailbox
    sessions.end_sessions(user)
    audit.record("auth.password_reset", actor=user, target=user, ip=ip)
    emails.send("password_reset", user.email, user.locale, user=user)
    db.session.flush()
    return user


def request_email_change(user: User, *, password: str, new_email: str, ip: str | None = None) -> None:
    """Send a confirmation link to the new address; the account keeps the old one until it is clicked.

    The answer is the same whether the new address is free or not: if it belongs to another account, its
    owner gets a note instead of a link, so the form never tells who has an account.
    """
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError(_l("Your current password is not correct."), field="password")
    if not user.is_email_verified:
        # an unconfirmed account may be squatting someone else's address: it must not move it elsewhere
        raise AccountError(_l("Confirm your current email address before you change it."), field="new_email")
    normalised = normalise_email(new_email)
    if normalised == user.email:
        raise AccountError(_l("This is already your email address."), field="new_email")
    emails.send("email_change_requested", user.email, user.locale, user=user, new_email=normalised)
    audit.record("auth.email_change_requested", actor=user, target=user, details={"to": normalised}, ip=ip)
    owner = db.session.scalar(select(User).where(User.email == normalised))
    hours = current_app.config["VERIFY_EMAIL_HOURS"]
    if owner is not None:
        sessions.hash_token(links.new_secret())  # the same work as issuing a link
        if owner.active and owner.deleted_at is None:
            emails.send("email_change_to_taken", owner.email, owner.locale, user=owner)
        return
    secret = links.issue(user, TokenPurpose.CHANGE_EMAIL, lifetime=timedelta(hours=hours), new_email=normalised)
    emails.send("change_email", normalised, user.locale, user=user, secret=secret, hours=hours)


def confirm_email_change(secret: str, *, ip: str | None = None, keep: UserSession | None = None) -> User:
    """Spend the link sent to the new address: from now on the account uses it, already verified.

    Every other link of the account (a reset sent to the old mailbox, say) stops working and every
    session but the one kept ends: whoever reads the old mailbox no longer holds the account.
    """
    token = links.find(secret, TokenPurpose.CHANGE_EMAIL)
    user = token.user
    new_email = token.new_email or ""
    if db.session.scalar(select(User.id).where(User.email == new_email, User.id != user.id)) is not None:
        raise AddressNowTaken()
    links.use(token)
    links.revoke_all(user)
    old_email = user.email
    user.email = new_email
    user.email_verified_at = utcnow()
    sessions.end_sessions(user, keep=keep if keep is not None and keep.user_id == user.id else None)
    audit.record("auth.email_changed", actor=user, target=user, details={"from": old_email, "to": new_email}, ip=ip)
    emails.send("email_changed", old_email, user.locale, user=user, new_email=new_email)
    db.session.flush()
    return user
