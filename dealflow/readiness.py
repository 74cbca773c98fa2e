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
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def database_state() -> str:
    """SELECT 1 on a pooled connection."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:  # one line per failed probe, no traceback: a probe runs every few seconds
        log.warning("readiness: the database does not answer: %s", type(exc).__name__)
        db.session.rollback()
        return UNAVAILABLE
    return OK


def redis_urls() -> list[str]:
    """The Redis servers this process uses: REDIS_URL (rate limits) and the job queue's, when it is on Redis."""
    config = current_app.config
    urls = [url for url in (config.get("REDIS_URL"), config.get("HUEY_URL")) if url and url.startswith(REDIS_SCHEMES)]
    return list(dict.fromkeys(urls))


def redis_state() -> str:
    """PING each Redis in use with a one-second timeout; the embedded default has no Redis and needs none."""
    urls = redis_urls()
    if not urls:
        return NOT_CONFIGURED
    for url in urls:
        client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
        try:
            client.ping()
        except (redis.RedisError, OSError) as exc:
            log.warning("readiness: a Redis in use does not answer: %s", type(exc).__name__)
            return UNAVAILABLE
        finally:
            client.close()
    return OK


def readiness() -> tuple[bool, dict[str, str]]:
    """Every dependency's state, and whether all of them let the process serve."""
    checks = {"database": database_state(), "redis": redis_state()}
    return all(state != UNAVAILABLE for state in checks.values()), checks
