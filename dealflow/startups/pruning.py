"""Removing uploads nobody uses: rows of abandoned forms and files whose row was never committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, delete, exists, or_, select

from dealflow.extensions import db, file_store
from dealflow.models import Startup, StartupRevision, StoredFile


@dataclass(frozen=True)
class PrunePlan:
    """What one pruning pass removes: storage keys to unlink after commit, and how many rows were deleted."""

    keys: list[str]
    rows: int


def _referenced() -> ColumnElement[bool]:
    """A startup or one of its revisions points at the file (checked by the database at the moment of deletion)."""
    revision_ids = (
        StartupRevision.data["logo_file_id"].as_integer(),
        StartupRevision.data["deck_file_id"].as_integer(),
    )
    return or_(
        exists().where(or_(Startup.logo_file_id == StoredFile.id, Startup.deck_file_id == StoredFile.id)),
        exists().where(or_(*(column == StoredFile.id for column in revision_ids))),
    )


def delete_unattached(older_than: datetime) -> list[str]:
    """Delete the rows of uploads nothing points at, one by one; returns the keys of the rows really deleted.

    Each row is locked first (PostgreSQL; one being attached right now is skipped), then deleted only if,
    at that moment, still nothing points at it: a founder attaching an old upload meanwhile keeps it.
    """
    candidates = db.session.scalars(
        select(StoredFile.id).where(StoredFile.created_at < older_than, ~_referenced()).order_by(StoredFile.id)
    ).all()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    keys: list[str] = []
    for file_id in candidates:
        if postgres:
            lock = select(StoredFile.id).where(StoredFile.id == file_id).with_for_update(skip_locked=True)
            if db.session.scalar(lock) is None:
                continue
        key = db.session.scalar(
            delete(StoredFile)
            .where(StoredFile.id == file_id, ~_referenced())
            .returning(StoredFile.storage_key)
            .execution_options(synchronize_session=False)
        )
        if key is not None:
            keys.append(key)
    return keys


def plan_pruning(older_than: datetime) -> PrunePlan:
    """Delete the rows of unattached uploads (flush only) and list their files and the folder's orphans.

    An orphan is a file in the upload folder no row names, e.g. saved by a request that then rolled back;
    only files older than the cut-off are taken, so an upload whose transaction is still open is left alone.
    """
    keys = delete_unattached(older_than)
    rows = len(keys)
    known = set(db.session.scalars(select(StoredFile.storage_key)))
    root = file_store.root
    if root.is_dir():
        for path in root.rglob("*"):
            key = path.relative_to(root).as_posix()
            orphan = path.is_file() and key not in known and key not in keys
            if orphan and datetime.fromtimestamp(path.stat().st_mtime, UTC) < older_than:
                keys.append(key)
    return PrunePlan(keys=keys, rows=rows)


def unlink(plan: PrunePlan) -> None:
    """Remove the files once the rows' deletion is committed (a rollback keeps both)."""
    for key in plan.keys:
        file_store.delete(key)
