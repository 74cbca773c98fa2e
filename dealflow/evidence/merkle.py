"""RFC 6962 Merkle tree hashing and proofs, over any store of complete subtrees.

A stored node (level, index) is the hash of the perfect subtree of 2**level leaves starting at
leaf index * 2**level. Every range a proof needs splits into O(log n) such nodes, so a proof
asks the store once for a set of nodes (`needed_nodes`) and then folds them (`range_hash`).
The checking side of these proofs is in verify_export.py, the verifier shipped with the data.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

Node = tuple[int, int]  # (level, index)
Range = tuple[int, int]  # leaves [start, end)


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def split_point(size: int) -> int:
    """The largest power of two smaller than size (size > 1): where RFC 6962 splits a tree."""
    return 1 << ((size - 1).bit_length() - 1)


def nodes_completed_by(index: int, leaf: bytes, sibling_of: Mapping[Node, bytes]) -> list[tuple[Node, bytes]]:
    """The nodes that appending leaf `index` completes: the leaf itself, then each parent it closes.

    `sibling_of` holds the left siblings (level, index - 1) along the way; at most log2(n) of them.
    """
    completed = [((0, index), leaf)]
    level, position, current = 0, index, leaf
    while position % 2 == 1:
        current = node_hash(sibling_of[(level, position - 1)], current)
        level, position = level + 1, position // 2
        completed.append(((level, position), current))
    return completed


def left_siblings(index: int) -> list[Node]:
    """The stored nodes that `nodes_completed_by(index, …)` needs."""
    wanted, level, position = [], 0, index
    while position % 2 == 1:
        wanted.append((level, position - 1))
        level, position = level + 1, position // 2
    return wanted


def _is_stored(start: int, end: int) -> bool:
    size = end - start
    return size & (size - 1) == 0 and start % size == 0


def _as_node(start: int, end: int) -> Node:
    size = end - start
    return size.bit_length() - 1, start // size


def needed_nodes(ranges: Iterable[Range]) -> set[Node]:
    """The stored nodes whose hashes make up the given ranges."""
    wanted: set[Node] = set()
    pending = list(ranges)
    while pending:
        start, end = pending.pop()
        if _is_stored(start, end):
            wanted.add(_as_node(start, end))
        else:
            k = split_point(end - start)
            pending += [(start, start + k), (start + k, end)]
    return wanted


def range_hash(start: int, end: int, nodes: Mapping[Node, bytes]) -> bytes:
    """MTH(D[start:end]) from stored nodes (RFC 6962 section 2.1); the empty tree hashes to SHA-256('')."""
    if end == start:
        return hashlib.sha256(b"").digest()
    if _is_stored(start, end):
        return nodes[_as_node(start, end)]
    k = split_point(end - start)
    return node_hash(range_hash(start, start + k, nodes), range_hash(start + k, end, nodes))


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The subtrees whose hashes make the audit path of leaf `index` in a tree of `size` (RFC 6962 PATH), leaf first."""
    path: list[Range] = []
    start, end = 0, size
    while end - start > 1:
        k = split_point(end - start)
        if index < start + k:
            path.append((start + k, end))
            end = start + k
        else:
            path.append((start, start + k))
            start += k
    return path[::-1]


def consistency_ranges(old: int, new: int) -> list[Range]:
    """The subtrees whose hashes prove a tree of `old` leaves is a prefix of one of `new` (RFC 6962 SUBPROOF)."""
    if old <= 0 or old >= new:
        return []
    proof: list[Range] = []
    start, end, m, whole = 0, new, old, True
    while True:
        size = end - start
        if m == size:
            if not whole:
                proof.append((start, end))
            break
        k = split_point(size)
        if m <= k:
            proof.append((start + k, end))
            end = start + k
        else:
            proof.append((start, start + k))
            start, m, whole = start + k, m - k, False
    return proof[::-1]
