"""The outbox: mail is a row of its action's transaction, retried with backoff, then dead until an admin retries it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.jobs import delivery
from dealflow.models import AuditLog, OutboxMessage, OutboxStatus, Role, StartupStatus, utcnow
from dealflow.notifications import mail, outbox
from dealflow.notifications import services as notifications
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import startup_in
from tests.test_email import Inbox, free_port
from tests.test_review import decide_form, staff_of


@pytest.fixture
def smtp_port(app: Flask, monkeypatch: pytest.MonkeyPatch) -> int:
    """Mail goes to a loopback port where nothing listens yet: the mail server is down."""
    port = free_port()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT_SECONDS", 2)
    return port


@pytest.fixture
def start_smtp(smtp_port: int) -> Iterator[Any]:
    """Bring the mail server up on the port the app sends to."""
    controllers: list[Controller] = []

    def start() -> Inbox:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
        controller.start()
        controllers.append(controller)
        return inbox

    yield start
    for controller in controllers:
        controller.stop()


class RefusingInbox(Inbox):
    """A mail server that is up but refuses every recipient: the message, not the server, fails."""

    async def handle_RCPT(  # noqa: N802 -- aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        return "550 5.1.1 No such mailbox"


def rows_to(address: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)))


def test_an_email_is_a_row_with_its_message_id_written_with_the_action(app: Flask) -> None:
    owner = UserFactory(role=Role.FOUNDER, email="row@aral.kz", locale="ru")
    notifications.notify(owner, "decision", {"startup": "Aral Water", "decision": "approved"}, "/founder/")
    [row] = rows_to("row@aral.kz")
    assert row.channel == "email"
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0
    assert row.message_id.startswith("<")
    assert row.message_id.endswith("@127.0.0.1>")
    assert "Aral Water" in row.subject
    assert "Здравствуйте" in row.body


def test_a_rolled_back_action_leaves_nothing_to_send(app: Flask, start_smtp: Any) -> None:
    inbox = start_smtp()
    owner = UserFactory(role=Role.FOUNDER, email="ghost@aral.kz")
    db.session.commit()
    notifications.notify(owner, "decision", {"startup": "Ghost", "decision": "approved"}, "/founder/")
    assert len(rows_to("ghost@aral.kz")) == 1
    db.session.rollback()
    assert rows_to("ghost@aral.kz") == []
    with app.app_context():
        assert delivery.deliver_due() == 0
    time.sleep(0.3)
    assert inbox.messages == []


def test_failures_back_off_exponentially_up_to_the_cap(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "OUTBOX_BACKOFF_SECONDS", 60)
    monkeypatch.setitem(app.config, "OUTBOX_BACKOFF_CAP_SECONDS", 3600)
    assert [outbox.backoff(n).total_seconds() for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_an_smtp_outage_delays_mail_and_the_decision_stands(
    app: Flask, auth: Auth, smtp_port: int, start_smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = UserFactory(role=Role.FOUNDER, email="waiting@aral.kz")
    startup = startup_in(StartupStatus.SUBMITTED, owner)
    auth.login(staff_of(startup.region_code or "KZ-43").email, PASSWORD)
    assert decide_form(auth.client, startup.id, "approved").status_code == 302
    db.session.refresh(startup)
    assert startup.status == StartupStatus.APPROVED
    [row] = rows_to("waiting@aral.kz")
    db.session.refresh(row)
    assert row.status == OutboxStatus.PENDING
    assert row.attempts == 0  # the server, not the message, failed: no attempt is used up
    assert "ConnectionRefusedError" in (row.last_error or "")
    assert row.next_attempt_at > utcnow() + timedelta(seconds=50)  # the first retry is a minute away

    inbox = start_smtp()
    with app.app_context():
        assert delivery.deliver_due() == 0  # not due yet
    with app.app_context():
        assert delivery.deliver_due(now=row.next_attempt_at + timedelta(seconds=1)) == 1
    [message] = inbox.to("waiting@aral.kz")
    assert message["Message-ID"] == row.message_id
    db.session.refresh(row)
    assert row.status == OutboxStatus.SENT
    assert row.attempts == 1


def test_the_last_failed_retry_makes_a_dead_letter_that_an_admin_retries(
    app: Flask, auth: Auth, smtp_port: int, start_smtp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "OUTBOX_MAX_ATTEMPTS", 3)
    monkeypatch.setitem(app.config, "OUTBOX_BACKOFF_SECONDS", 0)
    owner = UserFactory(role=Role.FOUNDER, email="dead@aral.kz", locale="kk")
    startup = startup_in(StartupStatus.SUBMITTED, owner)
    admin = UserFactory(role=Role.ADMIN, email="admin@dealflow.kz")
    refusing = Controller(RefusingInbox(), hostname="127.0.0.1", port=smtp_port)
    refusing.start()
    auth.login(staff_of(startup.region_code or "KZ-43").email, PASSWORD)
    decide_form(auth.client, startup.id, "approved")  # attempt 1, right after the commit
    with app.app_context():
        delivery.deliver_due()  # attempt 2
    with app.app_context():
        delivery.deliver_due()  # attempt 3, the last
    [row] = rows_to("dead@aral.kz")
    db.session.refresh(row)
    assert row.status == OutboxStatus.DEAD
    assert row.attempts == 3
    with app.app_context():
        assert delivery.deliver_due() == 0  # a dead letter waits for a person
    refusing.stop()

    auth.logout()
    auth.login(admin.email, PASSWORD)
    page = auth.client.get("/admin/outbox").get_data(as_text=True)
    assert "Undelivered mail" in page
    assert "dead@aral.kz" in page
    assert "SMTPRecipientsRefused" in page
    assert 'href="/admin/outbox"' in page  # in the admin navigation

    inbox = start_smtp()
    token = csrf_token(auth.client, "/admin/outbox")
    assert auth.client.post(f"/admin/outbox/{row.id}/retry", data={}).status_code == 400  # no CSRF token
    response = auth.client.post(f"/admin/outbox/{row.id}/retry", data={"csrf_token": token}, follow_redirects=True)
    assert "will be sent again" in response.get_data(as_text=True)
    [message] = inbox.to("dead@aral.kz")
    assert message["Message-ID"] == row.message_id
    db.session.refresh(row)
    assert row.status == OutboxStatus.SENT
    [entry] = db.session.scalars(select(AuditLog).where(AuditLog.action == "outbox.retry")).all()
    assert entry.actor_email == "admin@dealflow.kz"
    assert entry.target_id == str(row.id)
    assert entry.details["recipient"] == "dead@aral.kz"


def test_only_admins_see_and_retry_undelivered_mail(app: Flask, auth: Auth, post_form: Any) -> None:
    auth.login(UserFactory(role=Role.HUB_STAFF).email, PASSWORD)
    assert auth.client.get("/admin/outbox").status_code == 403
    row = OutboxMessage(message_id=mail.new_message_id(), sender="a@b.kz", recipient="x@y.kz", subject="s", body="b")
    row.status = OutboxStatus.DEAD
    db.session.add(row)
    db.session.flush()
    token = csrf_token(auth.client, "/")
    assert auth.client.post(f"/admin/outbox/{row.id}/retry", data={"csrf_token": token}).status_code == 403
    db.session.refresh(row)
    assert row.status == OutboxStatus.DEAD


def test_a_leased_row_is_not_claimed_twice_until_its_lease_runs_out(app: Flask) -> None:
    for n in range(3):
        mail.queue(db.session(), mail.build(f"lease{n}@aral.kz", "Subject", "Body"))
    db.session.flush()
    first = outbox.claim_due(db.session(), "worker-a", channel="email", limit=2)
    second = outbox.claim_due(db.session(), "worker-b", channel="email", limit=10)
    assert len(first) == 2
    assert len(second) == 1
    assert {r.id for r in first}.isdisjoint({r.id for r in second})
    assert outbox.claim_due(db.session(), "worker-c", channel="email", limit=10) == []
    later = utcnow() + timedelta(seconds=app.config["OUTBOX_LEASE_SECONDS"] + 1)
    taken_over = outbox.claim_due(db.session(), "worker-c", channel="email", limit=10, now=later)
    assert sorted(r.id for r in taken_over) == sorted(r.id for r in [*first, *second])
    assert {r.locked_by for r in taken_over} == {"worker-c"}
    assert {r.attempts for r in taken_over} == {2}


def test_a_dedupe_key_writes_one_email_at_most(app: Flask) -> None:
    first = mail.queue(db.session(), mail.build("once@aral.kz", "S", "B"), dedupe_key="test:once")
    again = mail.queue(db.session(), mail.build("once@aral.kz", "S", "B"), dedupe_key="test:once")
    db.session.flush()
    assert (first, again) == (True, False)
    count = db.session.scalar(select(func.count()).where(OutboxMessage.recipient == "once@aral.kz"))
    assert count == 1


def test_a_live_worker_renews_the_lease_on_the_rest_of_its_batch(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    for n in range(2):
        mail.queue(db.session(), mail.build(f"renew{n}@aral.kz", "Subject", "Body"))
    db.session.flush()
    monkeypatch.setitem(app.config, "OUTBOX_LEASE_SECONDS", 60)
    first, second = outbox.claim_due(db.session(), "worker-a", channel="email", limit=2)
    first.locked_until = second.locked_until = utcnow() - timedelta(seconds=1)  # a slow batch: the lease ran out
    db.session.flush()
    outbox.renew_lease(db.session(), [second], "worker-a")
    outbox.renew_lease(db.session(), [first], "worker-b")  # not its row: nothing changes
    db.session.refresh(first)
    db.session.refresh(second)
    assert second.locked_until is not None
    assert second.locked_until > utcnow() + timedelta(seconds=50)
    assert first.locked_until is not None
    assert first.locked_until < utcnow()
    assert outbox.claim_due(db.session(), "worker-b", channel="email", limit=10) == [first]
