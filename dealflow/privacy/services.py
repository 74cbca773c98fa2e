"""A user's rights over their personal data: a copy of all of it, and erasing it with the account.

The evidence ledger (match events and their links) is never touched: it holds snapshots without
names, its tables refuse UPDATE and DELETE, and the user row it points to stays, anonymised.
"""

from __future__ import annotations

import enum
import json
import secrets
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, delete, inspect, or_, select, update

from dealflow import audit
from dealflow.auth import emails, passwords
from dealflow.auth.services import AccountError
from dealflow.billing import plans as billing
from dealflow.extensions import db
from dealflow.models import (
    AccountToken,
    AuditLog,
    BillingCustomer,
    BillingInvoice,
    Bookmark,
    IntroRequest,
    IntroStatus,
    Notification,
    ReviewEvent,
    Role,
    SavedSearch,
    Startup,
    StartupRevision,
    StartupStatus,
    StoredFile,
    Subscription,
    User,
    UserSession,
    utcnow,
)
from dealflow.startups import services as startups

SECRET_COLUMNS = {"password_hash", "token_hash", "storage_key"}
# What an audit row written by someone else (staff, say) tells the user: what happened to them and when,
# not who did it from where: that is the other person's data.
OTHERS_AUDIT_COLUMNS = ("id", "action", "created_at", "target_type", "target_id")
# Personal fields of a founder's profile, removed with the account, also from kept revisions.
REVISION_PERSONAL_KEYS = ("team", "website", "bin", "contact_email", "contact_phone")
REDACTED_TEXT = ""
DELETED_NAME = "Deleted user"
UNUSABLE_PASSWORD_HASH = "!deleted"  # noqa: S105 -- not an argon2 hash: no password ever matches it


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _row(obj: Any) -> dict[str, Any]:
    """Every column of a row except secrets, in JSON's types."""
    return {
        attr.key: _plain(getattr(obj, attr.key))
        for attr in inspect(obj).mapper.column_attrs
        if attr.key not in SECRET_COLUMNS
    }


def _all(query: Any) -> list[dict[str, Any]]:
    return [_row(obj) for obj in db.session.scalars(query)]


def collect(user: User) -> dict[str, Any]:
    """Everything kept about the user, grouped the way they would look for it."""
    own_startups = select(Startup.id).where(Startup.owner_id == user.id)
    return {
        "exported_at": utcnow().isoformat(),
        "account": _row(user),
        "investor_profile": _row(user.investor_profile) if user.investor_profile else None,
        "startups": _all(select(Startup).where(Startup.owner_id == user.id).order_by(Startup.id)),
        "startup_revisions": _all(
            select(StartupRevision).where(StartupRevision.startup_id.in_(own_startups)).order_by(StartupRevision.id)
        ),
        "review_events": _all(
            select(ReviewEvent).where(ReviewEvent.startup_id.in_(own_startups)).order_by(ReviewEvent.id)
        ),
        "files": _all(select(StoredFile).where(StoredFile.owner_id == user.id).order_by(StoredFile.id)),
        "bookmarks": _all(select(Bookmark).where(Bookmark.investor_id == user.id).order_by(Bookmark.id)),
        "saved_searches": _all(select(SavedSearch).where(SavedSearch.investor_id == user.id).order_by(SavedSearch.id)),
        "intro_requests_sent": _all(
            select(IntroRequest).where(IntroRequest.investor_id == user.id).order_by(IntroRequest.id)
        ),
        "intro_requests_received": _all(
            select(IntroRequest).where(IntroRequest.startup_id.in_(own_startups)).order_by(IntroRequest.id)
        ),
        "billing": {
            "customer": _all(select(BillingCustomer).where(BillingCustomer.user_id == user.id)),
            "subscriptions": _all(
                select(Subscription).where(Subscription.user_id == user.id).order_by(Subscription.id)
            ),
            "invoices": _all(
                select(BillingInvoice).where(BillingInvoice.user_id == user.id).order_by(BillingInvoice.id)
            ),
        },
        "notifications": _all(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)),
        "sessions": _all(select(UserSession).where(UserSession.user_id == user.id).order_by(UserSession.id)),
        "audit_log": _audit_about(user),
    }


def _audit_about(user: User) -> list[dict[str, Any]]:
    """The user's own audit rows in full; rows others wrote about them only say what happened and when."""
    about_user = or_(
        AuditLog.actor_id == user.id, and_(AuditLog.target_type == "user", AuditLog.target_id == str(user.id))
    )
    rows = []
    for entry in db.session.scalars(select(AuditLog).where(about_user).order_by(AuditLog.id)):
        row = _row(entry)
        if entry.actor_id != user.id:
            row = {key: row[key] for key in OTHERS_AUDIT_COLUMNS if key in row}
        rows.append(row)
    return rows


def export_json(user: User) -> str:
    """The user's data as one readable JSON document."""
    return json.dumps(collect(user), ensure_ascii=False, indent=2, default=str)


def _refuse_if_needed(user: User) -> None:
    if user.role == Role.ADMIN:
        admins = db.session.scalar(
            select(db.func.count(User.id)).where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
        )
        if not admins:
            raise AccountError(_l("You are the last administrator. Make someone else an administrator first."))
    if user.role == Role.INVESTOR:
        running = billing.live_subscription(user)
        if running is not None and not running.cancel_at_period_end:
            raise AccountError(_l("You pay for Pro. Cancel it on your billing page first; then delete the account."))


def _withdraw_listings(user: User) -> None:
    """Listed startups leave the platform through the status machine; every open intro is withdrawn."""
    now = utcnow()
    owned = db.session.scalars(select(Startup).where(Startup.owner_id == user.id)).all()
    for startup in owned:
        if startup.status == StartupStatus.APPROVED:
            startups.change_status(startup, StartupStatus.ARCHIVED, actor=user, at=now)
        startup.contact_email = None
        startup.contact_phone = None
        startup.team = []
        startup.website = None
        startup.bin = None
        for revision in db.session.scalars(select(StartupRevision).where(StartupRevision.startup_id == startup.id)):
            revision.data = {key: value for key, value in revision.data.items() if key not in REVISION_PERSONAL_KEYS}
    touched = or_(IntroRequest.investor_id == user.id, IntroRequest.startup_id.in_([s.id for s in owned]))
    db.session.execute(
        update(IntroRequest)
        .where(touched, IntroRequest.status == IntroStatus.PENDING)
        .values(status=IntroStatus.WITHDRAWN, decided_at=now)
        .execution_options(synchronize_session=False)
    )
    # the words of an intro and its answer name people and numbers; the intro's fact and status stay
    db.session.execute(
        update(IntroRequest)
        .where(touched)
        .values(message=REDACTED_TEXT, reply=None)
        .execution_options(synchronize_session=False)
    )


def _forget_files(user: User) -> list[str]:
    """Delete the user's uploads (names of files are personal too); the keys to unlink after commit."""
    files = db.session.scalars(select(StoredFile).where(StoredFile.owner_id == user.id)).all()
    ids = [f.id for f in files]
    if ids:
        for column in (Startup.logo_file_id, Startup.deck_file_id):
            db.session.execute(
                update(Startup)
                .where(column.in_(ids))
                .values({column.key: None})
                .execution_options(synchronize_session=False)
            )
    keys = [f.storage_key for f in files]
    for stored in files:
        db.session.delete(stored)
    return keys


def delete_account(user: User, *, password: str, ip: str | None = None) -> list[str]:
    """Erase or anonymise the user's personal data after the password proves it is them; audited.

    Returns the storage keys of the user's files, for the caller to unlink once the deletion is committed.
    """
    if not passwords.verify_password(user.password_hash, password):
        raise AccountError(_l("Your current password is not correct."), field="password")
    _refuse_if_needed(user)
    old_email, old_name, locale = user.email, user.name, user.locale
    _withdraw_listings(user)
    for model, column in (
        (Bookmark, Bookmark.investor_id),
        (SavedSearch, SavedSearch.investor_id),
        (Notification, Notification.user_id),
        (AccountToken, AccountToken.user_id),
        (UserSession, UserSession.user_id),  # devices and addresses: nothing to keep once logged out
    ):
        db.session.execute(delete(model).where(column == user.id).execution_options(synchronize_session=False))
    keys = _forget_files(user)
    profile = user.investor_profile
    if profile is not None:
        profile.organisation = None
        profile.kind = None
        profile.country = None
        profile.ticket_min_usd = None
        profile.ticket_max_usd = None
        profile.verified_at = None
        profile.verified_by_id = None
        db.session.add(profile)
    db.session.execute(
        update(BillingCustomer)
        .where(BillingCustomer.user_id == user.id)
        .values(
            default_payment_method_id=None, card_brand=None, card_last4=None, card_exp_month=None, card_exp_year=None
        )
        .execution_options(synchronize_session=False)
    )
    user.email = f"deleted-{user.id}-{secrets.token_hex(8)}@deleted.invalid"
    user.name = DELETED_NAME
    user.password_hash = UNUSABLE_PASSWORD_HASH
    user.active = False
    user.deleted_at = utcnow()
    audit.record("account.deleted", actor=None, target=user, details={"role": user.role.value}, ip=ip)
    emails.send("account_deleted", old_email, locale, name=old_name)
    db.session.flush()
    return keys
