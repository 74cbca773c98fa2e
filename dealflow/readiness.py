"""Whether this process can serve: its database answers and, when one is configured, its Redis does."""

from __future__ import annotations

import logging

import redis
from flask import current_app
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from dealflow.extensions import db

log = logging.getLogger(__name__)
OK = "ok"
NOT_CONFIGURED = "not configured"
UNAVAILABLE = "unavailable"


def database_state() -> str:
    """SELECT 1 on a pooled connection."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        log.warning("readiness: the database does not answer", exc_info=True)
        db.session.rollback()
        return UNAVAILABLE
    return OK


def redis_state() -> str:
    """PING with a one-second timeout; the embedded default has no Redis and needs none."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return NOT_CONFIGURED
    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    except (redis.RedisError, OSError):
        log.warning("readiness: Redis does not answer", exc_info=True)
        return UNAVAILABLE
    finally:
        client.close()
    return OK


def readiness() -> tuple[bool, dict[str, str]]:
    """Every dependency's state, and whether all of them let the process serve."""
    checks = {"database": database_state(), "redis": redis_state()}
    return all(state != UNAVAILABLE for state in checks.values()), checks
