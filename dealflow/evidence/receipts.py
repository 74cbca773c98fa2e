"""Receipts: each side of a match sees its events in the ledger and can take away proof that they were logged.

A receipt holds the event's public leaf, its inclusion proof and the signed checkpoint it leads to,
and, for the two sides only, the committed fields with their salt; verify.py checks it offline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from dealflow.evidence import checkpoints, tree
from dealflow.evidence.encoding import LEAF_V2, committed_fields, leaf_fields
from dealflow.evidence.signing import log_key
from dealflow.extensions import db
from dealflow.models import MatchEvent, MatchEventLink

RECEIPT_FORMAT = "dealflow-receipt/v1"


@dataclass(frozen=True)
class LoggedEvent:
    """One line of a match page's ledger section: what was logged, when, and whether it has a receipt."""

    seq: int
    kind: str
    occurred_at: datetime
    has_receipt: bool


def events_of_intro(intro_id: int) -> list[LoggedEvent]:
    """The ledger events of one intro, oldest first (v1 events, before the tree, have no receipt)."""
    query = (
        select(MatchEvent.seq, MatchEvent.kind, MatchEvent.occurred_at, MatchEvent.leaf_version)
        .join(MatchEventLink, MatchEventLink.event_seq == MatchEvent.seq)
        .where(MatchEventLink.intro_request_id == intro_id)
        .order_by(MatchEvent.seq)
    )
    return [LoggedEvent(seq, kind, at, version == LEAF_V2) for seq, kind, at, version in db.session.execute(query)]


def event_of_intro(intro_id: int, seq: int) -> MatchEvent | None:
    """The event, if it belongs to this intro (the caller has checked the user is one of its two sides)."""
    link = db.session.get(MatchEventLink, seq)
    if link is None or link.intro_request_id != intro_id:
        return None
    return db.session.get(MatchEvent, seq)


def receipt_for(event: MatchEvent) -> dict[str, Any]:
    """The receipt document; signs a checkpoint first if none covers the event yet."""
    if event.leaf_index is None:
        raise ValueError("a v1 event is not in the tree")
    latest = checkpoints.latest_checkpoint()
    if latest is None or latest.tree_size <= event.leaf_index:
        latest = checkpoints.issue_checkpoint()
    proof = tree.inclusion_proof(event.leaf_index, latest.tree_size)
    return {
        "format": RECEIPT_FORMAT,
        "leaf": leaf_fields(event),
        "leaf_index": event.leaf_index,
        "tree_size": latest.tree_size,
        "inclusion_proof": [p.hex() for p in proof],
        "checkpoint": checkpoints.cosigned_note(latest),
        "log_key": log_key().verifier_key,
        "committed": committed_fields(event),
        "check": "python3 verify.py receipt THIS_FILE (verify.py comes with the open data)",
    }
