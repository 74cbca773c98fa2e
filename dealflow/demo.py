"""Demo data: users of every role, hubs covering all 20 regions, startups in every region and status.

Idempotent: rows are found by their natural keys (email, slug) and never duplicated
or overwritten, so running it twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from dealflow.auth import services as accounts
from dealflow.extensions import db
from dealflow.models import Currency, Hub, Instrument, Region, Role, Startup, StartupStatus, User, utcnow
from dealflow.reference.data import REGIONS

DEMO_PASSWORD = "Dealflow-demo-2026"  # noqa: S105 -- published in the README for the demo


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    hub_slug: str | None = None
    locale: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@demo.dealflow.kz", "Dana Admin", Role.ADMIN, "astana-hub"),
    DemoUser("staff@demo.dealflow.kz", "Yerlan Reviewer", Role.HUB_STAFF, "astana-hub", "ru"),
    DemoUser("staff.west@demo.dealflow.kz", "Gulnara Reviewer", Role.HUB_STAFF, "west-kazakhstan-hub", "kk"),
    DemoUser("staff.south@demo.dealflow.kz", "Murat Reviewer", Role.HUB_STAFF, "shymkent-it-hub", "ru"),
    DemoUser("founder@demo.dealflow.kz", "Aigerim Founder", Role.FOUNDER, None, "en"),
    DemoUser("founder2@demo.dealflow.kz", "Nurlan Founder", Role.FOUNDER, None, "kk"),
    DemoUser("founder3@demo.dealflow.kz", "Svetlana Founder", Role.FOUNDER, None, "ru"),
    DemoUser("founder4@demo.dealflow.kz", "Arman Founder", Role.FOUNDER),
    DemoUser("investor@demo.dealflow.kz", "Timur Investor", Role.INVESTOR, None, "ru"),
    DemoUser("investor.foreign@demo.dealflow.kz", "Emma Investor", Role.INVESTOR, None, "en"),
)

# name, home region, regions served: together they cover all 20 regions exactly once.
DEMO_HUBS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("Astana Hub", "astana-hub", "KZ-71", ("KZ-71", "KZ-11", "KZ-39", "KZ-59", "KZ-55")),
    ("Almaty Innovation Hub", "almaty-innovation-hub", "KZ-75", ("KZ-75", "KZ-19", "KZ-33")),
    ("Shymkent IT Hub", "shymkent-it-hub", "KZ-79", ("KZ-79", "KZ-61", "KZ-31", "KZ-43")),
    ("Central Kazakhstan Hub", "central-kazakhstan-hub", "KZ-35", ("KZ-35", "KZ-62")),
    ("West Kazakhstan Hub", "west-kazakhstan-hub", "KZ-47", ("KZ-47", "KZ-23", "KZ-27", "KZ-15")),
    ("East Kazakhstan Hub", "east-kazakhstan-hub", "KZ-63", ("KZ-63", "KZ-10")),
)

# sector: (name suffix, tagline, stage, instrument)
SECTOR_PROFILES: dict[str, tuple[str, str, str, Instrument]] = {
    "agritech": ("Agro", "Soil and weather data that tell farmers when to sow and water", "seed", Instrument.EQUITY),
    "fintech": (
        "Pay",
        "Instalment payments for small shops without a bank branch nearby",
        "series_a",
        Instrument.EQUITY,
    ),
    "edtech": ("Learn", "Exam preparation in Kazakh and Russian for rural schools", "pre_seed", Instrument.SAFE),
    "healthtech": ("Med", "Telemedicine consultations for district clinics", "seed", Instrument.CONVERTIBLE_NOTE),
    "logistics": ("Route", "Shared freight for the long roads between regional centres", "mvp", Instrument.SAFE),
    "energy": ("Sun", "Solar micro-grids for remote pastures and villages", "pre_seed", Instrument.GRANT),
    "industrial": ("Mine", "Predictive maintenance for mining and metals plants", "series_a", Instrument.EQUITY),
    "ai_data": ("Data", "Speech recognition and language tools for Kazakh", "seed", Instrument.EQUITY),
    "ecommerce": ("Shop", "An online bazaar for regional crafts and food producers", "mvp", Instrument.DEBT),
    "govtech": ("Gov", "Digital queues and permits for local akimats", "idea", Instrument.GRANT),
    "travel": ("Trip", "Bookings for guesthouses along the Silk Road", "pre_seed", Instrument.SAFE),
    "saas": ("Desk", "Accounting and payroll software for small firms", "growth", Instrument.EQUITY),
}
NAME_PREFIXES = (
    "Dala",
    "Kun",
    "Nur",
    "Ayla",
    "Tengri",
    "Saryarka",
    "Zhol",
    "Altyn",
    "Bota",
    "Kokpar",
    "Aral",
    "Sayan",
    "Ulan",
    "Zhetysu",
    "Kazyna",
    "Arman",
    "Samal",
    "Baiterek",
    "Kerey",
    "Tulpar",
)
OTHER_STATUSES = (
    StartupStatus.DRAFT,
    StartupStatus.SUBMITTED,
    StartupStatus.REJECTED,
    StartupStatus.CHANGES_REQUESTED,
    StartupStatus.ARCHIVED,
)


@dataclass
class SeedReport:
    created: dict[str, int] = field(default_factory=lambda: {"users": 0, "hubs": 0, "startups": 0})
    kept: dict[str, int] = field(default_factory=lambda: {"users": 0, "hubs": 0, "startups": 0})


def _seed_hubs(report: SeedReport) -> dict[str, Hub]:
    hubs: dict[str, Hub] = {}
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    for name, slug, home, served in DEMO_HUBS:
        hub = db.session.scalar(select(Hub).where(Hub.slug == slug))
        if hub is None:
            hub = Hub(name=name, slug=slug, home_region_code=home, regions=[regions[c] for c in served])
            db.session.add(hub)
            report.created["hubs"] += 1
        else:
            report.kept["hubs"] += 1
        hubs[slug] = hub
    db.session.flush()
    return hubs


def _seed_users(report: SeedReport, hubs: dict[str, Hub]) -> dict[str, User]:
    users: dict[str, User] = {}
    for spec in DEMO_USERS:
        user = accounts.find_user_by_email(spec.email)
        if user is None:
            user = accounts.create_user(
                email=spec.email,
                password=DEMO_PASSWORD,
                name=spec.name,
                role=spec.role,
                locale=spec.locale,
                hub=hubs.get(spec.hub_slug or ""),
            )
            report.created["users"] += 1
        else:
            report.kept["users"] += 1
        users[spec.email] = user
    return users


def _seed_startups(report: SeedReport, founders: list[User]) -> None:
    now = utcnow()
    sectors = list(SECTOR_PROFILES)
    existing = set(db.session.scalars(select(Startup.slug)))
    given_to_main: set[StartupStatus] = set()
    index = 0
    for r, region in enumerate(REGIONS):
        statuses = (StartupStatus.APPROVED, OTHER_STATUSES[(2 * r) % 5], OTHER_STATUSES[(2 * r + 1) % 5])
        for k, status in enumerate(statuses):
            sector = sectors[(r * 3 + k) % len(sectors)]
            suffix, tagline, stage, instrument = SECTOR_PROFILES[sector]
            name = f"{NAME_PREFIXES[(r + 7 * k) % len(NAME_PREFIXES)]}{suffix}"
            slug = f"{name.lower()}-{region.code.lower()}"
            index += 1
            if slug in existing:
                report.kept["startups"] += 1
                continue
            if status not in given_to_main:
                owner = founders[0]
                given_to_main.add(status)
            else:
                owner = founders[1 + index % (len(founders) - 1)]
            created = now - timedelta(days=400 - index * 6)
            ask = Decimal(25_000 * (1 + (index * 7) % 40))
            startup = Startup(
                owner=owner,
                name=name,
                slug=slug,
                tagline=tagline,
                description=f"{name} is built in {region.centre_en}. {tagline}.",
                website=f"https://{name.lower()}.kz",
                founded_year=2018 + index % 8,
                region_code=region.code,
                city=region.centre_en,
                sector_code=sector,
                stage_code=stage,
                team_size=2 + index % 25,
                ask_amount=ask,
                ask_currency=Currency.USD,
                ask_usd=ask,
                instrument=instrument,
                monthly_revenue_usd=Decimal(500 * (index % 9)),
                customers_count=(index * 13) % 400,
                status=status,
                created_at=created,
                updated_at=created,
            )
            if status != StartupStatus.DRAFT:
                startup.submitted_at = created + timedelta(days=3 + index % 5)
            if status not in (StartupStatus.DRAFT, StartupStatus.SUBMITTED):
                startup.decided_at = created + timedelta(days=6 + index % 9)
            db.session.add(startup)
            report.created["startups"] += 1
    db.session.flush()


def seed_demo() -> SeedReport:
    """Create whatever demo rows are missing; the caller commits."""
    report = SeedReport()
    hubs = _seed_hubs(report)
    users = _seed_users(report, hubs)
    founders = [u for u in users.values() if u.role == Role.FOUNDER]
    _seed_startups(report, founders)
    return report


def database_has_users() -> bool:
    """Whether anyone has used this database yet, so that demo data never mixes with real data."""
    return db.session.scalar(select(User.id).limit(1)) is not None
