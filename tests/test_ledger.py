"""The evidence ledger: the hash chain, append-only rows, verification, rollups, export and concurrency."""

from __future__ import annotations

import csv
import hashlib
import json
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError

from dealflow.demo import seed_demo
from dealflow.evidence import checkpoints, encoding, ledger, rollups, verification
from dealflow.evidence.counters import month_of
from dealflow.extensions import db
from dealflow.models import (
    EventKind,
    IntroRequest,
    LedgerDay,
    LedgerHead,
    LedgerRollup,
    LedgerSlice,
    MatchEvent,
    MatchEventLink,
    StartupStatus,
)
from tests.conftest import TestDatabase, make_app
from tests.match_helpers import close, listed, match, ready_investor
from tests.startup_helpers import startup_in

pytestmark = pytest.mark.date_sensitive  # windows, allowances and waits are counted from today


def events() -> list[MatchEvent]:
    return list(db.session.scalars(select(MatchEvent).order_by(MatchEvent.seq)))


def test_the_canonical_encoding_is_the_documented_one() -> None:
    fields = {
        "seq": 1,
        "event_id": "0f" * 16,
        "occurred_at": "2026-03-01T10:00:00Z",
        "kind": "intro_accepted",
        "region_code": "KZ-43",
        "is_main_hub": False,
        "sector_code": "agritech",
        "stage_code": "seed",
        "investor_country": "DE",
        "is_foreign": True,
        "investor_kind": "angel",
        "amount_usd": None,
    }
    encoded = encoding.canonical_bytes(fields, encoding.GENESIS_HASH)
    assert encoded.startswith(b'{"amount_usd":null,"event_id":"0f0f')
    assert b" " not in encoded
    assert b'"is_foreign":true,"is_main_hub":false,"kind":"intro_accepted"' in encoded
    tail = b'","region_code":"KZ-43","sector_code":"agritech","seq":1,"stage_code":"seed"}'
    assert encoded.endswith(b'"prev_hash":"' + b"0" * 64 + tail)
    assert encoding.event_hash(fields, encoding.GENESIS_HASH) == hashlib.sha256(encoded).hexdigest()


def test_each_event_holds_snapshots_and_is_chained_to_the_one_before() -> None:
    investor = ready_investor(country="DE")
    startup = listed(region_code="KZ-47", sector_code="logistics", stage_code="mvp")
    intro = match(investor, startup)
    close(intro, "250000.5")
    first, second, third = events()
    assert [e.kind for e in (first, second, third)] == ["intro_requested", "intro_accepted", "investment_closed"]
    assert (first.region_code, first.is_main_hub, first.sector_code, first.stage_code) == (
        "KZ-47",
        False,
        "logistics",
        "mvp",
    )
    assert (first.investor_country, first.is_foreign, first.investor_kind) == ("DE", True, "vc_fund")
    assert third.amount_usd == Decimal("250000.50")
    assert first.prev_hash == encoding.GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash
    assert len({e.event_id for e in (first, second, third)}) == 3
    assert all(len(e.event_id) == 32 for e in (first, second, third))
    head = db.session.get(LedgerHead, 1)
    assert head is not None
    assert (head.event_count, head.head_hash) == (3, third.hash)
    links = db.session.scalars(select(MatchEventLink).order_by(MatchEventLink.event_seq)).all()
    assert [(link.startup_id, link.investor_id) for link in links] == [(startup.id, investor.id)] * 3
    report = verification.verify_chain()
    assert report.ok
    assert (report.event_count, report.head_hash) == (3, third.hash)


def test_later_profile_edits_do_not_change_recorded_events() -> None:
    startup = listed(region_code="KZ-61")
    match(startup=startup)
    startup.region_code = "KZ-71"
    db.session.flush()
    assert {e.region_code for e in events()} == {"KZ-61"}
    assert verification.verify_chain().ok


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE match_event SET region_code = 'KZ-71'",
        "UPDATE match_event SET amount_usd = 1",
        "DELETE FROM match_event",
    ],
)
def test_the_database_refuses_to_change_or_delete_ledger_rows(statement: str) -> None:
    match()
    db.session.execute(text("DELETE FROM match_event_link"))  # the private links may go; the ledger may not
    with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
        db.session.execute(text(statement))
    assert [e.region_code for e in events()] == ["KZ-43", "KZ-43"]
    assert verification.verify_chain().ok


def drop_append_only_trigger() -> None:
    """What an attacker with database access would do first (inside the test's transaction)."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("DROP TRIGGER match_event_no_update"))
        db.session.execute(text("DROP TRIGGER match_event_no_delete"))
    else:
        db.session.execute(text("DROP TRIGGER match_event_append_only ON match_event"))


def test_ledger_verify_passes_then_names_the_row_that_was_tampered_with(runner: Any) -> None:
    for n in range(3):
        match(startup=listed(region_code="KZ-43", name=f"Verified {n}"))
    good = runner.invoke(args=["ledger", "verify"])
    assert good.exit_code == 0, good.output
    head = db.session.get(LedgerHead, 1)
    assert head is not None
    assert f"Ledger OK: 6 events, head hash {head.head_hash}" in good.output

    fourth = events()[3]
    drop_append_only_trigger()
    db.session.execute(text("UPDATE match_event SET region_code = 'KZ-71', is_main_hub = true WHERE seq = 4"))
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code == 1
    assert f"event #4 (event id {fourth.event_id})" in bad.output
    assert "do not match its hash" in bad.output
    assert "The 3 events before it verify" in bad.output


def test_ledger_verify_notices_a_deleted_row(runner: Any) -> None:
    for n in range(2):
        match(startup=listed(name=f"Deleted {n}"))
    drop_append_only_trigger()
    db.session.execute(text("DELETE FROM match_event_link WHERE event_seq = 2"))
    db.session.execute(text("DELETE FROM match_event WHERE seq = 2"))
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "event #3" in result.output
    assert "rows are missing" in result.output


def test_verify_checks_the_events_up_to_the_head_it_read_first() -> None:
    for n in range(2):
        match(startup=listed(name=f"Before {n}"))
    head = ledger.current_head()
    match(startup=listed(name="Appended during the scan"))  # commits after the head was read
    report = verification.verify_chain(head)
    assert report.ok, report.lines()
    assert (report.event_count, report.head_hash) == (4, head.head_hash)

    third = events()[2]
    drop_append_only_trigger()
    db.session.execute(text("UPDATE match_event SET sector_code = 'fintech' WHERE seq = 3"))
    broken = verification.verify_chain(head)
    assert (broken.broken_seq, broken.broken_event_id) == (3, third.event_id)
    assert "do not match its hash" in (broken.problem or "")


def test_ledger_verify_notices_events_after_the_head_row(runner: Any) -> None:
    for n in range(2):
        match(startup=listed(name=f"Headless {n}"))
    third = events()[2]
    db.session.execute(text("UPDATE ledger_head SET event_count = 3, head_hash = :hash"), {"hash": third.hash})
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 1
    assert "event #4 exists after the event the head row names" in result.output


@pytest.mark.parametrize(
    ("statement", "named"),
    [
        (
            "UPDATE ledger_slice SET event_count = event_count + 1"
            " WHERE kind = 'intro_accepted' AND dimension = 'region' AND value = 'KZ-62'",
            "ledger_slice row (month {month}, kind intro_accepted, dimension region, value KZ-62):"
            " it holds 2 events and $0.00 where the events add up to 1 event and $0.00.",
        ),
        (
            "UPDATE ledger_rollup SET amount_usd_cents = 100 WHERE kind = 'investment_closed'",
            "ledger_rollup row (month {month}, region_code KZ-62, is_main_hub false, kind investment_closed,"
            " investor_origin domestic, sector_code energy): it holds 1 event and $1.00"
            " where the events add up to 1 event and $250000.00.",
        ),
        (
            "DELETE FROM ledger_day WHERE kind = 'intro_requested'",
            "ledger_day row (day {day}, kind intro_requested, is_main_hub false):"
            " it holds 0 events where the events add up to 1 event.",
        ),
        (
            "INSERT INTO ledger_slice (month, kind, dimension, value, event_count, amount_usd_cents)"
            " VALUES ('2020-01-01', 'intro_accepted', 'region', 'KZ-43', 7, 0)",
            "ledger_slice row (month 2020-01-01, kind intro_accepted, dimension region, value KZ-43):"
            " it holds 7 events and $0.00 where the events add up to 0 events and $0.00.",
        ),
    ],
)
def test_ledger_verify_names_a_rollup_row_that_does_not_match_the_events(
    runner: Any, statement: str, named: str
) -> None:
    close(match(ready_investor(country="KZ"), listed(region_code="KZ-62", sector_code="energy")), "250000")
    good = runner.invoke(args=["ledger", "verify"])
    assert good.exit_code == 0, good.output
    assert "Rollups OK: ledger_rollup, ledger_slice, ledger_day hold what the events add up to." in good.output

    db.session.execute(text(statement))  # the rollup tables have no triggers: the dashboard reads them as they are
    bad = runner.invoke(args=["ledger", "verify"])
    assert bad.exit_code == 1
    now = datetime.now(UTC)
    assert named.format(month=month_of(now).isoformat(), day=now.date().isoformat()) in bad.output
    assert "All 3 events verify" in bad.output


def test_every_append_adds_to_the_rollups_in_the_same_transaction() -> None:
    now = datetime.now(UTC)
    domestic, foreign = ready_investor(country="KZ"), ready_investor(country="TR")
    regional = listed(region_code="KZ-62", sector_code="energy")
    hub = listed(region_code="KZ-75", sector_code="fintech")
    close(match(domestic, regional, at=now - timedelta(days=70)), "1000.25", at=now - timedelta(days=60))
    match(foreign, regional, at=now - timedelta(days=3))
    close(match(foreign, hub, at=now - timedelta(days=2)), "500", at=now - timedelta(days=1))

    raw = Counter()
    cents = Counter()
    for e in events():
        key = (month_of(e.occurred_at), e.region_code, e.kind, "foreign" if e.is_foreign else "domestic", e.sector_code)
        raw[key] += 1
        cents[key] += rollups.amount_cents(e.amount_usd)
    rollup = {
        (r.month, r.region_code, r.kind, r.investor_origin, r.sector_code): (r.event_count, r.amount_usd_cents)
        for r in db.session.scalars(select(LedgerRollup))
    }
    assert rollup == {key: (count, cents[key]) for key, count in raw.items()}
    slices = {(s.month, s.kind, s.dimension, s.value): s.event_count for s in db.session.scalars(select(LedgerSlice))}
    assert slices[(month_of(now - timedelta(days=1)), "investment_closed", "hub", "main")] >= 1
    for dimension in ("region", "hub", "origin", "sector"):
        assert sum(n for (_m, _k, d, _v), n in slices.items() if d == dimension) == len(events())
    days = db.session.execute(select(func.sum(LedgerDay.event_count))).scalar()
    assert days == len(events()) == 8
    total_cents = db.session.scalar(
        select(func.sum(LedgerSlice.amount_usd_cents)).where(LedgerSlice.dimension == "region")
    )
    assert total_cents == 100025 + 50000


def test_the_status_machine_appends_the_funnel_to_the_ledger_once_per_startup() -> None:
    submitted = startup_in(StartupStatus.SUBMITTED)
    approved = startup_in(StartupStatus.APPROVED)
    startup_in(StartupStatus.DRAFT)
    events = db.session.scalars(select(MatchEvent).where(MatchEvent.kind.like("startup_%"))).all()
    assert sorted((e.kind, e.region_code, e.investor_country, e.amount_usd) for e in events) == [
        ("startup_approved", "KZ-43", None, None),
        ("startup_submitted", "KZ-43", None, None),
        ("startup_submitted", "KZ-43", None, None),
    ]
    rows = {
        (sl.kind, sl.value): sl.event_count
        for sl in db.session.scalars(select(LedgerSlice).where(LedgerSlice.dimension == "region"))
    }
    assert rows == {("startup_submitted", "KZ-43"): 2, ("startup_approved", "KZ-43"): 1}
    origins = {sl.value for sl in db.session.scalars(select(LedgerSlice).where(LedgerSlice.dimension == "origin"))}
    assert origins == {""}  # no investor: neither domestic nor foreign
    assert submitted.region_code == approved.region_code == "KZ-43"
    assert verification.verify_ledger().ok  # the rollups the verifier rebuilds count them the same way


def test_a_startup_step_is_a_minimal_leaf_that_the_shipped_verifier_accepts(runner: Any, tmp_path: Path) -> None:
    startup_in(StartupStatus.APPROVED)  # submitted, then approved: two events without an investor
    investor = ready_investor(country="GB")
    match(investor, listed(region_code="KZ-10"))
    steps = db.session.scalars(select(MatchEvent).where(MatchEvent.kind.like("startup_%")).order_by(MatchEvent.seq))
    leaves = [encoding.leaf_fields(e) for e in steps]
    assert [(leaf["kind"], leaf["is_foreign"], leaf["amount_usd"]) for leaf in leaves] == [
        ("startup_submitted", None, None),
        ("startup_approved", None, None),
    ]
    assert set(leaves[0]) == set(encoding.V2_LEAF_FIELDS)  # day, kind, region, hub, sector: no stage, no investor
    assert leaves[0]["region_code"] == "KZ-43"
    assert leaves[0]["sector_code"]
    assert db.session.scalar(select(func.count()).select_from(MatchEventLink)) == 2  # the match's events only
    assert verification.verify_ledger().ok

    out = tmp_path / "open-data"
    result = runner.invoke(args=["ledger", "export", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    with (out / "events.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["kind"], r["is_foreign"]) for r in rows] == [
        ("startup_submitted", ""),
        ("startup_approved", ""),
        ("intro_requested", "true"),
        ("intro_accepted", "true"),
    ]
    for args in ((), (str(out / "events.csv"),)):
        ok = run_verifier(out, *args)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "OK: 4 events" in ok.stdout
        assert "Tree: 5 leaves" in ok.stdout
    funnel = json.loads((out / "funnel.json").read_text(encoding="utf-8"))
    assert [(f["region_code"], f["step"], f["startups"]) for f in funnel] == [
        ("KZ-43", "approved", "<3"),
        ("KZ-43", "submitted", "<3"),
    ]


def run_verifier(directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(directory / "verify.py"), *args], capture_output=True, text=True, check=False, timeout=60
    )


def test_the_export_holds_public_fields_only_and_its_verifier_needs_nothing_else(runner: Any, tmp_path: Path) -> None:
    investor = ready_investor(country="GB", email="partner@thames.example")
    intro = match(investor, listed(region_code="KZ-10", name="Semey Secret Sauce", contact_email="hi@semey.kz"))
    close(intro, "77000")
    out = tmp_path / "open-data"
    result = runner.invoke(args=["ledger", "export", "--out", str(out)])
    assert result.exit_code == 0, (result.output, result.exception)
    assert {p.name for p in out.iterdir()} >= {
        "events.csv", "events.json", "rollup.csv", "slices.json", "funnel.csv", "head.json", "verify.py", "README.md",
        "checkpoint.txt", "log-key.txt", "witness.py",
    }  # fmt: skip
    with (out / "events.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == list(encoding.EXPORT_COLUMNS)
    assert [r["kind"] for r in rows] == ["intro_requested", "intro_accepted", "investment_closed"]
    assert rows[2]["amount_usd"] == "77000.00"
    everything = "".join(p.read_text(encoding="utf-8") for p in out.iterdir() if p.suffix in (".csv", ".json"))
    for personal in ("thames.example", "Semey Secret Sauce", "hi@semey.kz", investor.name):
        assert personal not in everything
    head = json.loads((out / "head.json").read_text())
    assert head["event_count"] == 3

    for args in ((), (str(out / "events.csv"),)):
        ok = run_verifier(out, *args)
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert f"OK: 3 events, head hash {head['head_hash']}" in ok.stdout
        assert "Tree: 4 leaves" in ok.stdout
        assert "Checkpoint: signed by the log's key, and it names this tree." in ok.stdout

    (out / "events.csv").write_text(
        (out / "events.csv").read_text(encoding="utf-8").replace("77000.00", "7700000.00"), encoding="utf-8"
    )
    broken = run_verifier(out, str(out / "events.csv"))
    assert broken.returncode == 1
    assert "BROKEN: event #3 does not match its hash" in broken.stdout
    exported = (out / "events.json").read_text(encoding="utf-8")
    assert exported.count("\n") == 5  # "[", one line per event, "]"
    (out / "events.json").write_text(exported.replace('"77000.00"', '"77.00"'), encoding="utf-8")
    assert "BROKEN: event #3 does not match its hash" in run_verifier(out).stdout
    records = json.loads(exported)
    records[0]["region_code"] = "KZ-71"
    (out / "events.json").write_text(json.dumps(records), encoding="utf-8")  # another layout of the same array
    assert "BROKEN: event #1 does not match its hash" in run_verifier(out).stdout
    (out / "events.json").write_text(json.dumps(json.loads(exported), indent=2), encoding="utf-8")
    assert "OK: 3 events" in run_verifier(out).stdout


# -- concurrency: each append on a connection of its own, with real commits ----------------------


@pytest.fixture
def race_app(test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(
        test_databases.create("ledger_race"),
        UPLOAD_FOLDER=str(tmp_path_factory.mktemp("ledger-race")),
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 25, "max_overflow": 5},
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.own_database
def test_twenty_concurrent_appends_leave_one_valid_chain(race_app: Flask) -> None:
    """Twenty appends and five checkpoint signings at once: one chain, one tree, every checkpoint a prefix of it."""
    with race_app.app_context():
        intro = match()
        db.session.commit()
        intro_id = intro.id

    writers, signers = 20, 5
    start = threading.Barrier(writers + signers, timeout=30)
    failures: list[BaseException] = []

    def append() -> None:
        # A POST request's context, as in production: SQLite then starts with BEGIN IMMEDIATE.
        with race_app.test_request_context(method="POST"):
            try:
                start.wait()
                found = db.session.get(IntroRequest, intro_id)
                assert found is not None
                ledger.append(EventKind.MEETING, found)
                db.session.commit()
            except Exception as exc:  # reported by the assertion below
                failures.append(exc)
                db.session.rollback()

    def sign() -> None:
        with race_app.test_request_context(method="POST"):
            try:
                start.wait()
                checkpoints.issue_checkpoint()
                db.session.commit()
            except Exception as exc:  # reported by the assertion below
                failures.append(exc)
                db.session.rollback()

    threads = [threading.Thread(target=append) for _ in range(writers)]
    threads += [threading.Thread(target=sign) for _ in range(signers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    with race_app.app_context():
        report = verification.verify_chain()
        assert report.ok, report
        assert report.event_count == 2 + writers
        assert report.tree_size == 1 + 2 + writers  # the anchor leaf, then one leaf per event
        assert 1 <= report.checkpoints <= signers
        chained = db.session.scalars(select(MatchEvent).order_by(MatchEvent.seq)).all()
        assert [e.seq for e in chained] == list(range(1, 2 + writers + 1))
        assert [e.leaf_index for e in chained] == list(range(1, 2 + writers + 1))
        assert len({e.prev_hash for e in chained}) == len(chained)
        meetings = db.session.scalar(
            select(func.sum(LedgerSlice.event_count)).where(
                LedgerSlice.kind == "meeting", LedgerSlice.dimension == "region"
            )
        )
        assert meetings == writers


@pytest.fixture
def snapshot_app(test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(
        test_databases.create("ledger_snapshot"), UPLOAD_FOLDER=str(tmp_path_factory.mktemp("ledger-snapshot"))
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.own_database
def test_verify_reads_one_snapshot_while_events_are_appended(snapshot_app: Flask) -> None:
    race_app = snapshot_app
    with race_app.app_context():
        intro = match()
        db.session.commit()
        intro_id = intro.id
    appended: list[int] = []

    def append_elsewhere(head: ledger.Head) -> None:
        """Between the head read and the scan, another connection appends an event and commits."""

        def append() -> None:
            with race_app.app_context():
                found = db.session.get(IntroRequest, intro_id)
                assert found is not None
                appended.append(ledger.append(EventKind.MEETING, found).seq)
                db.session.commit()

        writer = threading.Thread(target=append)
        writer.start()
        writer.join(timeout=30)

    with race_app.app_context():
        report = verification.verify_ledger(after_head=append_elsewhere)
    assert appended == [3]
    assert report.ok, report.lines()  # under READ COMMITTED the rollups would already hold the third event
    assert (report.event_count, report.rollups_checked) == (2, True)
    with race_app.app_context():
        again = verification.verify_ledger()
    assert again.ok, again.lines()
    assert again.event_count == 3


def test_the_demo_reviews_its_startups_in_one_timeline_with_its_intros() -> None:
    """Reviews are ledger events and the ledger's time never goes back: the demo's history still spans its months."""
    seed_demo()
    months = {
        kind: {
            (at.year, at.month)
            for at in db.session.scalars(select(MatchEvent.occurred_at).where(MatchEvent.kind == kind))
        }
        for kind in ("startup_submitted", "startup_approved", "intro_requested")
    }
    assert all(len(spread) >= 12 for spread in months.values()), {k: len(v) for k, v in months.items()}
    assert verification.verify_ledger().ok
