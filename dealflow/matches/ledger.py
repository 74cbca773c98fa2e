"""The evidence ledger: appending one event at a time to a SHA-256 chain, verifying it, exporting it.

Each event's hash is SHA-256 over the canonical encoding of its public fields and the previous
event's hash: JSON with sorted keys, no whitespace, UTF-8, times in UTC as
"YYYY-MM-DDTHH:MM:SSZ", amounts as strings with two decimals, absent values as null. The
README documents it, and verify_export.py checks an export with the standard library alone.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import secrets
import shutil
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Result, Table, select

from dealflow.evidence import counters
from dealflow.evidence.privacy import shown_amount, shown_count
from dealflow.extensions import db
from dealflow.models import (
    Base,
    EventKind,
    IntroRequest,
    LedgerDay,
    LedgerHead,
    LedgerRollup,
    LedgerSlice,
    MatchEvent,
    MatchEventLink,
    MatchProgress,
    StartupFunnel,
    utcnow,
)
from dealflow.reference.data import MAIN_HUB_CODES

GENESIS_HASH = "0" * 64
PUBLIC_FIELDS = (
    "seq",
    "event_id",
    "occurred_at",
    "kind",
    "region_code",
    "is_main_hub",
    "sector_code",
    "stage_code",
    "investor_country",
    "is_foreign",
    "investor_kind",
    "amount_usd",
)
EVENT_COLUMNS = (*PUBLIC_FIELDS, "prev_hash", "hash")
DOMESTIC, FOREIGN = "domestic", "foreign"
DIMENSIONS = ("region", "hub", "origin", "sector")
CENT = Decimal("0.01")
VERIFIER = Path(__file__).with_name("verify_export.py")
BATCH = 5000


# -- the canonical encoding ------------------------------------------------------------------


def format_time(moment: datetime) -> str:
    """A moment as the ledger writes it: UTC, whole seconds, ISO 8601 with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_amount(amount: Decimal | None) -> str | None:
    """An amount as the ledger writes it: a string with two decimals, so no float ever rounds it."""
    return None if amount is None else f"{Decimal(amount).quantize(CENT):f}"


def public_fields(event: Any) -> dict[str, Any]:
    """The hashed fields of an event (a MatchEvent or a row with the same columns), encoded."""
    return {
        "seq": int(event.seq),
        "event_id": event.event_id,
        "occurred_at": format_time(event.occurred_at),
        "kind": event.kind,
        "region_code": event.region_code,
        "is_main_hub": bool(event.is_main_hub),
        "sector_code": event.sector_code,
        "stage_code": event.stage_code,
        "investor_country": event.investor_country,
        "is_foreign": bool(event.is_foreign),
        "investor_kind": event.investor_kind,
        "amount_usd": format_amount(event.amount_usd),
    }


def canonical_bytes(fields: Mapping[str, Any], prev_hash: str) -> bytes:
    """What is hashed: the public fields and the previous hash, as sorted, compact JSON in UTF-8."""
    document = {**fields, "prev_hash": prev_hash}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical_bytes(fields, prev_hash)).hexdigest()


# -- rollups ---------------------------------------------------------------------------------


def amount_cents(amount: Decimal | None) -> int:
    return 0 if amount is None else int(Decimal(amount).quantize(CENT) * 100)


@dataclass(frozen=True)
class RollupRows:
    """The counter rows one event adds to; the bench's bulk seeder builds them the same way."""

    rollup: dict[str, Any]
    slices: list[dict[str, Any]]
    day: dict[str, Any]


def rollup_rows(event: Any) -> RollupRows:
    """The rollup, slice and day rows (with this event's count and cents) an event adds to."""
    month = counters.month_of(event.occurred_at)
    origin = FOREIGN if event.is_foreign else DOMESTIC
    cents = amount_cents(event.amount_usd)
    region, sector = event.region_code or "", event.sector_code or ""
    values = {"region": region, "hub": "main" if event.is_main_hub else "other", "origin": origin, "sector": sector}
    return RollupRows(
        rollup={
            "month": month,
            "region_code": region,
            "is_main_hub": bool(event.is_main_hub),
            "kind": event.kind,
            "investor_origin": origin,
            "sector_code": sector,
            "event_count": 1,
            "amount_usd_cents": cents,
        },
        slices=[
            {
                "month": month,
                "kind": event.kind,
                "dimension": dimension,
                "value": values[dimension],
                "event_count": 1,
                "amount_usd_cents": cents,
            }
            for dimension in DIMENSIONS
        ],
        day={
            "day": counters.day_of(event.occurred_at),
            "kind": event.kind,
            "is_main_hub": bool(event.is_main_hub),
            "event_count": 1,
        },
    )


def _count(event: MatchEvent) -> None:
    rows = rollup_rows(event)
    counters.add_to(LedgerRollup, [rows.rollup], ["event_count", "amount_usd_cents"])
    counters.add_to(LedgerSlice, rows.slices, ["event_count", "amount_usd_cents"])
    counters.add_to(LedgerDay, [rows.day], ["event_count"])


# -- appending -------------------------------------------------------------------------------


def lock_head() -> LedgerHead:
    """The head row, locked until this transaction ends, so appends happen strictly one after another.

    PostgreSQL: SELECT … FOR UPDATE, and a waiting append reads the head its predecessor left.
    SQLite: a writing request already holds the database's write lock (BEGIN IMMEDIATE); elsewhere
    a stale read cannot be written back (SQLite refuses the upgrade), and on both databases the
    unique prev_hash refuses a second successor of the same event.
    """
    head = db.session.scalar(
        select(LedgerHead).where(LedgerHead.id == 1).with_for_update().execution_options(populate_existing=True)
    )
    if head is None:
        raise RuntimeError("the ledger has no head row: run `flask db upgrade`")
    return head


def append(
    kind: EventKind,
    intro: IntroRequest,
    *,
    progress: MatchProgress | None = None,
    amount_usd: Decimal | None = None,
    at: datetime | None = None,
) -> MatchEvent:
    """Add one event with snapshots taken now, chain it to the head, and count it in the rollups."""
    moment = (at or utcnow()).astimezone(UTC).replace(microsecond=0)
    head = lock_head()
    startup = intro.startup
    profile = intro.investor.investor_profile
    country = profile.country if profile else None
    event = MatchEvent(
        seq=head.event_count + 1,
        event_id=secrets.token_hex(16),
        occurred_at=moment,
        kind=kind.value,
        region_code=startup.region_code,
        is_main_hub=startup.region_code in MAIN_HUB_CODES,
        sector_code=startup.sector_code,
        stage_code=startup.stage_code,
        investor_country=country,
        is_foreign=bool(profile and profile.is_foreign),
        investor_kind=profile.kind.value if profile and profile.kind else None,
        amount_usd=Decimal(amount_usd).quantize(CENT) if amount_usd is not None else None,
        prev_hash=head.head_hash,
    )
    event.hash = event_hash(public_fields(event), event.prev_hash)
    db.session.add(event)
    db.session.flush()
    db.session.add(
        MatchEventLink(
            event_seq=event.seq,
            intro_request_id=intro.id,
            startup_id=startup.id,
            investor_id=intro.investor_id,
            progress_id=progress.id if progress else None,
        )
    )
    head.event_count = event.seq
    head.head_hash = event.hash
    head.updated_at = moment
    _count(event)
    db.session.flush()
    return event


# -- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """What verification found: the count and head hash, or the first row that does not hold."""

    event_count: int
    head_hash: str
    broken_seq: int | None = None
    broken_event_id: str | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


@contextmanager
def _event_rows(up_to: int | None = None) -> Iterator[Result[Any]]:
    """The events in order, fetched in batches (a server-side cursor on PostgreSQL), closed when done."""
    columns = [getattr(MatchEvent, name) for name in EVENT_COLUMNS]
    query = select(*columns).order_by(MatchEvent.seq)
    if up_to is not None:
        query = query.where(MatchEvent.seq <= up_to)
    result = db.session.execute(query, execution_options={"yield_per": BATCH})
    try:
        yield result
    finally:
        result.close()


def verify_chain() -> ChainReport:
    """Recompute every hash from the stored fields, in order, and check the links and the head row."""
    previous, count = GENESIS_HASH, 0
    with _event_rows() as rows:
        for row in rows:
            count += 1
            problem = None
            if row.seq != count:
                problem = f"expected event #{count} here: rows are missing"
            elif row.prev_hash != previous:
                problem = "its prev_hash is not the hash of the event before it"
            elif event_hash(public_fields(row), row.prev_hash) != row.hash:
                problem = "its fields do not match its hash (the row was changed)"
            if problem:
                return ChainReport(count - 1, previous, row.seq, row.event_id, problem)
            previous = row.hash
    head = db.session.get(LedgerHead, 1)
    if head is None or head.event_count != count or head.head_hash != previous:
        return ChainReport(count, previous, None, None, "the head row does not name the last event: rows are missing")
    return ChainReport(count, previous)


# -- the open data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Head:
    event_count: int
    head_hash: str


def current_head() -> Head:
    """The newest event's number and hash, as the dashboard shows them (one primary-key read)."""
    head = db.session.get(LedgerHead, 1)
    return Head(head.event_count, head.head_hash) if head else Head(0, GENESIS_HASH)


def event_records(up_to: int) -> Iterator[dict[str, Any]]:
    """The published events, oldest first: public fields, prev_hash and hash; nothing about people."""
    with _event_rows(up_to) as rows:
        for row in rows:
            yield {**public_fields(row), "prev_hash": row.prev_hash, "hash": row.hash}


def _key_of(model: type[Base]) -> list[Any]:
    return list(cast(Table, model.__table__).primary_key.columns)


def rollup_records() -> Iterator[dict[str, Any]]:
    """Month × region × kind × origin × sector, with small counts suppressed."""
    query = select(LedgerRollup).order_by(*_key_of(LedgerRollup))
    for r in db.session.scalars(query, execution_options={"yield_per": BATCH}):
        yield {
            "month": r.month.isoformat()[:7],
            "region_code": r.region_code,
            "is_main_hub": r.is_main_hub,
            "kind": r.kind,
            "investor_origin": r.investor_origin,
            "sector_code": r.sector_code,
            "events": shown_count(r.event_count),
            "amount_usd": shown_amount(r.event_count, r.amount_usd_cents) if r.amount_usd_cents else None,
        }


def slice_records() -> Iterator[dict[str, Any]]:
    """Month × kind along one dimension at a time, as the dashboard reads them, small counts suppressed."""
    query = select(LedgerSlice).order_by(*_key_of(LedgerSlice))
    for s in db.session.scalars(query, execution_options={"yield_per": BATCH}):
        yield {
            "month": s.month.isoformat()[:7],
            "kind": s.kind,
            "dimension": s.dimension,
            "value": s.value,
            "events": shown_count(s.event_count),
            "amount_usd": shown_amount(s.event_count, s.amount_usd_cents) if s.amount_usd_cents else None,
        }


def funnel_records() -> Iterator[dict[str, Any]]:
    """Startups first submitted and approved per month × region, small counts suppressed."""
    query = select(StartupFunnel).order_by(*_key_of(StartupFunnel))
    for f in db.session.scalars(query):
        yield {
            "month": f.month.isoformat()[:7],
            "region_code": f.region_code,
            "step": f.step,
            "startups": shown_count(f.startup_count),
        }


@dataclass(frozen=True)
class Dataset:
    name: str
    columns: Sequence[str]
    records: Callable[[Head], Iterator[dict[str, Any]]]


DATASETS = (
    Dataset("events", EVENT_COLUMNS, lambda head: event_records(head.event_count)),
    Dataset(
        "rollup",
        ("month", "region_code", "is_main_hub", "kind", "investor_origin", "sector_code", "events", "amount_usd"),
        lambda _head: rollup_records(),
    ),
    Dataset("slices", ("month", "kind", "dimension", "value", "events", "amount_usd"), lambda _head: slice_records()),
    Dataset("funnel", ("month", "region_code", "step", "startups"), lambda _head: funnel_records()),
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
        writer.writerow([_csv_value(record[c]) for c in columns])
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
        "genesis_prev_hash": GENESIS_HASH,
        "hash": "sha256 over JSON of the public fields and prev_hash: sorted keys, no whitespace, UTF-8",
        "exported_at": format_time(utcnow()),
    }


EXPORT_README = """# Dealflow open data: the evidence ledger

events.csv / events.json   every ledger event, oldest first: public fields, prev_hash and hash
rollup.csv / rollup.json   counts and USD sums per month x region x kind x investor origin x sector
slices.csv / slices.json   the same per month x kind along one dimension (region, hub, origin, sector)
funnel.csv / funnel.json   startups first submitted and approved per month x region
head.json                  the number of events and the hash of the newest one
verify.py                  recomputes the whole chain with the Python standard library

Verify: python3 verify.py            (events.json; or: python3 verify.py events.csv)
It prints the event count and the head hash; compare them with the public dashboard.

Each hash is SHA-256 over JSON of the event's public fields plus "prev_hash" (all fields but
"hash"): keys sorted, no whitespace (separators "," and ":"), UTF-8, times in UTC as
YYYY-MM-DDTHH:MM:SSZ, amount_usd as a string with two decimals or null, booleans as true/false.
The first event's prev_hash is 64 zeros. In the CSV files empty cells are null.
Counts of 1 or 2 in the aggregates are published as "<3", with their sums left empty.
"""


def export_open_data(out: Path) -> Head:
    """Write the open data and its verifier to a directory; events up to the head read first."""
    out.mkdir(parents=True, exist_ok=True)
    head = current_head()
    for dataset in DATASETS:
        with (out / f"{dataset.name}.csv").open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(csv_chunks(dataset.columns, dataset.records(head)))
        with (out / f"{dataset.name}.json").open("w", encoding="utf-8") as handle:
            handle.writelines(json_chunks(dataset.records(head)))
    (out / "head.json").write_text(json.dumps(head_document(head), indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(VERIFIER, out / "verify.py")
    (out / "README.md").write_text(EXPORT_README, encoding="utf-8")
    return head
