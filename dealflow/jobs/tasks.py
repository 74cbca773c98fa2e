"""The worker's tasks: each runs in an app context of its own and commits at its own boundary."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask
from huey import Huey, crontab  # type: ignore[import-untyped]
from huey.exceptions import TaskLockedException  # type: ignore[import-untyped]
from huey.storage import RedisStorage  # type: ignore[import-untyped]

from dealflow.evidence import checkpoints, open_data_files
from dealflow.extensions import db
from dealflow.investors import services as investor_services
from dealflow.jobs import delivery
from dealflow.models import utcnow
from dealflow.notifications import outbox
from dealflow.startups import pruning

log = logging.getLogger(__name__)
T = TypeVar("T")
UPLOAD_GRACE = timedelta(days=1)  # an upload younger than this may belong to a form still being filled in
SENT_BODY_KEPT = timedelta(days=30)  # long enough to answer "what did you send me?", then the text goes
LOCK_SECONDS = 3600  # a periodic job's lock outlives a crashed worker by at most this long
RELEASE_IF_OURS = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"


@dataclass(frozen=True)
class Tasks:
    """The registered tasks a caller may enqueue (the periodic ones enqueue themselves)."""

    deliver_outbox: Any


def in_unit_of_work(app: Flask, work: Callable[[], T]) -> T:
    """Run work in a fresh app context and commit once; an error rolls back and is raised to Huey's log."""
    with app.app_context():
        try:
            result = work()
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        return result


def _acquire(huey: Huey, name: str) -> Callable[[], object] | None:
    """Take the job's lock across every worker on the queue; the release, or None when another holds it.

    On Redis the lock expires by itself (a worker killed mid-job does not block the job for ever) and is
    released only by its holder; a SQLite queue is one host's, where Huey's own lock does.
    """
    key = f"{huey.name}.periodic-lock.{name}"
    storage = huey.storage
    if isinstance(storage, RedisStorage):
        token = uuid.uuid4().hex
        if not storage.conn.set(key, token, nx=True, ex=LOCK_SECONDS):
            return None
        return lambda: storage.conn.eval(RELEASE_IF_OURS, 1, key, token)
    lock = huey.lock_task(name)
    try:
        lock.acquire()
    except TaskLockedException:
        return None
    return lock.release  # type: ignore[no-any-return]


def run_alone(huey: Huey, name: str, work: Callable[[], T], skipped: T) -> T:
    """Run a periodic job unless it is running on another worker already (then skipped is returned)."""
    release = _acquire(huey, name)
    if release is None:
        log.info("%s is already running on another worker: skipped", name)
        return skipped
    try:
        return work()
    finally:
        release()


def send_alerts() -> tuple[int, int]:
    """Saved-search alerts, as `flask alerts send` sends them."""
    emails, startups = investor_services.send_alerts()
    log.info("sent %d alert emails listing %d startups", emails, startups)
    return emails, startups


def prune_uploads(app: Flask) -> int:
    """Delete uploads no startup uses and files with no row, older than a day; the files go after the commit."""
    plan = in_unit_of_work(app, lambda: pruning.plan_pruning(utcnow() - UPLOAD_GRACE))
    with app.app_context():
        pruning.unlink(plan)
    log.info("pruned %d uploads", len(plan.keys))
    return len(plan.keys)


def _checkpoint_size() -> int:
    """Sign a checkpoint if one is due: the size it covers, or 0 when none was due."""
    issued = checkpoints.issue_checkpoint_if_due()
    return 0 if issued is None else issued.tree_size


def register_tasks(huey: Huey, app: Flask) -> Tasks:
    """Bind the tasks and the periodic schedule to this app's queue."""

    @huey.task(name="deliver_outbox")
    def deliver_outbox() -> int:
        """Deliver what is due now (woken after a commit that wrote to the outbox)."""
        with app.app_context():
            return delivery.deliver_due()

    @huey.periodic_task(crontab(minute="*"), name="sweep_outbox")
    def sweep_outbox() -> int:
        """Every minute: retries whose delay is over, and rows a dead worker held once its lease runs out."""
        with app.app_context():
            return delivery.deliver_due()

    @huey.periodic_task(crontab(minute="5"), name="send_alerts")
    def send_alerts_hourly() -> tuple[int, int]:
        """Hourly: each investor hears of startups newly matching their saved searches."""
        return run_alone(huey, "send_alerts", lambda: in_unit_of_work(app, send_alerts), (0, 0))

    @huey.periodic_task(crontab(minute="20", hour="21"), name="prune_uploads")
    def prune_uploads_daily() -> int:
        """Daily at 02:20 in Almaty (21:20 UTC): abandoned uploads leave the disk."""
        return run_alone(huey, "prune_uploads", lambda: prune_uploads(app), 0)

    @huey.periodic_task(crontab(minute="40", hour="21"), name="purge_sent_mail")
    def purge_sent_mail_daily() -> int:
        """Daily at 02:40 in Almaty: the bodies of emails sent more than 30 days ago are emptied."""
        return run_alone(
            huey,
            "purge_sent_mail",
            lambda: in_unit_of_work(app, lambda: outbox.purge_sent_bodies(db.session(), utcnow() - SENT_BODY_KEPT)),
            0,
        )

    @huey.periodic_task(crontab(minute="*/15"), name="refresh_open_data")
    def refresh_open_data() -> int:
        """Every quarter hour: the open data's aggregate files for the newest ledger head, before anyone asks."""
        return run_alone(
            huey, "refresh_open_data", lambda: len(in_unit_of_work(app, open_data_files.refresh_aggregate_files)), 0
        )

    @huey.periodic_task(crontab(minute="*"), name="issue_checkpoint")
    def issue_checkpoint() -> int:
        """Every minute: a signed checkpoint of the ledger's tree if it grew, so witnesses always find a fresh one."""
        return in_unit_of_work(app, _checkpoint_size)

    return Tasks(deliver_outbox=deliver_outbox)
