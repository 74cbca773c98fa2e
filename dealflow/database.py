"""Engine-level settings that the ORM cannot express, per database, attached to the app's own engines."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from typing import Any

from flask import Flask, has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from dealflow.extensions import db


def _on_connect(dbapi_connection: Any, _record: Any) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy, not the driver, decide when transactions begin, so that
    # SAVEPOINT and transactional DDL work (the SQLAlchemy pysqlite recipe).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _write_lock(connection: Connection) -> int | None:
    """A lock file beside the database, opened once per connection (None for in-memory databases)."""
    info = connection.info
    if "write_lock" not in info:
        database = connection.engine.url.database
        on_disk = bool(database) and database != ":memory:" and not str(database).startswith("file:")
        info["write_lock"] = os.open(f"{database}.writelock", os.O_RDWR | os.O_CREAT, 0o600) if on_disk else None
    return info["write_lock"]  # type: ignore[no-any-return]


def _on_begin(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    # A request that may write takes SQLite's write lock up front (BEGIN IMMEDIATE), so that it
    # reads the latest committed state and waits its turn instead of failing on a stale snapshot.
    writes = has_request_context() and request.method not in ("GET", "HEAD", "OPTIONS")
    if writes:
        # Writers queue on a file lock first: the kernel wakes the next one the moment the lock is
        # free, where SQLite's own busy handler would poll with sleeps of 1, 2, 5, 10… ms.
        lock = _write_lock(connection)
        if lock is not None:
            fcntl.flock(lock, fcntl.LOCK_EX)
            connection.info["write_locked"] = True
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")


def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
    """A connection back in the pool has ended its transaction: let the next writer in."""
    if record is not None and record.info.pop("write_locked", False):
        fcntl.flock(record.info["write_lock"], fcntl.LOCK_UN)


def _on_close(_dbapi_connection: Any, record: Any) -> None:
    lock = record.info.pop("write_lock", None) if record is not None else None
    if lock is not None:
        os.close(lock)


def register_engine_events(app: Flask) -> None:
    """Attach the SQLite listeners to this app's engines (none elsewhere): pragmas, BEGIN IMMEDIATE, write lock."""
    with app.app_context():
        engines = list(db.engines.values())
    for engine in engines:
        if engine.dialect.name == "sqlite":
            listen_on_sqlite_engine(engine)


def listen_on_sqlite_engine(engine: Engine) -> None:
    """The listeners of one SQLite engine; its pool keeps them when it is recreated (engine.dispose())."""
    event.listen(engine, "connect", _on_connect)
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "checkin", _on_checkin)
    event.listen(engine, "close", _on_close)
