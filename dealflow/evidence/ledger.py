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
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from sqlalchemy import Connection, Result, Table, func, select

from dealflow.evidence import counters
from dealflow.evidence.privacy import Disclosure, Published, Shown, format_cents, is_hidden, is_suppressed
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
    Startup,
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
    origin = investor_origin(event.kind, bool(event.is_foreign))
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
    startup = intro.startup
    profile = intro.investor.investor_profile
    event = MatchEvent(
        kind=kind.value,
        region_code=startup.region_code,
        is_main_hub=startup.region_code in MAIN_HUB_CODES,
        sector_code=startup.sector_code,
        stage_code=startup.stage_code,
        investor_country=profile.country if profile else None,
        is_foreign=bool(profile and profile.is_foreign),
        investor_kind=profile.kind.value if profile and profile.kind else None,
        amount_usd=Decimal(amount_usd).quantize(CENT) if amount_usd is not None else None,
    )
    _chain(event, at)
    db.session.add(
        MatchEventLink(
            event_seq=event.seq,
            intro_request_id=intro.id,
            startup_id=startup.id,
            investor_id=intro.investor_id,
            progress_id=progress.id if progress else None,
        )
    )
    db.session.flush()
    return event


# -- startups submitted and approved: the funnel's first steps, in the ledger too (issue 13) -----

STARTUP_STEPS = {EventKind.STARTUP_SUBMITTED.value: "submitted", EventKind.STARTUP_APPROVED.value: "approved"}


def append_startup_step(kind: EventKind, startup: Startup, *, at: datetime | None = None) -> MatchEvent:
    """A startup first submitted or approved, chained like a match so the funnel is checkable: no investor."""
    if kind.value not in STARTUP_STEPS:
        raise ValueError(f"{kind} is not a startup step")
    event = MatchEvent(
        kind=kind.value,
        region_code=startup.region_code,
        is_main_hub=startup.region_code in MAIN_HUB_CODES,
        sector_code=startup.sector_code,
        stage_code=None,
        investor_country=None,
        is_foreign=False,
        investor_kind=None,
        amount_usd=None,
    )
    _chain(event, at)
    db.session.flush()
    return event


def investor_origin(kind: str, is_foreign: bool) -> str:
    """The origin a rollup counts an event under: none for a startup step, else domestic or foreign."""
    if kind in STARTUP_STEPS:
        return ""
    return FOREIGN if is_foreign else DOMESTIC


def _chain(event: MatchEvent, at: datetime | None) -> None:
    """Number the event after the head, hash it onto the chain, move the head and count it in the rollups."""
    moment = (at or utcnow()).astimezone(UTC).replace(microsecond=0)
    head = lock_head()
    event.seq = head.event_count + 1
    event.event_id = secrets.token_hex(16)
    event.occurred_at = moment
    event.prev_hash = head.head_hash
    event.hash = event_hash(public_fields(event), event.prev_hash)
    db.session.add(event)
    db.session.flush()
    head.event_count = event.seq
    head.head_hash = event.hash
    head.updated_at = moment
    _count(event)


# -- verifying -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChainReport:
    """What verification found: the count and head hash, or the first row that does not hold."""

    event_count: int
    head_hash: str
    broken_seq: int | None = None
    broken_event_id: str | None = None
    problem: str | None = None
    table: str | None = None  # a rollup table that does not hold what the events add up to, and its row
    row: str | None = None
    rollups_checked: bool = False

    @property
    def ok(self) -> bool:
        return self.problem is None

    def lines(self) -> list[str]:
        """The report as `flask ledger verify` prints it."""
        if self.ok:
            lines = [f"Ledger OK: {self.event_count} events, head hash {self.head_hash}"]
            if self.rollups_checked:
                lines.append(f"Rollups OK: {', '.join(ROLLUP_TABLES)} hold what the events add up to.")
            return lines
        if self.table is not None:
            return [
                f"Ledger BROKEN at {self.table} row ({self.row}): {self.problem}.",
                f"All {self.event_count} events verify (head hash {self.head_hash}); "
                "the table the dashboard reads does not match them.",
            ]
        if self.broken_seq is not None:
            where = f"event #{self.broken_seq} (event id {self.broken_event_id})"
        else:
            where = "the head row"
        return [
            f"Ledger BROKEN at {where}: {self.problem}.",
            f"The {self.event_count} events before it verify; the last good hash is {self.head_hash}.",
        ]


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


def _read_head() -> Head | None:
    head = db.session.get(LedgerHead, 1)
    return Head(head.event_count, head.head_hash) if head else None


def verify_chain(head: Head | None = None, tally: Tally | None = None) -> ChainReport:
    """Recompute every hash up to the head, in order, and check the links and the head's count and hash.

    The head is read first (or given), and only events up to its count are read: an append that
    commits during the scan adds rows after it, which this run neither needs nor trips over.
    With a `tally`, each event is also added to the rollups it should be in.
    """
    head = head if head is not None else _read_head()
    if head is None:
        return ChainReport(0, GENESIS_HASH, None, None, "the ledger has no head row")
    previous, count = GENESIS_HASH, 0
    with _event_rows(head.event_count) as rows:
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
            if tally is not None:
                tally.add(row)
            previous = row.hash
    if head.event_count != count or head.head_hash != previous:
        return ChainReport(count, previous, None, None, "the head row does not name the last event: rows are missing")
    return ChainReport(count, previous)


@contextmanager
def snapshot() -> Iterator[None]:
    """Run the reads inside in one consistent snapshot of the database, then end it.

    PostgreSQL: a REPEATABLE READ, read-only transaction (READ COMMITTED would let each statement
    see appends committed since the last). SQLite in WAL mode: a read transaction already is a
    snapshot. Where the session is already inside a transaction (the tests' outer one), that
    transaction is used as it is.
    """
    session = db.session()
    bind = session.get_bind()
    fresh = not session.in_transaction() and not (isinstance(bind, Connection) and bind.in_transaction())
    if fresh and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    try:
        yield
    finally:
        if fresh:
            session.rollback()


def verify_ledger(after_head: Callable[[Head], None] | None = None) -> ChainReport:
    """What `flask ledger verify` checks, in one snapshot: the chain, then the rollups against the events.

    The head is read first; the events up to it are hashed and, in the same pass, added up into
    the rollup, slice and day rows they should be in; those are compared with the tables the
    dashboard reads. `after_head` runs right after the head is read (the tests append there).
    """
    with snapshot():
        head = _read_head()
        if head is None:
            return ChainReport(0, GENESIS_HASH, None, None, "the ledger has no head row")
        if after_head is not None:
            after_head(head)
        tally = Tally()
        report = verify_chain(head, tally)
        if not report.ok:
            return report
        last = db.session.scalar(select(func.max(MatchEvent.seq))) or 0
        if last > head.event_count:
            problem = f"event #{last} exists after the event the head row names: the head row was changed"
            return ChainReport(report.event_count, report.head_hash, None, None, problem)
        mismatch = tally.compare()
        if mismatch is not None:
            table, row, problem = mismatch
            return ChainReport(report.event_count, report.head_hash, None, None, problem, table, row)
        return ChainReport(report.event_count, report.head_hash, rollups_checked=True)


ROLLUP_TABLES = ("ledger_rollup", "ledger_slice", "ledger_day")


class Tally:
    """The rollup, slice and day rows that the events add up to, rebuilt while the chain is checked.

    The same rows as `rollup_rows` (what appends add to), keyed as the tables are, built without
    the dictionaries so that a million events add seconds, not minutes, to `flask ledger verify`.
    """

    def __init__(self) -> None:
        self.rows: dict[str, dict[tuple[Any, ...], list[int]]] = {name: {} for name in ROLLUP_TABLES}

    def add(self, event: Any) -> None:
        at = event.occurred_at.astimezone(UTC)
        month, kind, main = date(at.year, at.month, 1), event.kind, bool(event.is_main_hub)
        origin = investor_origin(kind, bool(event.is_foreign))
        region, sector = event.region_code or "", event.sector_code or ""
        cents = amount_cents(event.amount_usd) if event.amount_usd is not None else 0
        rollup, slices, days = (self.rows[name] for name in ROLLUP_TABLES)
        for rows, key in (
            (rollup, (month, region, main, kind, origin, sector)),
            (slices, (month, kind, "region", region)),
            (slices, (month, kind, "hub", "main" if main else "other")),
            (slices, (month, kind, "origin", origin)),
            (slices, (month, kind, "sector", sector)),
        ):
            counted = rows.get(key)
            if counted is None:
                rows[key] = [1, cents]
            else:
                counted[0] += 1
                counted[1] += cents
        day = (at.date(), kind, main)
        days[day] = [days[day][0] + 1] if day in days else [1]

    def compare(self) -> tuple[str, str, str] | None:
        """The first table row (in key order) that differs from what the events add up to, if any."""
        for table, model, counted in _ROLLUPS:
            key_columns = _key_of(model)
            stored = {
                tuple(row[: len(key_columns)]): tuple(row[len(key_columns) :])
                for row in db.session.execute(select(*key_columns, *(getattr(model, c) for c in counted)))
            }
            rebuilt = {key: tuple(values) for key, values in self.rows[table].items()}
            zero = (0,) * len(counted)
            for key in sorted(set(stored) | set(rebuilt)):
                held, expected = stored.get(key, zero), rebuilt.get(key, zero)
                if held != expected:
                    row = ", ".join(f"{c.name} {_plain(v)}" for c, v in zip(key_columns, key, strict=True))
                    return table, row, f"it holds {_counted(held)} where the events add up to {_counted(expected)}"
        return None


_COUNTED = ("event_count", "amount_usd_cents")
_ROLLUPS: tuple[tuple[str, type[Base], tuple[str, ...]], ...] = (
    ("ledger_rollup", LedgerRollup, _COUNTED),
    ("ledger_slice", LedgerSlice, _COUNTED),
    ("ledger_day", LedgerDay, ("event_count",)),
)


def _plain(value: Any) -> str:
    return (
        value.isoformat()
        if hasattr(value, "isoformat")
        else str(value).lower()
        if isinstance(value, bool)
        else str(value)
    )


def _counted(values: Sequence[int]) -> str:
    """A row's counters in words: "2 events" or "2 events and $150000.00"."""
    words = f"{values[0]} event{'' if values[0] == 1 else 's'}"
    return words if len(values) == 1 else f"{words} and ${format_cents(values[1])}"


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
        db.session.execute(select(*_columns_of(model)).order_by(*_key_of(model))).all()
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
    Dataset("events", EVENT_COLUMNS, lambda data: event_records(data.head.event_count)),
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

What is hidden, and what is not:
- In the aggregate files (rollup, slices, funnel), counts of 1 or 2 are published as "<3".
  Within a month and a kind the slices of each dimension add up to the same total and each
  slice is the sum of its rollup cells; an integer linear programme over all these sums at once
  checks that no hidden 1 or 2 can be worked out, and more figures are published as "x" (hidden)
  until none can. A sum of money is "x" whenever its count is hidden, and wherever it could be
  worked out likewise. The public dashboard follows the same rules.
- Startups first submitted and approved are ledger events too (startup_submitted,
  startup_approved; no investor fields): funnel.* are their region slices.
- Figures of different periods (each month here; 12 months, 3 months, a year or all time on the
  dashboard) are sums of the same months and are not checked against one another: subtracting
  one from another can show a figure over the months in which they differ.
- events.csv / events.json are not counts: they list each event on its own, without names, so
  that anyone can recompute the chain. A single event in a region with few deals, and its
  amount, can be seen there.
"""


def export_open_data(out: Path) -> Head:
    """Write the open data and its verifier to a directory; events up to the head read first."""
    out.mkdir(parents=True, exist_ok=True)
    head = current_head()
    data = OpenData(head)
    for dataset in DATASETS:
        with (out / f"{dataset.name}.csv").open("w", encoding="utf-8", newline="") as handle:
            handle.writelines(csv_chunks(dataset.columns, dataset.records(data)))
        with (out / f"{dataset.name}.json").open("w", encoding="utf-8") as handle:
            handle.writelines(json_chunks(dataset.records(data)))
    (out / "head.json").write_text(json.dumps(head_document(head), indent=2) + "\n", encoding="utf-8")
    shutil.copyfile(VERIFIER, out / "verify.py")
    (out / "README.md").write_text(EXPORT_README, encoding="utf-8")
    return head
