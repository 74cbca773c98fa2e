"""Reads for hub staff's pages."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dealflow.extensions import db
from dealflow.models import Startup, StartupStatus, utcnow


@dataclass(frozen=True)
class WaitingItem:
    startup: Startup
    days_waiting: int


def waiting_submissions(now: datetime | None = None) -> Sequence[WaitingItem]:
    """Submitted startups, oldest submission first, with how long each has waited."""
    now = now or utcnow()
    startups = db.session.scalars(
        select(Startup)
        .where(Startup.status == StartupStatus.SUBMITTED)
        .options(selectinload(Startup.region), selectinload(Startup.sector), selectinload(Startup.owner))
        .order_by(Startup.submitted_at.asc(), Startup.id.asc())
    ).all()
    return [WaitingItem(s, (now - (s.submitted_at or s.created_at)).days) for s in startups]
