"""The evidence ledger's Merkle tree, its signed checkpoints and the witnesses that cosign them.

All four tables are append-only in the database (0010): a node, a checkpoint or a cosignature,
once written, is never changed, so a rewrite shows as a root that no longer matches.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from dealflow.models.base import Base, UTCDateTime, utcnow


class LedgerTreeNode(Base):
    """One complete subtree: the hash of leaves [index * 2**level, (index + 1) * 2**level), stored on append."""

    __tablename__ = "ledger_tree_node"

    level: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


class LedgerCheckpoint(Base):
    """A signed tree head in the C2SP signed-note format; one per tree size, never changed."""

    __tablename__ = "ledger_checkpoint"

    tree_size: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerWitness(Base):
    """An independent party whose cosignatures the page shows; admins register its public key."""

    __tablename__ = "ledger_witness"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    verifier_key: Mapped[str] = mapped_column(String(300), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class LedgerCosignature(Base):
    """A witness's cosignature/v1 on one checkpoint: it checked that checkpoint extends the last it signed."""

    __tablename__ = "ledger_cosignature"

    tree_size: Mapped[int] = mapped_column(ForeignKey("ledger_checkpoint.tree_size"), primary_key=True)
    witness_id: Mapped[int] = mapped_column(ForeignKey("ledger_witness.id"), primary_key=True)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    signature: Mapped[str] = mapped_column(String(120))  # base64(key id || timestamp || Ed25519 signature)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
