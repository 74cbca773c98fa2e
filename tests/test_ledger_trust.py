"""The ledger as a transparency log: checkpoints, proofs, witnesses, receipts, minimal public fields, and the attacks.

The attacks of the audit are re-created on the test's copy of the database (its transaction, rolled back):
a forged append with head and rollups rebuilt, a back-dated append, a rewrite of history re-hashed from
the changed event on, and a split view. Each is named by `flask ledger verify` or verify.py, and a
witness holding an earlier checkpoint refuses to cosign what follows.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, text
from sqlalchemy.exc import DatabaseError

from dealflow.evidence import checkpoints, encoding, opendata, rollups, verification
from dealflow.evidence.signing import log_key
from dealflow.evidence.verify_export import Broken, check_consistency, leaf_hash, root_from_inclusion, verify_checkpoint
from dealflow.evidence.witness import Refused
from dealflow.extensions import db
from dealflow.models import (
    IntroRequest,
    LedgerCheckpoint,
    LedgerCosignature,
    LedgerHead,
    LedgerTreeNode,
    MatchEvent,
    utcnow,
)
from tests.conftest import Auth
from tests.factories import PASSWORD
from tests.ledger_attacks import LOG, drop_append_only, forge_event, rebuild, witness_over
from tests.match_helpers import close, listed, match, ready_investor

PRIVATE = {"stage_code", "investor_country", "investor_kind", "occurred_at", "salt"}


@pytest.fixture(autouse=True)
def _checkpoint_on_every_read(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LEDGER_CHECKPOINT_SECONDS", 0)


def events() -> list[MatchEvent]:
    return list(db.session.scalars(select(MatchEvent).order_by(MatchEvent.seq)))


def some_matches(n: int = 3) -> None:
    for i in range(n):
        match(ready_investor(country="DE"), listed(region_code="KZ-47", name=f"Trusted {i}"))


def verify_output(runner: Any) -> tuple[int, str]:
    result = runner.invoke(args=["ledger", "verify"])
    return result.exit_code, result.output


# -- minimal public fields --------------------------------------------------------------------


def test_no_public_field_is_stage_investor_country_or_kind_exact_time_or_an_undisclosed_amount(
    runner: Any, tmp_path: Path
) -> None:
    intro = match(ready_investor(country="GB"), listed(region_code="KZ-10", stage_code="mvp"))
    close(intro, "77000", publish=False)
    close(match(ready_investor(country="TR"), listed(region_code="KZ-10")), "5000", publish=True)
    assert runner.invoke(args=["ledger", "export", "--out", str(tmp_path)]).exit_code == 0
    exported = json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))
    assert len(exported) == 6
    for record in exported:
        assert record["v"] == 2
        assert not PRIVATE & set(record), record
        assert set(record) == {*encoding.V2_LEAF_FIELDS, "prev_hash", "hash"}
    undisclosed, disclosed = exported[2], exported[5]
    assert undisclosed["kind"] == disclosed["kind"] == "investment_closed"
    assert undisclosed["amount_usd"] is None
    assert disclosed["amount_usd"] == "5000.00"
    # Every value of every file, as a stranger reads them (a signature's base64 may hold "GB" by chance).
    cells: set[str] = set()
    for path in tmp_path.iterdir():
        if path.suffix == ".csv":
            cells.update(cell for row in csv.reader(path.read_text(encoding="utf-8").splitlines()) for cell in row)
        elif path.suffix == ".json":
            cells.update(re.findall(r'"((?:[^"\\]|\\.)*)"', path.read_text(encoding="utf-8")))
    assert not {"77000", "77000.00", "77000.0", "mvp", "GB"} & cells
    numbers = "".join(p.read_text(encoding="utf-8") for p in tmp_path.iterdir() if p.suffix == ".json")
    assert not re.search(r"[:\[,]\s*77000(\.0+)?\s*[,\]}]", numbers)  # nor as a bare JSON number

    # The row keeps what the leaf leaves out, bound by the commitment: an auditor given the salt can check it.
    row = events()[2]
    assert (row.amount_usd, row.stage_code, row.investor_country) == (77000, "mvp", "GB")
    opened = encoding.committed_fields(row)
    assert encoding.commitment_of(row) == undisclosed["commitment"]
    assert json.loads(json.dumps(opened))["amount_usd"] == "77000.00"
    opened["amount_usd"] = "70000.00"
    assert hashlib.sha256(encoding.canonical(opened)).hexdigest() != undisclosed["commitment"]


def test_the_rollups_count_only_published_amounts() -> None:
    close(match(), "1000", publish=False)
    close(match(ready_investor(), listed(name="Agreed")), "250", publish=True)
    cents = db.session.execute(
        text("SELECT SUM(amount_usd_cents) FROM ledger_slice WHERE dimension = 'region' AND kind = 'investment_closed'")
    ).scalar()
    assert cents == 25000


# -- the tree, checkpoints and proofs over HTTP -------------------------------------------------


def test_the_checkpoint_is_a_signed_note_and_every_earlier_one_is_listed(client: FlaskClient) -> None:
    some_matches(1)
    first = client.get("/evidence/checkpoint")
    assert first.status_code == 200
    note = first.get_data(as_text=True)
    key = log_key()
    origin, size, root = verify_checkpoint(note, key.verifier_key)
    assert (origin, size) == (key.name, 3)  # the anchor leaf and two events
    assert note.splitlines()[:2] == [key.name, "3"]
    assert note.splitlines()[4].startswith("\u2014 " + key.name + " ")
    some_matches(1)
    second = verify_checkpoint(client.get("/evidence/checkpoint").get_data(as_text=True), key.verifier_key)
    assert second[1] == 5
    listed_ = client.get("/evidence/checkpoints").get_json()["checkpoints"]
    assert [c["tree_size"] for c in listed_] == [3, 5]
    assert client.get("/evidence/checkpoints/3").get_data(as_text=True) == note
    assert client.get("/evidence/log-key").get_data(as_text=True).strip() == key.verifier_key
    with pytest.raises(Broken, match="not signed by the log's key"):
        verify_checkpoint(note.replace("\n3\n", "\n4\n", 1), key.verifier_key)


def test_inclusion_and_consistency_proofs_over_http_verify_against_the_checkpoints(client: FlaskClient) -> None:
    some_matches(2)
    key = log_key().verifier_key
    _, old, old_root = verify_checkpoint(client.get("/evidence/checkpoint").get_data(as_text=True), key)
    some_matches(3)
    _, new, new_root = verify_checkpoint(client.get("/evidence/checkpoint").get_data(as_text=True), key)
    assert (old, new) == (5, 11)
    proof = client.get(f"/evidence/proof/consistency?from={old}&to={new}").get_json()
    check_consistency(old, new, old_root, new_root, [bytes.fromhex(p) for p in proof["proof"]])
    for event in events():
        assert event.leaf_index is not None
        answer = client.get(f"/evidence/proof/inclusion?index={event.leaf_index}&size={new}").get_json()
        leaf = leaf_hash(encoding.leaf_data(event))
        assert root_from_inclusion(event.leaf_index, new, leaf, [bytes.fromhex(p) for p in answer["proof"]]) == new_root
    assert client.get(f"/evidence/proof/inclusion?index=0&size={new + 1}").status_code == 400
    assert client.get("/evidence/proof/consistency?from=3&to=2").status_code == 400


def test_time_never_goes_back_and_no_caller_can_date_an_event() -> None:
    with time_machine.travel(utcnow() + timedelta(days=1), tick=False):
        match()
        later = events()[-1].occurred_at
    with time_machine.travel(utcnow() - timedelta(days=300), tick=False):
        match(ready_investor(), listed(name="Clock went back"))
    times = [e.occurred_at for e in events()]
    assert times == sorted(times)
    assert times[-1] == later  # dated as the event before it, never a year back


# -- witnesses ----------------------------------------------------------------------------------


def test_a_registered_witness_cosigns_and_the_page_says_who_and_when(
    client: FlaskClient, runner: Any, tmp_path: Path
) -> None:
    some_matches(2)
    witness, public = witness_over(client, tmp_path)
    result = runner.invoke(args=["ledger", "add-witness", "--name", "witness.test/w1", "--key", public])
    assert result.exit_code == 0, result.output
    assert witness.run(LOG, log_key().verifier_key, now=1_780_000_000) == "cosigned the checkpoint of 5 leaves"
    stored = db.session.scalars(select(LedgerCosignature)).all()
    assert [(c.tree_size, c.signed_at.year) for c in stored] == [(5, 2026)]
    note = client.get("/evidence/checkpoint").get_data(as_text=True)
    assert "\u2014 witness.test/w1 " in note
    page = client.get("/evidence/").get_data(as_text=True)
    assert "witness.test/w1" in page
    assert "cosigned the latest checkpoint" in page
    assert log_key().verifier_key in page
    some_matches(1)
    assert witness.run(LOG, log_key().verifier_key) == "cosigned the checkpoint of 7 leaves"


def test_a_cosignature_by_an_unregistered_or_wrong_key_is_refused(client: FlaskClient, tmp_path: Path) -> None:
    some_matches(1)
    stranger, _ = witness_over(client, tmp_path, "stranger.test")
    text_, size, _ = stranger.check(LOG, log_key().verifier_key)
    line = stranger.cosign(text_, 1_780_000_000)
    refused = client.post("/evidence/cosignature", json={"tree_size": size, "cosignature": line})
    assert refused.status_code == 400
    assert "not a registered witness" in refused.get_json()["error"]
    impostor, _ = witness_over(client, tmp_path, "witness.test/w2")
    _, public = witness_over(client, tmp_path / "..", "witness.test/w2")
    checkpoints.register_witness("witness.test/w2", public)
    bad = client.post("/evidence/cosignature", json={"tree_size": size, "cosignature": impostor.cosign(text_, 1)})
    assert bad.status_code == 400
    assert db.session.scalars(select(LedgerCosignature)).all() == []


# -- the attacks of the audit -------------------------------------------------------------------


def test_a_forged_append_with_head_and_rollups_rebuilt_is_named(runner: Any) -> None:
    some_matches(2)
    assert verify_output(runner)[0] == 0
    last = events()[-1]
    drop_append_only()
    forge_event(last, last.seq + 1, last.occurred_at)
    rebuild(keep_tree=True, keep_tree_size=True)  # chain, head and rollups all add up, as in the audit
    code, output = verify_output(runner)
    assert code == 1
    assert "Ledger BROKEN at the head row: it names a tree of 5 leaves, the events make 6" in output


def test_a_back_dated_append_is_named_by_verify_and_by_verify_py(runner: Any, tmp_path: Path) -> None:
    some_matches(2)
    last = events()[-1]
    year_ago = last.occurred_at - timedelta(days=365)
    drop_append_only()
    forge_event(last, last.seq + 1, year_ago)
    rebuild()  # even the tree is rebuilt: only the time gives it away
    code, output = verify_output(runner)
    assert code == 1
    assert f"event #{last.seq + 1}" in output
    assert f"is earlier than event #{last.seq}'s" in output
    assert "back-dated" in output
    # The export of the same database: verify.py names it too, from the public days alone.
    head = db.session.get(LedgerHead, 1)
    assert head is not None
    out = tmp_path / "export"
    out.mkdir()
    data = opendata.OpenData(verification.read_head() or opendata.Head(0, ""))
    (out / "events.json").write_text(
        "".join(opendata.json_chunks(opendata.event_records(data.head.event_count))), encoding="utf-8"
    )
    (out / "verify.py").write_text(opendata.VERIFIER.read_text(encoding="utf-8"), encoding="utf-8")
    checked = subprocess.run(
        [sys.executable, str(out / "verify.py")], capture_output=True, text=True, check=False, timeout=60
    )
    assert checked.returncode == 1
    assert (
        f"event #{last.seq + 1} is dated {year_ago.date().isoformat()}, before the event ahead of it" in checked.stdout
    )


def test_a_rewrite_of_history_is_named_by_verify_and_refused_by_the_witness(
    client: FlaskClient, runner: Any, tmp_path: Path
) -> None:
    some_matches(3)
    witness, public = witness_over(client, tmp_path)
    checkpoints.register_witness("witness.test/w1", public)
    assert witness.run(LOG, log_key().verifier_key) == "cosigned the checkpoint of 7 leaves"

    drop_append_only()
    db.session.execute(text("UPDATE match_event SET region_code = 'KZ-71', is_main_hub = true WHERE seq = 2"))
    rebuild()  # every hash, the tree, the head and the rollups re-made from event #2 on
    code, output = verify_output(runner)
    assert code == 1
    assert "the signed checkpoint of size 7 has root" in output
    assert "history was rewritten" in output

    # The operator holds the key: it throws the old checkpoints away and signs the new history.
    db.session.execute(text("DELETE FROM ledger_cosignature"))
    db.session.execute(text("DELETE FROM ledger_checkpoint"))
    some_matches(1)
    assert verify_output(runner)[0] == 0  # the database alone now agrees with itself...
    with pytest.raises(Refused, match="does not extend the one of 7 I cosigned: history was rewritten"):
        witness.run(LOG, log_key().verifier_key)  # ...but the witness holding the old checkpoint refuses
    assert json.loads(witness.state_file.read_text(encoding="utf-8"))["tree_size"] == 7


def test_a_split_view_is_refused_by_the_witness_and_caught_by_a_receipt(
    client: FlaskClient, tmp_path: Path, app: Flask
) -> None:
    some_matches(2)
    founder = events()[0]
    intro_id = db.session.execute(text("SELECT intro_request_id FROM match_event_link WHERE event_seq = 1")).scalar()
    witness, public = witness_over(client, tmp_path)
    checkpoints.register_witness("witness.test/w1", public)
    witness.run(LOG, log_key().verifier_key)  # view A, seen by the witness
    receipt = opendata_receipt(client, app, intro_id, founder.seq)
    # View B, for another visitor: the same size, another history (the operator signs both).
    drop_append_only()
    db.session.execute(text("UPDATE match_event SET sector_code = 'fintech' WHERE seq = 3"))
    rebuild()
    db.session.execute(text("DELETE FROM ledger_cosignature"))
    db.session.execute(text("DELETE FROM ledger_checkpoint"))
    checkpoints.issue_checkpoint()
    with pytest.raises(Refused, match="two different roots for 5 leaves"):
        witness.run(LOG, log_key().verifier_key)
    # The holder of a receipt from view A sees that view B's checkpoint of the same size has another root.
    _, size, root_b = verify_checkpoint(
        client.get("/evidence/checkpoint").get_data(as_text=True), log_key().verifier_key
    )
    _, size_a, root_a = verify_checkpoint(receipt["checkpoint"], log_key().verifier_key)
    assert size == size_a == 5
    with pytest.raises(Broken, match="two different roots"):
        check_consistency(size_a, size, root_a, root_b, [])


def opendata_receipt(client: FlaskClient, app: Flask, intro_id: int, seq: int) -> dict[str, Any]:
    """The founder's receipt for one event, downloaded from the match page."""
    intro = db.session.get(IntroRequest, intro_id)
    assert intro is not None
    founder_client = app.test_client()
    Auth(founder_client).login(intro.startup.owner.email, PASSWORD)
    response = founder_client.get(f"/matches/{intro_id}/receipts/{seq}.json")
    assert response.status_code == 200, response.get_data(as_text=True)
    return dict(response.get_json())


# -- receipts -----------------------------------------------------------------------------------


def test_both_sides_see_their_events_with_a_receipt_that_verify_py_checks_offline(app: Flask, tmp_path: Path) -> None:
    investor = ready_investor()
    intro = match(investor, listed(name="Receipted"))
    close(intro, "1000", publish=False)
    stranger = ready_investor()
    for user in (investor, intro.startup.owner):
        browser = app.test_client()
        Auth(browser).login(user.email, PASSWORD)
        page = browser.get(f"/matches/{intro.id}").get_data(as_text=True)
        assert "Your events in the evidence ledger" in page
        for event in events():
            assert f"#{event.seq}" in page
            assert event.kind in page
            assert f"/matches/{intro.id}/receipts/{event.seq}.json" in page
    receipt = opendata_receipt(app.test_client(), app, intro.id, 3)
    assert receipt["leaf"]["kind"] == "investment_closed"
    assert receipt["leaf"]["amount_usd"] is None
    assert receipt["committed"]["amount_usd"] == "1000.00"
    path = tmp_path / "receipt.json"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    key = log_key().verifier_key
    ok = run_verify("receipt", str(path), "--key", key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK: event #3 is leaf 3 of the signed tree of 4" in ok.stdout
    assert "Committed fields: they match the leaf's commitment." in ok.stdout
    receipt["leaf"]["region_code"] = "KZ-71"
    path.write_text(json.dumps(receipt), encoding="utf-8")
    broken = run_verify("receipt", str(path), "--key", key)
    assert broken.returncode == 1
    assert "BROKEN: the receipt's leaf is not in the checkpoint it names" in broken.stdout

    outsider = app.test_client()
    Auth(outsider).login(stranger.email, PASSWORD)
    assert outsider.get(f"/matches/{intro.id}/receipts/3.json").status_code == 404


def run_verify(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(opendata.VERIFIER), *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_verify_py_checks_a_saved_checkpoint_against_a_new_one_from_a_proof(
    client: FlaskClient, tmp_path: Path
) -> None:
    some_matches(2)
    old = client.get("/evidence/checkpoint").get_data(as_text=True)
    some_matches(2)
    new = client.get("/evidence/checkpoint").get_data(as_text=True)
    proof = client.get("/evidence/proof/consistency?from=5&to=9").get_data(as_text=True)
    for name, body in (("old.txt", old), ("new.txt", new), ("proof.json", proof)):
        (tmp_path / name).write_text(body, encoding="utf-8")
    key = log_key().verifier_key
    files = [str(tmp_path / n) for n in ("old.txt", "new.txt", "proof.json")]
    ok = run_verify("consistency", *files, "--key", key)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "OK: the checkpoint of 5 leaves is a prefix of the one of 9" in ok.stdout
    tampered = json.loads(proof)
    tampered["proof"][0] = "00" * 32
    (tmp_path / "proof.json").write_text(json.dumps(tampered), encoding="utf-8")
    assert run_verify("consistency", *files, "--key", key).returncode == 1


def test_checkpoints_are_batched_and_append_only(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LEDGER_CHECKPOINT_SECONDS", 60)
    some_matches(1)
    first = checkpoints.issue_checkpoint_if_due()
    assert first is not None
    assert first.tree_size == 3
    some_matches(1)
    assert checkpoints.issue_checkpoint_if_due() is None  # the last one is not a minute old
    with time_machine.travel(utcnow() + timedelta(seconds=61), tick=False):
        assert checkpoints.issue_checkpoint_if_due() is not None
    assert [c.tree_size for c in db.session.scalars(select(LedgerCheckpoint))] == [3, 5]
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("UPDATE ledger_checkpoint SET root_hash = 'x'"))
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text("DELETE FROM ledger_tree_node"))


def test_the_money_figures_say_how_many_closes_disclosed_their_amount(client: FlaskClient, runner: Any) -> None:
    for n in range(8):
        startup = listed(region_code="KZ-43" if n % 2 else "KZ-71", name=f"Closed {n}")
        close(match(ready_investor(), startup), "100000", publish=n != 4)
    page = client.get("/evidence/").get_data(as_text=True)
    assert "Disclosed amounts: $700,000 across 7 of 8 closes." in page
    assert verify_output(runner)[0] == 0
    db.session.execute(text("UPDATE ledger_slice SET disclosed_count = 4 WHERE disclosed_count = 3"))
    code, output = verify_output(runner)
    assert code == 1
    assert "it counts 4 published amounts where the events have 3" in output


def test_the_v1_chain_stays_as_it_was_and_the_tree_begins_by_committing_to_its_head(
    runner: Any, tmp_path: Path
) -> None:
    """Two events of the first chain (written as 0007's code wrote them), then the v2 appends."""
    head = db.session.get(LedgerHead, 1)
    assert head is not None
    previous = encoding.GENESIS_HASH
    for seq in (1, 2):
        old = MatchEvent(
            seq=seq, event_id=f"{seq:032x}", occurred_at=utcnow() - timedelta(days=400 - seq), kind="intro_requested",
            region_code="KZ-43", is_main_hub=False, sector_code="agritech", stage_code="seed",
            investor_country="DE", is_foreign=True, investor_kind="angel", amount_usd=None, leaf_version=1,
            prev_hash=previous,
        )  # fmt: skip
        old.hash = previous = encoding.event_hash(encoding.public_fields(old), previous)
        db.session.add(old)
        db.session.flush()
        rollups.count_event(old)
    head.event_count, head.head_hash, head.updated_at = 2, previous, utcnow() - timedelta(days=398)
    db.session.flush()
    match()
    assert [e.leaf_index for e in events()] == [None, None, 1, 2]
    anchor = encoding.canonical(encoding.anchor_document(2, previous))
    stored = db.session.scalar(select(LedgerTreeNode.hash).where(LedgerTreeNode.level == 0, LedgerTreeNode.index == 0))
    assert stored == leaf_hash(anchor).hex()
    code, output = verify_output(runner)
    assert code == 0, output
    assert "Ledger OK: 4 events" in output
    assert "Tree OK: 3 leaves" in output
    assert runner.invoke(args=["ledger", "export", "--out", str(tmp_path)]).exit_code == 0
    exported = json.loads((tmp_path / "events.json").read_text(encoding="utf-8"))
    assert exported[0]["investor_country"] == "DE"
    assert "v" not in exported[0]
    assert exported[2]["v"] == 2
    for args in ((), (str(tmp_path / "events.csv"),)):
        checked = subprocess.run(
            [sys.executable, str(tmp_path / "verify.py"), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        )
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert f"OK: 4 events, head hash {events()[-1].hash}" in checked.stdout
        assert "Checkpoint: signed by the log's key, and it names this tree." in checked.stdout
