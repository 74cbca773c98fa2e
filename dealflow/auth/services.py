"""Account rules: registration, authentication, settings, roles. Services flush; callers commit."""

from __future__ import annotations

from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from config import LANGUAGES
from dealflow import audit
from dealflow.auth import emails, links, passwords, sessions
from dealflow.extensions import db
from dealflow.models import Hub, Role, TokenPurpose, User, UserSession, utcnow
from dealflow.models.user import SELF_SERVICE_ROLES


class AccountError(Exception):
    """A rule of accounts refused the request; message is shown to the user."""

    def __init__(self, message: LazyString | str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


class EmailTaken(AccountError):
    def __init__(self) -> None:
        super().__init__(_l("An account with this email already exists. Log in instead."), field="email")


class WeakPassword(AccountError):
    def __init__(self, problems: list[LazyString], field: str = "password") -> None:
        super().__init__(problems[0], field=field)
        self.problems = problems


class InvalidEmail(AccountError):
    def __init__(self) -> None:
        super().__init__(_l("Enter a valid email address."), field="email")


def normalise_email(email: str) -> str:
    """One spelling per mailbox: trimmed, IDNA-normalised, lower case."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError as exc:
        raise InvalidEmail() from exc
    return result.normalized.lower()


def supported_locale(locale: str | None) -> str | None:
    """The locale if the site is translated into it, else None (meaning: choose automatically)."""
    return locale if locale in LANGUAGES else None


def find_user_by_email(email: str) -> User | None:
    """The account with this address, however it was typed."""
    try:
        normalised = normalise_email(email)
    except InvalidEmail:
        return None
    return db.session.scalar(select(User).where(User.email == normalised))


def _checked_new_account(email: str, password: str, name: str) -> tuple[str, bool]:
    """The normalised address and whether it is taken, once the password passes the rules."""
    normalised = normalise_email(email)
    problems = passwords.password_problems(password, email=normalised, name=name)
    if problems:
        raise WeakPassword(problems)
    taken = db.session.scalar(select(User.id).where(User.email == normalised)) is not None
    return normalised, taken


def _add_user(
    *, email: str, password: str, name: str, role: Role, locale: str | None, hub: Hub | None, verified: bool
) -> User:
    user = User(
        email=email,
        password_hash=passwords.hash_password(password),
        name=name.strip(),
        role=role,
        locale=supported_locale(locale),
        hub=hub if role in (Role.HUB_STAFF, Role.ADMIN) else None,
        email_verified_at=utcnow() if verified else None,
    )
    db.session.add(user)
    db.session.flush()
    return user


def create_user(
    *,
    email: str,
    password: str,
    name: str,
    role: Role,
    locale: str | None = None,
    hub: Hub | None = None,
    verified: bool = False,
) -> User:
    """Create an account of any role; the caller decides who may do that and whether the address is vouched for."""
    normalised, taken = _checked_new_account(email, password, name)
    if taken:
        raise EmailTaken()
    return _add_user(
        email=normalised, password=password, name=name, role=role, locale=locale, hub=hub, verified=verified
    )


def register_user(
    *, email: str, password: str, name: str, role: Role, terms_version: str, locale: str | None = None
) -> User | None:
    """Self-service sign-up: the new, unverified account, or None when the address already has one.

    Both answers look the same to the visitor: the same checks refuse the same input, a password is
    hashed either way, and an email goes to the address either way (a verification link, or a note
    that someone tried to sign up with it).
    """
    if role not in SELF_SERVICE_ROLES:
        raise AccountError(_l("Choose founder or investor."), field="role")
    normalised, taken = _checked_new_account(email, password, name)
    if taken:
        existing = db.session.scalar(select(User).where(User.email == normalised))
        passwords.hash_password(password)  # the same work as a new account, so timing tells nothing
        if existing is not None and existing.deleted_at is None:
            emails.send("already_registered", existing.email, existing.locale, user=existing)
            audit.record("auth.register_existing", actor=None, target=existing, actor_email=existing.email)
        return None
    user = _add_user(email=normalised, password=password, name=name, role=role, locale=locale, hub=None, verified=False)
    user.terms_accepted_at = utcnow()
    user.terms_version = terms_version
    db.session.flush()
    send_verification(user)
    return user


def send_verification(user: User) -> None:
    """Email a link that confirms the address; it works once, for VERIFY_EMAIL_HOURS."""
    hours = current_app.config["VERIFY_EMAIL_HOURS"]
    secret = links.issue(user, TokenPurpose.VERIFY_EMAIL, lifetime=timedelta(hours=hours))
    emails.send("verify_email", user.email, user.locale, user=user, secret=secret, hours=hours)


def verify_email(secret: str) -> tuple[User, bool]:
    """Spend a verification link: the address is confirmed; also says whether it was unconfirmed until now."""
    token = links.find(secret, TokenPurpose.VERIFY_EMAIL)
    links.use(token)
    user = token.user
    newly_verified = user.email_verified_at is None
    if newly_verified:
        user.email_verified_at = utcnow()
    audit.record("auth.email_verified", actor=user, target=user)
    db.session.flush()
    return user, newly_verified


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None without saying which part was wrong."""
    user = find_user_by_email(email)
    if user is None:
        passwords.verify_password(passwords.dummy_hash(), password)
        return None
    if not passwords.verify_password(user.password_hash, password) or not user.active or user.deleted_at:
        return None
    if passwords.needs_rehash(user.password_hash):
        user.password_hash = passwords.hash_password(password)
    user.last_login_at = utcnow()
    db.session.flush()
    return user


def update_settings(user: User, *, name: str, locale: str | None) -> None:
    """Change what a user may change about themselves."""
    user.name = name.strip()
    user.locale = supported_locale(locale)
    db.session.flush()


def set_locale(user: User, locale: str) -> None:
    """Remember the language a user switched to, for every device they log in on."""
    user.locale = supported_locale(locale) or user.locale
    db.session.flush()


def change_password(user: User, *, current_password: str, new_password: str, keep: UserSession | None = None) -> None:
    """Replace the password after proving the current one; every session but the one kept ends."""
    if not passwords.verify_password(user.password_hash, current_password):
        raise AccountError(_l("Your current password is not correct."), field="current_password")
    if current_password == new_password:
        raise WeakPassword([_l("Choose a password different from the current one.")], field="new_password")
    problems = passwords.password_problems(new_password, email=user.email, name=user.name)
    if problems:
        raise WeakPassword(problems, field="new_password")
    user.password_hash = passwords.hash_password(new_password)
    links.revoke_all(user)  # a pending email change or reset link must not outlive the new password
    sessions.end_sessions(user, keep=keep)
    db.session.flush()


def update_user_by_admin(
    user: User, *, actor: User, role: Role, hub: Hub | None, active: bool, ip: str | None = None
) -> None:
    """An admin changes another account's role, hub or access; every change is audited.

    What billing forbids (taking the account of an investor whom Stripe still charges) is checked before this,
    by admin.services.update_account: billing builds on accounts, not the reverse.
    """
    if user.deleted_at is not None:
        raise AccountError(_l("This account was deleted by its owner and cannot be changed."), field="role")
    if user.id == actor.id and (role != Role.ADMIN or not active):
        raise AccountError(_l("You cannot remove your own administrator access."), field="role")
    if user.role != role or (user.active and not active):
        sessions.end_sessions(user)  # the change takes effect on every device at once
    if user.active and not active:
        links.revoke_all(user)  # a link sent before the block must not work once the account is reactivated
    before = {"role": user.role.value, "hub_id": user.hub_id, "active": user.active}
    user.role = role
    user.hub = hub if role in (Role.HUB_STAFF, Role.ADMIN) else None
    user.active = active
    db.session.flush()
    after = {"role": user.role.value, "hub_id": user.hub_id, "active": user.active}
    if after != before:
        audit.record("user.updated", actor=actor, target=user, details={"before": before, "after": after}, ip=ip)


def warn_of_guessing(account_key: str) -> None:
    """Tell the owner that many wrong passwords were tried on their account (the throttle asks once per window)."""
    user = db.session.scalar(select(User).where(User.email == account_key))
    if user is not None and user.active and user.deleted_at is None:
        emails.send("login_attack", user.email, user.locale, user=user)
        audit.record("auth.login_attack_warned", actor=None, target=user, actor_email=user.email)


def warn_of_lock(account_key: str) -> None:
    """Tell the owner that password logins to their account are paused, and that a reset link gets them in."""
    user = db.session.scalar(select(User).where(User.email == account_key))
    if user is not None and user.active and user.deleted_at is None:
        emails.send("login_locked", user.email, user.locale, user=user)
        audit.record("auth.login_locked", actor=None, target=user, actor_email=user.email)
