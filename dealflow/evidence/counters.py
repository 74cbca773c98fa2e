"""Counters kept in the writer's transaction: one upsert adds to a row, creating it at zero if needed.

Used for the ledger's rollups (under the ledger's lock), startups submitted and approved included
(they are ledger events too); the dashboard reads these rows, never the raw events.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite

from dealflow.extensions import db
from dealflow.models import Base


def month_of(moment: datetime) -> date:
    """The first day of the moment's month, in UTC: the grain of every monthly rollup."""
    at = moment.astimezone(UTC)
    return date(at.year, at.month, 1)


def day_of(moment: datetime) -> date:
    """The moment's day, in UTC."""
    return moment.astimezone(UTC).date()


def add_to(model: type[Base], rows: Sequence[Mapping[str, Any]], counters: Sequence[str]) -> None:
    """Add each row's counters to the row with the same key, in one INSERT … ON CONFLICT DO UPDATE.

    Atomic on both databases, so concurrent writers never lose an increment.
    """
    table = cast(Table, model.__table__)
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).values(list(rows))
    statement = statement.on_conflict_do_update(
        index_elements=[column.name for column in table.primary_key.columns],
        set_={name: table.c[name] + statement.excluded[name] for name in counters},
    )
    db.session.execute(statement)
