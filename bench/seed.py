"""Build a throwaway benchmark database: 100,000 approved startups in all regions and 10,000 investors.

Usage: python bench/seed.py DATABASE_URL   (the database must exist and be empty)
Rows go in through SQLAlchemy Core in batches; the schema (full-text search included) comes from
the real migrations, so the benchmark measures the app as it ships.
"""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta

import flask_migrate
from sqlalchemy import insert

os.environ.setdefault("DEALFLOW_ENV", "development")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dealflow import create_app  # noqa: E402
from dealflow.auth.passwords import hash_password  # noqa: E402
from dealflow.extensions import db  # noqa: E402
from dealflow.models import InvestorProfile, Startup, User, utcnow  # noqa: E402
from dealflow.reference.data import REGIONS, SECTORS, STAGES  # noqa: E402

STARTUPS = int(os.environ.get("BENCH_STARTUPS", "100000"))
INVESTORS = int(os.environ.get("BENCH_INVESTORS", "10000"))
BATCH = 5000
BENCH_PASSWORD = "Bench-investor-2026"  # noqa: S105 -- a throwaway database on loopback
WORDS = [
    "farm",
    "water",
    "sensor",
    "irrigation",
    "wheat",
    "bank",
    "payments",
    "school",
    "exam",
    "clinic",
    "doctor",
    "freight",
    "truck",
    "solar",
    "grid",
    "mine",
    "steel",
    "data",
    "speech",
    "kazakh",
    "language",
    "shop",
    "craft",
    "permit",
    "akimat",
    "tourism",
    "guesthouse",
    "accounting",
    "payroll",
    "фермер",
    "полив",
    "школа",
    "банк",
    "платежи",
    "логистика",
    "солнце",
    "данные",
    "шаруашылық",
    "білім",
    "денсаулық",
    "сауда",
]


def main(url: str) -> None:
    rng = random.Random(2026)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "MAIL_BACKEND": "null"})
    with app.app_context():
        flask_migrate.upgrade()
        started = time.monotonic()
        password = hash_password(BENCH_PASSWORD)
        owner = db.session.execute(
            insert(User).values(
                email="bench-founder@bench.kz", password_hash=password, name="Bench Founder", role="founder"
            )
        ).inserted_primary_key[0]
        now = utcnow()
        rows = []
        for n in range(STARTUPS):
            region = REGIONS[n % len(REGIONS)]
            ask = rng.choice([25, 50, 100, 150, 250, 400, 750, 1500]) * 1000
            words = rng.sample(WORDS, 8)
            rows.append(
                {
                    "owner_id": owner,
                    "name": f"{words[0].title()}{words[1].title()} {n}",
                    "slug": f"bench-{n}",
                    "tagline": " ".join(words[:4]),
                    "description": " ".join(words) + f". Built in {region.centre_en}.",
                    "founded_year": rng.randint(2015, 2025),
                    "region_code": region.code,
                    "city": region.centre_en,
                    "sector_code": rng.choice(SECTORS).code,
                    "stage_code": rng.choice(STAGES).code,
                    "team_size": rng.randint(1, 60),
                    "team": [],
                    "currency": "USD",
                    "ask_amount": ask,
                    "ask_usd": ask,
                    "instrument": rng.choice(["equity", "safe", "convertible_note", "grant", "debt"]),
                    "monthly_revenue": rng.choice([0, 0, 1000, 5000]),
                    "monthly_revenue_usd": rng.choice([0, 0, 1000, 5000]),
                    "customers_count": rng.randint(0, 500),
                    "export_markets": [],
                    "has_exports": rng.random() < 0.2,
                    "status": "approved",
                    "created_at": now - timedelta(minutes=n),
                    "updated_at": now - timedelta(minutes=n),
                    "version": 1,
                }
            )
            if len(rows) == BATCH:
                db.session.execute(insert(Startup), rows)
                rows = []
        if rows:
            db.session.execute(insert(Startup), rows)
        users = [
            {"email": f"investor{n}@bench.kz", "password_hash": password, "name": f"Investor {n}", "role": "investor"}
            for n in range(INVESTORS)
        ]
        for start in range(0, len(users), BATCH):
            db.session.execute(insert(User), users[start : start + BATCH])
        ids = db.session.scalars(db.select(User.id).where(User.role == "investor")).all()
        profiles = [
            {
                "user_id": i,
                "country": rng.choice(["KZ", "KZ", "DE", "US", "AE"]),
                "sectors": rng.sample([s.code for s in SECTORS], 3),
                "stages": rng.sample([s.code for s in STAGES], 2),
                "regions": [],
                "regional_mandate": rng.random() < 0.5,
                "ticket_min_usd": 50_000,
                "ticket_max_usd": 500_000,
                "verified_at": now,
            }
            for i in ids
        ]
        for start in range(0, len(profiles), BATCH):
            db.session.execute(insert(InvestorProfile), profiles[start : start + BATCH])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        else:
            with db.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        print(f"seeded {STARTUPS} startups and {INVESTORS} investors in {time.monotonic() - started:.1f}s")


if __name__ == "__main__":
    main(sys.argv[1])
