"""Reads for investors' pages."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dealflow.extensions import db
from dealflow.models import Startup, StartupStatus

PER_PAGE = 20


def approved_startups_page(page: int) -> Pagination:
    """One page of approved startups; only approved ones are ever visible to investors."""
    query = (
        select(Startup)
        .where(Startup.status == StartupStatus.APPROVED)
        .options(selectinload(Startup.region), selectinload(Startup.sector), selectinload(Startup.stage))
        .order_by(Startup.created_at.desc(), Startup.id.desc())
    )
    return db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)
