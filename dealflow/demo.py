"""Demo data: users of every role, hubs covering all 20 regions, startups in every region and status,
and 18 months of intros, matches, meetings, term sheets and closed investments.

Idempotent: rows are found by their natural keys (email, slug) and never duplicated
or overwritten, so running it twice changes nothing. Intros and everything after them go
through the real services in time order, so the ledger's chain and rollups are the real thing.
"""

from __future__ import annotations

import contextlib
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from dealflow.auth import services as accounts
from dealflow.billing import plans as billing
from dealflow.demo_files import demo_deck, demo_logo
from dealflow.demo_texts import (
    CITIES,
    DECISION_COMMENTS,
    DESCRIPTIONS,
    INTRO_MESSAGES,
    MOBILE_APP,
    REPLIES,
    SECTOR_TAGLINES,
)
from dealflow.evidence import ledger
from dealflow.extensions import db
from dealflow.matches import services as matches
from dealflow.models import (
    Currency,
    DeckVisibility,
    Hub,
    Instrument,
    IntroRequest,
    IntroStatus,
    InvestorKind,
    InvestorProfile,
    ProgressKind,
    Region,
    Role,
    Startup,
    StartupStatus,
    User,
    utcnow,
)
from dealflow.notifications import mail
from dealflow.reference.data import REGIONS, RegionRow
from dealflow.startups import services, uploads
from dealflow.startups.profile import Profile, TeamMember
from dealflow.startups.queries import latest_intro

KZT_PER_USD = 520  # the rate migration 0002 starts with
DEMO_PASSWORD = "Dealflow-demo-2026"  # noqa: S105 -- published in the README for the demo


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    hub_slug: str | None = None
    locale: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@demo.dealflow.kz", "Дана Әбенова", Role.ADMIN, "astana-hub"),
    DemoUser("staff@demo.dealflow.kz", "Ерлан Сейтжанов", Role.HUB_STAFF, "astana-hub", "ru"),
    DemoUser("staff.west@demo.dealflow.kz", "Гүлнара Жұмабаева", Role.HUB_STAFF, "west-kazakhstan-hub", "kk"),
    DemoUser("staff.south@demo.dealflow.kz", "Мурат Ахметов", Role.HUB_STAFF, "shymkent-it-hub", "ru"),
    DemoUser("founder@demo.dealflow.kz", "Aigerim Sarsenova", Role.FOUNDER, None, "en"),
    DemoUser("founder2@demo.dealflow.kz", "Нұрлан Оспанов", Role.FOUNDER, None, "kk"),
    DemoUser("founder3@demo.dealflow.kz", "Светлана Ким", Role.FOUNDER, None, "ru"),
    DemoUser("founder4@demo.dealflow.kz", "Arman Bekov", Role.FOUNDER),
    DemoUser("investor@demo.dealflow.kz", "Тимур Касымов", Role.INVESTOR, None, "ru"),
    DemoUser("investor.foreign@demo.dealflow.kz", "Emma Schneider", Role.INVESTOR, None, "en"),
)

# name, Russian name, Kazakh name, slug, home region, regions served: together they cover all 20 regions once.
DEMO_HUBS: tuple[tuple[str, str, str, str, str, tuple[str, ...]], ...] = (
    ("Astana Hub", "Astana Hub", "Astana Hub", "astana-hub", "KZ-71", ("KZ-71", "KZ-11", "KZ-39", "KZ-59", "KZ-55")),
    (
        "Almaty Innovation Hub", "Алматинский инновационный хаб", "Алматы инновациялық хабы",
        "almaty-innovation-hub", "KZ-75", ("KZ-75", "KZ-19", "KZ-33"),
    ),
    (
        "Shymkent IT Hub", "IT-хаб Шымкента", "Шымкент IT-хабы",
        "shymkent-it-hub", "KZ-79", ("KZ-79", "KZ-61", "KZ-31", "KZ-43"),
    ),
    (
        "Central Kazakhstan Hub", "Хаб Центрального Казахстана", "Орталық Қазақстан хабы",
        "central-kazakhstan-hub", "KZ-35", ("KZ-35", "KZ-62"),
    ),
    (
        "West Kazakhstan Hub", "Хаб Западного Казахстана", "Батыс Қазақстан хабы",
        "west-kazakhstan-hub", "KZ-47", ("KZ-47", "KZ-23", "KZ-27", "KZ-15"),
    ),
    (
        "East Kazakhstan Hub", "Хаб Восточного Казахстана", "Шығыс Қазақстан хабы",
        "east-kazakhstan-hub", "KZ-63", ("KZ-63", "KZ-10"),
    ),
)  # fmt: skip

# sector: (name suffix, stage, instrument)
SECTOR_PROFILES: dict[str, tuple[str, str, Instrument]] = {
    "agritech": ("Agro", "seed", Instrument.EQUITY),
    "fintech": ("Pay", "series_a", Instrument.EQUITY),
    "edtech": ("Learn", "pre_seed", Instrument.SAFE),
    "healthtech": ("Med", "seed", Instrument.CONVERTIBLE_NOTE),
    "logistics": ("Route", "mvp", Instrument.SAFE),
    "energy": ("Sun", "pre_seed", Instrument.GRANT),
    "industrial": ("Mine", "series_a", Instrument.EQUITY),
    "ai_data": ("Data", "seed", Instrument.EQUITY),
    "ecommerce": ("Shop", "mvp", Instrument.DEBT),
    "govtech": ("Gov", "idea", Instrument.GRANT),
    "travel": ("Trip", "pre_seed", Instrument.SAFE),
    "saas": ("Desk", "growth", Instrument.EQUITY),
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
    created: dict[str, int] = field(default_factory=lambda: {"users": 0, "hubs": 0, "startups": 0, "intros": 0})
    kept: dict[str, int] = field(default_factory=lambda: {"users": 0, "hubs": 0, "startups": 0, "intros": 0})


def _seed_hubs(report: SeedReport) -> dict[str, Hub]:
    hubs: dict[str, Hub] = {}
    regions = {r.code: r for r in db.session.scalars(select(Region))}
    for name, name_ru, name_kk, slug, home, served in DEMO_HUBS:
        hub = db.session.scalar(select(Hub).where(Hub.slug == slug))
        if hub is None:
            hub = Hub(
                name=name,
                name_ru=name_ru,
                name_kk=name_kk,
                slug=slug,
                home_region_code=home,
                regions=[regions[c] for c in served],
            )
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
                verified=True,
            )
            report.created["users"] += 1
        else:
            report.kept["users"] += 1
        users[spec.email] = user
    return users


EXPORT_MARKETS = ((), ("UZ", "KG"), ("RU", "UZ", "KG", "TJ"), ("DE", "NL"), ("US",), ("CN", "MN"), ("TR", "AZ", "GE"))


def _language_of(user: User) -> str:
    """The language a demo user writes their comments and messages in."""
    return user.locale if user.locale in ("ru", "kk") else "en"


def original_language(index: int) -> str:
    """The language a demo founder wrote in first: mostly English, every fourth Kazakh, every fourth Russian."""
    return {1: "kk", 2: "ru"}.get(index % 4, "en")


def _texts(name: str, region: RegionRow, sector: str, index: int) -> dict[str, str | None]:
    """The tagline and description in the original language and the founder's versions in the other two."""
    taglines = SECTOR_TAGLINES[sector]
    places = {"en": _place_en(region), "ru": region.name_ru, "kk": region.name_kk}
    descriptions = {
        lang: template.format(name=name, place=places[lang], tagline=taglines[lang])
        for lang, template in DESCRIPTIONS.items()
    }
    original = original_language(index)
    texts: dict[str, str | None] = {
        "content_language": original,
        "tagline": taglines[original],
        "description": descriptions[original],
    }
    for lang in ("ru", "kk"):
        texts[f"tagline_{lang}"] = None if lang == original else taglines[lang]
        texts[f"description_{lang}"] = None if lang == original else descriptions[lang]
    return texts


def _place_en(region: RegionRow) -> str:
    return region.name_en if region.centre_en == region.name_en else f"{region.centre_en}, {region.name_en}"


def _profile(name: str, region: RegionRow, sector: str, index: int, owner: User) -> Profile:
    _suffix, stage, instrument = SECTOR_PROFILES[sector]
    tagline = SECTOR_TAGLINES[sector]["en"]
    usd = Decimal(25_000 * (1 + (index * 7) % 40))
    in_tenge = index % 3 == 0
    rate = Decimal(KZT_PER_USD)
    logo = uploads.store_logo(owner, io.BytesIO(demo_logo(name, index)), f"{name.lower()}.png", 2 * 2**20)
    deck = uploads.store_deck(
        owner,
        io.BytesIO(
            demo_deck(
                name,
                [
                    ("Problem", [tagline + ".", f"Seen first-hand in {region.centre_en}."]),
                    ("Traction", [f"{(index * 13) % 400} paying customers", "Growing month on month"]),
                    ("The ask", [f"USD {usd:,.0f}", f"Instrument: {instrument.value.replace('_', ' ')}"]),
                ],
            )
        ),
        f"{name.lower()}-deck.pdf",
        20 * 2**20,
    )
    return Profile(
        name=name,
        **_texts(name, region, sector, index),
        website=f"https://{name.lower()}.kz",
        founded_year=2018 + index % 8,
        region_code=region.code,
        city=CITIES[region.centre_en][original_language(index)],
        sector_code=sector,
        stage_code=stage,
        team_size=2 + index % 25,
        team=(
            TeamMember(name=owner.name, role="CEO"),
            TeamMember(name=f"{NAME_PREFIXES[index % len(NAME_PREFIXES)]}bek", role="CTO"),
        ),
        currency=Currency.KZT if in_tenge else Currency.USD,
        ask_amount=usd * rate if in_tenge else usd,
        instrument=instrument,
        monthly_revenue=Decimal(500 * (index % 9)) * (rate if in_tenge else 1),
        customers_count=(index * 13) % 400,
        export_markets=EXPORT_MARKETS[index % len(EXPORT_MARKETS)],
        contact_email=f"hello@{name.lower()}.kz",
        contact_phone=f"+7 70{index % 10} {100 + index:03d} {1000 + index * 7:04d}",
        logo_file_id=logo.id,
        deck_file_id=deck.id,
        deck_visibility=DeckVisibility.MATCHED_INVESTORS if index % 5 == 0 else DeckVisibility.VERIFIED_INVESTORS,
    )


def _reviewer_for(region_code: str, hubs: dict[str, Hub], users: dict[str, User]) -> User:
    for spec in DEMO_USERS:
        hub = hubs.get(spec.hub_slug or "")
        if spec.role == Role.HUB_STAFF and hub and any(r.code == region_code for r in hub.regions):
            return users[spec.email]
    return users[DEMO_USERS[0].email]


Action = tuple[datetime, int, Callable[[datetime], None]]


def _step(plan: list[Action], at: datetime, action: Callable[[datetime], None]) -> None:
    plan.append((at, len(plan), action))


def _seed_startups(
    report: SeedReport, users: dict[str, User], hubs: dict[str, Hub]
) -> tuple[list[Action], dict[int, datetime]]:
    """New startups as drafts, and their reviews planned in time (with the day each will be listed).

    The reviews are ledger events (startups submitted and approved) and the ledger's time never goes
    back, so they run later in one timeline with the intros, oldest first.
    """
    timeline: list[Action] = []
    listing: dict[int, datetime] = {}
    founders = [u for u in users.values() if u.role == Role.FOUNDER]
    now = utcnow()
    sectors = list(SECTOR_PROFILES)
    existing = set(db.session.scalars(select(Startup.slug)))
    given_to_main: set[StartupStatus] = set()
    index = 0
    for r, region in enumerate(REGIONS):
        statuses = (StartupStatus.APPROVED, OTHER_STATUSES[(2 * r) % 5], OTHER_STATUSES[(2 * r + 1) % 5])
        for k, status in enumerate(statuses):
            sector = sectors[(r + 5 * k) % len(sectors)]  # listed startups cover every sector
            name = f"{NAME_PREFIXES[(r + 7 * k) % len(NAME_PREFIXES)]}{SECTOR_PROFILES[sector][0]}"
            index += 1
            if services.slugify(name) in existing:
                report.kept["startups"] += 1
                continue
            if status not in given_to_main:
                owner = founders[0]
                given_to_main.add(status)
            else:
                owner = founders[1 + index % (len(founders) - 1)]
            created = now - timedelta(days=560 - index * 8)  # the first ones listed about 18 months ago
            startup = services.create_startup(owner, _profile(name, region, sector, index, owner))
            startup.created_at = startup.updated_at = created
            reviewer = _reviewer_for(region.code, hubs, users)
            submitted = created + timedelta(days=2 + index % 5)
            if status == StartupStatus.SUBMITTED:  # the queue holds recent work, some of it overdue
                submitted = now - timedelta(days=1 + index % 11)
            decided = submitted + timedelta(days=1 + index % 9)
            _plan_review(timeline, startup, status, owner, reviewer, submitted, decided)
            if status == StartupStatus.APPROVED:
                listing[startup.id] = decided
            if status == StartupStatus.APPROVED and owner is founders[0] and r == 0:
                _step(timeline, now - timedelta(days=2), _revise(startup, owner, index))
            report.created["startups"] += 1
    db.session.flush()
    return timeline, listing


def _plan_review(
    timeline: list[Action],
    startup: Startup,
    status: StartupStatus,
    owner: User,
    reviewer: User,
    submitted: datetime,
    decided: datetime,
) -> None:
    """A new startup's way to its demo status: submitted, decided, perhaps archived, each at its own time."""

    def submit(at: datetime) -> None:
        services.submit_for_review(startup, actor=owner, at=at)
        startup.updated_at = at

    def decide(at: datetime) -> None:
        if status in (StartupStatus.APPROVED, StartupStatus.ARCHIVED):
            services.decide(startup, "approved", actor=reviewer, at=at)
        else:
            comment = DECISION_COMMENTS[status.value][_language_of(owner)]  # in the founder's language
            services.decide(startup, status.value, actor=reviewer, comment=comment, at=at)
        startup.updated_at = at

    def archive(at: datetime) -> None:
        services.change_status(startup, StartupStatus.ARCHIVED, actor=owner, at=at)

    if status != StartupStatus.DRAFT:
        _step(timeline, submitted, submit)
    if status in (StartupStatus.APPROVED, StartupStatus.ARCHIVED) or status.value in DECISION_COMMENTS:
        _step(timeline, decided, decide)
    if status == StartupStatus.ARCHIVED:
        _step(timeline, decided + timedelta(days=30), archive)


def _revise(startup: Startup, owner: User, index: int) -> Callable[[datetime], None]:
    """One listed startup with changes waiting for review, to show revisions."""

    def revise(at: datetime) -> None:
        listed = Profile.of(startup)
        revised = listed.replace(
            tagline=f"{listed.tagline}{MOBILE_APP[original_language(index)]}",
            tagline_ru=listed.tagline_ru and f"{listed.tagline_ru}{MOBILE_APP['ru']}",
            tagline_kk=listed.tagline_kk and f"{listed.tagline_kk}{MOBILE_APP['kk']}",
        )
        services.save_profile(startup, revised, actor=owner)
        services.submit_for_review(startup, actor=owner, at=at)

    return revise


# email: (kind, organisation, country, ticket min, ticket max, sectors, stages, regional mandate)
DEMO_INVESTOR_PROFILES = {
    "investor@demo.dealflow.kz": (
        InvestorKind.VC_FUND, "Steppe Ventures", "KZ", 50_000, 500_000,
        ["agritech", "fintech", "logistics"], ["mvp", "seed"], True,
    ),
    "investor.foreign@demo.dealflow.kz": (
        InvestorKind.ANGEL, "Silk Road Angels", "DE", 25_000, 250_000,
        ["ai_data", "edtech", "energy"], ["pre_seed", "seed"], False,
    ),
}  # fmt: skip


def _verify_demo_investors(users: dict[str, User]) -> None:
    """Demo investors come with a filled, verified profile, so fit scores show from the first visit."""
    admin = users[DEMO_USERS[0].email]
    for email, (kind, organisation, country, low, high, sectors, stages, mandate) in DEMO_INVESTOR_PROFILES.items():
        user = users[email]
        if user.investor_profile is None:
            user.investor_profile = InvestorProfile(
                user_id=user.id,
                kind=kind,
                organisation=organisation,
                country=country,
                ticket_min_usd=low,
                ticket_max_usd=high,
                sectors=sectors,
                stages=stages,
                regions=[],
                regional_mandate=mandate,
                verified_at=utcnow(),
                verified_by_id=admin.id,
            )
    db.session.flush()


# email, name, locale, kind, organisation, country, ticket min, ticket max, sectors, stages, regional mandate
DEMO_MORE_INVESTORS: tuple[tuple[Any, ...], ...] = (
    ("investor3@demo.dealflow.kz", "Aidos Seitkali", "kk", InvestorKind.ANGEL, "Aidos Seitkali (angel)", "KZ",
     10_000, 100_000, ["agritech", "edtech"], ["idea", "mvp", "pre_seed"], True),
    ("investor4@demo.dealflow.kz", "Gulmira Abenova", "ru", InvestorKind.GOVERNMENT_FUND, "Qazaq Regions Fund", "KZ",
     100_000, 2_000_000, [], ["seed", "series_a"], True),
    ("investor5@demo.dealflow.kz", "Daniyar Omarov", "ru", InvestorKind.CORPORATE, "Steppe Telecom Ventures", "KZ",
     50_000, 1_000_000, ["fintech", "ai_data", "saas"], ["seed", "series_a"], False),
    ("investor6@demo.dealflow.kz", "Saule Nurpeisova", "kk", InvestorKind.FAMILY_OFFICE, "Tien Shan Family Office",
     "KZ", 100_000, 750_000, ["industrial", "energy"], ["series_a", "growth"], False),
    ("investor7@demo.dealflow.kz", "Yerzhan Kassym", "en", InvestorKind.ACCELERATOR, "Great Steppe Accelerator", "KZ",
     10_000, 60_000, [], ["idea", "mvp", "pre_seed"], True),
    ("investor8@demo.dealflow.kz", "Marat Zhunusov", "ru", InvestorKind.VC_FUND, "Caspian Capital", "KZ",
     100_000, 1_500_000, ["logistics", "industrial"], ["seed", "series_a"], True),
    ("investor9@demo.dealflow.kz", "Elif Demir", "en", InvestorKind.VC_FUND, "Bosphorus Ventures", "TR",
     100_000, 1_000_000, ["ecommerce", "fintech"], ["seed", "series_a"], False),
    ("investor10@demo.dealflow.kz", "Omar Al Mansoori", "en", InvestorKind.VC_FUND, "Gulf Frontier Capital", "AE",
     250_000, 3_000_000, ["energy", "logistics"], ["series_a", "growth"], False),
    ("investor11@demo.dealflow.kz", "Dilshod Karimov", "ru", InvestorKind.ANGEL, "Samarkand Angels", "UZ",
     10_000, 150_000, ["agritech", "ecommerce", "travel"], ["mvp", "pre_seed", "seed"], True),
    ("investor12@demo.dealflow.kz", "Ji-ho Park", "en", InvestorKind.CORPORATE, "Han River Partners", "KR",
     100_000, 1_000_000, ["ai_data", "industrial"], ["seed", "series_a"], False),
    ("investor13@demo.dealflow.kz", "Sarah Collins", "en", InvestorKind.VC_FUND, "Thames Silk Road Fund", "GB",
     250_000, 2_000_000, ["fintech", "saas", "ai_data"], ["series_a", "growth"], False),
    ("investor14@demo.dealflow.kz", "Aliya Tokayeva", "kk", InvestorKind.ANGEL, "Aliya Tokayeva (angel)", "KZ",
     5_000, 50_000, ["healthtech", "edtech"], ["idea", "mvp"], True),
    ("investor15@demo.dealflow.kz", "Lukas Weber", "en", InvestorKind.ANGEL, "Alpine Angels", "DE",
     25_000, 200_000, ["energy", "agritech"], ["pre_seed", "seed"], True),
    ("investor16@demo.dealflow.kz", "Chen Wei", "en", InvestorKind.CORPORATE, "Silk Belt Logistics Ventures", "CN",
     100_000, 1_500_000, ["logistics", "ecommerce"], ["seed", "series_a", "growth"], False),
)  # fmt: skip


def _seed_more_investors(report: SeedReport, users: dict[str, User]) -> list[User]:
    """Investors of every kind, half of them from abroad, each with a verified profile."""
    admin = users[DEMO_USERS[0].email]
    investors = [users[email] for email in DEMO_INVESTOR_PROFILES]
    for email, name, locale, kind, organisation, country, low, high, sectors, stages, mandate in DEMO_MORE_INVESTORS:
        user = accounts.find_user_by_email(email)
        if user is None:
            user = accounts.create_user(
                email=email, password=DEMO_PASSWORD, name=name, role=Role.INVESTOR, locale=locale, verified=True
            )
            user.investor_profile = InvestorProfile(
                user_id=user.id,
                kind=kind,
                organisation=organisation,
                country=country,
                ticket_min_usd=low,
                ticket_max_usd=high,
                sectors=sectors,
                stages=stages,
                regions=[],
                regional_mandate=mandate,
                verified_at=utcnow(),
                verified_by_id=admin.id,
            )
            db.session.flush()
            report.created["users"] += 1
        else:
            report.kept["users"] += 1
        investors.append(user)
    return investors


def _plan_intro(
    rng: random.Random, investor: User, startup: Startup, listed_at: datetime, now: datetime, plan: list[Action]
) -> None:
    """Schedule one intro and what follows it, each step at its own time in the past."""
    days_listed = (now - listed_at).days
    if days_listed < 4:
        return
    asked = listed_at + timedelta(days=rng.uniform(1, days_listed - 1), hours=rng.uniform(0, 8))
    holder: dict[str, Any] = {}
    order = len(plan)

    def step(at: datetime, action: Callable[[datetime], None]) -> None:
        def run(at: datetime) -> None:
            if "intro" in holder:  # what follows a request needs the request
                action(at)

        if at < now - timedelta(hours=1):
            plan.append((at, order, run))

    def ask(at: datetime) -> None:
        # A Free investor whose allowance for that month is used up: this intro never happened.
        with contextlib.suppress(billing.PlanLimitReached):
            holder["intro"] = matches.request_intro(investor, startup, message, at=at)

    message = INTRO_MESSAGES[_language_of(investor)][rng.randrange(len(INTRO_MESSAGES["en"]))]
    replies = REPLIES[_language_of(startup.owner)]
    if asked < now - timedelta(hours=1):
        plan.append((asked, order, ask))
    answer, outcome = asked + timedelta(days=rng.uniform(0.5, 6)), rng.random()
    if answer >= now - timedelta(hours=1):
        return  # still waiting for the founder
    if outcome < 0.2:
        step(
            answer,
            lambda at: matches.decline_intro(startup.owner, holder["intro"], replies["declined"], at=at),
        )
        return
    if outcome < 0.27:
        step(answer, lambda at: matches.withdraw_intro(investor, holder["intro"], at=at))
        return
    step(answer, lambda at: matches.accept_intro(startup.owner, holder["intro"], replies["accepted"], at=at))
    _plan_deal(rng, investor, startup, holder, answer, step)


Step = Callable[[datetime, Callable[[datetime], None]], None]


def _plan_deal(
    rng: random.Random, investor: User, startup: Startup, holder: dict[str, Any], answer: datetime, step: Step
) -> None:
    """What may follow an accepted intro: a meeting, a term sheet, a close and the founder's confirmation."""
    met = answer + timedelta(days=rng.uniform(2, 25))
    if rng.random() > 0.7:
        return
    step(met, lambda at: _progress(investor, holder["intro"], ProgressKind.MEETING, at))
    term_sheet = met + timedelta(days=rng.uniform(10, 40))
    if rng.random() > 0.5:
        return
    step(term_sheet, lambda at: _progress(investor, holder["intro"], ProgressKind.TERM_SHEET, at))
    closed = term_sheet + timedelta(days=rng.uniform(10, 45))
    if rng.random() > 0.7:
        return
    amount = Decimal(rng.choice([25, 50, 75, 100, 150, 250, 400, 600])) * 1000
    publish = rng.random() < 0.8  # most demo deals agree to publish their amount; the rest stay committed
    step(closed, lambda at: _close(investor, holder, amount, at, publish))
    confirm = closed + timedelta(days=rng.uniform(1, 5))
    if rng.random() < 0.9:
        step(
            confirm,
            lambda at: matches.decide_close(
                startup.owner, holder["close"], confirmed=True, publish_amount=publish, at=at
            ),
        )


def _progress(user: User, intro: IntroRequest, kind: ProgressKind, at: datetime) -> None:
    matches.log_progress(user, intro, kind, occurred_on=at.date(), note=None, at=at)


def _close(investor: User, holder: dict[str, Any], amount: Decimal, at: datetime, publish: bool) -> None:
    progress = matches.log_progress(
        investor,
        holder["intro"],
        ProgressKind.INVESTMENT_CLOSED,
        occurred_on=at.date(),
        note=None,
        amount=amount,
        currency=Currency.USD,
        instrument=Instrument.EQUITY,
        publish_amount=publish,
        at=at,
    )
    holder["close"] = progress


def _run_in_time_order(plan: list[Action]) -> None:
    """Each planned step at its own time, oldest first, so the ledger's events come in the order they happened."""
    for at, _order, action in sorted(plan, key=lambda item: (item[0], item[1])):
        with ledger.simulated_clock(at):
            action(at)


def _seed_intros(
    report: SeedReport, investors: list[User], timeline: list[Action], listing: dict[int, datetime]
) -> None:
    """Intros to every listed startup over the past 18 months, busier in Astana and Almaty, run in time order.

    The new startups' reviews (`timeline`, listed on the days in `listing`) run in the same timeline.
    """
    if db.session.scalar(select(IntroRequest.id).limit(1)) is not None:
        _run_in_time_order(timeline)
        report.kept["intros"] = len(db.session.scalars(select(IntroRequest.id)).all())
        return
    rng = random.Random(2026)  # noqa: S311 -- the same demo every time, nothing secret
    now = utcnow()
    listed = db.session.scalars(
        select(Startup).where((Startup.status == StartupStatus.APPROVED) | Startup.id.in_(listing)).order_by(Startup.id)
    ).all()
    plan: list[Action] = list(timeline)
    for startup in listed:
        busy = 0.85 if startup.region_code in ("KZ-71", "KZ-75") else 0.5
        listed_at = listing.get(startup.id) or startup.decided_at or startup.created_at
        for investor in investors:
            if rng.random() < busy:
                _plan_intro(rng, investor, startup, listed_at, now, plan)
    _run_in_time_order(plan)
    report.created["intros"] = len(db.session.scalars(select(IntroRequest.id)).all())
    pending = db.session.scalar(select(IntroRequest.id).where(IntroRequest.status == IntroStatus.PENDING).limit(1))
    if pending is None and listed:  # a founder's inbox always shows one request to answer
        newest = max(listed, key=lambda s: s.id)
        for asker in investors:
            if latest_intro(asker.id, newest.id) is not None:
                continue
            try:
                message = INTRO_MESSAGES[_language_of(asker)][0]
                matches.request_intro(asker, newest, message, at=now - timedelta(hours=2))
            except billing.PlanLimitReached:
                continue
            break


def seed_demo() -> SeedReport:
    """Create whatever demo rows are missing; the caller commits."""
    report = SeedReport()
    hubs = _seed_hubs(report)
    users = _seed_users(report, hubs)
    _verify_demo_investors(users)
    timeline, listing = _seed_startups(report, users, hubs)
    investors = _seed_more_investors(report, users)
    _seed_intros(report, investors, timeline, listing)
    mail.discard(db.session())  # the demo's submissions and intros notify in the app, not by email
    return report


def database_has_users() -> bool:
    """Whether anyone has used this database yet, so that demo data never mixes with real data."""
    return db.session.scalar(select(User.id).limit(1)) is not None
