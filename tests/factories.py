"""factory_boy factories that write through the test's session."""

from __future__ import annotations

from functools import lru_cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from dealflow.auth.passwords import hash_password
from dealflow.extensions import db
from dealflow.models import Currency, Hub, Role, Startup, StartupStatus, User, utcnow

PASSWORD = "Correct-horse-battery-42"


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


class _Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class UserFactory(_Base):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.kz")
    name = factory.Faker("name")
    role = Role.FOUNDER
    password_hash = factory.LazyFunction(password_hash)
    locale = None
    active = True
    email_verified_at = factory.LazyFunction(utcnow)


class HubFactory(_Base):
    class Meta:
        model = Hub

    name = factory.Sequence(lambda n: f"Test Hub {n}")
    slug = factory.Sequence(lambda n: f"test-hub-{n}")
    home_region_code = "KZ-43"


class StartupFactory(_Base):
    class Meta:
        model = Startup

    owner = factory.SubFactory(UserFactory, role=Role.FOUNDER)
    name = factory.Sequence(lambda n: f"Startup {n}")
    slug = factory.Sequence(lambda n: f"startup-{n}")
    tagline = "Software for farmers"
    region_code = "KZ-43"
    city = "Kyzylorda"
    sector_code = "agritech"
    stage_code = "seed"
    ask_amount = 100_000
    currency = Currency.USD
    ask_usd = 100_000
    status = StartupStatus.APPROVED
