"""Hub staff's work: claiming what waits, scoring it privately and deciding it, exactly once."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dealflow import audit
from dealflow.extensions import db
from dealflow.models import (
    InvestorProfile,
    ReviewClaim,
    ReviewEvent,
    Role,
    RubricScore,
    Startup,
    User,
    hub_region,
    utcnow,
)
from dealflow.notifications import services as notifications
from dealflow.startups import services as startups
from dealflow.startups.services import StartupError


class DecidedMeanwhile(StartupError):
    """Another reviewer decided (or the founder changed) the item since this reviewer loaded it."""

    def __init__(self) -> None:
        super().__init__(_l("Someone else acted on this item a moment ago. Here is how it stands now."))


class OutsideHubScope(StartupError):
    """Staff decide only what comes from their hub's regions; others may read it."""

    def __init__(self) -> None:
        super().__init__(
            _l("This startup is outside your hub's regions: you can read it, but its hub's staff review and decide it.")
        )


def region_under_review(startup: Startup) -> str | None:
    """The region a decision is about: the one submitted changes propose, else the listing's own."""
    revision = startups.open_revision(startup) if startup.status == "approved" else None
    if revision is not None and revision.status == "submitted":
        proposed = (revision.data or {}).get("region_code")
        if isinstance(proposed, str) and proposed:
            return proposed
    return startup.region_code


def may_decide(reviewer: User, startup: Startup) -> bool:
    """Admins decide anything; hub staff only the submissions from (or moving to) the regions their hub serves."""
    if reviewer.role == Role.ADMIN:
        return True
    region = region_under_review(startup)
    if reviewer.role != Role.HUB_STAFF or reviewer.hub_id is None or region is None:
        return False
    served = select(hub_region.c.hub_id).where(
        hub_region.c.hub_id == reviewer.hub_id, hub_region.c.region_code == region
    )
    return db.session.scalar(served) is not None


def _check_scope(startup: Startup, reviewer: User) -> None:
    if not may_decide(reviewer, startup):
        raise OutsideHubScope()


def is_waiting(startup: Startup) -> bool:
    """Whether a decision is due: a new submission, or submitted changes to a listed profile."""
    if startup.status == "submitted":
        return True
    revision = startups.open_revision(startup) if startup.status == "approved" else None
    return revision is not None and revision.status == "submitted"


def waiting_version(startup: Startup) -> str:
    """A token of the item's state as the reviewer saw it: the startup's and its revision's versions."""
    revision = startups.open_revision(startup) if startup.status == "approved" else None
    return f"{startup.version}.{revision.version if revision else 0}"


def claim(startup: Startup, reviewer: User) -> ReviewClaim:
    """Take the item so that colleagues see someone is on it; taking over another's claim is audited."""
    _check_scope(startup, reviewer)
    if not is_waiting(startup):
        raise StartupError(_l("Nothing waits for a decision on this startup now."))
    existing = db.session.get(ReviewClaim, startup.id)
    if existing is None:
        existing = ReviewClaim(startup_id=startup.id, reviewer_id=reviewer.id, claimed_at=utcnow())
        try:
            with db.session.begin_nested():
                db.session.add(existing)
        except IntegrityError:  # a colleague claimed it in the same instant
            raise StartupError(_l("A colleague has just claimed this item.")) from None
    elif existing.reviewer_id != reviewer.id:
        audit.record("review.taken_over", actor=reviewer, target=startup, details={"from": existing.reviewer_id})
        existing.reviewer_id = reviewer.id
        existing.claimed_at = utcnow()
    db.session.flush()
    return existing


def release(startup: Startup, reviewer: User) -> None:
    """Give the item back to the queue."""
    existing = db.session.get(ReviewClaim, startup.id)
    if existing is not None and existing.reviewer_id == reviewer.id:
        db.session.delete(existing)
        db.session.flush()


def score(startup: Startup, reviewer: User, *, team: int, market: int, traction: int, note: str | None) -> RubricScore:
    """Keep the reviewer's private rubric for the item under review."""
    _check_scope(startup, reviewer)
    revision = startups.open_revision(startup) if startup.status == "approved" else None
    rubric = RubricScore(
        startup_id=startup.id,
        revision_id=revision.id if revision else None,
        reviewer_id=reviewer.id,
        team=team,
        market=market,
        traction=traction,
        note=(note or "").strip() or None,
    )
    db.session.add(rubric)
    db.session.flush()
    return rubric


def decide(
    startup: Startup,
    reviewer: User,
    *,
    decision: str,
    comment: str | None,
    seen_version: str,
    ip: str | None = None,
) -> ReviewEvent:
    """Record one decision; if the item moved on since the reviewer saw it, refuse and say so."""
    _check_scope(startup, reviewer)
    if waiting_version(startup) != seen_version:
        raise DecidedMeanwhile()
    claimed = db.session.get(ReviewClaim, startup.id)
    if claimed is not None and claimed.reviewer_id != reviewer.id:
        raise StartupError(
            _l("%(name)s is reviewing this item. Take over the review before deciding.", name=claimed.reviewer.name)
        )
    event = startups.decide(startup, decision, actor=reviewer, comment=comment)
    if claimed is not None:
        db.session.delete(claimed)
    audit.record(
        "review.decision",
        actor=reviewer,
        target=startup,
        details={"decision": decision, "revision_id": event.revision_id, "from": event.from_status},
        ip=ip,
    )
    notifications.tell_founder_of_decision(startup, decision, event.comment)
    db.session.flush()
    return event


def set_investor_verified(investor: User, staff: User, *, verified: bool, ip: str | None = None) -> None:
    """Mark an investor as verified by hub staff (who, when), or take the mark back."""
    if investor.role != Role.INVESTOR:
        raise StartupError(_l("Only investors can be verified."))
    profile = investor.investor_profile
    if profile is None:
        profile = InvestorProfile(user_id=investor.id)
        db.session.add(profile)
    profile.verified_at = utcnow() if verified else None
    profile.verified_by_id = staff.id if verified else None
    audit.record("investor.verified" if verified else "investor.unverified", actor=staff, target=investor, ip=ip)
    db.session.flush()
