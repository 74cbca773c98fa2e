"""The outbox under attack and under faults: poisoned subjects, stale workers, a concurrent write, a long outage."""

from __future__ import annotations

import base64
import logging
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select, text

from dealflow.extensions import db
from dealflow.jobs import delivery, queue_of, wake_outbox_worker
from dealflow.models import AuditLog, OutboxMessage, OutboxStatus, Role, utcnow
from dealflow.notifications import mail, outbox
from dealflow.notifications import services as notifications
from tests.conftest import Auth, TestDatabase, csrf_token, make_app
from tests.factories import PASSWORD, UserFactory
from tests.test_email import Inbox, free_port

pytestmark = pytest.mark.own_database

# An RFC 2047 encoded word that decodes to "Acme", a line break and a Bcc header.
EVIL = "=?utf-8?b?" + base64.b64encode(b"Acme\r\nBcc: victim@example.com").decode() + "?="


class Harness:
    """An app of its own on its own database, sending to a real SMTP server on loopback."""

    def __init__(self, app: Flask, inbox: Inbox, port: int) -> None:
        self.app, self.inbox, self.port = app, inbox, port

    def queue(self, *addresses: str, subject: str = "Hello") -> None:
        with self.app.app_context():
            for address in addresses:
                mail.queue(db.session(), mail.build(address, subject, "Body"))
            db.session.info.pop(mail.WRITTEN, None)  # the test drives delivery itself
            db.session.commit()

    def rows(self) -> list[OutboxMessage]:
        with self.app.app_context():
            rows = list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            db.session.expunge_all()
            return rows


@pytest.fixture
def harness(test_databases: TestDatabase, tmp_path: Path) -> Iterator[Harness]:
    port = free_port()
    url = test_databases.create(f"outbox_hard_{uuid.uuid4().hex[:8]}")
    app = make_app(url, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT_SECONDS=2)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield Harness(app, inbox, port)
    controller.stop()
    with app.app_context():
        db.engine.dispose()


def test_an_encoded_line_break_in_a_name_neither_adds_a_header_nor_blocks_the_batch(harness: Harness) -> None:
    with harness.app.app_context():
        owner = UserFactory(role=Role.FOUNDER, email="owner@aral.kz")
        notifications.notify(owner, "decision", {"startup": EVIL, "decision": "approved"}, "/founder/")
        db.session.info.pop(mail.WRITTEN, None)
        db.session.commit()
    harness.queue("innocent0@aral.kz", "innocent1@aral.kz")
    [stored] = [r.subject for r in harness.rows() if r.recipient == "owner@aral.kz"]
    assert "\r" not in stored
    assert "\n" not in stored
    with harness.app.app_context():
        assert delivery.deliver_due() == 3
    assert {r.status for r in harness.rows()} == {OutboxStatus.SENT}
    assert sorted(rcpt for rcpts, _m in harness.inbox.messages for rcpt in rcpts) == [
        "innocent0@aral.kz",
        "innocent1@aral.kz",
        "owner@aral.kz",
    ]
    [message] = harness.inbox.to("owner@aral.kz")
    assert message["Bcc"] is None
    assert "\n" not in str(message["Subject"])


def test_subject_line_flattens_nested_encoded_words() -> None:
    inner = "=?utf-8?b?" + base64.b64encode(b"x\r\nBcc: v@example.com").decode() + "?="
    outer = "=?utf-8?b?" + base64.b64encode(inner.encode()).decode() + "?="
    line = mail.subject_line(outer)
    probe = EmailMessage()
    probe["Subject"] = line
    assert "\n" not in str(probe["Subject"])
    assert "\r" not in str(probe["Subject"])


def test_a_message_that_cannot_be_built_is_dead_at_once_and_the_rest_is_sent(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    harness.queue("broken@aral.kz", "fine@aral.kz")
    real = mail.as_email

    def as_email(row: Any) -> EmailMessage:
        if row.recipient == "broken@aral.kz":
            raise UnicodeEncodeError("ascii", "ü", 0, 1, "a fault no one foresaw")
        return real(row)

    monkeypatch.setattr(mail, "as_email", as_email)
    with harness.app.app_context(), caplog.at_level(logging.WARNING, logger="dealflow.jobs.delivery"):
        assert delivery.deliver_due() == 1
    broken, fine = harness.rows()
    assert f"outbox row {broken.id}" in caplog.text
    assert "broken@aral.kz" not in caplog.text  # a recipient's address is personal data: never in the log
    assert broken.status == OutboxStatus.DEAD
    assert broken.last_error is not None
    assert "UnicodeEncodeError" in broken.last_error
    assert fine.status == OutboxStatus.SENT


def test_a_row_that_used_every_attempt_is_buried_not_leased_again(harness: Harness) -> None:
    harness.queue("crashy@aral.kz")
    with harness.app.app_context():
        max_attempts = harness.app.config["OUTBOX_MAX_ATTEMPTS"]
        row = db.session.scalars(select(OutboxMessage)).one()
        row.status, row.attempts, row.locked_by = OutboxStatus.SENDING, max_attempts, "crashed-worker"
        row.locked_until = utcnow()
        db.session.commit()  # e.g. a worker crashed on it on every attempt; its lease runs out below
        later = utcnow() + timedelta(seconds=1)
        assert delivery.deliver_due(now=later) == 0
    [row] = harness.rows()
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == max_attempts
    assert harness.inbox.messages == []


def test_a_stale_worker_neither_sends_a_taken_over_row_nor_undoes_its_outcome(harness: Harness) -> None:
    harness.queue("lease0@aral.kz", "lease1@aral.kz")
    start = utcnow()
    with harness.app.app_context():
        stale = [outbox.Leased.of(r) for r in outbox.claim_due(db.session(), "A", channel="email", limit=10, now=start)]
        db.session.commit()
    with harness.app.app_context():  # A stalls past its lease; B takes the rows over and sends them
        later = start + timedelta(seconds=harness.app.config["OUTBOX_LEASE_SECONDS"] + 1)
        assert delivery.deliver_due(now=later) == 2
    with harness.app.app_context():
        assert not outbox.mark_failed(db.session(), stale[0], "A", "late failure")
        assert not outbox.mark_sent(db.session(), stale[1], "A")
        db.session.commit()
        assert delivery._deliver_emails(stale, "A") == 0  # A wakes up: nothing of its batch is still its own
    assert [r.status for r in harness.rows()] == [OutboxStatus.SENT, OutboxStatus.SENT]
    with harness.app.app_context():
        assert delivery.deliver_due(now=utcnow() + timedelta(hours=1)) == 0
    assert len(harness.inbox.messages) == 2


def test_a_web_write_during_a_send_neither_fails_nor_fails_the_worker(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    with harness.app.app_context():
        UserFactory(role=Role.FOUNDER, email="someone@aral.kz", name="Before")
        db.session.commit()
    harness.queue("wal@aral.kz", "wal2@aral.kz")
    real_connection = mail.connection
    writes: list[str] = []

    def connection() -> Any:
        class Wrapped:
            def __enter__(self) -> Any:
                self.inner = real_connection()
                send = self.inner.__enter__()

                def send_and_write(message: EmailMessage) -> None:
                    send(message)
                    with harness.app.app_context():  # a web request commits while the worker is between steps
                        db.session.execute(
                            text("UPDATE user_account SET name = :n WHERE email = 'someone@aral.kz'"),
                            {"n": str(message["To"])},
                        )
                        db.session.commit()
                    writes.append(str(message["To"]))

                return send_and_write

            def __exit__(self, *exc: Any) -> Any:
                return self.inner.__exit__(*exc)

        return Wrapped()

    monkeypatch.setattr(mail, "connection", connection)
    with harness.app.app_context():
        assert delivery.deliver_due() == 2
    assert writes == ["wal@aral.kz", "wal2@aral.kz"]
    assert [(r.status, r.attempts) for r in harness.rows()] == [(OutboxStatus.SENT, 1), (OutboxStatus.SENT, 1)]
    assert len(harness.inbox.messages) == 2


def test_an_outage_of_any_length_uses_no_attempt_but_still_backs_off(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.queue("waiting@aral.kz")
    monkeypatch.setitem(harness.app.config, "MAIL_PORT", free_port())  # nothing listens: the server is down
    now = utcnow()
    for _ in range(harness.app.config["OUTBOX_MAX_ATTEMPTS"] * 2):
        with harness.app.app_context():
            assert delivery.deliver_due(now=now) == 0
        [row] = harness.rows()
        assert row.status == OutboxStatus.PENDING
        assert row.attempts == 0
        assert row.next_attempt_at > utcnow() + timedelta(seconds=30)  # not retried in a tight loop
        now = row.next_attempt_at + timedelta(seconds=1)
    monkeypatch.setitem(harness.app.config, "MAIL_PORT", harness.port)
    with harness.app.app_context():
        assert delivery.deliver_due(now=now) == 1
    assert harness.inbox.to("waiting@aral.kz")


def test_an_admin_retries_every_dead_letter_at_once(harness: Harness) -> None:
    with harness.app.app_context():
        admin = UserFactory(role=Role.ADMIN, email="admin@dealflow.kz")
        for n in range(3):
            row = OutboxMessage(
                message_id=mail.new_message_id(), sender="a@b.kz", recipient=f"d{n}@aral.kz", subject="s", body="b"
            )
            row.status = OutboxStatus.DEAD
            row.attempts = 8
            db.session.add(row)
        db.session.commit()
        admin_email = admin.email
    client = harness.app.test_client()
    auth = Auth(client)
    auth.login(admin_email, PASSWORD)
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "Retry all" in page
    assert client.post("/admin/outbox/retry-all", data={}).status_code == 400  # no CSRF token
    token = csrf_token(client, "/admin/outbox")
    response = client.post("/admin/outbox/retry-all", data={"csrf_token": token}, follow_redirects=True)
    assert "3 undelivered email(s) will be sent again." in response.get_data(as_text=True)
    with harness.app.app_context():
        delivery.deliver_due()  # the testing queue already woke it; a second pass finds nothing left
        [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "outbox.retry_all")).all()
        assert entry.actor_email == "admin@dealflow.kz"
        assert entry.details == {"count": 3}
    assert {r.status for r in harness.rows()} == {OutboxStatus.SENT}
    assert len(harness.inbox.messages) == 3


def test_waking_the_worker_does_not_stall_on_a_redis_that_never_answers(test_databases: TestDatabase) -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)  # accepts connections (the kernel does) but never says a word
    port = listener.getsockname()[1]
    stop = threading.Event()
    accepted: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    app = make_app(test_databases.create(f"outbox_wake_{uuid.uuid4().hex[:8]}"), HUEY_URL=f"redis://127.0.0.1:{port}/0")
    try:
        with app.app_context():
            assert queue_of(app).wake_storage is not None
            started = time.monotonic()
            wake_outbox_worker()
            assert time.monotonic() - started < 1.5
            db.engine.dispose()
    finally:
        stop.set()
        thread.join()
        for connection in accepted:
            connection.close()
        listener.close()


def test_a_server_lost_mid_batch_costs_one_attempt_and_the_rest_wait(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness.queue("first@aral.kz", "second@aral.kz", "third@aral.kz")
    real_connection = mail.connection

    class HangsUpAfterOne:
        def __enter__(self) -> Any:
            self.inner = real_connection()
            send = self.inner.__enter__()
            sent: list[str] = []

            def send_then_lose(message: EmailMessage) -> None:
                if sent:
                    raise ConnectionResetError(104, "Connection reset by peer")  # the network broke
                send(message)
                sent.append(str(message["To"]))

            return send_then_lose

        def __exit__(self, *exc: Any) -> Any:
            return self.inner.__exit__(*exc)

    monkeypatch.setattr(mail, "connection", HangsUpAfterOne)
    with harness.app.app_context():
        assert delivery.deliver_due() == 1
    first, second, third = harness.rows()
    assert first.status == OutboxStatus.SENT
    assert (second.status, second.attempts) == (OutboxStatus.PENDING, 1)  # the one in flight counts
    assert (third.status, third.attempts) == (OutboxStatus.PENDING, 0)  # never tried: waits for the server
    assert third.last_error is not None
    assert "ConnectionResetError" in third.last_error
