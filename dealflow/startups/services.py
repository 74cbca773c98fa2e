"""The rules of startup profiles: who may edit what, the status machine, revisions and money.

Every status change goes through change_status() or change_revision_status() and
writes a ReviewEvent, so the history of a profile is never rewritten. Services
flush; the caller commits.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import cast

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, bindparam, select, update

from dealflow.evidence import ledger
from dealflow.extensions import db
from dealflow.labels import status_label
from dealflow.models import (
    OPEN_REVISION_STATUSES,
    Currency,
    EventKind,
    ExchangeRate,
    FileKind,
    ReviewEvent,
    RevisionStatus,
    Role,
    Startup,
    StartupRevision,
    StartupStatus,
    StoredFile,
    User,
    utcnow,
)
from dealflow.money import to_cents
from dealflow.notifications import services as notifications
from dealflow.startups.completeness import missing_for_submission
from dealflow.startups.profile import Profile

S = StartupStatus
R = RevisionStatus

FOUNDER_MOVES: set[tuple[str, str]] = {
    (S.DRAFT, S.SUBMITTED),
    (S.CHANGES_REQUESTED, S.SUBMITTED),
    (S.APPROVED, S.ARCHIVED),
}
STAFF_MOVES: set[tuple[str, str]] = {
    (S.SUBMITTED, S.APPROVED),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.CHANGES_REQUESTED),
    (S.APPROVED, S.ARCHIVED),
}
FOUNDER_REVISION_MOVES: set[tuple[str, str]] = {(R.DRAFT, R.SUBMITTED), (R.CHANGES_REQUESTED, R.SUBMITTED)}
STAFF_REVISION_MOVES: set[tuple[str, str]] = {
    (R.SUBMITTED, R.APPROVED),
    (R.SUBMITTED, R.REJECTED),
    (R.SUBMITTED, R.CHANGES_REQUESTED),
}
NEEDS_COMMENT = {"rejected", "changes_requested"}
EDITABLE = {S.DRAFT, S.CHANGES_REQUESTED}
DECISIONS = ("approved", "rejected", "changes_requested")


class StartupError(Exception):
    """A rule refused the request; message is shown to the user, under field when there is one."""

    def __init__(self, message: LazyString | str, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        self.field = field


UNVERIFIED_EMAIL = _l(
    "Confirm your email address before you submit: open the link we sent you, or ask for a new one above."
)


class TransitionRefused(StartupError):
    pass


class IncompleteProfile(StartupError):
    """Submission needs every required field; missing names each of those not filled in."""

    def __init__(self, missing: list[LazyString]) -> None:
        super().__init__(_l("The profile is not complete yet."))
        self.missing = missing


# -- reading -------------------------------------------------------------------------------


def open_revision(startup: Startup) -> StartupRevision | None:
    """The revision of an approved startup that is still being edited or reviewed, if any."""
    return db.session.scalar(
        select(StartupRevision)
        .where(StartupRevision.startup_id == startup.id, StartupRevision.status.in_(OPEN_REVISION_STATUSES))
        .order_by(StartupRevision.id.desc())
        .limit(1)
    )


def working_profile(startup: Startup) -> Profile:
    """What the founder is editing: the open revision if there is one, else the startup itself."""
    revision = open_revision(startup) if startup.status == S.APPROVED else None
    return Profile.from_json(revision.data) if revision else Profile.of(startup)


# -- money -------------------------------------------------------------------------------


def units_per_usd(currency: Currency) -> Decimal:
    """How many units of the currency buy one dollar, from the table admins keep."""
    if currency == Currency.USD:
        return Decimal(1)
    rate = db.session.get(ExchangeRate, currency)
    if rate is None:
        raise StartupError(_l("No exchange rate is set for %(currency)s.", currency=currency.value))
    return Decimal(rate.units_per_usd)


def to_usd(amount: Decimal | None, currency: Currency | None) -> Decimal | None:
    """The amount in US dollars, to the cent; None stays None."""
    if amount is None or currency is None:
        return None
    return to_cents(Decimal(amount) / units_per_usd(currency))


def set_exchange_rate(currency: Currency, units: Decimal, *, actor: User) -> int:
    """Change a rate and re-normalise every amount entered in that currency; returns startups updated."""
    if currency == Currency.USD:
        raise StartupError(_l("The dollar is the base currency; its rate is always 1."), field="units_per_usd")
    if units <= 0:
        raise StartupError(_l("The rate must be greater than zero."), field="units_per_usd")
    rate = db.session.get(ExchangeRate, currency)
    if rate is None:
        rate = ExchangeRate(currency=currency)
        db.session.add(rate)
    rate.units_per_usd = units
    rate.updated_at = utcnow()
    rate.updated_by_id = actor.id
    db.session.flush()
    table = cast(Table, Startup.__table__)
    rows = db.session.execute(
        select(table.c.id, table.c.ask_amount, table.c.monthly_revenue).where(table.c.currency == currency)
    ).all()
    if rows:
        # Computed here with Decimal, as to_usd() does, so every database rounds the same way;
        # updated_at is kept: a new rate is not the founder's edit.
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(ask_usd=bindparam("ask"), monthly_revenue_usd=bindparam("revenue"), updated_at=table.c.updated_at),
            [
                {"row_id": r.id, "ask": to_usd(r.ask_amount, currency), "revenue": to_usd(r.monthly_revenue, currency)}
                for r in rows
            ],
        )
    db.session.expire_all()
    return len(rows)


# -- creating and editing ----------------------------------------------------------------

_TRANSLIT = str.maketrans(
    {
        **dict(zip("абвгдезийклмнопрстуфхцыэ", "abvgdeziiklmnoprstufhcye", strict=True)),
        "ё": "e", "ж": "zh", "ч": "ch", "ш": "sh", "щ": "sch", "ъ": "", "ь": "", "ю": "yu", "я": "ya",
        "ә": "a", "ғ": "g", "қ": "q", "ң": "n", "ө": "o", "ұ": "u", "ү": "u", "һ": "h", "і": "i",
    }
)  # fmt: skip


def slugify(name: str) -> str:
    """A readable, ASCII slug for URLs, Kazakh and Russian names included."""
    text = unicodedata.normalize("NFKD", name.lower().translate(_TRANSLIT))
    text = text.encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:100] or "startup"


def _unique_slug(name: str) -> str:
    base = slugify(name)
    slug = base
    while db.session.scalar(select(Startup.id).where(Startup.slug == slug)) is not None:
        slug = f"{base}-{secrets.token_hex(2)}"
    return slug


def _check_files(profile: Profile, owner: User) -> None:
    """A profile may point only at its owner's files, a logo as the logo and a deck as the deck."""
    for file_id, kind in ((profile.logo_file_id, FileKind.LOGO), (profile.deck_file_id, FileKind.DECK)):
        if file_id is None:
            continue
        stored = db.session.get(StoredFile, file_id)
        if stored is None or stored.owner_id != owner.id or stored.kind != kind:
            raise StartupError(_l("That file cannot be used here. Upload it again."))


def _write(startup: Startup, profile: Profile) -> None:
    profile.apply_to(startup)
    startup.has_exports = bool(profile.export_markets)
    startup.ask_usd = to_usd(profile.ask_amount, profile.currency)
    startup.monthly_revenue_usd = to_usd(profile.monthly_revenue, profile.currency)


def create_startup(owner: User, profile: Profile) -> Startup:
    """A founder starts a new profile; it is a draft that only they can see."""
    if owner.role != Role.FOUNDER:
        raise StartupError(_l("Only founders can list startups."))
    _check_files(profile, owner)
    startup = Startup(owner_id=owner.id, slug=_unique_slug(profile.name), status=S.DRAFT)
    _write(startup, profile)
    db.session.add(startup)
    db.session.flush()
    return startup


def save_profile(startup: Startup, profile: Profile, *, actor: User) -> StartupRevision | None:
    """Save the founder's edits: onto a draft directly, or into a revision of an approved profile.

    Returns the revision when the edits went into one, so the caller can say so.
    """
    if actor.id != startup.owner_id:
        raise StartupError(_l("Only the founder who listed this startup can edit it."))
    _check_files(profile, actor)
    if startup.status in EDITABLE:
        _write(startup, profile)
        startup.updated_at = utcnow()
        db.session.flush()
        return None
    if startup.status != S.APPROVED:
        raise StartupError(
            _l("A startup that is %(status)s cannot be edited.", status=str(status_label(startup.status)).lower())
        )
    revision = open_revision(startup)
    if revision is None:
        revision = StartupRevision(startup_id=startup.id, status=R.DRAFT, data=profile.to_json())
        db.session.add(revision)
    elif revision.status == R.SUBMITTED:
        raise StartupError(_l("Your changes are being reviewed. You can edit again once hub staff decide."))
    else:
        revision.data = profile.to_json()
        revision.updated_at = utcnow()
    db.session.flush()
    return revision


def discard_revision(startup: Startup, *, actor: User) -> None:
    """Drop proposed changes that are not under review: unsent drafts vanish, answered ones are withdrawn."""
    revision = open_revision(startup)
    if actor.id != startup.owner_id or revision is None or revision.status == R.SUBMITTED:
        raise StartupError(_l("There are no changes you can discard."))
    _close_revision(revision, actor)


def _close_revision(revision: StartupRevision, actor: User, at: datetime | None = None) -> None:
    if revision.status == R.DRAFT and revision.submitted_at is None:
        db.session.delete(revision)  # never seen by anyone: nothing to keep
    else:
        now = at or utcnow()
        _record(revision.startup, actor, revision.status.value, R.WITHDRAWN.value, None, now, revision)
        revision.status = R.WITHDRAWN
        revision.decided_at = now
    db.session.flush()


# -- the status machine ------------------------------------------------------------------


Moves = set[tuple[str, str]]


def _may(actor: User, startup: Startup, move: tuple[str, str], founder: Moves, staff: Moves) -> bool:
    if actor.is_staff:
        return move in staff
    return actor.role == Role.FOUNDER and actor.id == startup.owner_id and move in founder


def _check_comment(to: str, comment: str | None) -> str | None:
    text = (comment or "").strip() or None
    if to in NEEDS_COMMENT and text is None:
        raise StartupError(_l("Write a comment that tells the founder why."), field="comment")
    return text


def _record(
    startup: Startup,
    actor: User,
    from_status: str,
    to_status: str,
    comment: str | None,
    at: datetime,
    revision: StartupRevision | None = None,
) -> ReviewEvent:
    event = ReviewEvent(
        startup_id=startup.id,
        revision_id=revision.id if revision else None,
        actor_id=actor.id,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        created_at=at,
    )
    db.session.add(event)
    db.session.flush()
    return event


def change_status(
    startup: Startup, to: StartupStatus, *, actor: User, comment: str | None = None, at: datetime | None = None
) -> ReviewEvent:
    """Move a startup along draft → submitted → approved | rejected | changes_requested, and so on."""
    move = (startup.status, to)
    if not _may(actor, startup, move, FOUNDER_MOVES, STAFF_MOVES):
        raise TransitionRefused(
            _l(
                "A startup that is %(from)s cannot become %(to)s.",
                **{"from": str(status_label(startup.status)).lower(), "to": str(status_label(to)).lower()},
            )
        )
    text = _check_comment(to.value, comment)
    if to == S.SUBMITTED:
        missing = missing_for_submission(Profile.of(startup))
        if missing:
            raise IncompleteProfile(missing)
    now = at or utcnow()
    if to == S.ARCHIVED:
        revision = open_revision(startup)
        if revision is not None:  # proposed changes to a profile that leaves the platform
            _close_revision(revision, actor, now)
    from_status = startup.status
    startup.status = to
    if to == S.SUBMITTED:
        startup.submitted_at = now
    elif to in (S.APPROVED, S.REJECTED, S.CHANGES_REQUESTED):
        startup.decided_at = now
    # The evidence dashboard's funnel starts here: each startup counts once when first submitted
    # (a draft can never return to draft) and once when approved (approval is never undone).
    # Both are ledger events, appended in this transaction, so the funnel is checkable like the matches;
    # the ledger dates them itself (`at` dates the review history only: no caller dates an event).
    if from_status == S.DRAFT:
        ledger.append(EventKind.STARTUP_SUBMITTED, startup=startup)
    elif to == S.APPROVED:
        ledger.append(EventKind.STARTUP_APPROVED, startup=startup)
    return _record(startup, actor, from_status.value, to.value, text, now)


def change_revision_status(
    revision: StartupRevision,
    to: RevisionStatus,
    *,
    actor: User,
    comment: str | None = None,
    at: datetime | None = None,
) -> ReviewEvent:
    """Move a revision along; approving it replaces the listed profile with the revised one."""
    startup = revision.startup
    move = (revision.status, to)
    if startup.status != S.APPROVED or not _may(actor, startup, move, FOUNDER_REVISION_MOVES, STAFF_REVISION_MOVES):
        raise TransitionRefused(
            _l(
                "Changes that are %(from)s cannot become %(to)s.",
                **{"from": str(status_label(revision.status)).lower(), "to": str(status_label(to)).lower()},
            )
        )
    text = _check_comment(to.value, comment)
    profile = Profile.from_json(revision.data)
    if to == R.SUBMITTED:
        missing = missing_for_submission(profile)
        if missing:
            raise IncompleteProfile(missing)
    now = at or utcnow()
    from_status = revision.status
    revision.status = to
    if to == R.SUBMITTED:
        revision.submitted_at = now
    else:
        revision.decided_at = now
    if to == R.APPROVED:
        _write(startup, profile)
        startup.updated_at = now
    return _record(startup, actor, from_status.value, to.value, text, now, revision)


def submit_for_review(startup: Startup, *, actor: User, at: datetime | None = None) -> ReviewEvent:
    """The founder sends the profile (or the changes to a listed one) to hub staff."""
    if not actor.is_email_verified:
        raise StartupError(UNVERIFIED_EMAIL)
    if startup.status == S.APPROVED:
        revision = open_revision(startup)
        if revision is None:
            raise StartupError(_l("There are no changes to send. Edit the profile first."))
        event = change_revision_status(revision, R.SUBMITTED, actor=actor, at=at)
    else:
        event = change_status(startup, S.SUBMITTED, actor=actor, at=at)
    notifications.tell_staff_of_submission(startup, changes=event.revision_id is not None)
    return event


def decide(
    startup: Startup, decision: str, *, actor: User, comment: str | None = None, at: datetime | None = None
) -> ReviewEvent:
    """Hub staff's decision on what waits: a new submission, or changes to a listed profile."""
    if decision not in DECISIONS:
        raise TransitionRefused(_l("Choose approve, request changes or reject."))
    revision = open_revision(startup) if startup.status == S.APPROVED else None
    if revision is not None and revision.status == R.SUBMITTED:
        return change_revision_status(revision, RevisionStatus(decision), actor=actor, comment=comment, at=at)
    return change_status(startup, StartupStatus(decision), actor=actor, comment=comment, at=at)
