"""Reads for founders' pages and for the startup page, including the intro requests they show."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from flask import abort
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dealflow.extensions import db
from dealflow.models import (
    OPEN_REVISION_STATUSES,
    FileKind,
    IntroRequest,
    IntroStatus,
    Region,
    ReviewEvent,
    Sector,
    Stage,
    Startup,
    StartupRevision,
    StartupStatus,
    StoredFile,
)
from dealflow.parsing import parse_int
from dealflow.startups.profile import Profile


@dataclass(frozen=True)
class DashboardItem:
    startup: Startup
    open_revision: StartupRevision | None
    latest_comment: ReviewEvent | None


def dashboard_items(owner_id: int) -> list[DashboardItem]:
    """A founder's startups with their pending changes and the last reviewer comment, in three queries."""
    startups = db.session.scalars(
        select(Startup)
        .where(Startup.owner_id == owner_id)
        .options(selectinload(Startup.region), selectinload(Startup.sector), selectinload(Startup.stage))
        .order_by(Startup.updated_at.desc(), Startup.id.desc())
    ).all()
    ids = [s.id for s in startups]
    revisions = {
        r.startup_id: r
        for r in db.session.scalars(
            select(StartupRevision)
            .where(StartupRevision.startup_id.in_(ids), StartupRevision.status.in_(OPEN_REVISION_STATUSES))
            .order_by(StartupRevision.id)
        )
    }
    comments: dict[int, ReviewEvent] = {}
    for event in db.session.scalars(
        select(ReviewEvent)
        .where(ReviewEvent.startup_id.in_(ids), ReviewEvent.comment.is_not(None))
        .order_by(ReviewEvent.created_at.desc(), ReviewEvent.id.desc())
    ):
        comments.setdefault(event.startup_id, event)
    return [DashboardItem(s, revisions.get(s.id), comments.get(s.id)) for s in startups]


def owned_startup_or_404(startup_id: int, owner_id: int) -> Startup:
    """The founder's own startup; anyone else's is 'not found', so its existence is not revealed."""
    startup = db.session.scalar(select(Startup).where(Startup.id == startup_id, Startup.owner_id == owner_id))
    if startup is None:
        abort(404)
    return startup


def startup_by_slug_or_404(slug: str) -> Startup:
    startup = db.session.scalar(select(Startup).where(Startup.slug == slug))
    if startup is None:
        abort(404)
    return startup


def review_history(startup_id: int) -> Sequence[ReviewEvent]:
    """Every status change of the startup and its revisions, oldest first, with who made it."""
    return db.session.scalars(
        select(ReviewEvent)
        .where(ReviewEvent.startup_id == startup_id)
        .options(selectinload(ReviewEvent.actor))
        .order_by(ReviewEvent.created_at, ReviewEvent.id)
    ).all()


@dataclass(frozen=True)
class ProfileView:
    """A profile with its reference rows and files loaded, ready for the startup page."""

    profile: Profile
    region: Region | None
    sector: Sector | None
    stage: Stage | None
    logo: StoredFile | None
    deck: StoredFile | None


def profile_view(profile: Profile) -> ProfileView:
    """Load what the profile points at: at most five primary-key lookups, most from the identity map."""
    return ProfileView(
        profile=profile,
        region=db.session.get(Region, profile.region_code) if profile.region_code else None,
        sector=db.session.get(Sector, profile.sector_code) if profile.sector_code else None,
        stage=db.session.get(Stage, profile.stage_code) if profile.stage_code else None,
        logo=db.session.get(StoredFile, profile.logo_file_id) if profile.logo_file_id else None,
        deck=db.session.get(StoredFile, profile.deck_file_id) if profile.deck_file_id else None,
    )


def own_file(file_id: str | None, owner_id: int, kind: FileKind) -> StoredFile | None:
    """A file of this kind the founder uploaded earlier (kept across a form that had to be corrected)."""
    wanted = parse_int(file_id, minimum=1)
    if wanted is None:
        return None
    stored = db.session.get(StoredFile, wanted)
    if stored is None or stored.owner_id != owner_id or stored.kind != kind:
        return None
    return stored


def waiting_for_founder(owner_id: int) -> int:
    """Intro requests waiting in a founder's inbox."""
    return (
        db.session.scalar(
            select(func.count(IntroRequest.id))
            .join(Startup, Startup.id == IntroRequest.startup_id)
            .where(Startup.owner_id == owner_id, IntroRequest.status == IntroStatus.PENDING)
        )
        or 0
    )


def latest_intro(investor_id: int, startup_id: int) -> IntroRequest | None:
    """The investor's newest intro request to the startup, whatever became of it."""
    return db.session.scalar(
        select(IntroRequest)
        .where(IntroRequest.investor_id == investor_id, IntroRequest.startup_id == startup_id)
        .order_by(IntroRequest.created_at.desc(), IntroRequest.id.desc())
        .limit(1)
    )


SITEMAP_LIMIT = 49_990  # one sitemap file holds at most 50,000 URLs (sitemaps.org), the other public pages too


def listed_for_sitemap(limit: int = SITEMAP_LIMIT) -> Sequence[tuple[str, datetime]]:
    """Slugs of approved startups with when their public page last changed, newest first, bounded."""
    rows = db.session.execute(
        select(Startup.slug, Startup.updated_at)
        .where(Startup.status == StartupStatus.APPROVED)
        .order_by(Startup.id.desc())
        .limit(limit)
    ).all()
    return [(slug, changed) for slug, changed in rows]
