"""Every write to a listed startup, through the ORM or a Core statement, bumps the listing generation."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session

from dealflow.extensions import db
from dealflow.investors import listing
from dealflow.investors.listing import current_generation
from dealflow.models import Currency, ExchangeRate, Role, Startup, StartupStatus
from dealflow.startups import services as startups
from tests.conftest import Auth
from tests.factories import PASSWORD, StartupFactory, UserFactory
from tests.startup_helpers import founder, investor

BROWSE = "/startups/?ask_max=100000&sector=agritech"


def shown(page: str) -> dict[str, Any]:
    """The names of the cards, the total and the sector facet of a discovery page."""
    total = re.search(r'<p class="[^"]*" role="status">([\d,\s]+) startups?</p>', page)
    facet = re.search(r'id="count-sector-agritech">(\d+)<', page)
    return {
        "names": {name for name in ("Tenge Farm", "Dollar Farm") if name in page},
        "total": total.group(1).strip() if total else None,
        "agritech": facet.group(1) if facet else None,
    }


def test_a_new_tenge_rate_is_seen_by_cached_pages_totals_and_facets_at_once(
    auth: Auth, client: Any, post_form: Any
) -> None:
    startups.set_exchange_rate(Currency.KZT, Decimal("500"), actor=UserFactory(role=Role.ADMIN))
    tenge = Decimal(45_000_000)
    StartupFactory(
        name="Tenge Farm", currency=Currency.KZT, ask_amount=tenge, ask_usd=startups.to_usd(tenge, Currency.KZT)
    )
    StartupFactory(name="Dollar Farm", currency=Currency.USD, ask_amount=80_000, ask_usd=80_000)
    db.session.commit()  # the test's savepoint: what the requests see
    reader, admin = investor(), UserFactory(role=Role.ADMIN)

    auth.login(reader.email, PASSWORD)
    before = shown(client.get(BROWSE).get_data(as_text=True))
    assert before == {"names": {"Tenge Farm", "Dollar Farm"}, "total": "2", "agritech": "2"}  # 90,000 USD
    assert shown(client.get(BROWSE).get_data(as_text=True)) == before  # served again, from the caches
    auth.logout()

    auth.login(admin.email, PASSWORD)
    assert post_form("/admin/rates", {"units_per_usd": "400"}).status_code == 302  # 45 M tenge: 112,500 USD
    auth.logout()

    auth.login(reader.email, PASSWORD)
    after = shown(client.get(BROWSE).get_data(as_text=True))
    assert after == {"names": {"Dollar Farm"}, "total": "1", "agritech": "1"}
    assert db.session.scalar(select(ExchangeRate.units_per_usd).where(ExchangeRate.currency == Currency.KZT)) == 400


def test_every_kind_of_write_to_the_startup_table_bumps_the_generation() -> None:
    listed = StartupFactory(name="Listed", status=StartupStatus.APPROVED)
    draft = StartupFactory(name="Draft", status=StartupStatus.DRAFT)
    StartupFactory(name="In tenge", currency=Currency.KZT, ask_amount=50_000_000, ask_usd=100_000)
    table = Startup.__table__
    generation = current_generation()

    def bumped() -> bool:
        nonlocal generation
        now = current_generation()
        moved, generation = now > generation, now
        return moved

    listed.tagline = "An ORM edit of a listed startup"
    db.session.flush()
    assert bumped()
    draft.tagline = "An ORM edit of a draft, which no investor sees"
    db.session.flush()
    assert not bumped()
    db.session.execute(update(table).where(table.c.id == listed.id).values(ask_usd=1))
    assert bumped()
    db.session.execute(update(Startup).where(Startup.id == draft.id).values(tagline="ORM-enabled UPDATE"))
    assert bumped()
    values = {c: getattr(draft, c) for c in ("owner_id", "name", "region_code", "sector_code", "stage_code")}
    db.session.execute(
        insert(table).values(
            **values, slug="core-insert", status="approved", created_at=draft.created_at, updated_at=draft.updated_at
        )
    )
    assert bumped()
    db.session.execute(delete(table).where(table.c.slug == "core-insert"))
    assert bumped()
    startups.set_exchange_rate(Currency.KZT, Decimal("480"), actor=founder())
    assert bumped()  # the admin's rate change re-normalises amounts with a Core UPDATE
    db.session.execute(text("SELECT 1"))
    db.session.execute(select(Startup.id))
    assert not bumped()  # reads leave it


def test_the_listeners_are_on_the_apps_own_session_not_on_every_session() -> None:
    apps_session, other_session = db.session(), Session()
    try:
        assert listing._bump_on_startup_change in list(apps_session.dispatch.after_flush)
        assert listing._bump_on_startup_statement in list(apps_session.dispatch.do_orm_execute)
        assert listing._bump_on_startup_change not in list(other_session.dispatch.after_flush)
        assert listing._bump_on_startup_statement not in list(other_session.dispatch.do_orm_execute)
    finally:
        other_session.close()
