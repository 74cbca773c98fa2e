"""The open data: the published events, the aggregates under disclosure control, and the export.

Events are published as their chain hashes them: v1 events whole, v2 events as their public leaf
(with the commitment to the rest). The export also holds the latest signed checkpoint, the log's
public key, the verifier and the witness program, so that it can be checked by anyone, offline.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Table, select

from dealflow.evidence import checkpoints
from dealflow.evidence.encoding import (
    EXPORT_COLUMNS,
    GENESIS_HASH,
    LEAF_V1,
    STARTUP_STEPS,
    format_time,
    leaf_fields,
    public_fields,
)
from dealflow.evidence.ledger import Head, current_head
from dealflow.evidence.privacy import Disclosure, Published, Shown, format_cents, is_hidden, is_suppressed
from dealflow.evidence.rollups import key_of
from dealflow.evidence.signing import log_key
from dealflow.evidence.verification import event_rows
from dealflow.extensions import db
from dealflow.models import Base, LedgerRollup, LedgerSlice, utcnow

VERIFIER = Path(__file__).with_name("verify_export.py")
WITNESS = Path(__file__).with_name("witness.py")


def event_records(up_to: int) -> Iterator[dict[str, Any]]:
    """The published events, oldest first: what each chain hash covers, prev_hash and hash; nothing about people."""
    with event_rows(up_to) as rows:
        for row in rows:
            fields = public_fields(row) if row.leaf_version == LEAF_V1 else leaf_fields(row)
            yield {**fields, "prev_hash": row.prev_hash, "hash": row.hash}


def _month(value: date) -> str:
    return value.isoformat()[:7]


def _amount(cents: Shown) -> Shown | None:
    """A sum of money as published: dollars with cents, "x" where hidden, None where there is none."""
    if isinstance(cents, str):
        return cents
    return format_cents(cents) if cents else None


@dataclass(frozen=True)
class Aggregates:
    """The aggregate files' rows, every figure as published ("<3" and "x" where hidden)."""

    rollup: list[dict[str, Any]]
    slices: list[dict[str, Any]]
    funnel: list[dict[str, Any]]


def _columns_of(model: type[Base]) -> list[Any]:
    return list(cast(Table, model.__table__).columns)


def _rollup_key(r: Any) -> tuple[Any, ...]:
    return ("rollup", r.month, r.region_code, r.is_main_hub, r.kind, r.investor_origin, r.sector_code)


def _slice_key(sl: Any) -> tuple[Any, ...]:
    return ("slice", sl.month, sl.kind, sl.dimension, sl.value)


def published_aggregates() -> Aggregates:
    """The rollup, slice and funnel rows under the shared disclosure control (dealflow.evidence.privacy).

    Told the sums between them: within a month and a kind, the slices along each dimension add up
    to the same total (not published, but anyone can add them up), and each slice is the sum of the
    rollup cells with its value. The funnel rows are the region slices of the startup steps, so they
    show what those slices show. The rollups are read whole: at most months × kinds × regions ×
    origins × sectors rows.
    """
    rollups, slices = (
        db.session.execute(select(*_columns_of(model)).order_by(*key_of(model))).all()
        for model in (LedgerRollup, LedgerSlice)
    )
    counts, money = Disclosure(), Disclosure(money=True)
    cells = _tell_rollups(counts, money, rollups)
    _tell_slices(counts, money, slices, cells)

    shown = counts.protect()
    for r in rollups:
        if r.amount_usd_cents and is_hidden(shown[_rollup_key(r)]):
            money.hide(_rollup_key(r))
    for sl in slices:
        if sl.amount_usd_cents and is_hidden(shown[_slice_key(sl)]):
            money.hide(_slice_key(sl))
    dollars = money.protect()
    funnel = [sl for sl in slices if sl.kind in STARTUP_STEPS and sl.dimension == "region"]
    return _as_published(rollups, slices, funnel, shown, dollars)


Cells = dict[tuple[Any, ...], list[Any]]  # (month, kind, dimension, value) → the rollup keys in that slice


def _tell_rollups(counts: Disclosure, money: Disclosure, rollups: Sequence[Any]) -> Cells:
    """Each rollup cell's count and sum; says which slice each cell adds up into along every dimension."""
    cells: Cells = {}
    for r in rollups:
        key = _rollup_key(r)
        hub = "main" if r.is_main_hub else "other"
        for dimension, value in (
            ("region", r.region_code),
            ("hub", hub),
            ("origin", r.investor_origin),
            ("sector", r.sector_code),
        ):
            cells.setdefault((r.month, r.kind, dimension, value), []).append(key)
        counts.add(key, r.event_count)
        money.add(key, r.amount_usd_cents, sensitive=is_suppressed(r.event_count))
    return cells


def _tell_slices(counts: Disclosure, money: Disclosure, slices: Sequence[Any], cells: Cells) -> None:
    """Each slice as the sum of its rollup cells; the slices along every dimension as one month's total."""
    # (month, kind) → dimension → slice keys, and the month's total along the regions (published nowhere)
    along: dict[tuple[date, str], dict[str, list[Any]]] = {}
    month_totals: dict[tuple[date, str], list[int]] = {}
    for sl in slices:
        key = _slice_key(sl)
        counts.add(key, sl.event_count)
        money.add(key, sl.amount_usd_cents, sensitive=is_suppressed(sl.event_count))
        along.setdefault((sl.month, sl.kind), {}).setdefault(sl.dimension, []).append(key)
        if sl.dimension == "region":
            sums = month_totals.setdefault((sl.month, sl.kind), [0, 0])
            sums[0] += sl.event_count
            sums[1] += sl.amount_usd_cents
        parts = cells.get((sl.month, sl.kind, sl.dimension, sl.value))
        if parts:
            counts.line(key, parts)
            money.line(key, parts)
    for (month, kind), by_dimension in along.items():
        total: tuple[Any, ...] = ("all", month, kind)
        count, cents = month_totals.get((month, kind), [0, 0])
        counts.add(total, count, published=False)
        money.add(total, cents, published=False)
        for keys in by_dimension.values():
            counts.line(total, keys)
            money.line(total, keys)


def _as_published(
    rollups: Sequence[Any], slices: Sequence[Any], funnel: Sequence[Any], shown: Published, dollars: Published
) -> Aggregates:
    """The rows of the aggregate files with what each figure shows."""
    return Aggregates(
        rollup=[
            {
                "month": _month(r.month),
                "region_code": r.region_code,
                "is_main_hub": r.is_main_hub,
                "kind": r.kind,
                "investor_origin": r.investor_origin,
                "sector_code": r.sector_code,
                "events": shown[key],
                "amount_usd": _amount(dollars[key]),
            }
            for r in rollups
            for key in [_rollup_key(r)]
        ],
        slices=[
            {
                "month": _month(sl.month),
                "kind": sl.kind,
                "dimension": sl.dimension,
                "value": sl.value,
                "events": shown[key],
                "amount_usd": _amount(dollars[key]),
            }
            for sl in slices
            for key in [_slice_key(sl)]
        ],
        funnel=[
            {
                "month": _month(f.month),
                "region_code": f.value,
                "step": STARTUP_STEPS[f.kind],
                "startups": shown[_slice_key(f)],
            }
            for f in funnel
        ],
    )


class OpenData:
    """One download or export: the head read first, the aggregates computed once for all their files."""

    def __init__(self, head: Head) -> None:
        self.head = head
        self._aggregates: Aggregates | None = None

    @property
    def aggregates(self) -> Aggregates:
        if self._aggregates is None:
            self._aggregates = published_aggregates()
        return self._aggregates


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: Sequence[str]
    records: Callable[[OpenData], Iterator[dict[str, Any]]]


DATASETS = (
    Dataset("events", EXPORT_COLUMNS, lambda data: event_records(data.head.event_count)),
    Dataset(
        "rollup",
        ("month", "region_code", "is_main_hub", "kind", "investor_origin", "sector_code", "events", "amount_usd"),
        lambda data: iter(data.aggregates.rollup),
    ),
    Dataset(
        "slices",
        ("month", "kind", "dimension", "value", "events", "amount_usd"),
        lambda data: iter(data.aggregates.slices),
    ),
    Dataset("funnel", ("month", "region_code", "step", "startups"), lambda data: iter(data.aggregates.funnel)),
)
DATASET_NAMES = {d.name: d for d in DATASETS}


def _csv_value(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def csv_chunks(columns: Sequence[str], records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """CSV text in chunks: a header, then rows; true/false for booleans and empty cells for null."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for n, record in enumerate(records, start=1):
        writer.writerow([_csv_value(record.get(c)) for c in columns])
        if n % 1000 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(records: Iterator[dict[str, Any]]) -> Iterator[str]:
    """A JSON array, one object per line, written as it is read so a million events need no memory."""
    yield "["
    for n, record in enumerate(records):
        yield ("," if n else "") + "\n" + json.dumps(record, ensure_ascii=False)
    yield "\n]\n"


def head_document(head: Head) -> dict[str, Any]:
    return {
        "event_count": head.event_count,
        "head_hash": head.head_hash,
        "tree_size": head.tree_size,
        "genesis_prev_hash": GENESIS_HASH,
        "hash": "sha256 over JSON of the public fields and prev_hash: sorted keys, no whitespace, UTF-8",
        "tree": "RFC 6962: leaf = sha256(0x00 || JSON of the public leaf), node = sha256(0x01 || left || right)",
        "log_key": log_key().verifier_key,
        "exported_at": format_time(utcnow()),
    }


EXPORT_README = """# Dealflow open data: the evidence ledger

events.csv / events.json   every ledger event, oldest first: public fields, prev_hash and hash
rollup.csv / rollup.json   counts and USD sums per month x region x kind x investor origin x sector
slices.csv / slices.json   the same per month x kind along one dimension (region, hub, origin, sector)
funnel.csv / funnel.json   startups first submitted and approved per month x region
head.json                  the number of events, the hash of the newest one, the tree size
checkpoint.txt             the log's signed checkpoint of this tree (C2SP signed note), with cosignatures
log-key.txt                the log's public key (a C2SP note verifier key)
verify.py                  checks the chain, the time order, the tree and the checkpoint's signature
witness.py                 what an independent witness runs on a schedule to cosign checkpoints

Verify: python3 verify.py            (events.json; or: python3 verify.py events.csv)
It prints the event count, the head hash and the tree root; compare them with the public page.
Signatures need the `cryptography` package (pip install cryptography); the rest is the standard library.
Also: python3 verify.py receipt RECEIPT.json   and   python3 verify.py consistency OLD.txt NEW.txt PROOF.json

The chain: each hash is SHA-256 over JSON of the event's fields plus "prev_hash" (all fields but
"hash"): keys sorted, no whitespace (separators "," and ":"), UTF-8, times in UTC as
YYYY-MM-DDTHH:MM:SSZ, amount_usd as a string with two decimals or null, booleans as true/false.
The first event's prev_hash is 64 zeros. In the CSV files empty cells are null.

Two kinds of event. v1 events (no "v" field) are the first chain, published whole as they always
were. v2 events ("v": 2) carry only what the figures are computed from: the day, the kind, the
region, main hub or not, the sector, domestic or foreign investor, and the amount only where both
sides agreed to publish it. Startups first submitted and approved (startup_submitted,
startup_approved) are events too, with no investor: their is_foreign is null and they have no
amount. The rest (stage, investor country and kind, exact time, an undisclosed
amount) stays with the operator, bound by "commitment" = SHA-256 over JSON of those fields and a
random salt: an auditor given one event's salt and fields can check them against its commitment.

The tree: RFC 6962 over the v2 events, leaf 0 first: {"event_count": N, "head_hash": H, "kind":
"v1_head", "v": 2}, which commits to the v1 chain as it ended; leaf i is the JSON of a v2 event's
fields without prev_hash and hash. v2 times never go back (verify.py checks the days).

What is hidden, and what is not:
- In the aggregate files (rollup, slices, funnel), counts of 1 or 2 are published as "<3".
  Within a month and a kind the slices of each dimension add up to the same total and each
  slice is the sum of its rollup cells; an integer linear programme over all these sums at once
  checks that no hidden 1 or 2 can be worked out, and more figures are published as "x" (hidden)
  until none can. A sum of money is "x" whenever its count is hidden, and wherever it could be
  worked out likewise. Sums of money hold published amounts only.
- Startups first submitted and approved are ledger events too (startup_submitted,
  startup_approved; no investor fields): funnel.* are their region slices, with an empty
  investor_origin in rollup.*.
- Figures of different periods (each month here; 12 months, 3 months, a year or all time on the
  dashboard) are sums of the same months and are not checked against one another: subtracting
  one from another can show a figure over the months in which they differ.
"""


def export_open_data(out: Path) -> Head:
    """Write the open data, a fresh signed checkpoint of it, the verifier and the witness to a directory."""
    out.mkdir(parents=True, exist_ok=True)
    checkpoint = checkpoints.issue_checkpoint()  # takes the head's lock: the head below is this tree's
    head = current_head()
    data = OpenData(head)
    for dataset in DATASETS:
        with (out / f"{dataset.name}.csv").open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(csv_chunks(dataset.columns, dataset.records(data)))
        with (out / f"{dataset.name}.json").open("w", encoding="utf-8") as handle:
            handle.writelines(json_chunks(dataset.records(data)))
    (out / "head.json").write_text(json.dumps(head_document(head), indent=2) + "\n", encoding="utf-8")
    (out / "checkpoint.txt").write_text(checkpoints.cosigned_note(checkpoint), encoding="utf-8")
    (out / "log-key.txt").write_text(log_key().verifier_key + "\n", encoding="utf-8")
    shutil.copyfile(VERIFIER, out / "verify.py")
    shutil.copyfile(WITNESS, out / "witness.py")
    (out / "README.md").write_text(EXPORT_README, encoding="utf-8")
    return head
