"""Check Dealflow's evidence ledger without trusting Dealflow: Python 3, plus `cryptography` for signatures.

    python3 verify.py [events.json | events.csv]          the whole export: chain, time, tree, checkpoint
    python3 verify.py receipt RECEIPT.json                 one event's receipt, offline
    python3 verify.py consistency OLD.txt NEW.txt PROOF.json   a saved checkpoint is a prefix of a new one

The log's public key is read from log-key.txt beside this file (or --key 'name+id+base64').
Hashing follows RFC 6962: leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
Checkpoints are C2SP signed notes (origin, tree size, base64 root) signed with Ed25519.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

try:  # only signatures need it; everything else is the standard library
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:  # pragma: no cover - a stranger's machine without it can still check hashes
    Ed25519PublicKey = None  # type: ignore[assignment,misc]
    InvalidSignature = Exception  # type: ignore[assignment,misc]

GENESIS = "0" * 64
ANCHOR_KIND = "v1_head"
EM_DASH = "\u2014"


class Broken(Exception):
    """Something does not verify; the message says what."""


# -- RFC 6962 -----------------------------------------------------------------------------------


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def canonical(document: dict[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root an inclusion proof leads to (RFC 9162 section 2.1.3.2); Broken if it cannot be a proof."""
    if not 0 <= index < size:
        raise Broken(f"leaf {index} is outside a tree of {size}")
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            raise Broken("the inclusion proof is too long")
        if fn % 2 == 1 or fn == sn:
            r = node_hash(p, r)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Broken("the inclusion proof is too short")
    return r


def check_consistency(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 section 2.1.4.2: a tree of `old` leaves with old_root is a prefix of `new` with new_root."""
    if old > new:
        raise Broken(f"the new tree ({new}) is smaller than the old one ({old}): it was rolled back")
    if old == new:
        if proof or old_root != new_root:
            raise Broken("two different roots for the same tree size: a fork or a rewrite")
        return
    if old == 0:
        return
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
    if not path:
        raise Broken("the consistency proof is empty")
    fr, sr = _consistency_roots(old, new, path)
    if fr != old_root:
        raise Broken("the old checkpoint is not a prefix of the new tree: history was rewritten")
    if sr != new_root:
        raise Broken("the proof does not lead to the new root")


def _consistency_roots(old: int, new: int, path: Sequence[bytes]) -> tuple[bytes, bytes]:
    """The old and the new root a consistency path leads to (the loop of RFC 9162 section 2.1.4.2)."""
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise Broken("the consistency proof is too long")
        if fn % 2 == 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise Broken("the consistency proof is too short")
    return fr, sr


class TreeBuilder:
    """The root of a growing tree, kept as its perfect subtrees (log n hashes), for a million leaves in one pass."""

    def __init__(self) -> None:
        self.size = 0
        self.stack: list[tuple[int, bytes]] = []  # (leaf count, hash), larger first

    def add(self, data: bytes) -> None:
        count, current = 1, leaf_hash(data)
        while self.stack and self.stack[-1][0] == count:
            left = self.stack.pop()[1]
            count, current = count * 2, node_hash(left, current)
        self.stack.append((count, current))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return hashlib.sha256(b"").digest()
        current = self.stack[-1][1]
        for _, left in reversed(self.stack[:-1]):
            current = node_hash(left, current)
        return current


# -- signed notes (C2SP signed-note, checkpoint, tlog-cosignature) ------------------------------


def key_id(name: str, algorithm: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public).digest()[:4]


def parse_verifier_key(text: str) -> tuple[str, bytes, bytes]:
    """A note verifier key 'name+hex id+base64(0x01 || key)' as (name, key id, raw Ed25519 public key)."""
    name, hex_id, encoded = text.strip().split("+", 2)
    raw = base64.b64decode(encoded)
    if raw[:1] != b"\x01" or len(raw) != 33 or key_id(name, 1, raw[1:]).hex() != hex_id:
        raise Broken("the log key is not an Ed25519 note verifier key")
    return name, bytes.fromhex(hex_id), raw[1:]


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """A signed note's text (through its last newline) and its signature lines as (key name, decoded bytes)."""
    text, sep, block = note.partition("\n\n")
    if not sep:
        raise Broken("not a signed note: no blank line before the signatures")
    signatures = []
    for line in block.splitlines():
        if not line.startswith(EM_DASH + " "):
            raise Broken(f"not a signature line: {line!r}")
        name, _, encoded = line[2:].rpartition(" ")
        signatures.append((name, base64.b64decode(encoded)))
    return text + "\n", signatures


def parse_checkpoint(text: str) -> tuple[str, int, bytes]:
    origin, size, root = text.split("\n")[:3]
    return origin, int(size), base64.b64decode(root)


def _ed25519_ok(public: bytes, signature: bytes, message: bytes) -> bool:
    if Ed25519PublicKey is None:
        raise Broken("install `cryptography` to check signatures (pip install cryptography)")
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except InvalidSignature:
        return False
    return True


def verify_checkpoint(note: str, log_key: str) -> tuple[str, int, bytes]:
    """The checkpoint's origin, size and root, once the log's signature on it checks out."""
    name, wanted_id, public = parse_verifier_key(log_key)
    text, signatures = split_note(note)
    for signer, blob in signatures:
        if signer == name and blob[:4] == wanted_id and _ed25519_ok(public, blob[4:], text.encode()):
            origin, size, root = parse_checkpoint(text)
            if origin != name:
                raise Broken(f"the checkpoint is for {origin!r}, the key for {name!r}")
            return origin, size, root
    raise Broken("the checkpoint is not signed by the log's key")


def cosigned_message(checkpoint_text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{checkpoint_text}".encode()


def verify_cosignature(checkpoint_text: str, witness_key: str, blob: bytes) -> int:
    """The time a witness cosigned this checkpoint (C2SP tlog-cosignature), once its signature checks out."""
    name, _, encoded = witness_key.strip().split("+", 2)
    raw = base64.b64decode(encoded)
    if raw[:1] != b"\x04" or len(raw) != 33 or len(blob) != 76:
        raise Broken("not a cosignature/v1 key or signature")
    if blob[:4] != key_id(name, 4, raw[1:]):
        raise Broken("the cosignature is by another key")
    timestamp = int.from_bytes(blob[4:12], "big")
    if not _ed25519_ok(raw[1:], blob[12:], cosigned_message(checkpoint_text, timestamp)):
        raise Broken("the cosignature does not verify")
    return timestamp


# -- the export ---------------------------------------------------------------------------------


def load(path: Path) -> Iterator[dict[str, Any]]:
    """The events one at a time: a million of them need not fit in memory."""
    with path.open(newline="", encoding="utf-8") as handle:
        if path.suffix == ".csv":
            for row in csv.DictReader(handle):
                yield _from_csv(row)
            return
        first, second = handle.readline().strip(), handle.readline().strip().rstrip(",")
        if first == "[" and second.startswith("{") and second.endswith("}"):  # as exported: one event a line
            yield json.loads(second)
            for line in handle:
                if line.strip().startswith("{"):
                    yield json.loads(line.strip().rstrip(","))
        else:  # any other layout of the same JSON array
            handle.seek(0)
            yield from json.load(handle)


def _from_csv(row: dict[str, str]) -> dict[str, Any]:
    """A CSV row as the JSON event: numbers, true/false, null for empty; each version's own columns.

    A startup submitted or approved has no investor: its is_foreign is null (an empty cell).
    """
    flags, numbers = ("is_main_hub", "is_foreign"), ("seq", "v")
    event: dict[str, Any] = {}
    version = row.get("v") or "1"
    for key, value in row.items():
        if key in numbers:
            event[key] = int(value) if value else None
        elif key in flags:
            event[key] = None if value == "" else value == "true"
        else:
            event[key] = value or None
    wanted = V1_FIELDS if version == "1" else V2_FIELDS
    return {key: event.get(key) for key in wanted}


V1_FIELDS = (
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
    "prev_hash",
    "hash",
)
V2_FIELDS = (
    "v",
    "seq",
    "day",
    "kind",
    "region_code",
    "is_main_hub",
    "sector_code",
    "is_foreign",
    "amount_usd",
    "commitment",
    "prev_hash",
    "hash",
)


def leaf_document(event: dict[str, Any]) -> dict[str, Any]:
    """A v2 event's tree leaf: its public fields, without the chain's prev_hash and hash."""
    return {key: value for key, value in event.items() if key not in ("prev_hash", "hash")}


def anchor_document(count: int, head: str) -> dict[str, Any]:
    """Leaf 0 of the tree: it commits to the v1 chain's final head."""
    return {"v": 2, "kind": ANCHOR_KIND, "event_count": count, "head_hash": head}


class ExportCheck:
    """One pass over the events: the chain, the time order, and the tree's leaves."""

    def __init__(self) -> None:
        self.count, self.previous, self.last_day = 0, GENESIS, ""
        self.tree: TreeBuilder | None = None

    def add(self, event: dict[str, Any]) -> None:
        self.count += 1
        where = f"event #{self.count}"
        document = {key: value for key, value in event.items() if key != "hash"}
        if event["seq"] != self.count or event["prev_hash"] != self.previous:
            raise Broken(f"{where} is not in its place: rows are missing, reordered or inserted")
        if hashlib.sha256(canonical(document)).hexdigest() != event["hash"]:
            raise Broken(f"{where} does not match its hash (the row was changed)")
        if event.get("v") == 2:  # v1 stays as it was published: its times were never checked
            day = str(event["day"])
            if day < self.last_day:
                raise Broken(f"{where} is dated {day}, before the event ahead of it ({self.last_day}): back-dated")
            self.last_day = day
            if self.tree is None:
                self.tree = TreeBuilder()
                self.tree.add(canonical(anchor_document(self.count - 1, self.previous)))
            self.tree.add(canonical(leaf_document(document)))
        elif self.tree is not None:
            raise Broken(f"{where} is a v1 event after the tree began")
        self.previous = event["hash"]

    def tree_head(self) -> tuple[int, bytes]:
        if self.tree is None:
            self.tree = TreeBuilder()
            self.tree.add(canonical(anchor_document(self.count, self.previous)))
        return self.tree.size, self.tree.root()


def _log_key(args: list[str], folder: Path) -> str | None:
    if "--key" in args:
        return args[args.index("--key") + 1]
    file = folder / "log-key.txt"
    return file.read_text(encoding="utf-8").strip() if file.exists() else None


def check_export(path: Path, log_key: str | None) -> str:
    check = ExportCheck()
    for event in load(path):
        check.add(event)
    head_file = path.with_name("head.json")
    if head_file.exists():
        head = json.loads(head_file.read_text(encoding="utf-8"))
        if (head["event_count"], head["head_hash"]) != (check.count, check.previous):
            raise Broken(f"head.json names {head['event_count']} events ending in {head['head_hash']}")
    size, root = check.tree_head()
    lines = [f"OK: {check.count} events, head hash {check.previous}", f"Tree: {size} leaves, root {root.hex()}"]
    note_file = path.with_name("checkpoint.txt")
    if note_file.exists() and log_key:
        _, signed_size, signed_root = verify_checkpoint(note_file.read_text(encoding="utf-8"), log_key)
        if (signed_size, signed_root) != (size, root):
            raise Broken(f"the signed checkpoint names {signed_size} leaves, root {signed_root.hex()}")
        lines.append("Checkpoint: signed by the log's key, and it names this tree.")
    return "\n".join(lines)


def check_receipt(receipt: dict[str, Any], log_key: str) -> str:
    """A receipt: the leaf, its inclusion proof and the signed checkpoint they lead to."""
    _, size, root = verify_checkpoint(receipt["checkpoint"], log_key)
    leaf = leaf_hash(canonical(receipt["leaf"]))
    proof = [bytes.fromhex(p) for p in receipt["inclusion_proof"]]
    if size != receipt["tree_size"] or root_from_inclusion(receipt["leaf_index"], size, leaf, proof) != root:
        raise Broken("the receipt's leaf is not in the checkpoint it names")
    lines = [f"OK: event #{receipt['leaf']['seq']} is leaf {receipt['leaf_index']} of the signed tree of {size}"]
    committed = receipt.get("committed")
    if committed is not None:
        if hashlib.sha256(canonical(committed)).hexdigest() != receipt["leaf"]["commitment"]:
            raise Broken("the committed fields do not match the leaf's commitment")
        lines.append("Committed fields: they match the leaf's commitment.")
    return "\n".join(lines)


def check_consistency_files(old_note: str, new_note: str, proof: dict[str, Any], log_key: str) -> str:
    _, old, old_root = verify_checkpoint(old_note, log_key)
    _, new, new_root = verify_checkpoint(new_note, log_key)
    check_consistency(old, new, old_root, new_root, [bytes.fromhex(p) for p in proof["proof"]])
    return f"OK: the checkpoint of {old} leaves is a prefix of the one of {new}"


def main(argv: list[str]) -> int:
    here = Path(__file__).parent
    args = argv[1:]
    log_key = _log_key(args, here)
    try:
        if args[:1] == ["receipt"]:
            if not log_key:
                raise Broken("no log key: pass --key or put log-key.txt beside verify.py")
            print(check_receipt(json.loads(Path(args[1]).read_text(encoding="utf-8")), log_key))
        elif args[:1] == ["consistency"]:
            if not log_key:
                raise Broken("no log key: pass --key or put log-key.txt beside verify.py")
            old, new, proof = (Path(a).read_text(encoding="utf-8") for a in args[1:4])
            print(check_consistency_files(old, new, json.loads(proof), log_key))
        else:
            path = Path(args[0]) if args and not args[0].startswith("--") else here / "events.json"
            print(check_export(path, log_key))
    except Broken as exc:
        print(f"BROKEN: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
