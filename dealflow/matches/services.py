"""The rules of intros and matches: who may ask, answer and log what, and what goes into the ledger.

Every intro request, acceptance, meeting, term sheet and confirmed close is appended to the
ledger in the same transaction as the change itself. Services flush; the caller commits once.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dealflow.billing import plans as billing
from dealflow.evidence import ledger
from dealflow.extensions import db
from dealflow.i18n import format_day
from dealflow.matches import queries
from dealflow.models import (
    Currency,
    EventKind,
    Instrument,
    IntroRequest,
    IntroStatus,
    MatchProgress,
    ProgressKind,
    ProgressStatus,
    Role,
    Startup,
    StartupStatus,
    User,
    utcnow,
)
from dealflow.notifications import services as notifications
from dealflow.startups.queries import latest_intro
from dealflow.startups.services import StartupError, to_usd

MAX_MESSAGE_LENGTH = 1000
MAX_PENDING_PER_INVESTOR = 10
DECLINED_WAIT = timedelta(days=30)
WITHDRAWN_WAIT = timedelta(days=7)  # withdrawing and asking again must not flood a founder or the ledger
MAX_NOTE_LENGTH = 2000
LEDGER_KINDS = {
    ProgressKind.MEETING: EventKind.MEETING,
    ProgressKind.TERM_SHEET: EventKind.TERM_SHEET,
    ProgressKind.INVESTMENT_CLOSED: EventKind.INVESTMENT_CLOSED,
}


class MatchError(StartupError):
    """A rule refused the request; message is shown to the user, under field when there is one."""


# -- intro requests --------------------------------------------------------------------------


def _clean(text: str | None, limit: int, field: str) -> str | None:
    cleaned = (text or "").strip() or None
    if cleaned is not None and len(cleaned) > limit:
        raise MatchError(_l("Keep it to %(max)d characters.", max=limit), field=field)
    return cleaned


def _refuse_after_last_request(latest: IntroRequest | None, now: datetime) -> None:
    """Raise MatchError while the investor's last request to this startup stands, or its waiting time runs."""
    if latest is None:
        return
    if latest.status == IntroStatus.PENDING:
        raise MatchError(_l("You have already asked for this intro. The founder has not answered yet."))
    if latest.status == IntroStatus.ACCEPTED:
        raise MatchError(_l("You are already matched with this startup."))
    if latest.status == IntroStatus.DECLINED and latest.decided_at:
        again = latest.decided_at + DECLINED_WAIT
        if now < again:
            raise MatchError(
                _l("The founder declined your last request. You can ask again from %(date)s.", date=format_day(again))
            )
    if latest.status == IntroStatus.WITHDRAWN and latest.decided_at:
        again = latest.decided_at + WITHDRAWN_WAIT
        if now < again:
            raise MatchError(
                _l(
                    "You withdrew your last request to this startup. You can ask again from %(date)s.",
                    date=format_day(again),
                )
            )


def request_intro(investor: User, startup: Startup, message: str, *, at: datetime | None = None) -> IntroRequest:
    """Ask the founder of a listed startup for an intro; the founder is told by email and in the app.

    Raises MatchError for a refusal the investor can fix here, billing.PlanLimitReached when the plan's
    monthly allowance is used up.
    """
    now = at or utcnow()
    if investor.role != Role.INVESTOR:
        raise MatchError(_l("Only investors can ask for intros."))
    if not investor.is_email_verified:
        raise MatchError(
            _l("Confirm your email address before you request intros: open the link we sent you, or ask for a new one.")
        )
    if startup.status != StartupStatus.APPROVED:
        raise MatchError(_l("Only listed startups take intro requests."))
    profile = investor.investor_profile
    if profile is None or profile.kind is None or profile.country is None:
        raise MatchError(_l("Fill in your investor profile (kind of investor and country) before asking for intros."))
    text = _clean(message, MAX_MESSAGE_LENGTH, "message")
    if text is None:
        raise MatchError(_l("Write a short message to the founder: who you are and why this startup."), "message")
    _refuse_after_last_request(latest_intro(investor.id, startup.id), now)
    if queries.pending_intro_count(investor.id) >= MAX_PENDING_PER_INVESTOR:
        raise MatchError(
            _l(
                "You have %(max)d intro requests waiting for an answer. Withdraw one or wait for the founders.",
                max=MAX_PENDING_PER_INVESTOR,
            )
        )
    # The plan's monthly allowance (Free: a few; Pro: unlimited), withdrawn requests included.
    billing.require_intro_allowance(investor, queries.intro_requests_this_month(investor.id, now))
    intro = IntroRequest(investor_id=investor.id, startup_id=startup.id, message=text, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(intro)
    except IntegrityError:  # the same request sent twice at once: the first one stands
        raise MatchError(_l("You have already asked for this intro. The founder has not answered yet.")) from None
    intro.investor, intro.startup = investor, startup
    ledger.append(EventKind.INTRO_REQUESTED, intro)
    notifications.notify(
        startup.owner,
        "intro_request",
        {"investor": investor.name, "startup": startup.name},
        "/founder/intros",
        email_extra={"message": text, "organisation": profile.organisation},
    )
    return intro


def withdraw_intro(investor: User, intro: IntroRequest, *, at: datetime | None = None) -> None:
    """Take back a request the founder has not answered; what was requested stays in the ledger."""
    if intro.investor_id != investor.id:
        raise MatchError(_l("This intro request is not yours."))
    if intro.status != IntroStatus.PENDING:
        raise MatchError(_l("Only a request that waits for an answer can be withdrawn."))
    intro.status = IntroStatus.WITHDRAWN
    intro.decided_at = at or utcnow()
    db.session.flush()


def _own_pending(founder: User, intro: IntroRequest) -> None:
    if intro.startup.owner_id != founder.id:
        raise MatchError(_l("This intro request is not for your startup."))
    if intro.status != IntroStatus.PENDING:
        raise MatchError(_l("This request was answered or withdrawn meanwhile."))


def accept_intro(founder: User, intro: IntroRequest, reply: str | None, *, at: datetime | None = None) -> None:
    """Accept: a match. Both sides see each other's contacts, both are emailed, the ledger records it."""
    _own_pending(founder, intro)
    now = at or utcnow()
    intro.reply = _clean(reply, MAX_MESSAGE_LENGTH, "reply")
    intro.status = IntroStatus.ACCEPTED
    intro.decided_at = now
    db.session.flush()  # a withdrawal that won the race makes this fail, before anything is recorded
    ledger.append(EventKind.INTRO_ACCEPTED, intro)
    startup, investor = intro.startup, intro.investor
    profile = investor.investor_profile
    link = f"/matches/{intro.id}"
    notifications.notify(
        investor,
        "match_investor",
        {"startup": startup.name},
        link,
        email_extra={
            "founder": founder.name,
            "email": startup.contact_email or founder.email,
            "phone": startup.contact_phone,
            "reply": intro.reply,
        },
    )
    notifications.notify(
        founder,
        "match_founder",
        {"investor": investor.name, "startup": startup.name},
        link,
        email_extra={"email": investor.email, "organisation": profile.organisation if profile else None},
    )


def decline_intro(founder: User, intro: IntroRequest, reply: str | None, *, at: datetime | None = None) -> None:
    """Decline, with an optional reply; the investor is told and may ask again after a while."""
    _own_pending(founder, intro)
    intro.reply = _clean(reply, MAX_MESSAGE_LENGTH, "reply")
    intro.status = IntroStatus.DECLINED
    intro.decided_at = at or utcnow()
    db.session.flush()
    notifications.notify(
        intro.investor,
        "intro_declined",
        {"startup": intro.startup.name},
        "/investor/intros",
        email_extra={"reply": intro.reply},
    )


# -- after the match -------------------------------------------------------------------------


def other_side(intro: IntroRequest, user: User) -> User:
    """The investor for the founder, the founder for the investor."""
    return intro.startup.owner if user.id == intro.investor_id else intro.investor


def log_progress(
    user: User,
    intro: IntroRequest,
    kind: ProgressKind,
    *,
    occurred_on: date | None,
    note: str | None,
    amount: Decimal | None = None,
    currency: Currency | None = None,
    instrument: Instrument | None = None,
    publish_amount: bool = False,
    at: datetime | None = None,
) -> MatchProgress:
    """Record a meeting or term sheet (into the ledger at once) or a close (once the other side confirms)."""
    now = at or utcnow()
    if not queries.is_party(user, intro) or intro.status != IntroStatus.ACCEPTED:
        raise MatchError(_l("Only the two sides of a match can record its progress."))
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])  # the dates people type are Kazakhstan's
    today = now.astimezone(zone).date()
    day = occurred_on or today
    if day > today:
        raise MatchError(_l("This date is in the future."), field="occurred_on")
    if intro.decided_at and day < intro.decided_at.astimezone(zone).date():
        raise MatchError(_l("This date is before the match."), field="occurred_on")
    progress = MatchProgress(
        intro_request_id=intro.id,
        kind=kind,
        logged_by_id=user.id,
        occurred_on=day,
        note=_clean(note, MAX_NOTE_LENGTH, "note"),
        created_at=now,
    )
    if kind == ProgressKind.INVESTMENT_CLOSED:
        if amount is None or amount <= 0:
            raise MatchError(_l("Enter the amount invested."), field="amount")
        if currency is None:
            raise MatchError(_l("Choose the currency."), field="currency")
        if instrument is None:
            raise MatchError(_l("Choose the instrument."), field="instrument")
        progress.amount, progress.currency, progress.instrument = amount, currency, instrument
        progress.publish_amount = publish_amount
        progress.amount_usd = to_usd(amount, currency)
        progress.status = ProgressStatus.AWAITING_CONFIRMATION
        waiting = select(MatchProgress.id).where(
            MatchProgress.intro_request_id == intro.id,
            MatchProgress.kind == ProgressKind.INVESTMENT_CLOSED,
            MatchProgress.status == ProgressStatus.AWAITING_CONFIRMATION,
        )
        if db.session.scalar(waiting) is not None:
            raise MatchError(_l("A closed investment already waits for confirmation on this match."))
        try:
            with db.session.begin_nested():
                db.session.add(progress)
        except IntegrityError:
            raise MatchError(_l("A closed investment already waits for confirmation on this match.")) from None
        notifications.notify(
            other_side(intro, user),
            "close_to_confirm",
            {"who": user.name, "startup": intro.startup.name},
            f"/matches/{intro.id}",
            email_extra={"amount": amount, "currency": currency.value},
        )
        return progress
    same_day = select(MatchProgress.id).where(
        MatchProgress.intro_request_id == intro.id, MatchProgress.kind == kind, MatchProgress.occurred_on == day
    )
    if db.session.scalar(same_day.limit(1)) is not None:  # each one is a public ledger event: no duplicates
        raise MatchError(_l("This is already recorded for that day."), field="occurred_on")
    progress.status = ProgressStatus.RECORDED
    db.session.add(progress)
    db.session.flush()
    ledger.append(LEDGER_KINDS[kind], intro, progress=progress)
    return progress


def decide_close(
    user: User, progress: MatchProgress, *, confirmed: bool, publish_amount: bool = False, at: datetime | None = None
) -> None:
    """The other side confirms a close (only then is it counted, in the ledger) or says it did not happen.

    The amount is published only if both sides asked for it; otherwise the ledger commits to it unseen.
    """
    intro = db.session.get(IntroRequest, progress.intro_request_id)
    if intro is None or not queries.is_party(user, intro):
        raise MatchError(_l("Only the two sides of a match can confirm its progress."))
    if progress.kind != ProgressKind.INVESTMENT_CLOSED or progress.status != ProgressStatus.AWAITING_CONFIRMATION:
        raise MatchError(_l("Nothing waits for confirmation here."))
    if progress.logged_by_id == user.id:
        raise MatchError(_l("The other side of the match confirms what you recorded."))
    now = at or utcnow()
    progress.status = ProgressStatus.CONFIRMED if confirmed else ProgressStatus.DISPUTED
    progress.decided_by_id = user.id
    progress.decided_at = now
    db.session.flush()
    if confirmed:
        ledger.append(
            EventKind.INVESTMENT_CLOSED,
            intro,
            progress=progress,
            amount_usd=progress.amount_usd,
            amount_public=progress.publish_amount and publish_amount,
        )
    notifications.notify(
        progress.logged_by,
        "close_confirmed" if confirmed else "close_disputed",
        {"who": user.name, "startup": intro.startup.name},
        f"/matches/{intro.id}",
    )
