"""The log's Ed25519 key and C2SP signed notes: what a checkpoint is signed with, and how a witness key looks.

Key formats are those of C2SP signed-note: a signer key "PRIVATE+KEY+<name>+<hex id>+<base64(0x01 ||
seed)>", a verifier key "<name>+<hex id>+<base64(0x01 || public key)>", where the id is the first four
bytes of SHA-256(name || 0x0A || 0x01 || public key). Witnesses' cosignature/v1 keys use 0x04.
"""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import current_app

from dealflow.evidence.verify_export import EM_DASH, key_id

ED25519, COSIGNATURE_V1 = 1, 4


class SigningKeyError(ValueError):
    """LEDGER_SIGNING_KEY is not a key this log can sign with; the message says why."""


@dataclass(frozen=True)
class LogKey:
    """The log's signing key with the name (the checkpoints' origin) it signs under."""

    name: str
    private: Ed25519PrivateKey

    @property
    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return key_id(self.name, ED25519, self.public_bytes)

    @property
    def verifier_key(self) -> str:
        """The public key as a note verifier key: what the README, the page and verify.py carry."""
        encoded = base64.b64encode(bytes([ED25519]) + self.public_bytes).decode()
        return f"{self.name}+{self.key_id.hex()}+{encoded}"

    def sign_note(self, text: str) -> str:
        """The note with the log's signature line under it (text ends with a newline)."""
        signature = self.private.sign(text.encode("utf-8"))
        return f"{text}\n{EM_DASH} {self.name} {base64.b64encode(self.key_id + signature).decode()}\n"


def signer_key_text(name: str, private: Ed25519PrivateKey) -> str:
    """A key as LEDGER_SIGNING_KEY takes it (the C2SP signer key format)."""
    seed = private.private_bytes_raw()
    public = private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    encoded = base64.b64encode(bytes([ED25519]) + seed).decode()
    return f"PRIVATE+KEY+{name}+{key_id(name, ED25519, public).hex()}+{encoded}"


def new_signer_key_text(name: str) -> str:
    return signer_key_text(name, Ed25519PrivateKey.generate())


def parse_signing_key(value: str, origin: str) -> LogKey:
    """A key in the signer-key format (its name is the origin) or a base64 seed (named `origin`)."""
    value = value.strip()
    if value.startswith("PRIVATE+KEY+"):
        parts = value.split("+", 4)
        if len(parts) != 5:
            raise SigningKeyError("a signer key has five '+'-separated parts")
        name, hex_id, raw = parts[2], parts[3], base64.b64decode(parts[4])
        if raw[:1] != bytes([ED25519]) or len(raw) != 33:
            raise SigningKeyError("only Ed25519 signer keys are supported")
        key = LogKey(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if key.key_id.hex() != hex_id:
            raise SigningKeyError("the key id does not match the key")
        return key
    try:
        seed = base64.b64decode(value, validate=True)
    except ValueError as exc:
        raise SigningKeyError("not base64") from exc
    if len(seed) != 32:
        raise SigningKeyError("an Ed25519 seed is 32 bytes")
    return LogKey(origin, Ed25519PrivateKey.from_private_bytes(seed))


def _key_from_file(path: Path, origin: str) -> str:
    """The development key, generated on first use (0600, under instance/, never committed)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(new_signer_key_text(origin) + "\n")
    return path.read_text(encoding="utf-8")


def log_key() -> LogKey:
    """This app's log key, read once per app from LEDGER_SIGNING_KEY (or the development key file)."""
    cached = current_app.extensions.get("ledger_log_key")
    if isinstance(cached, LogKey):
        return cached
    config = current_app.config
    value = config.get("LEDGER_SIGNING_KEY")
    if not value and config.get("LEDGER_SIGNING_KEY_FILE"):
        value = _key_from_file(Path(config["LEDGER_SIGNING_KEY_FILE"]), config["LEDGER_ORIGIN"])
    if not value:
        raise SigningKeyError("LEDGER_SIGNING_KEY is not set")
    key = parse_signing_key(value, config["LEDGER_ORIGIN"])
    current_app.extensions["ledger_log_key"] = key
    return key


def cosigner_verifier_key(name: str, public: bytes) -> str:
    """A witness's public key as a cosignature/v1 verifier key."""
    encoded = base64.b64encode(bytes([COSIGNATURE_V1]) + public).decode()
    return f"{name}+{key_id(name, COSIGNATURE_V1, public).hex()}+{encoded}"
