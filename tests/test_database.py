"""SQLite's settings and write lock belong to each app's own engine: two apps in one process, nothing global."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine

from dealflow import create_app, database
from dealflow.extensions import db

pytestmark = pytest.mark.own_database


def sqlite_app(folder: Path) -> Flask:
    folder.mkdir()
    return create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'dealflow.db'}"})


def held_elsewhere(lock_path: str) -> bool:
    """Whether another open file holds the lock (flock locks belong to open files, not to processes)."""
    probe = os.open(lock_path, os.O_RDWR)
    try:
        fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(probe)
    return False


def test_each_app_sets_up_its_own_sqlite_engine_and_nothing_else(tmp_path: Path) -> None:
    first, second = sqlite_app(tmp_path / "first"), sqlite_app(tmp_path / "second")
    for app in (first, second):
        with app.app_context(), db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
    outsider = create_engine(f"sqlite:///{tmp_path / 'outsider.db'}")
    with outsider.connect() as connection:  # an engine no app made keeps SQLite's defaults
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "delete"
    outsider.dispose()
    assert not event.contains(Engine, "begin", database._on_begin)
    assert not event.contains(Engine, "connect", database._on_connect)
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_a_writing_request_of_either_app_holds_its_own_databases_write_lock_until_the_connection_returns(
    tmp_path: Path,
) -> None:
    first, second = sqlite_app(tmp_path / "first"), sqlite_app(tmp_path / "second")
    for app, other in ((first, second), (second, first)):
        with app.app_context():
            own_lock = f"{db.engine.url.database}.writelock"
        with other.app_context():
            other_lock = f"{db.engine.url.database}.writelock"
        with app.test_request_context("/", method="POST"):
            connection = db.engine.connect()
            connection.begin()
            assert connection.info["write_locked"] is True
            assert held_elsewhere(own_lock)
            assert not os.path.exists(other_lock) or not held_elsewhere(other_lock)
            connection.close()  # back in the pool: the next writer may go
            assert not held_elsewhere(own_lock)
        with app.test_request_context("/", method="GET"), db.engine.connect() as reader:
            reader.begin()
            assert "write_locked" not in reader.info  # a reading request takes no lock
    for app in (first, second):
        with app.app_context():
            db.engine.dispose()


def test_the_listeners_survive_a_disposed_pool(tmp_path: Path) -> None:
    app = sqlite_app(tmp_path / "app")
    with app.app_context():
        db.engine.dispose()  # a new pool, as after a fork
        with db.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        db.engine.dispose()
