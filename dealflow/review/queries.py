"""Reads for hub staff: the queue, one item, the investors to verify and the overview."""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from dealflow.extensions import db
from dealflow.models import (
    Hub,
    InvestorProfile,
    ReviewClaim,
    ReviewEvent,
    RevisionStatus,
    Role,
    RubricScore,
    Startup,
    StartupRevision,
    StartupStatus,
    User,
    utcnow,
)

DECISIONS = ("approved", "rejected", "changes_requested")


def working_days_between(start: date, end: date) -> int:
    """Monday-to-Friday days from start to end, not counting the start day."""
    if end <= start:
        return 0
    days = (end - start).days
    weeks, rest = divmod(days, 7)
    count = weeks * 5
    for offset in range(1, rest + 1):
        if (start + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            count += 1
    return count


@dataclass(frozen=True)
class QueueItem:
    startup: Startup
    is_revision: bool
    submitted_at: datetime
    days_waiting: int
    working_days_waiting: int
    overdue: bool
    hub: Hub | None
    claim: ReviewClaim | None


@dataclass(frozen=True)
class QueueFilters:
    regions: tuple[str, ...] = ()
    hub_id: int | None = None
    sector: str | None = None
    mine: bool = True


def hubs_with_regions() -> Sequence[Hub]:
    return db.session.scalars(select(Hub).options(selectinload(Hub.regions)).order_by(Hub.name)).all()


def review_queue(filters: QueueFilters, reviewer: User, sla_days: int, now: datetime | None = None) -> list[QueueItem]:
    """Submissions and submitted changes, oldest first, in a fixed number of queries whatever the length."""
    now = now or utcnow()
    hubs = hubs_with_regions()
    hub_of_region = {region.code: hub for hub in hubs for region in hub.regions}
    revision = (
        select(StartupRevision.startup_id, StartupRevision.submitted_at)
        .where(StartupRevision.status == RevisionStatus.SUBMITTED)
        .subquery()
    )
    waiting_since = func.coalesce(revision.c.submitted_at, Startup.submitted_at)
    query = (
        select(Startup, revision.c.submitted_at)
        .outerjoin(revision, revision.c.startup_id == Startup.id)
        .where(or_(Startup.status == StartupStatus.SUBMITTED, revision.c.submitted_at.is_not(None)))
        .options(selectinload(Startup.region), selectinload(Startup.sector), selectinload(Startup.owner))
        .order_by(waiting_since.asc(), Startup.id.asc())
    )
    regions: set[str] | None = set(filters.regions) if filters.regions else None
    if filters.hub_id is not None:
        hub_regions = {r.code for h in hubs if h.id == filters.hub_id for r in h.regions}
        regions = hub_regions if regions is None else regions & hub_regions
    if filters.mine and filters.hub_id is None and reviewer.hub_id is not None:
        own = {r.code for h in hubs if h.id == reviewer.hub_id for r in h.regions}
        regions = own if regions is None else regions & own
    if regions is not None:
        query = query.where(Startup.region_code.in_(sorted(regions)))
    if filters.sector:
        query = query.where(Startup.sector_code == filters.sector)
    rows = db.session.execute(query).all()
    claims = {
        c.startup_id: c
        for c in db.session.scalars(
            select(ReviewClaim)
            .where(ReviewClaim.startup_id.in_([s.id for s, _ in rows]))
            .options(selectinload(ReviewClaim.reviewer))
        )
    }
    items = []
    for startup, revision_submitted in rows:
        since: datetime = revision_submitted or startup.submitted_at or startup.created_at
        working = working_days_between(since.date(), now.date())
        items.append(
            QueueItem(
                startup=startup,
                is_revision=revision_submitted is not None,
                submitted_at=since,
                days_waiting=(now - since).days,
                working_days_waiting=working,
                overdue=working > sla_days,
                hub=hub_of_region.get(startup.region_code or ""),
                claim=claims.get(startup.id),
            )
        )
    return items


def rubric_scores(startup_id: int) -> Sequence[RubricScore]:
    """Internal scores of every review round, newest first; never shown to founders."""
    return db.session.scalars(
        select(RubricScore)
        .where(RubricScore.startup_id == startup_id)
        .options(selectinload(RubricScore.reviewer))
        .order_by(RubricScore.created_at.desc(), RubricScore.id.desc())
    ).all()


def investors_to_verify() -> list[User]:
    """Investors, the unverified first (newest first within each group), with who verified them."""
    investors = db.session.scalars(
        select(User)
        .where(User.role == Role.INVESTOR)
        .options(selectinload(User.investor_profile).selectinload(InvestorProfile.verified_by))
        .order_by(User.created_at.desc(), User.id.desc())
    ).all()
    return sorted(investors, key=lambda u: u.is_verified_investor)


@dataclass(frozen=True)
class HubFigures:
    hub: Hub
    waiting: int
    decided: int
    median_days: float | None


def hub_overview(reviewer: User, sla_days: int, days: int = 90, now: datetime | None = None) -> list[HubFigures]:
    """Per hub: what waits now, and the median days from submission to decision over the last 90 days."""
    now = now or utcnow()
    hubs = hubs_with_regions()
    queue = review_queue(QueueFilters(mine=False), reviewer, sla_days, now)
    since = now - timedelta(days=days)
    decisions = db.session.execute(
        select(ReviewEvent, Startup.region_code)
        .join(Startup, Startup.id == ReviewEvent.startup_id)
        .where(ReviewEvent.to_status.in_(DECISIONS), ReviewEvent.created_at >= since)
    ).all()
    startup_ids = {event.startup_id for event, _ in decisions}
    submissions: dict[tuple[int, int | None], list[datetime]] = {}
    for event in db.session.scalars(
        select(ReviewEvent)
        .where(ReviewEvent.startup_id.in_(startup_ids), ReviewEvent.to_status == "submitted")
        .order_by(ReviewEvent.created_at)
    ):
        submissions.setdefault((event.startup_id, event.revision_id), []).append(event.created_at)
    durations_by_region: dict[str, list[float]] = {}
    for event, region_code in decisions:
        earlier = [t for t in submissions.get((event.startup_id, event.revision_id), []) if t <= event.created_at]
        if earlier:
            days_taken = (event.created_at - earlier[-1]).total_seconds() / 86400
            durations_by_region.setdefault(region_code or "", []).append(days_taken)
    figures = []
    for hub in hubs:
        codes = {r.code for r in hub.regions}
        durations = [d for code in codes for d in durations_by_region.get(code, [])]
        figures.append(
            HubFigures(
                hub=hub,
                waiting=sum(1 for item in queue if item.startup.region_code in codes),
                decided=len(durations),
                median_days=round(statistics.median(durations), 1) if durations else None,
            )
        )
    return figures
