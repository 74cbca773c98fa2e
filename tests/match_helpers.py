"""Investors ready to ask for intros, listed startups and matches, made through the real services."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import time_machine

from dealflow.extensions import db
from dealflow.matches import services
from dealflow.models import (
    Currency,
    Instrument,
    IntroRequest,
    InvestorKind,
    InvestorProfile,
    ProgressKind,
    Role,
    Startup,
    StartupStatus,
    User,
    utcnow,
)
from tests.factories import StartupFactory, UserFactory


def ready_investor(country: str = "KZ", kind: InvestorKind = InvestorKind.VC_FUND, **fields: Any) -> User:
    """A verified investor whose profile names a kind and a country, as intro requests need."""
    user: User = UserFactory(role=Role.INVESTOR, **fields)
    user.investor_profile = InvestorProfile(
        user_id=user.id, kind=kind, country=country, organisation="Steppe Capital", verified_at=utcnow()
    )
    db.session.flush()
    return user


def listed(region_code: str = "KZ-43", sector_code: str = "agritech", **fields: Any) -> Startup:
    """An approved startup, quickly (no files): enough for intros and the ledger."""
    fields.setdefault("status", StartupStatus.APPROVED)
    startup: Startup = StartupFactory(region_code=region_code, sector_code=sector_code, **fields)
    return startup


@contextmanager
def clock_at(at: datetime | None) -> Iterator[None]:
    """The clock stopped at `at` (the ledger dates an event by the append's own clock, never by an argument).

    The ledger's time never goes back: events appended at an earlier `at` than the last one are dated
    as the last one, so tests that need months apart append them oldest first.
    """
    with time_machine.travel(at, tick=False) if at is not None else nullcontext():
        yield


def match(investor: User | None = None, startup: Startup | None = None, at: datetime | None = None) -> IntroRequest:
    """An accepted intro request: two ledger events."""
    investor = investor or ready_investor()
    startup = startup or listed()
    with clock_at(at):
        intro = services.request_intro(investor, startup, "We invest in your region and sector.", at=at)
        services.accept_intro(startup.owner, intro, "Happy to talk.", at=at)
    return intro


def close(
    intro: IntroRequest, amount: str = "100000", at: datetime | None = None, confirm: bool = True, publish: bool = True
) -> Any:
    """The investor records a closed investment; the founder confirms it unless told not to.

    Both sides agree to publish the amount unless `publish` is False (then the ledger commits to it unseen).
    """
    with clock_at(at):
        progress = services.log_progress(
            intro.investor,
            intro,
            ProgressKind.INVESTMENT_CLOSED,
            occurred_on=at.astimezone(ZoneInfo("Asia/Almaty")).date() if at else None,  # the date people type there
            note=None,
            amount=Decimal(amount),
            currency=Currency.USD,
            instrument=Instrument.EQUITY,
            publish_amount=publish,
            at=at,
        )
        if confirm:
            services.decide_close(intro.startup.owner, progress, confirmed=True, publish_amount=publish, at=at)
    return progress
