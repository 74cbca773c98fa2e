"""The evidence dashboard and the ledger's log at 10,000 and at 1,000,000 events: costs must not follow the count.

Usage: python bench/dashboard.py   (SQLite always; PostgreSQL too when BENCH_DATABASE_URL is set)

For each size it builds a throwaway database with the real migrations, bulk-loads that many
ledger events spread over the last 18 months (v2 leaves with commitments, chained, their Merkle
tree and rollups built by the same functions the app appends with, so `flask ledger verify`
passes), then measures the log: the cost of one append, of signing a checkpoint, the p95 of
inclusion and consistency proofs over HTTP, `flask ledger verify` and the export. Unless
BENCH_SKIP_WRK=1 it then serves the app with gunicorn and drives the dashboard with wrk.
It prints the figures and writes bench/dashboard.json. BENCH_SECONDS (default 15) sets the
time per wrk run; BENCH_DASHBOARD_SIZES (default "10000,1000000") the sizes.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, update

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
WORK = BENCH / "work"
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DEALFLOW_ENV", "development")

from bench.ledger_costs import measure_log  # noqa: E402
from bench.run import free_port, make_database  # noqa: E402
from dealflow import create_app  # noqa: E402
from dealflow.evidence import encoding, merkle, rollups  # noqa: E402
from dealflow.evidence.verification import verify_chain  # noqa: E402
from dealflow.extensions import db  # noqa: E402
from dealflow.models import (  # noqa: E402
    LedgerDay,
    LedgerHead,
    LedgerRollup,
    LedgerSlice,
    LedgerTreeNode,
    MatchEvent,
)
from dealflow.reference.data import MAIN_HUB_CODES, REGIONS, SECTORS, STAGES  # noqa: E402

DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
SIZES = [int(n) for n in os.environ.get("BENCH_DASHBOARD_SIZES", "10000,1000000").split(",")]
CONNECTIONS = 16
SKIP_WRK = os.environ.get("BENCH_SKIP_WRK") == "1"
BATCH = 10_000
SPAN = timedelta(days=548)  # 18 months
SCENARIOS = {"dashboard": "/evidence/", "dashboard_all_time": "/evidence/?period=all"}
KINDS = (
    ("intro_requested", 45),
    ("intro_accepted", 30),
    ("meeting", 13),
    ("term_sheet", 7),
    ("investment_closed", 5),
    ("startup_submitted", 6),  # the funnel's first steps are ledger events too: no investor, no amount
    ("startup_approved", 4),
)
COUNTRIES = (("KZ", 60), ("DE", 8), ("US", 8), ("AE", 6), ("TR", 6), ("UZ", 6), ("GB", 6))
INVESTOR_KINDS = ("angel", "vc_fund", "corporate", "government_fund", "family_office", "accelerator")


def weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def generate(count: int, now: datetime) -> Iterator[SimpleNamespace]:
    """Events in time order over the last 18 months, busier in Astana and Almaty, with snapshots and amounts."""
    rng = random.Random(2026)
    regions = [(r.code, 6 if r.code in MAIN_HUB_CODES else 1) for r in REGIONS]
    start = now - SPAN
    offsets = sorted(rng.random() * SPAN.total_seconds() for _ in range(count))
    for seq, offset in enumerate(offsets, start=1):
        kind = weighted(rng, KINDS)
        region = weighted(rng, tuple(regions))
        country = weighted(rng, COUNTRIES)
        investor = kind not in encoding.STARTUP_STEPS
        yield SimpleNamespace(
            seq=seq,
            event_id=uuid.UUID(int=rng.getrandbits(128)).hex,
            occurred_at=(start + timedelta(seconds=offset)).replace(microsecond=0),
            kind=kind,
            region_code=region,
            is_main_hub=region in MAIN_HUB_CODES,
            sector_code=rng.choice(SECTORS).code,
            stage_code=rng.choice(STAGES).code if investor else None,
            investor_country=country if investor else None,
            is_foreign=investor and country != "KZ",
            investor_kind=rng.choice(INVESTOR_KINDS) if investor else None,
            amount_usd=Decimal(rng.choice([25, 50, 100, 150, 250, 500, 1000]) * 1000)
            if kind == "investment_closed"
            else None,
            amount_public=rng.random() < 0.5,
            leaf_version=encoding.LEAF_V2,
            leaf_index=seq,
            salt=uuid.UUID(int=rng.getrandbits(128)).hex,
        )


class Totals:
    """The rollup, slice and day counters of every event, summed in memory and written once at the end."""

    def __init__(self) -> None:
        self.rollup: dict[tuple[Any, ...], list[int]] = {}
        self.slices: dict[tuple[Any, ...], list[int]] = {}
        self.days: dict[tuple[Any, ...], list[int]] = {}

    def count(self, event: SimpleNamespace) -> None:
        rows = rollups.rollup_rows(event)  # the same rows ledger.append adds to, one at a time
        cents, disclosed = rows.rollup["amount_usd_cents"], rows.rollup["disclosed_count"]
        add(self.rollup, tuple(rows.rollup[k] for k in ROLLUP_KEYS), cents, disclosed)
        for s in rows.slices:
            add(self.slices, tuple(s[k] for k in SLICE_KEYS), cents, disclosed)
        add(self.days, (rows.day["day"], rows.day["kind"], rows.day["is_main_hub"]), 0, 0)


ROLLUP_KEYS = ("month", "region_code", "is_main_hub", "kind", "investor_origin", "sector_code")
SLICE_KEYS = ("month", "kind", "dimension", "value")


def add(totals: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], cents: int, disclosed: int) -> None:
    entry = totals.setdefault(key, [0, 0, 0])
    entry[0] += 1
    entry[1] += cents
    entry[2] += disclosed


EVENT_COLUMNS = (*encoding.EVENT_COLUMNS, "leaf_version", "leaf_index", "amount_public", "salt", "commitment")
NODE_COLUMNS = ("level", "index", "hash")


class Frontier:
    """The tree's pending left subtrees (one per level): each leaf closes the nodes an append would store."""

    def __init__(self) -> None:
        self.left: dict[int, bytes] = {}
        self.size = 0

    def add(self, data: bytes) -> list[tuple[int, int, str]]:
        index, level, current = self.size, 0, merkle.leaf_hash(data)
        nodes = [(0, index, current.hex())]
        position = index
        while position % 2 == 1:
            current = merkle.node_hash(self.left.pop(level), current)
            level, position = level + 1, position // 2
            nodes.append((level, position, current.hex()))
        self.left[level] = current
        self.size += 1
        return nodes


def chained(count: int, totals: Totals, frontier: Frontier, nodes: list[tuple[int, int, str]]) -> Iterator[list[Any]]:
    """Each event's column values in ledger order: committed, hashed onto the one before, a leaf, counted."""
    previous = encoding.GENESIS_HASH
    nodes += frontier.add(encoding.canonical(encoding.anchor_document(0, previous)))
    for event in generate(count, datetime.now(UTC)):
        event.prev_hash = previous
        event.commitment = encoding.commitment_of(event)
        event.hash = previous = encoding.event_hash(encoding.leaf_fields(event), previous)
        nodes += frontier.add(encoding.leaf_data(event))
        totals.count(event)
        yield [getattr(event, name) for name in EVENT_COLUMNS]


def _copy(engine: Any, table: str, columns: tuple[str, ...], rows: Iterator[Any]) -> Any:
    """PostgreSQL's COPY of rows into a table; returns the last row written."""
    raw = engine.raw_connection()
    last = None
    try:
        statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with raw.cursor() as cursor, cursor.copy(statement) as copy:
            for values in rows:
                copy.write_row(values)
                last = values
        raw.commit()
    finally:
        raw.close()
    return last


def seed(url: str, count: int) -> tuple[str, float]:
    """Load `count` chained events, their tree and rollups in bulk; returns the head hash and seconds taken."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "null"})
    started = time.monotonic()
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        engine = db.engine
        totals, frontier, nodes = Totals(), Frontier(), []
        head, last_time = encoding.GENESIS_HASH, None
        hash_at, time_at = EVENT_COLUMNS.index("hash"), EVENT_COLUMNS.index("occurred_at")
        if engine.dialect.name == "postgresql":
            last = _copy(engine, "match_event", EVENT_COLUMNS, chained(count, totals, frontier, nodes))
            head, last_time = last[hash_at], last[time_at]
            _copy(engine, "ledger_tree_node", NODE_COLUMNS, iter(nodes))
        else:
            batch: list[dict[str, Any]] = []
            for values in chained(count, totals, frontier, nodes):
                batch.append(dict(zip(EVENT_COLUMNS, values, strict=True)))
                head, last_time = values[hash_at], values[time_at]
                if len(batch) == BATCH:
                    _insert_all(MatchEvent, batch)
                    batch = []
            _insert_all(MatchEvent, batch)
            _insert_all(LedgerTreeNode, [dict(zip(NODE_COLUMNS, n, strict=True)) for n in nodes])
        _insert_all(LedgerRollup, [dict(zip(ROLLUP_KEYS, k, strict=True)) | _sums(v) for k, v in totals.rollup.items()])
        _insert_all(LedgerSlice, [dict(zip(SLICE_KEYS, k, strict=True)) | _sums(v) for k, v in totals.slices.items()])
        days = [{"day": k[0], "kind": k[1], "is_main_hub": k[2], "event_count": v[0]} for k, v in totals.days.items()]
        _insert_all(LedgerDay, days)
        db.session.execute(
            update(LedgerHead)
            .where(LedgerHead.id == 1)
            .values(event_count=count, head_hash=head, tree_size=frontier.size, updated_at=last_time)
        )
        db.session.commit()
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    return head, time.monotonic() - started


def _sums(value: list[int]) -> dict[str, int]:
    return {"event_count": value[0], "amount_usd_cents": value[1], "disclosed_count": value[2]}


def _insert_all(model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start : start + BATCH])
    db.session.commit()


def verify(url: str) -> tuple[bool, int, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "null"})
    started = time.monotonic()
    with app.app_context():
        report = verify_chain()
    return report.ok, report.event_count, time.monotonic() - started


def wrk(url: str, env: dict[str, str]) -> dict[str, float]:
    out = subprocess.run(
        [shutil.which("wrk") or "wrk", "-t2", f"-c{CONNECTIONS}", f"-d{DURATION}s", "--timeout", "5s",
         "-s", str(BENCH / "get.lua"), url],
        env=env, check=True, capture_output=True, text=True, cwd=ROOT,
    ).stdout  # fmt: skip
    return dict(json.loads(next(line for line in out.splitlines() if line.startswith("{"))))


def serve_and_measure(url: str) -> dict[str, dict[str, float]]:
    env = {
        **os.environ,
        "DEALFLOW_ENV": "development",
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-only-secret-not-used-anywhere-else",
        "RATELIMIT_ENABLED": "0",
        "MAIL_BACKEND": "null",
        "BENCH_DIR": str(BENCH),
    }
    env.pop("BENCH_COOKIE", None)  # the dashboard is public: no session
    port = free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-w", str(os.cpu_count() or 2), "-k", "sync",
         "-b", f"127.0.0.1:{port}", "wsgi:app", "--log-level", "warning"],
        cwd=ROOT, env=env,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.2)
        results = {}
        for name, path in SCENARIOS.items():
            urllib.request.urlopen(base + path, timeout=10).read()  # warm both workers' caches of templates
            results[name] = wrk(base + path, env)
            if results[name].get("non_2xx_3xx") or results[name].get("errors"):
                raise SystemExit(f"{name}: {results[name]} (errors)")
        return results
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def bench(engine_name: str) -> dict[str, Any]:
    report: dict[str, Any] = {}
    for size in SIZES:
        url, drop = make_database(engine_name, "bench_dashboard")
        try:
            print(f"[{engine_name}] seeding {size:,} ledger events…", flush=True)
            head, seconds = seed(url, size)
            ok, checked, verify_seconds = verify(url)
            print(f"  seeded in {seconds:.0f}s; ledger verify: {'OK' if ok else 'BROKEN'}, {checked:,} events "
                  f"in {verify_seconds:.0f}s, head {head[:16]}…", flush=True)  # fmt: skip
            if not ok:
                raise SystemExit("the seeded chain does not verify")
            report[str(size)] = {"seed_seconds": round(seconds, 1), "verify_seconds": round(verify_seconds, 1)}
            report[str(size)]["log"] = log = measure_log(url)
            print(f"  log: {json.dumps(log)}", flush=True)
            if not SKIP_WRK:
                report[str(size)].update(serve_and_measure(url))
        finally:
            drop()
    if not SKIP_WRK:
        small, large = (report[str(n)] for n in (SIZES[0], SIZES[-1]))
        report["p95_ratio"] = {name: round(large[name]["p95_ms"] / small[name]["p95_ms"], 2) for name in SCENARIOS}
    return report


def show(engine_name: str, report: dict[str, Any]) -> None:
    print(f"\n{engine_name}: the log")
    for size in SIZES:
        print(f"  {size:>10,} events: {json.dumps(report[str(size)]['log'])}")
    if SKIP_WRK:
        return
    print(f"\n{engine_name}: {DURATION}s per run, {CONNECTIONS} connections")
    print(f"  {'events':>10} {'scenario':<20} {'req/s':>9} {'p50 ms':>8} {'p95 ms':>8}")
    for size in SIZES:
        for name in SCENARIOS:
            f = report[str(size)][name]
            print(f"  {size:>10,} {name:<20} {f['rps']:>9.1f} {f['p50_ms']:>8.2f} {f['p95_ms']:>8.2f}")
    for name, ratio in report["p95_ratio"].items():
        verdict = "within 1.5x" if ratio <= 1.5 else "OVER 1.5x"
        print(f"  p95 at {SIZES[-1]:,} / p95 at {SIZES[0]:,} ({name}): {ratio:.2f} ({verdict})")


def main() -> None:
    if shutil.which("wrk") is None and not SKIP_WRK:
        raise SystemExit("wrk is not installed: make wrk installs it with apt-get")
    results: dict[str, Any] = {"sqlite": bench("sqlite")}
    show("SQLite", results["sqlite"])
    if os.environ.get("BENCH_DATABASE_URL"):
        results["postgresql"] = bench("postgresql")
        show("PostgreSQL", results["postgresql"])
    out = BENCH / os.environ.get("BENCH_OUT", "dashboard.json")
    out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {out}")


if __name__ == "__main__":
    main()
