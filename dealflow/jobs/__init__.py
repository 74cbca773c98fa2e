"""The job queue (Huey): the outbox's delivery and the periodic jobs, on Redis in production.

The same task code runs on RedisHuey (production, several worker hosts), on SqliteHuey (a laptop: a file
under instance/, no Redis) and in immediate mode (tests: a task runs the moment it is enqueued).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import redis
from flask import Flask, current_app
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey  # type: ignore[import-untyped]
from huey.storage import RedisStorage  # type: ignore[import-untyped]

from dealflow.extensions import db
from dealflow.jobs.tasks import Tasks, register_tasks
from dealflow.notifications import mail

log = logging.getLogger(__name__)
EXTENSION_KEY = "dealflow_jobs"
IMMEDIATE = "immediate"
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
WAKE_TIMEOUT_SECONDS = 0.3  # a request waits at most this long for Redis; the minutely sweep covers a miss


def make_huey(url: str, name: str) -> Huey:
    """A Huey on the queue the URL names: redis://…, sqlite:///path or immediate."""
    if url == IMMEDIATE:
        return MemoryHuey(name, immediate=True, results=False)
    if url.startswith(REDIS_SCHEMES):
        pool = redis.ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5)
        return RedisHuey(name, connection_pool=pool, results=False)
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False)
    raise ValueError(f"HUEY_URL must start with redis://, rediss://, unix:// or sqlite:///, or be immediate: {url!r}")


def make_wake_storage(url: str, name: str) -> Any:
    """The same Redis queue on connections with a short timeout, for the wake-up a web request sends."""
    if not url.startswith(REDIS_SCHEMES):
        return None
    pool = redis.ConnectionPool.from_url(
        url, socket_connect_timeout=WAKE_TIMEOUT_SECONDS, socket_timeout=WAKE_TIMEOUT_SECONDS
    )
    return RedisStorage(name, connection_pool=pool)


@dataclass(frozen=True)
class JobQueue:
    """An app's queue, the tasks registered on it, and (on Redis) the quick path a request wakes a worker by."""

    huey: Huey
    tasks: Tasks
    wake_storage: Any = None


def queue_of(app: Flask) -> JobQueue:
    """The app's queue, for the worker command and for wsgi.huey."""
    queue: JobQueue = app.extensions[EXTENSION_KEY]
    return queue


def wake_outbox_worker() -> None:
    """Ask a worker to deliver the outbox now; if the queue is down, the minutely sweep delivers it later."""
    queue = queue_of(current_app)
    try:
        if queue.wake_storage is None:
            queue.tasks.deliver_outbox()
        else:
            queue.wake_storage.enqueue(queue.huey.serialize_task(queue.tasks.deliver_outbox.s()))
    except Exception:  # the user's action is committed whatever the queue says
        log.warning("could not wake the outbox worker; the periodic sweep will deliver", exc_info=True)


def _wake_after_unit_of_work(_exc: BaseException | None) -> None:
    """At the end of a request, command or task that wrote to the outbox: close its session, then wake a worker.

    The session is closed first so that, in immediate mode, delivery runs in a session of its own and after
    everything the unit of work did is over.
    """
    if not mail.take_written(db.session()):
        return
    db.session.remove()
    wake_outbox_worker()


def register_jobs(app: Flask) -> None:
    """Bind a queue made from the settings to this app and register its tasks; wake it after outbox writes."""
    huey = make_huey(app.config["HUEY_URL"], app.config["HUEY_NAME"])
    wake_storage = make_wake_storage(app.config["HUEY_URL"], app.config["HUEY_NAME"])
    app.extensions[EXTENSION_KEY] = JobQueue(huey, register_tasks(huey, app), wake_storage)
    app.teardown_appcontext(_wake_after_unit_of_work)


def consumer_options(workers: int) -> dict[str, Any]:
    """Threads share the app and its connection pool; the periodic jobs run in the consumer that has them on."""
    return {"workers": workers, "worker_type": "thread", "periodic": True, "check_worker_health": True}
