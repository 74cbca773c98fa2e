"""Signed checkpoints of the tree (C2SP checkpoint notes), and the witnesses' cosignatures on them.

A checkpoint is issued after appends, batched: `issue_checkpoint_if_due()` signs one when the tree
grew and the last is at least LEDGER_CHECKPOINT_SECONDS old (the periodic job and the first reader
call it); `flask ledger checkpoint` signs one now. Each is kept for good in an append-only table.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import and_, func, select

from dealflow.evidence import ledger, tree
from dealflow.evidence.signing import log_key
from dealflow.evidence.verify_export import Broken, split_note, verify_cosignature
from dealflow.extensions import db
from dealflow.models import LedgerCheckpoint, LedgerCosignature, LedgerHead, LedgerWitness, utcnow


class CheckpointError(ValueError):
    """A request about checkpoints that cannot be met; the message says why (shown as JSON)."""


def checkpoint_text(origin: str, size: int, root: bytes) -> str:
    """The checkpoint body: origin, tree size and base64 root, one a line."""
    return f"{origin}\n{size}\n{base64.b64encode(root).decode()}\n"


def latest_checkpoint() -> LedgerCheckpoint | None:
    """The largest checkpoint signed so far (what witnesses and clients start from)."""
    return db.session.scalar(select(LedgerCheckpoint).order_by(LedgerCheckpoint.tree_size.desc()).limit(1))


def checkpoint_of_size(size: int) -> LedgerCheckpoint | None:
    """An earlier checkpoint, which a client compares with what it saved."""
    return db.session.get(LedgerCheckpoint, size)


def checkpoints_from(after: int, limit: int = 1000) -> list[LedgerCheckpoint]:
    """The checkpoints larger than `after`, oldest first: every one ever issued can be listed."""
    query = select(LedgerCheckpoint).where(LedgerCheckpoint.tree_size > after).order_by(LedgerCheckpoint.tree_size)
    return list(db.session.scalars(query.limit(limit)))


def issue_checkpoint() -> LedgerCheckpoint:
    """Sign the tree as it is now (under the head lock, so no append slips between root and size)."""
    head = ledger.lock_head()
    ledger.ensure_anchor(head)
    latest = latest_checkpoint()
    if latest is not None and latest.tree_size == head.tree_size:
        return latest
    key = log_key()
    root = tree.root(head.tree_size)
    checkpoint = LedgerCheckpoint(
        tree_size=head.tree_size,
        root_hash=root.hex(),
        note=key.sign_note(checkpoint_text(key.name, head.tree_size, root)),
        issued_at=utcnow(),
    )
    db.session.add(checkpoint)
    db.session.flush()
    return checkpoint


def issue_checkpoint_if_due(now: datetime | None = None) -> LedgerCheckpoint | None:
    """A new checkpoint if the tree grew and the last one is old enough; None if none is due."""
    latest = latest_checkpoint()
    head = db.session.get(LedgerHead, 1)
    size = head.tree_size if head is not None else 0
    if latest is not None and latest.tree_size >= size:
        return None
    interval = timedelta(seconds=current_app.config["LEDGER_CHECKPOINT_SECONDS"])
    if latest is not None and (now or utcnow()) - latest.issued_at < interval:
        return None
    return issue_checkpoint()


def register_witness(name: str, verifier_key: str) -> LedgerWitness:
    """Trust a witness's cosignature/v1 key (an admin's decision: the page lists whom it trusts)."""
    key_name = verifier_key.strip().split("+", 1)[0]
    if key_name != name:
        raise CheckpointError(f"the key is named {key_name!r}, not {name!r}")
    witness = LedgerWitness(name=name, verifier_key=verifier_key.strip())
    db.session.add(witness)
    db.session.flush()
    return witness


def add_cosignature(tree_size: int, signature_line: str) -> LedgerCosignature:
    """Keep a witness's cosignature on one checkpoint, once it verifies against a registered key."""
    checkpoint = checkpoint_of_size(tree_size)
    if checkpoint is None:
        raise CheckpointError(f"no checkpoint of size {tree_size}")
    text, _ = split_note(checkpoint.note)
    _, signatures = split_note(f"{text}\n{signature_line.strip()}\n")
    name, blob = signatures[0]
    witness = db.session.scalar(select(LedgerWitness).where(LedgerWitness.name == name))
    if witness is None:
        raise CheckpointError(f"{name!r} is not a registered witness")
    try:
        timestamp = verify_cosignature(text, witness.verifier_key, blob)
    except Broken as exc:
        raise CheckpointError(str(exc)) from exc
    existing = db.session.get(LedgerCosignature, (tree_size, witness.id))
    if existing is not None:
        return existing
    cosignature = LedgerCosignature(
        tree_size=tree_size,
        witness_id=witness.id,
        signed_at=datetime.fromtimestamp(timestamp, UTC),
        signature=base64.b64encode(blob).decode(),
    )
    db.session.add(cosignature)
    db.session.flush()
    return cosignature


@dataclass(frozen=True)
class Cosigned:
    """One witness's latest word, as the page shows it: the size it cosigned and when."""

    name: str
    tree_size: int | None
    signed_at: datetime | None


def witness_status() -> list[Cosigned]:
    """Every registered witness with the largest checkpoint it cosigned (None if none yet), in one query."""
    last = (
        select(LedgerCosignature.witness_id, func.max(LedgerCosignature.tree_size).label("size"))
        .group_by(LedgerCosignature.witness_id)
        .subquery()
    )
    query = (
        select(LedgerWitness.name, last.c.size, LedgerCosignature.signed_at)
        .outerjoin(last, last.c.witness_id == LedgerWitness.id)
        .outerjoin(
            LedgerCosignature,
            and_(LedgerCosignature.witness_id == LedgerWitness.id, LedgerCosignature.tree_size == last.c.size),
        )
        .order_by(LedgerWitness.name)
    )
    return [Cosigned(name, size, signed_at) for name, size, signed_at in db.session.execute(query)]


def cosigned_note(checkpoint: LedgerCheckpoint) -> str:
    """The checkpoint with every stored cosignature appended below the log's signature, as clients fetch it."""
    lines = [
        f"\u2014 {witness.name} {cosignature.signature}"
        for cosignature, witness in db.session.execute(
            select(LedgerCosignature, LedgerWitness)
            .join(LedgerWitness, LedgerWitness.id == LedgerCosignature.witness_id)
            .where(LedgerCosignature.tree_size == checkpoint.tree_size)
            .order_by(LedgerWitness.name)
        )
    ]
    return checkpoint.note + "".join(line + "\n" for line in lines)


@dataclass(frozen=True)
class LogSummary:
    """What the public page says about the log: its name and key, the latest checkpoint, its witnesses."""

    origin: str
    verifier_key: str
    latest: LedgerCheckpoint | None
    witnesses: list[Cosigned]


def log_summary() -> LogSummary:
    """The page's log section, read only (checkpoints are signed by the job, the CLI or /evidence/checkpoint)."""
    key = log_key()
    return LogSummary(key.name, key.verifier_key, latest_checkpoint(), witness_status())
