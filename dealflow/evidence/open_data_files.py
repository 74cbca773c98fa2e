"""The open data's aggregate files on disk: one set per ledger head, written once and shared by every worker."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from flask import current_app

from dealflow.evidence import ledger, opendata

FORMATS = ("csv", "json")


def chunks(
    head: ledger.Head, dataset: opendata.Dataset, fmt: str, data: opendata.OpenData | None = None
) -> Iterator[str]:
    """A dataset as of the head, as CSV or JSON text in pieces (from `data` when it is already read)."""
    records = dataset.records(data or opendata.OpenData(head))
    return opendata.csv_chunks(dataset.columns, records) if fmt == "csv" else opendata.json_chunks(records)


def aggregate_file(head: ledger.Head, dataset: opendata.Dataset, fmt: str) -> Path:
    """An aggregate file as of this head, computed once (seconds at a million events) and then served from disk.

    The files of one head never change, so every worker and every later download shares them; those of
    older heads are removed when a newer head is written. Disclosure control runs once for all the
    aggregate files of a head (they share it), so the first download writes them all.
    """
    root = Path(current_app.config["OPEN_DATA_FOLDER"])
    folder = root / f"{head.event_count}-{head.head_hash[:16]}"
    path = folder / f"{dataset.name}.{fmt}"
    if path.exists():
        return path
    folder.mkdir(parents=True, exist_ok=True)
    data = opendata.OpenData(head)
    for other in (d for d in opendata.DATASETS if d.name != "events"):
        for other_fmt in FORMATS:
            target = folder / f"{other.name}.{other_fmt}"
            with tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", dir=folder, delete=False) as handle:
                handle.writelines(chunks(head, other, other_fmt, data))
            os.replace(handle.name, target)  # atomic: a parallel download sees the old state or the whole file
    remove_older_heads(root, head.event_count)
    return path


def _event_count(folder: Path) -> int | None:
    count, dash, _hash = folder.name.partition("-")
    return int(count) if dash and count.isdigit() and folder.is_dir() else None


def remove_older_heads(root: Path, written: int) -> list[Path]:
    """Remove the folders of heads older than the one just written, except the newest of them.

    A newer head (another worker was quicker) is never touched, and the previous one is kept for the
    downloads still streaming from it; the ledger only grows, so a head's event count orders them.
    """
    older = sorted(
        (
            (count, folder)
            for folder in root.iterdir()
            if (count := _event_count(folder)) is not None and count < written
        ),
        key=lambda pair: pair[0],
    )
    removed = [folder for _count, folder in older[:-1]]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed


def refresh_aggregate_files() -> list[Path]:
    """Write the current head's aggregate files ahead of the first download (the worker runs it periodically)."""
    head = ledger.current_head()
    return [
        aggregate_file(head, dataset, fmt)
        for dataset in opendata.DATASETS
        if dataset.name != "events"  # streamed as read, never stored
        for fmt in FORMATS
    ]
