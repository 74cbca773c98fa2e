"""The Merkle tree in the database: each append stores the complete subtrees it closes (O(log n) rows).

Roots and proofs read only the O(log n) stored nodes they need, in one query, so they cost the
same at a million leaves as at ten. The hashing and the proof shapes are in merkle.py.
"""

from __future__ import annotations

from sqlalchemy import insert, select

from dealflow.evidence import merkle
from dealflow.extensions import db
from dealflow.models import LedgerTreeNode


class TreeError(RuntimeError):
    """The stored tree lacks a node it should have (it was tampered with, or never built)."""


def fetch_nodes(wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of these nodes, in one query; TreeError naming the first one missing.

    `level IN (…) AND index IN (…)` is answered from the primary key on both databases (a probe per pair,
    where an OR of pairs makes SQLite scan the table); the few extra pairs it returns are dropped here.
    """
    if not wanted:
        return {}
    levels = sorted({level for level, _ in wanted})
    indexes = sorted({index for _, index in wanted})
    rows = db.session.execute(
        select(LedgerTreeNode.level, LedgerTreeNode.index, LedgerTreeNode.hash).where(
            LedgerTreeNode.level.in_(levels), LedgerTreeNode.index.in_(indexes)
        )
    )
    found = {(level, index): bytes.fromhex(value) for level, index, value in rows if (level, index) in wanted}
    missing = sorted(wanted - found.keys())
    if missing:
        level, index = missing[0]
        raise TreeError(f"the tree has no node at level {level}, index {index}")
    return found


def add_leaf(index: int, data: bytes) -> bytes:
    """Store leaf `index` and every subtree it completes; returns the leaf hash. Called under the head lock."""
    siblings = fetch_nodes(set(merkle.left_siblings(index)))
    completed = merkle.nodes_completed_by(index, merkle.leaf_hash(data), siblings)
    db.session.execute(
        insert(LedgerTreeNode),
        [{"level": level, "index": position, "hash": value.hex()} for (level, position), value in completed],
    )
    return completed[0][1]


def root(size: int) -> bytes:
    return merkle.range_hash(0, size, fetch_nodes(merkle.needed_nodes([(0, size)])))


def _hashes(ranges: list[merkle.Range]) -> list[bytes]:
    nodes = fetch_nodes(merkle.needed_nodes(ranges))
    return [merkle.range_hash(start, end, nodes) for start, end in ranges]


def inclusion_proof(index: int, size: int) -> list[bytes]:
    return _hashes(merkle.inclusion_ranges(index, size))


def consistency_proof(old: int, new: int) -> list[bytes]:
    return _hashes(merkle.consistency_ranges(old, new))
