"""Building complete startups and real files for the startup tests."""

from __future__ import annotations

import io
from decimal import Decimal

from dealflow.demo_files import demo_deck, demo_logo
from dealflow.extensions import db
from dealflow.models import Currency, Instrument, InvestorProfile, Role, Startup, StartupStatus, User, utcnow
from dealflow.startups import services, uploads
from dealflow.startups.profile import Profile, TeamMember
from tests.factories import UserFactory

VALID_BIN = "180340029142"


def pdf_bytes(title: str = "Deck") -> bytes:
    return demo_deck(title, [("Problem", ["A real problem"]), ("Ask", ["USD 100,000"])])


def png_bytes(name: str = "Logo") -> bytes:
    return demo_logo(name, 0)


def complete_profile(owner: User, **changes: object) -> Profile:
    logo = uploads.store_logo(owner, io.BytesIO(png_bytes()), "logo.png", 2 * 2**20)
    deck = uploads.store_deck(owner, io.BytesIO(pdf_bytes()), "deck.pdf", 20 * 2**20)
    profile = Profile(
        name="Aral Water",
        tagline="Water sensors for irrigation canals",
        description="We measure water **where it is lost**.",
        website="https://aralwater.kz",
        founded_year=2022,
        region_code="KZ-43",
        city="Kyzylorda",
        sector_code="agritech",
        stage_code="seed",
        team_size=6,
        team=(TeamMember("Dana", "CEO"), TeamMember("Arman", "CTO")),
        currency=Currency.USD,
        ask_amount=Decimal("300000"),
        instrument=Instrument.EQUITY,
        monthly_revenue=Decimal("4000"),
        customers_count=12,
        export_markets=("UZ",),
        bin=VALID_BIN,
        contact_email="team@aralwater.kz",
        contact_phone="+7 701 234 5678",
        logo_file_id=logo.id,
        deck_file_id=deck.id,
    )
    return profile.replace(**changes)


def founder() -> User:
    return UserFactory(role=Role.FOUNDER)  # type: ignore[no-any-return]


def staff() -> User:
    return UserFactory(role=Role.HUB_STAFF)  # type: ignore[no-any-return]


def investor(verified: bool = True) -> User:
    user: User = UserFactory(role=Role.INVESTOR)
    if verified:
        db.session.add(InvestorProfile(user_id=user.id, verified_at=utcnow()))
        db.session.flush()
        db.session.refresh(user)
    return user


def startup_in(status: StartupStatus, owner: User | None = None, **changes: object) -> Startup:
    """A complete startup brought to a status through the real services."""
    owner = owner or founder()
    reviewer = staff()
    startup = services.create_startup(owner, complete_profile(owner, **changes))
    if status == StartupStatus.DRAFT:
        return startup
    services.submit_for_review(startup, actor=owner)
    if status == StartupStatus.SUBMITTED:
        return startup
    decision = StartupStatus.APPROVED if status == StartupStatus.ARCHIVED else status
    services.decide(startup, decision.value, actor=reviewer, comment="Reviewed")
    if status == StartupStatus.ARCHIVED:
        services.change_status(startup, StartupStatus.ARCHIVED, actor=owner)
    return startup
