"""Removing uploads nobody uses: rows of abandoned forms and files whose row was never committed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from dealflow.extensions import db, file_store
from dealflow.models import StoredFile
from dealflow.startups import uploads


@dataclass(frozen=True)
class PrunePlan:
    """What one pruning pass removes: storage keys to unlink after commit, and how many rows were deleted."""

    keys: list[str]
    rows: int


def plan_pruning(older_than: datetime) -> PrunePlan:
    """Delete the rows of unattached uploads (flush only) and list their files and the folder's orphans.

    An orphan is a file in the upload folder no row names, e.g. saved by a request that then rolled back;
    only files older than the cut-off are taken, so an upload whose transaction is still open is left alone.
    """
    keys = uploads.forget_files(uploads.unattached_files(older_than))
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
