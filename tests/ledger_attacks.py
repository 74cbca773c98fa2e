"""What someone holding the database (and the code, and maybe the key) does to the ledger, for the trust tests.

Each helper works inside the test's own transaction, which is rolled back: the test's copy of the database.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import select, text

from dealflow.evidence import encoding, rollups, tree
from dealflow.evidence.witness import Witness, new_key
from dealflow.extensions import db
from dealflow.models import LedgerHead, MatchEvent

APPEND_ONLY = ("match_event", "ledger_tree_node", "ledger_checkpoint", "ledger_cosignature")
LOG = "http://log.test"


def drop_append_only() -> None:
    """An attacker's first step: the triggers that refuse UPDATE and DELETE go."""
    sqlite = db.session.get_bind().dialect.name == "sqlite"
    for table in APPEND_ONLY:
        if sqlite:
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_update"))
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {table}_no_delete"))
        else:
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}"))


def rebuild(*, keep_tree: bool = False, keep_tree_size: bool = False) -> None:
    """Re-hash every event onto the one before, rebuild the tree, the head and the rollups from the rows as they are."""
    drop_append_only()
    if not keep_tree:
        db.session.execute(text("DELETE FROM ledger_tree_node"))
    for table in rollups.ROLLUP_TABLES:
        db.session.execute(text(f"DELETE FROM {table}"))  # noqa: S608 -- table names from a constant
    events = list(db.session.scalars(select(MatchEvent).order_by(MatchEvent.seq)))
    previous, index = encoding.GENESIS_HASH, 0
    if not keep_tree:
        tree.add_leaf(0, encoding.canonical(encoding.anchor_document(0, previous)))
    for event in events:
        index += 1
        event.leaf_index = index
        event.prev_hash = previous
        event.commitment = encoding.commitment_of(event)
        event.hash = previous = encoding.event_hash(encoding.chained_fields(event), previous)
        db.session.flush()
        if not keep_tree:
            tree.add_leaf(index, encoding.leaf_data(event))
        rollups.count_event(event)
    head = db.session.get(LedgerHead, 1)
    assert head is not None
    head.event_count, head.head_hash = len(events), previous
    if not keep_tree_size:
        head.tree_size = index + 1
    db.session.flush()


def forge_event(like: MatchEvent, seq: int, at: datetime, **changes: Any) -> MatchEvent:
    """A made-up event copied from a real one (region, sector, …), slotted in as number `seq`."""
    fields = {c: getattr(like, c) for c in ("kind", "region_code", "is_main_hub", "sector_code", "is_foreign")}
    fields.update(changes)
    forged = MatchEvent(
        seq=seq,
        event_id="f" * 32,
        occurred_at=at,
        stage_code=None,
        investor_country=None,
        investor_kind=None,
        amount_usd=None,
        amount_public=False,
        leaf_version=encoding.LEAF_V2,
        salt="0" * 32,
        commitment="",
        prev_hash="p" * 64,
        hash="h" * 64,
        **fields,
    )
    db.session.add(forged)
    db.session.flush()
    return forged


def witness_over(client: FlaskClient, folder: Path, name: str = "witness.test/w1") -> tuple[Witness, str]:
    """A witness that reaches the log through this test client; its public key, to register."""
    secret, public = new_key(name)
    key_file = folder / f"{name.replace('/', '_')}.key"
    key_file.write_text(secret + "\n", encoding="utf-8")

    def get(url: str) -> bytes:
        response = client.get(url.removeprefix(LOG))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_data()

    def post(url: str, body: bytes) -> bytes:
        response = client.post(url.removeprefix(LOG), data=body, content_type="application/json")
        assert response.status_code == 201, response.get_data(as_text=True)
        return response.get_data()

    return Witness(key_file, folder / f"{name.replace('/', '_')}.state.json", get, post), public


Attack = Callable[[], None]
