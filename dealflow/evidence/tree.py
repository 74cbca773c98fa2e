"""The Merkle tree in the database: each append stores the complete subtrees it closes (O(log n) rows).

Roots and proofs read only the O(log n) stored nodes they need, in one query, so they cost the
same at a million leaves as at ten. The hashing and the proof shapes are in merkle.py.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import insert, select, union_all

from dealflow.evidence import merkle
from dealflow.extensions import db
from dealflow.models import LedgerTreeNode


class TreeError(RuntimeError):
    """The stored tree lacks a node it should have (it was tampered with, or never built)."""


def fetch_nodes(wanted: set[merkle.Node]) -> dict[merkle.Node, bytes]:
    """The stored hashes of these nodes, in one query; TreeError naming the first one missing.

    One `level = L AND index IN (…)` branch per level, joined by UNION ALL: each is a primary-key probe on
    both databases (an OR of the branches makes SQLite scan the table; IN × IN makes PostgreSQL probe every pair).
    """
    if not wanted:
        return {}
    by_level: dict[int, list[int]] = defaultdict(list)
    for level, index in wanted:
        by_level[level].append(index)
    columns = (LedgerTreeNode.level, LedgerTreeNode.index, LedgerTreeNode.hash)
    branches = [
        select(*columns).where(LedgerTreeNode.level == level, LedgerTreeNode.index.in_(indexes))
        for level, indexes in sorted(by_level.items())
    ]
    query = branches[0] if len(branches) == 1 else union_all(*branches)
    found = {(level, index): bytes.fromhex(value) for level, index, value in db.session.execute(query)}
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
