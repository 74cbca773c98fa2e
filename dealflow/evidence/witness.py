"""A witness for Dealflow's evidence ledger: run it on a schedule, on a machine Dealflow does not control.

    python3 witness.py init NAME --key witness.key        make a key; give the printed public key to Dealflow
    python3 witness.py run --log https://dealflow.kz --log-key 'NAME+ID+KEY' --key witness.key --state state.json

Each run fetches the log's latest checkpoint, checks the log's signature, and asks for a proof
that it extends the last checkpoint this witness cosigned (kept in the state file). Only if that
proof holds does it cosign (C2SP tlog-cosignature, cosignature/v1) and post the cosignature back.
A rollback, a fork (two roots for one size) or a rewritten history makes it refuse, say why and
exit 2, keeping its state: a log cannot get a witness to sign two histories.
Needs Python 3 and `cryptography`; nothing else.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

EM_DASH = "\u2014"
Get = Callable[[str], bytes]
Post = Callable[[str, bytes], bytes]


class Refused(Exception):
    """The witness will not cosign; the message says why."""


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def key_id(name: str, algorithm: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([algorithm]) + public).digest()[:4]


def consistent(old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """RFC 9162 section 2.1.4.2, or Refused naming what is wrong."""
    if old > new:
        raise Refused(f"the log shrank from {old} to {new} leaves: a rollback")
    if old == new:
        if old_root != new_root or proof:
            raise Refused(f"two different roots for {old} leaves: the log forked or rewrote its history")
        return
    path = [old_root, *proof] if old & (old - 1) == 0 else list(proof)
    if not path or _roots(old, new, path) != (old_root, new_root):
        raise Refused(f"the tree of {new} leaves does not extend the one of {old} I cosigned: history was rewritten")


def _roots(old: int, new: int, path: Sequence[bytes]) -> tuple[bytes, bytes] | None:
    """The old and new roots the path leads to, or None if it cannot be a proof."""
    fn, sn = old - 1, new - 1
    while fn % 2 == 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return None
        if fn % 2 == 1 or fn == sn:
            fr, sr = _node(c, fr), _node(c, sr)
            while fn % 2 == 0 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = _node(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return (fr, sr) if sn == 0 else None


def read_checkpoint(note: str, log_key: str) -> tuple[str, int, bytes]:
    """The checkpoint's text, size and root, once the log's own signature on it checks out."""
    name, hex_id, encoded = log_key.strip().split("+", 2)
    public = base64.b64decode(encoded)[1:]
    text, _, block = note.partition("\n\n")
    text += "\n"
    for line in block.splitlines():
        signer, _, blob64 = line.removeprefix(EM_DASH + " ").rpartition(" ")
        blob = base64.b64decode(blob64)
        if signer == name and blob[:4].hex() == hex_id:
            try:
                Ed25519PublicKey.from_public_bytes(public).verify(blob[4:], text.encode())
            except InvalidSignature:
                break
            origin, size, root = text.split("\n")[:3]
            if origin != name:
                raise Refused(f"the checkpoint is for {origin!r}, not {name!r}")
            return text, int(size), base64.b64decode(root)
    raise Refused("the checkpoint is not signed by the log's key")


class Witness:
    """One witness: its key, its state file, and how it reaches the log (urllib, or a test's client)."""

    def __init__(self, key_file: Path, state_file: Path, get: Get | None = None, post: Post | None = None) -> None:
        self.name, self.private = load_key(key_file)
        self.state_file = state_file
        self.get = get or _http_get
        self.post = post or _http_post

    def state(self) -> dict[str, Any] | None:
        return json.loads(self.state_file.read_text(encoding="utf-8")) if self.state_file.exists() else None

    def check(self, log: str, log_key: str) -> tuple[str, int, bytes]:
        """The latest checkpoint, if it extends the last one cosigned; Refused otherwise."""
        text, size, root = read_checkpoint(self.get(f"{log}/evidence/checkpoint").decode(), log_key)
        last = self.state()
        if last is not None:
            old, old_root = int(last["tree_size"]), base64.b64decode(last["root"])
            proof: list[bytes] = []
            if old < size:
                answer = json.loads(self.get(f"{log}/evidence/proof/consistency?from={old}&to={size}"))
                proof = [bytes.fromhex(p) for p in answer["proof"]]
            consistent(old, size, old_root, root, proof)
        return text, size, root

    def cosign(self, text: str, timestamp: int) -> str:
        """A cosignature/v1 signature line for this checkpoint text."""
        message = f"cosignature/v1\ntime {timestamp}\n{text}".encode()
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        blob = key_id(self.name, 4, public) + timestamp.to_bytes(8, "big") + self.private.sign(message)
        return f"{EM_DASH} {self.name} {base64.b64encode(blob).decode()}"

    def run(self, log: str, log_key: str, now: int | None = None) -> str:
        """Check, cosign, post, remember: one scheduled run. Refused leaves the state as it was."""
        text, size, root = self.check(log, log_key)
        line = self.cosign(text, now if now is not None else int(time.time()))
        self.post(f"{log}/evidence/cosignature", json.dumps({"tree_size": size, "cosignature": line}).encode())
        state = {"tree_size": size, "root": base64.b64encode(root).decode(), "checkpoint": text}
        self.state_file.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
        return f"cosigned the checkpoint of {size} leaves"


def new_key(name: str) -> tuple[str, str]:
    """A fresh witness key: (the secret key file's text, the public key to register with the log)."""
    private = Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    hex_id = key_id(name, 4, public).hex()
    seed64 = base64.b64encode(bytes([4]) + private.private_bytes_raw()).decode()
    public64 = base64.b64encode(bytes([4]) + public).decode()
    return f"PRIVATE+KEY+{name}+{hex_id}+{seed64}", f"{name}+{hex_id}+{public64}"


def load_key(path: Path) -> tuple[str, Ed25519PrivateKey]:
    _, _, name, _, encoded = path.read_text(encoding="utf-8").strip().split("+", 4)
    return name, Ed25519PrivateKey.from_private_bytes(base64.b64decode(encoded)[1:])


def _http_get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 -- the operator names the log
        return bytes(response.read())


def _http_post(url: str, body: bytes) -> bytes:
    request = urllib.request.Request(  # noqa: S310 -- the operator names the log
        url, data=body, headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 -- the operator names the log
        return bytes(response.read())


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["init", "run"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("--key", type=Path, required=True)
    parser.add_argument("--log")
    parser.add_argument("--log-key")
    parser.add_argument("--state", type=Path, default=Path("witness-state.json"))
    args = parser.parse_args(argv[1:])
    if args.command == "init":
        secret, public = new_key(args.name or "witness.example")
        args.key.write_text(secret + "\n", encoding="utf-8")
        args.key.chmod(0o600)
        print(public)
        return 0
    try:
        print(Witness(args.key, args.state).run(args.log.rstrip("/"), args.log_key))
    except Refused as exc:
        print(f"REFUSED: {exc}")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
