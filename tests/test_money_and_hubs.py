"""One rounding rule for money (half up, to the cent) and one list of the main hubs, used everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select

from dealflow.evidence import encoding, rollups
from dealflow.extensions import db
from dealflow.investors.queries import DiscoveryQuery, discover
from dealflow.models import Currency, MatchEvent, Region, Role
from dealflow.money import to_cents, whole_cents
from dealflow.reference.data import MAIN_HUB_CODES, REGIONS
from dealflow.startups import forms
from dealflow.startups import services as startups
from tests.factories import UserFactory
from tests.match_helpers import close, listed, match, ready_investor

SOURCE = Path(__file__).resolve().parent.parent / "dealflow"


def test_half_a_cent_rounds_up_everywhere() -> None:
    assert to_cents(Decimal("0.125")) == Decimal("0.13")  # banker's rounding would give 0.12
    assert to_cents(Decimal("2.675")) == Decimal("2.68")
    assert to_cents(Decimal("0.135")) == Decimal("0.14")
    assert whole_cents(Decimal("10.005")) == 1001
    assert whole_cents(None) == 0
    assert forms._cents(Decimal("0.125")) == Decimal("0.13")
    startups.set_exchange_rate(Currency.KZT, Decimal("500"), actor=UserFactory(role=Role.ADMIN))
    assert startups.to_usd(Decimal("2.5"), Currency.KZT) == Decimal("0.01")  # 0.005 dollars
    assert encoding.format_amount(Decimal("0.125")) == "0.13"
    assert rollups.amount_cents(Decimal("0.125")) == 13


def test_no_module_rounds_money_its_own_way() -> None:
    for path in SOURCE.rglob("*.py"):
        if path.name == "money.py":
            continue
        code = path.read_text(encoding="utf-8")
        assert "quantize(" not in code, path
        assert "ROUND_" not in code, path


def test_hashes_of_amounts_at_cents_are_what_they_were() -> None:
    """Hashes taken under the old rule (bare quantize): amounts at cents are encoded the same way."""
    expected = {
        Decimal("125000.50"): "97e215e0b19e81fb29994905942f9552bb6e81940ea193960e08d391079f88d0",
        Decimal("0.01"): "26f9f5f4ad4bb372c2b9185961808e4db173412aab53c2020a50d3b48c8b47a8",
        None: "9fc91e78f43219da8757e0d853f49cee8ea94fe23c371880a12cc8336178aa72",
        Decimal("1000"): "777eec9c88bb93b9f63ee002f64a59746847c724af9fa8c2609c754f711f8aff",
    }
    for amount, digest in expected.items():
        event = SimpleNamespace(
            seq=7,
            event_id="0f" * 16,
            occurred_at=datetime(2026, 3, 1, 10, 0, tzinfo=UTC),
            kind="investment_closed",
            region_code="KZ-43",
            is_main_hub=False,
            sector_code="agritech",
            stage_code="seed",
            investor_country="DE",
            is_foreign=True,
            investor_kind="angel",
            amount_usd=amount,
        )
        assert encoding.event_hash(encoding.public_fields(event), "ab" * 32) == digest, amount


def test_a_chain_with_amounts_still_verifies(runner: Any) -> None:
    close(match(), "125000.50")
    close(match(startup=listed(name="Tenge Close")), "0.01")
    stored = db.session.scalars(select(MatchEvent.amount_usd).where(MatchEvent.amount_usd.is_not(None))).all()
    assert sorted(stored) == [Decimal("0.01"), Decimal("125000.50")]
    result = runner.invoke(args=["ledger", "verify"])
    assert result.exit_code == 0, result.output
    assert "Ledger OK" in result.output


def test_the_main_hubs_are_astana_and_almaty_city_in_code_and_in_the_database() -> None:
    assert frozenset({"KZ-71", "KZ-75"}) == MAIN_HUB_CODES
    assert "KZ-19" not in MAIN_HUB_CODES  # Almaty Region is not Almaty city
    assert {r.code for r in REGIONS if r.is_main_hub} == MAIN_HUB_CODES
    in_database = set(db.session.scalars(select(Region.code).where(Region.is_main_hub.is_(True))))
    assert in_database == MAIN_HUB_CODES
    assert db.session.scalar(select(Region.code).where(Region.code == "KZ-19", Region.is_main_hub.is_(False)))


def test_discovery_and_the_ledger_agree_on_what_is_outside_the_main_hubs() -> None:
    codes = ("KZ-71", "KZ-75", "KZ-19", "KZ-43")
    for code in codes:
        listed(region_code=code, name=f"In {code}")
    outside = {c.startup.name for c in discover(DiscoveryQuery(outside_main_hubs=True), None, None).cards}
    assert outside == {"In KZ-19", "In KZ-43"}
    for code in codes:
        match(ready_investor(), listed(region_code=code, name=f"Matched in {code}"))
    flags = dict(db.session.execute(select(MatchEvent.region_code, MatchEvent.is_main_hub)).all())
    assert flags == {code: code in MAIN_HUB_CODES for code in codes}
