"""Investors' rules: their profile, bookmarks, saved searches and the alerts those searches send."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal
from typing import cast

from flask import current_app, render_template
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import Table, delete, literal, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from dealflow.billing.plans import Feature, plan_of
from dealflow.countries import is_country
from dealflow.extensions import db
from dealflow.investors.queries import DiscoveryQuery, StartupRow, discover
from dealflow.models import (
    Bookmark,
    InvestorKind,
    InvestorProfile,
    PipelineStage,
    Role,
    SavedSearch,
    SavedSearchAlert,
    Startup,
    StartupStatus,
    User,
    utcnow,
)
from dealflow.notifications import mail
from dealflow.reference.data import REGIONS, SECTORS, STAGES
from dealflow.startups.services import StartupError

MAX_SAVED_SEARCHES = 50


class InvestorError(StartupError):
    """A rule refused the investor's request; message is shown under field when there is one."""


def _investor(user: User) -> None:
    if user.role != Role.INVESTOR:
        raise InvestorError(_l("Only investors can do this."))


def profile_of(user: User) -> InvestorProfile:
    """The investor's profile, created empty on first use."""
    _investor(user)
    if user.investor_profile is None:
        user.investor_profile = InvestorProfile(user_id=user.id)
        db.session.flush()
    return user.investor_profile


def save_profile(
    user: User,
    *,
    kind: InvestorKind | None,
    organisation: str | None,
    country: str | None,
    ticket_min_usd: Decimal | None,
    ticket_max_usd: Decimal | None,
    sectors: Sequence[str],
    stages: Sequence[str],
    regions: Sequence[str],
    regional_mandate: bool,
) -> InvestorProfile:
    """Keep what the investor looks for; it drives the fit score and the foreign/domestic statistics."""
    profile = profile_of(user)
    if country and not is_country(country):
        raise InvestorError(_l("Choose a country from the list."), field="country")
    if ticket_min_usd is not None and ticket_max_usd is not None and ticket_min_usd > ticket_max_usd:
        raise InvestorError(_l("The smallest ticket cannot be larger than the largest."), field="ticket_max_usd")
    profile.kind = kind
    profile.organisation = (organisation or "").strip() or None
    profile.country = country or None
    profile.ticket_min_usd = ticket_min_usd
    profile.ticket_max_usd = ticket_max_usd
    profile.sectors = sorted(set(sectors) & {s.code for s in SECTORS})
    profile.stages = sorted(set(stages) & {s.code for s in STAGES})
    profile.regions = sorted(set(regions) & {r.code for r in REGIONS})
    profile.regional_mandate = regional_mandate
    db.session.flush()
    return profile


def toggle_bookmark(user: User, startup_id: int) -> bool:
    """Bookmark a listed startup, or remove the bookmark; True when it is bookmarked now.

    Two statements, and safe against a double click: the insert adds the pair only for a listed
    startup and does nothing if the pair exists (ON CONFLICT on the unique pair).
    """
    _investor(user)
    dialect = db.engine.dialect.name
    # Plain Core statements on the session's connection: a toggle needs none of the ORM's bookkeeping.
    connection, bookmarks = db.session.connection(), cast(Table, Bookmark.__table__)
    if dialect == "postgresql":
        # A bookmark is cheap to redo: its commit need not wait for the disk (a crash can lose the
        # last fraction of a second of toggles, never corrupt anything).
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
    pair = (bookmarks.c.investor_id == user.id, bookmarks.c.startup_id == startup_id)
    if connection.execute(delete(bookmarks).where(*pair)).rowcount:
        return False
    now = literal(utcnow(), bookmarks.c.created_at.type)
    listed = select(literal(user.id), Startup.id, literal(PipelineStage.WATCHING.value), now, now).where(
        Startup.id == startup_id, Startup.status == StartupStatus.APPROVED
    )
    insert = sqlite_insert if dialect == "sqlite" else postgresql_insert
    added = connection.execute(
        insert(bookmarks)
        .from_select(["investor_id", "startup_id", "stage", "created_at", "updated_at"], listed)
        .on_conflict_do_nothing(index_elements=["investor_id", "startup_id"])
    )
    if added.rowcount:
        return True
    if connection.execute(select(bookmarks.c.id).where(*pair)).first() is None:  # not a double click
        raise InvestorError(_l("Only listed startups can be bookmarked."))
    return True


def update_bookmark(user: User, bookmark: Bookmark, *, note: str | None, stage: PipelineStage) -> None:
    """Change the private note or the pipeline stage of one's own bookmark."""
    if bookmark.investor_id != user.id:
        raise InvestorError(_l("This bookmark is not yours."))
    bookmark.note = (note or "").strip() or None
    bookmark.stage = stage
    db.session.flush()


def save_search(user: User, name: str, query: DiscoveryQuery) -> SavedSearch:
    """Keep the current discovery query under a name; alerts start from now."""
    _investor(user)
    count = len(db.session.scalars(select(SavedSearch.id).where(SavedSearch.investor_id == user.id)).all())
    if count >= MAX_SAVED_SEARCHES:
        raise InvestorError(_l("You can keep up to %(max)d saved searches.", max=MAX_SAVED_SEARCHES))
    saved = SavedSearch(
        investor_id=user.id,
        name=name.strip()[:120] or str(_l("My search")),
        params=query.to_args(),
        last_alert_at=utcnow(),
    )
    db.session.add(saved)
    db.session.flush()
    return saved


def rename_search(user: User, saved: SavedSearch, name: str) -> None:
    if saved.investor_id != user.id:
        raise InvestorError(_l("This saved search is not yours."))
    saved.name = name.strip()[:120] or saved.name
    db.session.flush()


def delete_search(user: User, saved: SavedSearch) -> None:
    if saved.investor_id != user.id:
        raise InvestorError(_l("This saved search is not yours."))
    db.session.delete(saved)
    db.session.flush()


def newly_matching(saved: SavedSearch, limit: int = 50) -> list[StartupRow]:
    """Startups matching the search that it never sent before, approved since the last alert or not."""
    query = DiscoveryQuery.from_args(saved.params)
    owner = db.session.get(User, saved.investor_id)
    profile = owner.investor_profile if owner else None
    sent = set(
        db.session.scalars(select(SavedSearchAlert.startup_id).where(SavedSearchAlert.saved_search_id == saved.id))
    )
    found: list[StartupRow] = []
    page = 1
    while len(found) < limit:
        results = discover(replace(query, page=page, sort="newest"), profile, None)
        found += [c.startup for c in results.cards if c.startup.id not in sent]
        if page >= results.pages:
            break
        page += 1
    return found[:limit]


def send_alerts() -> tuple[int, int]:
    """Email each investor what newly matches each saved search; each startup at most once per search.

    Alerts are part of Pro: searches of investors on Free are skipped, and keep what they would have sent.
    """
    emails = startups_sent = 0
    for saved in db.session.scalars(select(SavedSearch).order_by(SavedSearch.id)).all():
        owner = db.session.get(User, saved.investor_id)
        if owner is None or not owner.active or not plan_of(owner).allows(Feature.SAVED_SEARCH_ALERTS):
            continue
        fresh = newly_matching(saved)
        if not fresh:
            continue
        for startup in fresh:
            db.session.add(SavedSearchAlert(saved_search_id=saved.id, startup_id=startup.id))
        saved.last_alert_at = utcnow()
        with force_locale(owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            body = render_template(
                "emails/alert.txt", user=owner, search=saved, startups=fresh, site=current_app.config["SITE_URL"]
            )
            subject = str(_l("New startups for your search “%(name)s”", name=saved.name))
        mail.queue(db.session(), mail.build(owner.email, subject, body))
        db.session.flush()
        emails += 1
        startups_sent += len(fresh)
    return emails, startups_sent
