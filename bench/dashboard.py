"""The evidence dashboard under load at 10,000 and at 1,000,000 ledger events: its cost must not follow the count.

Usage: python bench/dashboard.py   (SQLite always; PostgreSQL too when BENCH_DATABASE_URL is set)

For each size it builds a throwaway database with the real migrations, bulk-loads that many
ledger events spread over the last 18 months (hashes chained and rollups summed by the same
functions the app appends with, so `flask ledger verify` passes), serves the app with gunicorn
and drives the public dashboard with wrk. It prints req/s, p50 and p95 per size, the ratio of
the p95s, and writes bench/dashboard.json. BENCH_SECONDS (default 15) sets the time per run;
BENCH_DASHBOARD_SIZES (default "10000,1000000") the sizes.
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

from bench.run import free_port, make_database  # noqa: E402
from dealflow import create_app  # noqa: E402
from dealflow.evidence import ledger  # noqa: E402
from dealflow.extensions import db  # noqa: E402
from dealflow.models import (  # noqa: E402
    LedgerDay,
    LedgerHead,
    LedgerRollup,
    LedgerSlice,
    MatchEvent,
)
from dealflow.reference.data import MAIN_HUB_CODES, REGIONS, SECTORS, STAGES  # noqa: E402

DURATION = int(os.environ.get("BENCH_SECONDS", "15"))
SIZES = [int(n) for n in os.environ.get("BENCH_DASHBOARD_SIZES", "10000,1000000").split(",")]
CONNECTIONS = 16
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
        investor = kind not in ledger.STARTUP_STEPS
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
        )


class Totals:
    """The rollup, slice and day counters of every event, summed in memory and written once at the end."""

    def __init__(self) -> None:
        self.rollup: dict[tuple[Any, ...], list[int]] = {}
        self.slices: dict[tuple[Any, ...], list[int]] = {}
        self.days: dict[tuple[Any, ...], list[int]] = {}

    def count(self, event: SimpleNamespace) -> None:
        rows = ledger.rollup_rows(event)  # the same rows ledger.append adds to, one at a time
        cents = rows.rollup["amount_usd_cents"]
        add(self.rollup, tuple(rows.rollup[k] for k in ROLLUP_KEYS), cents)
        for s in rows.slices:
            add(self.slices, tuple(s[k] for k in SLICE_KEYS), cents)
        add(self.days, (rows.day["day"], rows.day["kind"], rows.day["is_main_hub"]), 0)


ROLLUP_KEYS = ("month", "region_code", "is_main_hub", "kind", "investor_origin", "sector_code")
SLICE_KEYS = ("month", "kind", "dimension", "value")


def add(totals: dict[tuple[Any, ...], list[int]], key: tuple[Any, ...], cents: int) -> None:
    entry = totals.setdefault(key, [0, 0])
    entry[0] += 1
    entry[1] += cents


def chained(count: int, totals: Totals) -> Iterator[list[Any]]:
    """Each event's column values in ledger order, hashed onto the one before and counted in the totals."""
    previous = ledger.GENESIS_HASH
    for event in generate(count, datetime.now(UTC)):
        event.prev_hash = previous
        event.hash = previous = ledger.event_hash(ledger.public_fields(event), previous)
        totals.count(event)
        yield [getattr(event, name) for name in ledger.EVENT_COLUMNS]


def seed(url: str, count: int) -> tuple[str, float]:
    """Load `count` chained events and their rollups in bulk; returns the head hash and seconds taken."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "null"})
    started = time.monotonic()
    with app.app_context():
        import flask_migrate

        flask_migrate.upgrade()
        engine = db.engine
        totals = Totals()
        head = ledger.GENESIS_HASH
        if engine.dialect.name == "postgresql":
            raw = engine.raw_connection()
            try:
                statement = f"COPY match_event ({', '.join(ledger.EVENT_COLUMNS)}) FROM STDIN"
                with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[attr-defined]
                    for values in chained(count, totals):
                        copy.write_row(values)
                        head = values[-1]
                raw.commit()
            finally:
                raw.close()
        else:
            batch: list[dict[str, Any]] = []
            for values in chained(count, totals):
                batch.append(dict(zip(ledger.EVENT_COLUMNS, values, strict=True)))
                head = values[-1]
                if len(batch) == BATCH:
                    _insert_all(MatchEvent, batch)
                    batch = []
            _insert_all(MatchEvent, batch)
        _insert_all(LedgerRollup, [dict(zip(ROLLUP_KEYS, k, strict=True)) | _sums(v) for k, v in totals.rollup.items()])
        _insert_all(LedgerSlice, [dict(zip(SLICE_KEYS, k, strict=True)) | _sums(v) for k, v in totals.slices.items()])
        days = [{"day": k[0], "kind": k[1], "is_main_hub": k[2], "event_count": v[0]} for k, v in totals.days.items()]
        _insert_all(LedgerDay, days)
        db.session.execute(update(LedgerHead).where(LedgerHead.id == 1).values(event_count=count, head_hash=head))
        db.session.commit()
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            connection.commit()
    return head, time.monotonic() - started


def _sums(value: list[int]) -> dict[str, int]:
    return {"event_count": value[0], "amount_usd_cents": value[1]}


def _insert_all(model: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        db.session.execute(insert(model), rows[start : start + BATCH])
    db.session.commit()


def verify(url: str) -> tuple[bool, int, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "null"})
    started = time.monotonic()
    with app.app_context():
        report = ledger.verify_chain()
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
            report[str(size)].update(serve_and_measure(url))
        finally:
            drop()
    small, large = (report[str(n)] for n in (SIZES[0], SIZES[-1]))
    report["p95_ratio"] = {name: round(large[name]["p95_ms"] / small[name]["p95_ms"], 2) for name in SCENARIOS}
    return report


def show(engine_name: str, report: dict[str, Any]) -> None:
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
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: make wrk installs it with apt-get")
    results: dict[str, Any] = {"sqlite": bench("sqlite")}
    show("SQLite", results["sqlite"])
    if os.environ.get("BENCH_DATABASE_URL"):
        results["postgresql"] = bench("postgresql")
        show("PostgreSQL", results["postgresql"])
    (BENCH / "dashboard.json").write_text(json.dumps(results, indent=2) + "\n")
    print(f"\nwritten to {BENCH / 'dashboard.json'}")


if __name__ == "__main__":
    main()
