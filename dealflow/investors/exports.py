"""The investor's bookmarks with private notes as a spreadsheet file (CSV), a Pro feature."""

from __future__ import annotations

import csv
import io

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from dealflow.billing.plans import Feature, require_feature
from dealflow.extensions import db
from dealflow.labels import PIPELINE_LABELS
from dealflow.models import Bookmark, Role, User
from dealflow.reference.data import SECTORS, STAGES, reference_name, region_name

# A cell starting with one of these is run as a formula by spreadsheet programs (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
HEADER = (
    _l("Startup"),
    _l("Link"),
    _l("Region"),
    _l("Sector"),
    _l("Stage"),
    _l("Pipeline stage"),
    _l("Private note"),
    _l("Bookmarked on"),
)


def spreadsheet_safe(value: object) -> str:
    """The value as text a spreadsheet shows as text: a formula-like start gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def bookmarks_csv(user: User, *, site_url: str, locale: str) -> str:
    """Every bookmark of the investor with its note and pipeline stage; raises PlanLimitReached on Free."""
    if user.role != Role.INVESTOR:
        raise PermissionError("only investors have bookmarks")
    require_feature(user, Feature.BOOKMARKS_CSV)
    bookmarks = db.session.scalars(
        select(Bookmark)
        .where(Bookmark.investor_id == user.id)
        .options(selectinload(Bookmark.startup))
        .order_by(Bookmark.updated_at.desc(), Bookmark.id.desc())
    ).all()
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([str(title) for title in HEADER])
    for bookmark in bookmarks:
        startup = bookmark.startup
        writer.writerow(
            [
                spreadsheet_safe(cell)
                for cell in (
                    startup.name,
                    f"{site_url}/startups/{startup.slug}",
                    region_name(startup.region_code, locale),
                    reference_name(SECTORS, startup.sector_code, locale),
                    reference_name(STAGES, startup.stage_code, locale),
                    str(PIPELINE_LABELS[bookmark.stage]),
                    bookmark.note,
                    bookmark.created_at.date().isoformat(),
                )
            ]
        )
    return out.getvalue()
