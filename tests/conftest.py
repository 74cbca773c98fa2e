"""Fixtures: one app per session on its own database, each test in a rolled-back transaction."""

from __future__ import annotations

import functools
import os
import re
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import flask_migrate
import pytest
import time_machine
from flask import Flask
from flask.globals import _cv_app
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from config import normalise_database_url
from dealflow import create_app
from dealflow.extensions import db, limiter
from dealflow.fragments import FragmentCache

TEST_DB = os.environ.get("DEALFLOW_TEST_DB", "sqlite")
# An ISO 8601 moment such as 2027-01-31T21:30:00+00:00: every test runs with the clock moved there (and ticking),
# so the date-sensitive tests can be tried on the first and last day of a month and across the Almaty midnight.
TEST_NOW = os.environ.get("DEALFLOW_TEST_NOW") or None


def _test_now() -> datetime | None:
    if TEST_NOW is None:
        return None
    moment = datetime.fromisoformat(TEST_NOW)
    if moment.tzinfo is None:
        raise pytest.UsageError(f"DEALFLOW_TEST_NOW needs a UTC offset, got {TEST_NOW!r}")
    return moment


class TestDatabase:
    """A database made for one test run and dropped at its end."""

    __test__ = False  # a helper, not a test class

    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.made: list[URL] = []

    @property
    def dialect(self) -> str:
        return "sqlite" if TEST_DB == "sqlite" else "postgresql"

    def create(self, label: str) -> str:
        if self.dialect == "sqlite":
            return f"sqlite:///{self.base_dir / (label + '.db')}"
        server = make_url(normalise_database_url(TEST_DB))
        name = f"dealflow_test_{label}_{uuid.uuid4().hex[:8]}"
        engine = create_engine(server, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"'))
        except OperationalError as exc:
            shown = server.render_as_string(hide_password=True)
            pytest.exit(f"PostgreSQL at {shown} cannot be reached ({exc.orig}); this run fails.", returncode=3)
        finally:
            engine.dispose()
        url = server.set(database=name)
        self.made.append(url)
        return url.render_as_string(hide_password=False)

    def drop_all(self) -> None:
        for url in self.made:
            engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
            with engine.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            engine.dispose()


@pytest.fixture(scope="session")
def test_databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestDatabase]:
    databases = TestDatabase(tmp_path_factory.mktemp("db"))
    yield databases
    databases.drop_all()


class RequestIsolatingClient(FlaskClient):
    """Each request gets its own app context, as in production, even while the test holds one.

    Without this Flask reuses the test's app context, so `g`, the cached locale and
    the session's identity map would leak from one request into the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        token = _cv_app.set(None)  # type: ignore[arg-type]
        try:
            return super().open(*args, **kwargs)
        finally:
            _cv_app.reset(token)


def make_app(database_url: str, **overrides: Any) -> Flask:
    """A testing app on the given database, migrated to the newest revision."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": database_url, **overrides})
    app.test_client_class = RequestIsolatingClient
    with app.app_context():
        flask_migrate.upgrade()
    return app


@pytest.fixture(scope="session")
def app(test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(
        test_databases.create("main"),
        UPLOAD_FOLDER=str(tmp_path_factory.mktemp("uploads")),
        OPEN_DATA_FOLDER=str(tmp_path_factory.mktemp("open-data")),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@functools.cache
def _on_the_test_connection(app_session_class: type[Session]) -> type[Session]:
    """The app's own session class, so its listeners run in tests too, bound to the test's connection."""

    class OnTheTestConnection(app_session_class):  # type: ignore[valid-type,misc]
        def get_bind(self, *_args: Any, **_kwargs: Any) -> Any:
            return self.bind  # Flask-SQLAlchemy's class would pick the app's engine, outside the test's transaction

    return OnTheTestConnection


@pytest.fixture(autouse=True)
def _shifted_clock(request: pytest.FixtureRequest) -> Iterator[None]:
    """Move the clock to DEALFLOW_TEST_NOW, if set; a date-sensitive test has its clock stopped, there or now.

    The rest of the suite keeps a ticking clock, since timeouts and rate limits need time to pass; a
    date-sensitive test must not see the day or the month change while it runs.
    """
    moment = _test_now()
    if request.node.get_closest_marker("real_clock") or {"localstripe", "live_server"} & set(request.fixturenames):
        moment = None  # localstripe and Chromium run in processes of their own, on the real clock
    if request.node.get_closest_marker("date_sensitive"):
        with time_machine.travel(moment or datetime.now(UTC), tick=False):
            yield
        return
    if moment is None:
        yield
        return
    with time_machine.travel(moment, tick=True):
        yield


@pytest.fixture(autouse=True)
def _isolated(request: pytest.FixtureRequest) -> Iterator[None]:
    """Run each test inside one outer transaction that is rolled back at its end."""
    if "live_server" in request.fixturenames or request.node.get_closest_marker("own_database"):
        yield
        return
    app: Flask = request.getfixturevalue("app")
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        factory = sessionmaker(
            class_=_on_the_test_connection(db.session.session_factory.class_),
            db=db,
            bind=connection,
            join_transaction_mode="create_savepoint",
        )
        session = scoped_session(factory, scopefunc=_app_ctx_id)
        original = db.session
        db.session = session
        limiter.reset()
        try:
            yield
        finally:
            session.remove()
            db.session = original
            outer.rollback()
            connection.close()


@pytest.fixture(autouse=True)
def _fresh_caches(request: pytest.FixtureRequest) -> None:
    """Discovery's and the fragments' caches on, at their production sizes, and empty for each test.

    A rolled-back test gives the listing generation back, so what one test cached must not meet the next.
    """
    app: Flask = request.getfixturevalue("app")
    app.extensions["dealflow_discovery"] = FragmentCache(app.config["DISCOVERY_CACHE_SIZE"])
    app.extensions["dealflow_fragments"] = FragmentCache(app.config["FRAGMENT_CACHE_SIZE"])


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> Any:
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token a browser would find in the form at path."""
    page = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(page)
    assert match, f"no CSRF token in {path}"
    return match.group(1)


class Auth:
    """Logs a test client in and out the way a browser does."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, email: str, password: str, **headers: str) -> Any:
        token = csrf_token(self.client, "/login")
        return self.client.post(
            "/login", data={"csrf_token": token, "email": email, "password": password}, headers=headers
        )

    def logout(self) -> Any:
        token = csrf_token(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client: FlaskClient) -> Auth:
    return Auth(client)


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., Any]:
    """POST a form with a valid CSRF token taken from the page the form lives on."""

    def post(path: str, data: dict[str, Any], *, form_page: str | None = None, **kwargs: Any) -> Any:
        token = csrf_token(client, form_page or path)
        return client.post(path, data={"csrf_token": token, **data}, **kwargs)

    return post


def pytest_report_header() -> str:
    header = f"dealflow test database: {'SQLite' if TEST_DB == 'sqlite' else 'PostgreSQL'}"
    moment = _test_now()
    return header if moment is None else f"{header}; clock moved to {moment.isoformat()}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    stats = terminalreporter.stats
    ran = sum(len(stats.get(key, [])) for key in ("passed", "failed", "error"))
    engine = "SQLite" if TEST_DB == "sqlite" else "PostgreSQL"
    terminalreporter.write_line(f"Dealflow: {ran} tests ran on {engine}")
