"""What `flask ledger verify` checks, in one snapshot: chain, time, tree, checkpoints, rollups.

One pass over the events, oldest first, recomputes every chain hash, every v2 commitment and the
tree's leaves; the roots it gives at each checkpoint's size are compared with what the log signed,
and the stored tree with the recomputed one. The first thing that does not hold is named.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Result, func, select

from dealflow.evidence import tree
from dealflow.evidence.encoding import (
    EVENT_COLUMNS,
    GENESIS_HASH,
    LEAF_V1,
    anchor_document,
    canonical,
    commitment_of,
    event_hash,
    format_time,
    leaf_fields,
    public_fields,
)
from dealflow.evidence.ledger import Head
from dealflow.evidence.rollups import ROLLUP_TABLES, Tally
from dealflow.evidence.signing import log_key
from dealflow.evidence.verify_export import Broken, TreeBuilder, verify_checkpoint
from dealflow.extensions import db
from dealflow.models import LedgerCheckpoint, LedgerHead, MatchEvent

BATCH = 5000
ROW_COLUMNS = (*EVENT_COLUMNS, "leaf_version", "leaf_index", "amount_public", "salt", "commitment")


@dataclass(frozen=True)
class ChainReport:
    """What verification found: the count and head hash, or the first row or checkpoint that does not hold."""

    event_count: int
    head_hash: str
    broken_seq: int | None = None
    broken_event_id: str | None = None
    problem: str | None = None
    table: str | None = None  # a rollup table that does not hold what the events add up to, and its row
    row: str | None = None
    rollups_checked: bool = False
    place: str | None = None  # where else the problem is: "the head row", "the checkpoint of size 7", ...
    tree_size: int = 0
    checkpoints: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None

    def lines(self) -> list[str]:
        """The report as `flask ledger verify` prints it."""
        if self.ok:
            lines = [f"Ledger OK: {self.event_count} events, head hash {self.head_hash}"]
            if self.tree_size:
                lines.append(
                    f"Tree OK: {self.tree_size} leaves; {self.checkpoints} signed checkpoints match it; "
                    "times never go back."
                )
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
            where = self.place or "the head row"
        return [
            f"Ledger BROKEN at {where}: {self.problem}.",
            f"The {self.event_count} events before it verify; the last good hash is {self.head_hash}.",
        ]


@contextmanager
def event_rows(up_to: int | None = None) -> Iterator[Result[Any]]:
    """The events in order, fetched in batches (a server-side cursor on PostgreSQL), closed when done."""
    columns = [getattr(MatchEvent, name) for name in ROW_COLUMNS]
    query = select(*columns).order_by(MatchEvent.seq)
    if up_to is not None:
        query = query.where(MatchEvent.seq <= up_to)
    result = db.session.execute(query, execution_options={"yield_per": BATCH})
    try:
        yield result
    finally:
        result.close()


def read_head() -> Head | None:
    head = db.session.get(LedgerHead, 1)
    return Head(head.event_count, head.head_hash, head.tree_size) if head else None


class Pass:
    """The state of one pass over the events: the chain so far, the last time, the tree being rebuilt."""

    def __init__(self, signed: dict[int, bytes]) -> None:
        self.count, self.previous = 0, GENESIS_HASH
        self.last_time: datetime | None = None
        self.last_seq = 0
        self.tree: TreeBuilder | None = None
        self.signed = signed  # checkpoint size -> the root the log signed

    def problem_with(self, row: Any) -> str | None:
        """What is wrong with this row, given the ones before it (None if nothing)."""
        if row.seq != self.count:
            return f"expected event #{self.count} here: rows are missing"
        if row.prev_hash != self.previous:
            return "its prev_hash is not the hash of the event before it"
        if row.leaf_version == LEAF_V1:
            if self.tree is not None:
                return "a v1 event after the tree began"
            if event_hash(public_fields(row), row.prev_hash) != row.hash:
                return "its fields do not match its hash (the row was changed)"
            return None
        return self._leaf_problem(row)

    def _leaf_problem(self, row: Any) -> str | None:
        if self.tree is None:
            self.tree = TreeBuilder()
            self._grow(canonical(anchor_document(self.count - 1, self.previous)))
        if commitment_of(row) != row.commitment:
            return "its private fields (stage, investor, exact time or amount) do not match its commitment"
        fields = leaf_fields(row)
        if event_hash(fields, row.prev_hash) != row.hash:
            return "its fields do not match its hash (the row was changed)"
        if row.leaf_index != self.tree.size:
            return (
                f"it claims leaf {row.leaf_index} of the tree, where the events before it make it leaf {self.tree.size}"
            )
        if self.last_time is not None and row.occurred_at < self.last_time:
            return (
                f"its time {format_time(row.occurred_at)} is earlier than event #{self.last_seq}'s "
                f"{format_time(self.last_time)}: it was back-dated or reordered"
            )
        self.last_time, self.last_seq = row.occurred_at, row.seq
        return self._grow(canonical(fields))

    def _grow(self, data: bytes) -> str | None:
        assert self.tree is not None  # noqa: S101 -- set by the caller
        self.tree.add(data)
        signed = self.signed.get(self.tree.size)
        if signed is not None and signed != self.tree.root():
            return (
                f"the signed checkpoint of size {self.tree.size} has root {signed.hex()}, "
                f"the events give {self.tree.root().hex()}: history was rewritten after it was signed"
            )
        return None

    def tree_head(self) -> tuple[int, bytes]:
        if self.tree is None:
            self.tree = TreeBuilder()
            self._grow(canonical(anchor_document(self.count, self.previous)))
        return self.tree.size, self.tree.root()


def signed_roots() -> tuple[dict[int, bytes], str | None]:
    """Every checkpoint's signed root by size, once its signature checks out; or the first that does not."""
    key = log_key().verifier_key
    roots: dict[int, bytes] = {}
    for checkpoint in db.session.scalars(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size)):
        try:
            _, size, root = verify_checkpoint(checkpoint.note, key)
        except Broken as exc:
            return roots, f"the checkpoint of size {checkpoint.tree_size}: {exc}"
        if (size, root.hex()) != (checkpoint.tree_size, checkpoint.root_hash):
            return roots, f"the checkpoint of size {checkpoint.tree_size}: its row does not match its signed note"
        roots[size] = root
    return roots, None


def verify_chain(head: Head | None = None, tally: Tally | None = None) -> ChainReport:
    """Recompute every hash, commitment and leaf up to the head, in order, against the head and the checkpoints.

    The head is read first (or given), and only events up to its count are read: an append that
    commits during the scan adds rows after it, which this run neither needs nor trips over.
    With a `tally`, each event is also added to the rollups it should be in.
    """
    head = head if head is not None else read_head()
    if head is None:
        return ChainReport(0, GENESIS_HASH, problem="the ledger has no head row")
    signed, bad_checkpoint = signed_roots()
    if bad_checkpoint is not None:
        place, _, reason = bad_checkpoint.partition(": ")
        return ChainReport(0, GENESIS_HASH, problem=reason, place=place)
    state = Pass(signed)
    with event_rows(head.event_count) as rows:
        for row in rows:
            state.count += 1
            problem = state.problem_with(row)
            if problem:
                return ChainReport(state.count - 1, state.previous, row.seq, row.event_id, problem)
            if tally is not None:
                tally.add(row)
            state.previous = row.hash
    return _check_head(head, state)


def _check_head(head: Head, state: Pass) -> ChainReport:
    """The head row, the stored tree and the checkpoints beyond the events, against what the events give."""
    count, previous = state.count, state.previous
    if head.event_count != count or head.head_hash != previous:
        problem = (
            f"it names {head.event_count} events ending in {head.head_hash}, "
            f"but the events end at #{count} with hash {previous}: rows are missing"
        )
        return ChainReport(count, previous, problem=problem, place="the head row")
    size, root = state.tree_head()
    beyond = [s for s in state.signed if s > size]
    if beyond:
        problem = f"the log signed a tree of {beyond[0]} leaves, the events make {size}: events were deleted"
        return ChainReport(count, previous, problem=problem, place=f"the checkpoint of size {beyond[0]}")
    if head.tree_size and head.tree_size != size:
        problem = f"it names a tree of {head.tree_size} leaves, the events make {size}"
        return ChainReport(count, previous, problem=problem, place="the head row")
    if head.tree_size:
        try:
            stored = tree.root(size)
        except tree.TreeError as exc:
            return ChainReport(count, previous, problem=str(exc), place="the stored tree")
        if stored != root:
            problem = f"its root is {stored.hex()} where the events give {root.hex()}: proofs would not verify"
            return ChainReport(count, previous, problem=problem, place="the stored tree")
    return ChainReport(count, previous, tree_size=size if head.tree_size else 0, checkpoints=len(state.signed))


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
    """What `flask ledger verify` checks, in one snapshot: chain, time, tree and checkpoints, then the rollups.

    The head is read first; the events up to it are checked and, in the same pass, added up into
    the rollup, slice and day rows they should be in; those are compared with the tables the
    dashboard reads. `after_head` runs right after the head is read (the tests append there).
    """
    with snapshot():
        head = read_head()
        if head is None:
            return ChainReport(0, GENESIS_HASH, problem="the ledger has no head row")
        if after_head is not None:
            after_head(head)
        last = db.session.scalar(select(func.max(MatchEvent.seq))) or 0
        if last > head.event_count:
            problem = f"event #{last} exists after the event the head row names: the head row was changed"
            return ChainReport(head.event_count, head.head_hash, problem=problem, place="the head row")
        tally = Tally()
        report = verify_chain(head, tally)
        if not report.ok:
            return report
        mismatch = tally.compare()
        if mismatch is not None:
            table, row, problem = mismatch
            return ChainReport(report.event_count, report.head_hash, None, None, problem, table, row)
        return ChainReport(
            report.event_count,
            report.head_hash,
            rollups_checked=True,
            tree_size=report.tree_size,
            checkpoints=report.checkpoints,
        )
