"""Keeping the reference tables equal to the project's reference data, idempotently."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from dealflow.reference.data import REGIONS, SECTORS, STAGES

# Lightweight table handles, so that old migrations that call this keep working
# whatever the ORM models later grow into.
_NAME_COLUMNS = ("code", "name_en", "name_ru", "name_kk", "position")
_region = sa.table("region", *(sa.column(c) for c in (*_NAME_COLUMNS, "centre_en", "is_main_hub")))
_sector = sa.table("sector", *(sa.column(c) for c in _NAME_COLUMNS))
_stage = sa.table("stage", *(sa.column(c) for c in _NAME_COLUMNS))


def _upsert(connection: Connection, table: sa.TableClause, rows: Sequence[dict[str, Any]]) -> int:
    existing = {row.code: row._asdict() for row in connection.execute(sa.select(table))}
    changed = 0
    for row in rows:
        current = existing.get(row["code"])
        if current is None:
            connection.execute(sa.insert(table).values(**row))
            changed += 1
        elif any(current[key] != value for key, value in row.items()):
            connection.execute(sa.update(table).where(table.c.code == row["code"]).values(**row))
            changed += 1
    return changed


def _positioned(rows: Iterable[tuple[Any, ...]], fields: Sequence[str]) -> list[dict[str, Any]]:
    return [dict(zip(fields, row, strict=True)) | {"position": i} for i, row in enumerate(rows)]


def sync_reference_data(connection: Connection) -> int:
    """Insert or correct regions, sectors and stages; returns how many rows changed."""
    changed = _upsert(connection, _region, _positioned(REGIONS, REGIONS[0]._fields))
    changed += _upsert(connection, _sector, _positioned(SECTORS, SECTORS[0]._fields))
    changed += _upsert(connection, _stage, _positioned(STAGES, STAGES[0]._fields))
    return changed
