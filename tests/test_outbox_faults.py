"""Mail survives faults: a real worker process on the real Redis, a real SMTP server that goes down, a kill -9."""

from __future__ import annotations

import asyncio
import collections
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from dealflow.extensions import db
from dealflow.jobs import wake_outbox_worker
from dealflow.models import OutboxMessage, OutboxStatus, Role, Startup, StartupStatus, utcnow
from dealflow.notifications import mail
from tests.conftest import Auth, TestDatabase, make_app
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import startup_in
from tests.test_email import Inbox, free_port
from tests.test_review import decide_form, staff_of

pytestmark = pytest.mark.own_database

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
LEASE_SECONDS = 4


class SlowInbox(Inbox):
    """A mail server that keeps each message, then takes its time to say it accepted it."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        await super().handle_DATA(server, session, envelope)
        await asyncio.sleep(self.delay)
        return "250 Message accepted"


@pytest.fixture
def queue_name() -> Iterator[str]:
    """A queue of this test's own on the shared Redis, and none of its keys left behind."""
    name = f"dealflow-test-{uuid.uuid4().hex[:10]}"
    yield name
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"*{name}*"):
        client.delete(key)
    client.close()


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def fault_app(
    test_databases: TestDatabase, tmp_path: Path, queue_name: str, smtp_port: int
) -> Iterator[tuple[Flask, str]]:
    url = test_databases.create(f"outbox_faults_{uuid.uuid4().hex[:8]}")
    app = make_app(
        url,
        HUEY_URL=REDIS_URL,
        HUEY_NAME=queue_name,
        MAIL_BACKEND="smtp",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp_port,
        UPLOAD_FOLDER=str(tmp_path / "uploads"),
    )
    yield app, url
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def start_worker(
    fault_app: tuple[Flask, str], queue_name: str, smtp_port: int, tmp_path: Path
) -> Iterator[Callable[[], subprocess.Popen[bytes]]]:
    """`flask worker` as production runs it, on the same database, queue and mail server as the test's app."""
    _app, url = fault_app
    started: list[subprocess.Popen[bytes]] = []
    logs: list[Any] = []
    env = {
        **os.environ,
        "DEALFLOW_ENV": "development",
        "FLASK_APP": "wsgi",
        "DATABASE_URL": url,
        "HUEY_URL": REDIS_URL,
        "HUEY_NAME": queue_name,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "MAIL_TIMEOUT_SECONDS": "3",
        "OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS),
        "OUTBOX_BACKOFF_SECONDS": "1",
        "UPLOAD_FOLDER": str(tmp_path / "uploads"),
        "OPEN_DATA_FOLDER": str(tmp_path / "open-data"),
    }

    def start() -> subprocess.Popen[bytes]:
        log = (tmp_path / f"worker-{len(started)}.log").open("wb")
        logs.append(log)
        command = [sys.executable, "-m", "flask", "worker", "--workers", "1", "--no-periodic"]
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
    for log in logs:
        log.close()


def wait_for(condition: Callable[[], Any], *, timeout: float = 45, what: str = "the condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def outbox_rows(app: Flask) -> list[OutboxMessage]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        db.session.expunge_all()
        return rows


def start_smtp(inbox: Inbox, port: int) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def test_smtp_down_during_a_decision_then_back_the_worker_delivers_exactly_one_email(
    fault_app: tuple[Flask, str], start_worker: Callable[[], Any], smtp_port: int
) -> None:
    app, _url = fault_app
    with app.app_context():
        owner = UserFactory(role=Role.FOUNDER, email="outage@aral.kz")
        startup = startup_in(StartupStatus.SUBMITTED, owner)
        reviewer = staff_of(startup.region_code or "KZ-43")  # staff decide their own hub's regions
        db.session.commit()
        reviewer_email, startup_id = reviewer.email, startup.id
    start_worker()  # the mail server is down: nothing listens on smtp_port

    browser = app.test_client()
    Auth(browser).login(reviewer_email, PASSWORD)
    assert decide_form(browser, startup_id, "approved").status_code == 302
    with app.app_context():
        assert db.session.get(Startup, startup_id).status == StartupStatus.APPROVED  # type: ignore[union-attr]
    failed = wait_for(
        lambda: [r for r in outbox_rows(app) if r.last_error and r.status == OutboxStatus.PENDING],
        what="the worker's first, failed attempt",
    )
    assert "ConnectionRefusedError" in (failed[0].last_error or "")
    assert failed[0].attempts == 0  # the server was down, not the message at fault: no attempt used

    inbox = Inbox()
    controller = start_smtp(inbox, smtp_port)
    try:
        wait_for(lambda: outbox_rows(app)[0].next_attempt_at < utcnow(), what="the retry to be due")
        with app.app_context():
            wake_outbox_worker()  # what the minutely sweep does, without waiting a minute for it
        wait_for(lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(app)), what="delivery")
        with app.app_context():
            wake_outbox_worker()  # another sweep finds nothing more to send
        time.sleep(1.5)
        [message] = [m for rcpt, m in inbox.messages if "outage@aral.kz" in rcpt]
        [row] = outbox_rows(app)
        assert message["Message-ID"] == row.message_id
        assert "Aral Water" in str(message["Subject"])
        assert len(inbox.messages) == 1
    finally:
        controller.stop()


def test_a_worker_killed_mid_batch_loses_nothing_and_a_redelivery_keeps_its_message_id(
    fault_app: tuple[Flask, str], start_worker: Callable[[], Any], smtp_port: int
) -> None:
    app, _url = fault_app
    inbox = SlowInbox(delay=1.0)
    controller = start_smtp(inbox, smtp_port)
    try:
        with app.app_context():
            for n in range(5):
                mail.queue(db.session(), mail.build(f"batch{n}@aral.kz", f"Batch {n}", "Hello"))
            db.session.commit()
        # The commit's end enqueued a delivery on Redis; no worker runs yet, so it waits there.
        first = start_worker()
        wait_for(lambda: len(inbox.messages) >= 2, what="the second email to be in flight")
        os.kill(first.pid, signal.SIGKILL)  # while the server has not yet acknowledged the second email
        first.wait(timeout=10)
        in_flight = inbox.messages[1][1]["Message-ID"]

        rows = outbox_rows(app)
        assert [r.status for r in rows].count(OutboxStatus.SENT) == 1
        assert {r.status for r in rows[1:]} == {OutboxStatus.SENDING}  # leased by a worker that is gone
        time.sleep(LEASE_SECONDS + 0.5)  # its lease runs out

        start_worker()
        with app.app_context():
            wake_outbox_worker()
        wait_for(lambda: all(r.status == OutboxStatus.SENT for r in outbox_rows(app)), what="every row sent")
    finally:
        controller.stop()

    rows = outbox_rows(app)
    delivered = collections.Counter(m["Message-ID"] for _rcpt, m in inbox.messages)
    assert set(delivered) == {r.message_id for r in rows}  # every row reached the server
    assert delivered[in_flight] == 2  # the unacknowledged one was sent again, with the same Message-ID
    assert sum(delivered.values()) == len(rows) + 1  # and nothing else twice
