"""Migrations, reference data, demo data and the commands that load them."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import Enum, func, inspect, select

from dealflow import demo
from dealflow.extensions import db
from dealflow.models import Hub, Region, Role, Sector, Stage, Startup, StartupStatus, User
from dealflow.reference.services import sync_reference_data
from tests.conftest import Auth


def search_objects_excluded(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """The full-text search structures differ per database by design and live outside the models."""
    if type_ == "table" and (name or "").startswith("startup_fts"):
        return False
    return not (type_ in ("column", "index") and name in ("search_vector", "ix_startup_search_vector"))


def test_migrations_and_models_agree(app: Flask) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": search_objects_excluded}
        )
        assert compare_metadata(context, db.metadata) == []


def test_migrations_load_the_twenty_regions() -> None:
    regions = db.session.scalars(select(Region)).all()
    assert len(regions) == 20
    assert {r.code for r in regions if r.is_main_hub} == {"KZ-71", "KZ-75"}
    almaty_region = db.session.get(Region, "KZ-19")
    assert almaty_region is not None
    assert not almaty_region.is_main_hub
    kyzylorda = db.session.get(Region, "KZ-43")
    assert kyzylorda is not None
    assert (kyzylorda.name("en"), kyzylorda.name("ru"), kyzylorda.name("kk")) == (
        "Kyzylorda Region",
        "Кызылординская область",
        "Қызылорда облысы",
    )
    assert all(r.name_ru and r.name_kk for r in regions)
    assert db.session.scalar(select(func.count()).select_from(Sector)) >= 10
    assert db.session.scalar(select(func.count()).select_from(Stage)) == 6


def test_reference_sync_is_idempotent_and_repairs_names() -> None:
    connection = db.session.connection()
    assert sync_reference_data(connection) == 0
    region = db.session.get(Region, "KZ-62")
    assert region is not None
    region.name_kk = "wrong"
    db.session.flush()
    assert sync_reference_data(connection) == 1
    db.session.expire_all()
    assert db.session.get(Region, "KZ-62").name_kk == "Ұлытау облысы"  # type: ignore[union-attr]


def test_demo_data_covers_every_region_and_status_and_is_idempotent() -> None:
    first = demo.seed_demo()
    assert first.created["startups"] == 60
    second = demo.seed_demo()
    assert sum(second.created.values()) == 0
    assert db.session.scalar(select(func.count(func.distinct(Startup.region_code)))) == 20
    approved_regions = db.session.scalars(
        select(func.distinct(Startup.region_code)).where(Startup.status == StartupStatus.APPROVED)
    ).all()
    assert len(approved_regions) == 20
    assert set(db.session.scalars(select(func.distinct(Startup.status)))) == set(StartupStatus)
    assert {u.role for u in db.session.scalars(select(User))} == set(Role)
    hubs = db.session.scalars(select(Hub)).all()
    served = [region.code for hub in hubs for region in hub.regions]
    assert sorted(served) == sorted(r.code for r in db.session.scalars(select(Region)))
    main_founder = demo.DEMO_USERS[4]
    statuses = db.session.scalars(
        select(Startup.status).join(User, Startup.owner_id == User.id).where(User.email == main_founder.email)
    ).all()
    assert set(statuses) == set(StartupStatus)


def test_demo_users_log_in_with_the_documented_password(auth: Auth) -> None:
    demo.seed_demo()
    for spec in demo.DEMO_USERS:
        assert auth.login(spec.email, demo.DEMO_PASSWORD).status_code == 302, spec.email
        auth.logout()


def test_seed_demo_command_prints_the_logins_and_respects_if_empty(runner: Any) -> None:
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0
    assert "founder@demo.dealflow.kz" in result.output
    assert demo.DEMO_PASSWORD in result.output
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert "already has users" in again.output


def test_users_create_command_makes_an_admin(runner: Any) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", "Root@Example.kz", "--name", "Root", "--role", "admin"],
        input="Astana-admin-pass-77\nAstana-admin-pass-77\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "root@example.kz"))
    assert user is not None
    assert user.role == Role.ADMIN


def test_users_create_command_refuses_a_weak_password(runner: Any) -> None:
    result = runner.invoke(
        args=["users", "create", "--email", "weak@example.kz", "--name", "Weak", "--role", "hub_staff"],
        input="qwertyuiop\nqwertyuiop\n",
    )
    assert result.exit_code != 0
    assert "common" in result.output
    assert db.session.scalar(select(User).where(User.email == "weak@example.kz")) is None


def test_home_page_counts_listed_startups(client: Any) -> None:
    demo.seed_demo()
    page = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "startups listed" in page
    assert "20/20" in page


def test_every_enum_value_is_allowed_by_the_migrated_check_constraints(app: Flask) -> None:
    inspector = inspect(db.engine)
    for table in db.metadata.sorted_tables:
        reflected = {c["name"]: c["sqltext"] for c in inspector.get_check_constraints(table.name)}
        for column in table.columns:
            if not isinstance(column.type, Enum):
                continue
            name = f"ck_{table.name}_{column.type.name}"
            assert name in reflected, f"{name} is missing from the migrations"
            for value in column.type.enums:
                assert f"'{value}'" in reflected[name], f"{table.name}.{column.name} lacks {value!r}"
