"""Appending to the evidence ledger: one event at a time, chained, added to the Merkle tree, counted.

Every append takes the head row's lock, so events get consecutive numbers, each chains to the one
before, each takes the next leaf of the tree and its time is never earlier than the previous
event's (the time is the append's own: no caller can date an event). The encoding is in
encoding.py, the tree in tree.py, checkpoints in checkpoints.py, verification in verification.py.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from flask import current_app
from sqlalchemy import select

from dealflow.evidence import rollups, tree
from dealflow.evidence.encoding import (
    GENESIS_HASH,
    LEAF_V2,
    anchor_document,
    canonical,
    chained_fields,
    commitment_of,
    event_hash,
    leaf_data,
)
from dealflow.extensions import db
from dealflow.models import IntroRequest, LedgerHead, MatchEvent, MatchEventLink, MatchProgress, Startup, utcnow
from dealflow.money import to_cents
from dealflow.reference.data import MAIN_HUB_CODES


@dataclass(frozen=True)
class Head:
    event_count: int
    head_hash: str
    tree_size: int = 0


def current_head() -> Head:
    """The newest event's number and hash, as the dashboard shows them (one primary-key read)."""
    head = db.session.get(LedgerHead, 1)
    return Head(head.event_count, head.head_hash, head.tree_size) if head else Head(0, GENESIS_HASH)


def lock_head() -> LedgerHead:
    """The head row, locked until this transaction ends, so appends happen strictly one after another.

    PostgreSQL: SELECT … FOR UPDATE, and a waiting append reads the head its predecessor left.
    SQLite: a writing request already holds the database's write lock (BEGIN IMMEDIATE); elsewhere
    a stale read cannot be written back (SQLite refuses the upgrade), and on both databases the
    unique prev_hash and leaf_index refuse a second successor of the same event.
    """
    head = db.session.scalar(
        select(LedgerHead).where(LedgerHead.id == 1).with_for_update().execution_options(populate_existing=True)
    )
    if head is None:
        raise RuntimeError("the ledger has no head row: run `flask db upgrade`")
    return head


def ensure_anchor(head: LedgerHead) -> None:
    """Start the tree, if it has not started, with the leaf that commits to the v1 chain's head as it is now."""
    if head.tree_size == 0:
        tree.add_leaf(0, canonical(anchor_document(head.event_count, head.head_hash)))
        head.tree_size = 1


_simulated_now: ContextVar[datetime | None] = ContextVar("ledger_simulated_now", default=None)


@contextmanager
def simulated_clock(at: datetime) -> Iterator[None]:
    """The demo's 18 months of history, appended oldest first as if at `at`; refused in production.

    Not an argument of `append`: no caller can date an event, and times still never decrease.
    """
    if current_app.config.get("ENV_NAME") == "production":
        raise RuntimeError("the ledger's clock is never simulated in production")
    token = _simulated_now.set(at)
    try:
        yield
    finally:
        _simulated_now.reset(token)


def append_time(head: LedgerHead) -> datetime:
    """Now, in whole seconds, or the previous event's time if the clock went back: time never decreases."""
    now = (_simulated_now.get() or utcnow()).astimezone(UTC).replace(microsecond=0)
    return max(now, head.updated_at) if head.updated_at is not None else now


def append(
    kind: str,
    intro: IntroRequest | None = None,
    *,
    startup: Startup | None = None,
    progress: MatchProgress | None = None,
    amount_usd: Decimal | None = None,
    amount_public: bool = False,
) -> MatchEvent:
    """Add one event with snapshots taken now: chained to the head, a leaf of the tree, counted in the rollups.

    About an intro (its startup and investor), or about a startup alone (`startup=`, no investor).
    The amount is published only with `amount_public` (both sides agreed); otherwise it is committed.
    """
    head = lock_head()
    ensure_anchor(head)
    about = intro.startup if intro is not None else startup
    if about is None:
        raise ValueError("an event is about an intro or a startup")
    profile = intro.investor.investor_profile if intro is not None else None
    event = MatchEvent(
        seq=head.event_count + 1,
        event_id=secrets.token_hex(16),
        occurred_at=append_time(head),
        kind=str(kind),
        region_code=about.region_code,
        is_main_hub=about.region_code in MAIN_HUB_CODES,
        sector_code=about.sector_code,
        stage_code=about.stage_code,
        investor_country=profile.country if profile else None,
        is_foreign=bool(profile and profile.is_foreign),
        investor_kind=profile.kind.value if profile and profile.kind else None,
        amount_usd=to_cents(amount_usd) if amount_usd is not None else None,
        amount_public=bool(amount_public and amount_usd is not None),
        leaf_version=LEAF_V2,
        leaf_index=head.tree_size,
        salt=secrets.token_hex(16),
        prev_hash=head.head_hash,
    )
    event.commitment = commitment_of(event)
    event.hash = event_hash(chained_fields(event), event.prev_hash)
    db.session.add(event)
    db.session.flush()
    tree.add_leaf(head.tree_size, leaf_data(event))
    if intro is not None:
        db.session.add(
            MatchEventLink(
                event_seq=event.seq,
                intro_request_id=intro.id,
                startup_id=about.id,
                investor_id=intro.investor_id,
                progress_id=progress.id if progress else None,
            )
        )
    head.event_count = event.seq
    head.head_hash = event.hash
    head.tree_size += 1
    head.updated_at = event.occurred_at
    rollups.count_event(event)
    db.session.flush()
    return event
