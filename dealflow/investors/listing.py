"""The listing generation: a number bumped in the same transaction as any change to a listed startup.

Discovery's caches are keyed by it, so they never serve a page, count or facet that a committed
change has made stale, whichever worker made the change.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import Session

from dealflow.extensions import db
from dealflow.models import ListingState, Startup, StartupStatus

_registered = False


def _touches_listing(startup: Startup) -> bool:
    """Whether a change is seen by investors: the startup is listed, or was until this flush."""
    status = inspect(startup).attrs.status.history
    return StartupStatus.APPROVED in (*status.unchanged, *status.added, *status.deleted)


def _bump_on_startup_change(session: Session, _flush_context: Any) -> None:
    # after_flush still sees the flushed objects and their attribute history.
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(item, Startup) and _touches_listing(item) for item in changed):
        session.connection().execute(
            update(ListingState).where(ListingState.id == 1).values(generation=ListingState.generation + 1)
        )


def register_listing_events() -> None:
    """Install the flush listener once per process, for every session."""
    global _registered
    if _registered:
        return
    event.listen(Session, "after_flush", _bump_on_startup_change)
    _registered = True


def current_generation() -> int:
    """The generation this request's transaction sees."""
    return db.session.scalar(select(ListingState.generation).where(ListingState.id == 1)) or 0
