"""Reads for intro requests and matches: inboxes, the match page and the counts the rules need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from dealflow.billing import plans as billing
from dealflow.extensions import db
from dealflow.models import IntroRequest, IntroStatus, MatchProgress, Startup, User


def intro_requests_this_month(investor_id: int, now: datetime) -> int:
    """How many intros the investor asked for in the current calendar month (Almaty time), withdrawn ones
    included: the monthly allowance of the investor's plan is checked against this one count.
    """
    return (
        db.session.scalar(
            select(func.count(IntroRequest.id)).where(
                IntroRequest.investor_id == investor_id,
                IntroRequest.created_at >= billing.intro_month_start(now),
                IntroRequest.created_at <= now,
            )
        )
        or 0
    )


def pending_intro_count(investor_id: int) -> int:
    """Intro requests of the investor still waiting for an answer."""
    return (
        db.session.scalar(
            select(func.count(IntroRequest.id)).where(
                IntroRequest.investor_id == investor_id, IntroRequest.status == IntroStatus.PENDING
            )
        )
        or 0
    )


def _with_people() -> list[Any]:
    return [
        selectinload(IntroRequest.investor).selectinload(User.investor_profile),
        selectinload(IntroRequest.startup).selectinload(Startup.region),
        selectinload(IntroRequest.startup).selectinload(Startup.owner),
    ]


def founder_inbox(owner_id: int) -> Sequence[IntroRequest]:
    """Every intro request to the founder's startups: waiting ones first, then the newest."""
    waiting_first = (IntroRequest.status != IntroStatus.PENDING).label("answered")
    return db.session.scalars(
        select(IntroRequest)
        .join(Startup, Startup.id == IntroRequest.startup_id)
        .where(Startup.owner_id == owner_id)
        .options(*_with_people())
        .order_by(waiting_first, IntroRequest.created_at.desc(), IntroRequest.id.desc())
        .limit(200)
    ).all()


def investor_intros(investor_id: int) -> Sequence[IntroRequest]:
    """The investor's intro requests, newest first."""
    return db.session.scalars(
        select(IntroRequest)
        .where(IntroRequest.investor_id == investor_id)
        .options(*_with_people())
        .order_by(IntroRequest.created_at.desc(), IntroRequest.id.desc())
        .limit(200)
    ).all()


def progress_of(intro_id: int) -> Sequence[MatchProgress]:
    """What the two sides logged after the match, oldest first."""
    return db.session.scalars(
        select(MatchProgress)
        .where(MatchProgress.intro_request_id == intro_id)
        .options(selectinload(MatchProgress.logged_by))
        .order_by(MatchProgress.occurred_on, MatchProgress.id)
    ).all()


def is_party(user: User, intro: IntroRequest) -> bool:
    """The investor who asked and the founder who owns the startup; nobody else, staff included."""
    return user.id in (intro.investor_id, intro.startup.owner_id)
