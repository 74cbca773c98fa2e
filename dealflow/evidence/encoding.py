"""How the ledger writes an event down: the v1 chain's fields, and the v2 leaf with its commitment.

Everything hashed is JSON with sorted keys, no whitespace, UTF-8; times in UTC as
"YYYY-MM-DDTHH:MM:SSZ", days as "YYYY-MM-DD", amounts as strings with two decimals, absent
values as null. verify_export.py (the shipped verify.py) encodes the same way on its own.

v1 (the events before the tree): every snapshot field is public and chained by SHA-256.
v2 (leaves of the Merkle tree): the public leaf carries only what the published figures are
computed from (day, kind, region, main hub or not, sector, domestic or foreign investor, and the
amount only where both sides agreed to publish it; a startup submitted or approved has no investor,
so its is_foreign is null); the other snapshot fields are bound to it by
`commitment` = SHA-256 over the private document with a random salt, which an auditor given the
salt can recompute. The chain goes on through v2 too: each event's hash covers its public leaf
and the previous hash, so the old verifier's rule still holds for every row.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from dealflow.models import EventKind
from dealflow.money import to_cents

GENESIS_HASH = "0" * 64
LEAF_V1, LEAF_V2 = 1, 2
ANCHOR_KIND = "v1_head"

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
)
# What anyone sees of a v2 event; "v" and "commitment" are the format, not facts about anyone.
V2_FIELDS = ("v", "seq", "day", "kind", "region_code", "is_main_hub", "sector_code", "is_foreign", "amount_usd")
V2_LEAF_FIELDS = (*V2_FIELDS, "commitment")
# What the commitment binds: kept in the row, published never.
COMMITTED_FIELDS = ("salt", "occurred_at", "stage_code", "investor_country", "investor_kind", "amount_usd")
# Startups first submitted and approved: ledger events without an investor, and the funnel's first steps.
STARTUP_STEPS = {EventKind.STARTUP_SUBMITTED.value: "submitted", EventKind.STARTUP_APPROVED.value: "approved"}
PUBLIC_FIELDS = V1_FIELDS  # the v1 name, kept for the first chain's readers
EVENT_COLUMNS = (*V1_FIELDS, "prev_hash", "hash")
EXPORT_COLUMNS = tuple(dict.fromkeys((*V1_FIELDS, *V2_LEAF_FIELDS, "prev_hash", "hash")))


def format_time(moment: datetime) -> str:
    """A moment as the ledger writes it: UTC, whole seconds, ISO 8601 with a Z."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_amount(amount: Decimal | None) -> str | None:
    """An amount as the ledger writes it: a string with two decimals, so no float ever rounds it."""
    return None if amount is None else f"{to_cents(amount):f}"


def canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def public_fields(event: Any) -> dict[str, Any]:
    """The hashed fields of a v1 event (a MatchEvent or a row with the same columns), encoded."""
    return {
        "seq": int(event.seq),
        "event_id": event.event_id,
        "occurred_at": format_time(event.occurred_at),
        "kind": event.kind,
        "region_code": event.region_code,
        "is_main_hub": bool(event.is_main_hub),
        "sector_code": event.sector_code,
        "stage_code": event.stage_code,
        "investor_country": event.investor_country,
        "is_foreign": bool(event.is_foreign),
        "investor_kind": event.investor_kind,
        "amount_usd": format_amount(event.amount_usd),
    }


def published_amount(event: Any) -> Decimal | None:
    """The amount the public sees: all of v1's, and in v2 only where both sides agreed to publish it."""
    if event.leaf_version == LEAF_V1 or event.amount_public:
        return event.amount_usd  # type: ignore[no-any-return]
    return None


def leaf_fields(event: Any) -> dict[str, Any]:
    """A v2 event's public leaf: the fields the figures need, and the commitment to the rest."""
    return {
        "v": LEAF_V2,
        "seq": int(event.seq),
        "day": event.occurred_at.astimezone(UTC).date().isoformat(),
        "kind": event.kind,
        "region_code": event.region_code,
        "is_main_hub": bool(event.is_main_hub),
        "sector_code": event.sector_code,
        "is_foreign": None if event.kind in STARTUP_STEPS else bool(event.is_foreign),
        "amount_usd": format_amount(published_amount(event)),
        "commitment": event.commitment,
    }


def committed_fields(event: Any) -> dict[str, Any]:
    """What a v2 event's commitment binds: the salt and the snapshot fields the leaf leaves out."""
    return {
        "salt": event.salt,
        "occurred_at": format_time(event.occurred_at),
        "stage_code": event.stage_code,
        "investor_country": event.investor_country,
        "investor_kind": event.investor_kind,
        "amount_usd": format_amount(event.amount_usd),
    }


def commitment_of(event: Any) -> str:
    return hashlib.sha256(canonical(committed_fields(event))).hexdigest()


def chained_fields(event: Any) -> dict[str, Any]:
    """What the chain hashes of an event (with prev_hash): all of a v1 event, the public leaf of a v2 one."""
    return public_fields(event) if event.leaf_version == LEAF_V1 else leaf_fields(event)


def canonical_bytes(fields: Mapping[str, Any], prev_hash: str) -> bytes:
    """What the chain hashes: the public fields and the previous hash, as sorted, compact JSON in UTF-8."""
    return canonical({**fields, "prev_hash": prev_hash})


def event_hash(fields: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical_bytes(fields, prev_hash)).hexdigest()


def anchor_document(event_count: int, head_hash: str) -> dict[str, Any]:
    """Leaf 0 of the tree: it commits to the v1 chain's final head (0 events and 64 zeros on a new ledger)."""
    return {"v": LEAF_V2, "kind": ANCHOR_KIND, "event_count": event_count, "head_hash": head_hash}


def leaf_data(event: Any) -> bytes:
    """The bytes a v2 event's tree leaf hashes (after RFC 6962's 0x00)."""
    return canonical(leaf_fields(event))
