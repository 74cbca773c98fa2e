"""Reads for the public home page."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import Region, Startup, StartupStatus


@dataclass(frozen=True)
class HomeFigures:
    approved: int
    approved_outside_main_hubs: int
    regions_with_startups: int


def home_figures() -> HomeFigures:
    """Counts of listed startups, in one statement."""
    outside = Region.is_main_hub.is_(False)
    row = db.session.execute(
        select(
            func.count(Startup.id),
            func.count(Startup.id).filter(outside),
            func.count(func.distinct(Startup.region_code)),
        )
        .join(Region, Region.code == Startup.region_code)
        .where(Startup.status == StartupStatus.APPROVED)
    ).one()
    return HomeFigures(approved=row[0], approved_outside_main_hubs=row[1], regions_with_startups=row[2])
