"""The listing generation: a number bumped in the same transaction as any change to a listed startup.

Discovery's caches are keyed by it, so they never serve a page, count or facet that a committed
change has made stale, whichever worker made the change. Two kinds of write reach the startup
table and both bump it: ORM flushes (seen in `after_flush`, only when a listed startup changed)
and Core `insert()/update()/delete()` statements run through the session (seen in `do_orm_execute`,
always, since which rows they touch is not known before they run). A Core statement run on a raw
connection is not seen: call `bump_generation()` beside it.
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from flask import Flask
from sqlalchemy import Table, event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from dealflow.extensions import db
from dealflow.models import ListingState, Startup, StartupStatus

STARTUP_TABLE = "startup"


def _touches_listing(startup: Startup) -> bool:
    """Whether a change is seen by investors: the startup is listed, or was until this flush."""
    status = inspect(startup).attrs.status.history
    return StartupStatus.APPROVED in (*status.unchanged, *status.added, *status.deleted)


def bump_generation(session: Session) -> None:
    """Make every cached discovery page, count and facet stale once this transaction commits."""
    # On the connection, not session.execute(), so that the bump is not itself seen as a write to watch.
    session.connection().execute(
        update(ListingState).where(ListingState.id == 1).values(generation=ListingState.generation + 1)
    )


def _bump_on_startup_change(session: Session, _flush_context: Any) -> None:
    # after_flush still sees the flushed objects and their attribute history.
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(item, Startup) and _touches_listing(item) for item in changed):
        bump_generation(session)


def writes_startups(state: ORMExecuteState) -> bool:
    """Whether a statement run through the session inserts, updates or deletes rows of the startup table."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return False
    target = getattr(state.statement, "table", None)
    return isinstance(target, Table) and target.name == STARTUP_TABLE


def _bump_on_startup_statement(state: ORMExecuteState) -> None:
    if writes_startups(state):
        bump_generation(state.session)


def register_listing_events(app: Flask) -> None:
    """Watch the app's own session (db.session), once however many apps share it, for writes to startups."""
    del app  # the session is the extension's; the app is taken so the factory wires it like the others
    target = db.session
    if not event.contains(target, "after_flush", _bump_on_startup_change):
        event.listen(target, "after_flush", _bump_on_startup_change)
    if not event.contains(target, "do_orm_execute", _bump_on_startup_statement):
        event.listen(target, "do_orm_execute", _bump_on_startup_statement)


def current_generation() -> int:
    """The generation this request's transaction sees."""
    return db.session.scalar(select(ListingState.generation).where(ListingState.id == 1)) or 0
