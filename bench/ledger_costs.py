"""What the transparency log costs on a seeded ledger: append, checkpoint, proofs over HTTP, verify, export."""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from dealflow import create_app
from dealflow.evidence import checkpoints, ledger, opendata, tree
from dealflow.evidence.verification import verify_ledger
from dealflow.extensions import db
from dealflow.models import LedgerHead

APPENDS = 200
PROOFS = 500


def p95(samples: list[float]) -> float:
    return round(statistics.quantiles(samples, n=20)[-1] * 1000, 2)


def _expect_ok(status: int) -> None:
    if status != 200:
        raise SystemExit(f"a proof request answered {status}")


def measure_log(url: str) -> dict[str, Any]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "null", "LEDGER_CHECKPOINT_SECONDS": 0})
    rng = random.Random(13)
    result: dict[str, Any] = {}
    with app.app_context():
        about = SimpleNamespace(id=0, region_code="KZ-43", sector_code="agritech", stage_code="seed")
        started = time.monotonic()
        checkpoint = checkpoints.issue_checkpoint()
        db.session.commit()
        result["first_checkpoint_ms"] = round((time.monotonic() - started) * 1000, 2)
        appends, signs = [], []
        for n in range(APPENDS):
            started = time.monotonic()
            ledger.append("meeting", startup=about)  # type: ignore[arg-type]
            db.session.commit()
            appends.append(time.monotonic() - started)
            if n % 10 == 9:
                started = time.monotonic()
                checkpoint = checkpoints.issue_checkpoint()
                db.session.commit()
                signs.append(time.monotonic() - started)
        result["append_p50_ms"] = round(statistics.median(appends) * 1000, 2)
        result["append_p95_ms"] = p95(appends)
        result["checkpoint_p95_ms"] = p95(signs)
        head = db.session.get(LedgerHead, 1)
        size = head.tree_size if head is not None else 0
        first, last = checkpoints.checkpoints_from(0, 1)[0].tree_size, checkpoint.tree_size
        db.session.rollback()
    client = app.test_client()
    inclusion, consistency = [], []
    for _ in range(PROOFS):
        index = rng.randrange(size)
        started = time.monotonic()
        _expect_ok(client.get(f"/evidence/proof/inclusion?index={index}&size={size}").status_code)
        inclusion.append(time.monotonic() - started)
        old = rng.randrange(1, size)
        started = time.monotonic()
        _expect_ok(client.get(f"/evidence/proof/consistency?from={old}&to={size}").status_code)
        consistency.append(time.monotonic() - started)
    result["inclusion_proof_http_p95_ms"] = p95(inclusion)
    result["consistency_proof_http_p95_ms"] = p95(consistency)
    with app.app_context():  # the same proofs without HTTP: the database's share of the cost
        direct = []
        for _ in range(PROOFS):
            index, old = rng.randrange(size), rng.randrange(1, size)
            started = time.monotonic()
            tree.inclusion_proof(index, size)
            tree.consistency_proof(old, size)
            direct.append(time.monotonic() - started)
        result["both_proofs_in_process_p95_ms"] = p95(direct)
    result["tree_size"], result["checkpoint_sizes"] = size, [first, last]
    with app.app_context():
        started = time.monotonic()
        report = verify_ledger()
        result["verify_seconds"] = round(time.monotonic() - started, 1)
        result["verify_ok"] = report.ok
        with tempfile.TemporaryDirectory() as folder:
            started = time.monotonic()
            opendata.export_open_data(Path(folder))
            db.session.commit()
            result["export_seconds"] = round(time.monotonic() - started, 1)
    return result
