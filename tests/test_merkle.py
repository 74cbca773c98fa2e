"""RFC 6962 hashing and proofs: the published test vectors, and every proof for random trees (Hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealflow.evidence import merkle
from dealflow.evidence.verify_export import Broken, TreeBuilder, check_consistency, root_from_inclusion

# transparency-dev/merkle testdata (the RFC 6962 reference leaves and roots, as the Go and C++ CT code test them)
LEAVES = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
EMPTY_ROOT = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
INCLUSION = [  # (leaf index, tree size, audit path)
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip
CONSISTENCY = [  # (old size, new size, proof)
    (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]),
    (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]),
    (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]),
]  # fmt: skip


def stored_nodes(leaves: list[bytes]) -> dict[merkle.Node, bytes]:
    """Every node appends store, built the way the ledger builds them, one leaf at a time."""
    nodes: dict[merkle.Node, bytes] = {}
    for index, data in enumerate(leaves):
        for node, value in merkle.nodes_completed_by(index, merkle.leaf_hash(data), nodes):
            nodes[node] = value
    return nodes


def proof(ranges: list[merkle.Range], nodes: dict[merkle.Node, bytes]) -> list[bytes]:
    assert merkle.needed_nodes(ranges) <= set(nodes)
    return [merkle.range_hash(start, end, nodes) for start, end in ranges]


def test_roots_match_the_published_vectors() -> None:
    nodes = stored_nodes(LEAVES)
    assert merkle.range_hash(0, 0, nodes).hex() == EMPTY_ROOT
    for size, expected in enumerate(ROOTS, start=1):
        assert merkle.range_hash(0, size, nodes).hex() == expected
        builder = TreeBuilder()
        for data in LEAVES[:size]:
            builder.add(data)
        assert builder.root().hex() == expected


@pytest.mark.parametrize(("index", "size", "path"), INCLUSION)
def test_inclusion_proofs_match_the_published_vectors(index: int, size: int, path: list[str]) -> None:
    nodes = stored_nodes(LEAVES)
    made = proof(merkle.inclusion_ranges(index, size), nodes)
    assert [p.hex() for p in made] == path
    leaf = merkle.leaf_hash(LEAVES[index])
    assert root_from_inclusion(index, size, leaf, made).hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("old", "new", "path"), CONSISTENCY)
def test_consistency_proofs_match_the_published_vectors(old: int, new: int, path: list[str]) -> None:
    nodes = stored_nodes(LEAVES)
    made = proof(merkle.consistency_ranges(old, new), nodes)
    assert [p.hex() for p in made] == path
    check_consistency(old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), made)


def _flip(values: list[bytes], which: int, bit: int) -> list[bytes]:
    changed = bytearray(values[which])
    changed[bit // 8 % len(changed)] ^= 1 << (bit % 8)
    return [*values[:which], bytes(changed), *values[which + 1 :]]


@settings(max_examples=150, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_every_inclusion_proof_verifies_and_no_changed_byte_does(size: int, data: st.DataObject) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(size)]
    nodes = stored_nodes(leaves)
    root = merkle.range_hash(0, size, nodes)
    index = data.draw(st.integers(0, size - 1))
    path = proof(merkle.inclusion_ranges(index, size), nodes)
    leaf = merkle.leaf_hash(leaves[index])
    assert root_from_inclusion(index, size, leaf, path) == root
    bit = data.draw(st.integers(0, 255))
    assert root_from_inclusion(index, size, _flip([leaf], 0, bit)[0], path) != root
    if path:
        which = data.draw(st.integers(0, len(path) - 1))
        assert root_from_inclusion(index, size, leaf, _flip(path, which, bit)) != root


@settings(max_examples=150, deadline=None)
@given(new=st.integers(2, 300), data=st.data())
def test_every_consistency_proof_verifies_and_no_changed_byte_does(new: int, data: st.DataObject) -> None:
    leaves = [i.to_bytes(4, "big") for i in range(new)]
    nodes = stored_nodes(leaves)
    old = data.draw(st.integers(1, new - 1))
    old_root, new_root = merkle.range_hash(0, old, nodes), merkle.range_hash(0, new, nodes)
    path = proof(merkle.consistency_ranges(old, new), nodes)
    check_consistency(old, new, old_root, new_root, path)
    bit = data.draw(st.integers(0, 255))
    which = data.draw(st.integers(0, len(path) - 1))
    with pytest.raises(Broken):
        check_consistency(old, new, old_root, new_root, _flip(path, which, bit))
    with pytest.raises(Broken):
        check_consistency(old, new, _flip([old_root], 0, bit)[0], new_root, path)
    with pytest.raises(Broken):
        check_consistency(old, new, old_root, _flip([new_root], 0, bit)[0], path)


def test_a_rollback_or_a_second_root_for_one_size_is_refused() -> None:
    root = bytes.fromhex(ROOTS[3])
    with pytest.raises(Broken, match="rolled back"):
        check_consistency(5, 4, bytes.fromhex(ROOTS[4]), root, [])
    with pytest.raises(Broken, match="fork"):
        check_consistency(4, 4, root, bytes.fromhex(ROOTS[2]), [])
