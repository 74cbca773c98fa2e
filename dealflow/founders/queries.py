"""Reads for founders' pages."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dealflow.extensions import db
from dealflow.models import Startup


def startups_owned_by(owner_id: int) -> Sequence[Startup]:
    """A founder's startups, newest change first, with their reference rows loaded."""
    return db.session.scalars(
        select(Startup)
        .where(Startup.owner_id == owner_id)
        .options(selectinload(Startup.region), selectinload(Startup.sector), selectinload(Startup.stage))
        .order_by(Startup.updated_at.desc(), Startup.id.desc())
    ).all()
