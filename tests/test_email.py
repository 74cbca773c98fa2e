"""Email goes through a real SMTP server (aiosmtpd on loopback), in each recipient's language."""

from __future__ import annotations

import email
import socket
import time
from collections.abc import Iterator
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask

from dealflow.models import Role, StartupStatus
from tests.conftest import Auth
from tests.factories import PASSWORD, HubFactory, UserFactory
from tests.startup_helpers import founder, startup_in
from tests.test_review import staff_of


class Inbox:
    """Collects what the SMTP server receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 -- aiosmtpd's hook name
        self.messages.append((list(envelope.rcpt_tos), email.message_from_bytes(envelope.content)))
        return "250 Message accepted"

    def to(self, address: str) -> list[Message]:
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            found = [m for rcpt, m in self.messages if address in rcpt]
            if found:
                return found
            time.sleep(0.05)
        return []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    collected = Inbox()
    port = free_port()
    controller = Controller(collected, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield collected
    finally:
        controller.stop()


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def subject(message: Message) -> str:
    return str(email.header.make_header(email.header.decode_header(message["Subject"])))


def test_hub_staff_get_an_email_in_their_language_for_each_new_submission(
    inbox: Inbox, auth: Auth, post_form: Any
) -> None:
    from dealflow.extensions import db
    from dealflow.models import Region

    hub = HubFactory(home_region_code="KZ-43")
    hub.regions = [db.session.get(Region, "KZ-43")]
    reviewer = UserFactory(role=Role.HUB_STAFF, hub=hub, locale="ru", email="reviewer@hub.kz")
    UserFactory(role=Role.HUB_STAFF, email="elsewhere@hub.kz")  # no hub: not told
    owner = founder()
    startup = startup_in(StartupStatus.DRAFT, owner)
    auth.login(owner.email, PASSWORD)
    assert post_form(f"/founder/startups/{startup.id}/submit", {}, form_page="/founder/").status_code == 302
    [message] = inbox.to(reviewer.email)
    assert subject(message) == "Новая заявка на рассмотрение: Aral Water"
    text = body(message)
    assert "Здравствуйте" in text
    assert f"http://127.0.0.1:5000/review/{startup.id}" in text
    assert inbox.to("elsewhere@hub.kz") == []


def test_the_founder_gets_the_decision_and_comment_in_their_language(inbox: Inbox, app: Flask, auth: Auth) -> None:
    reviewer = staff_of()  # staff of the hub that serves the startup's region
    owner = UserFactory(role=Role.FOUNDER, locale="kk", email="founder@aral.kz")
    startup = startup_in(StartupStatus.SUBMITTED, owner)
    auth.login(reviewer.email, PASSWORD)
    from tests.test_review import decide_form

    decide_form(auth.client, startup.id, "changes_requested", "Соңғы үш айдағы табысты қосыңыз.")
    [message] = inbox.to(owner.email)
    assert message["To"] == "founder@aral.kz"
    assert "Aral Water" in subject(message)
    text = body(message)
    assert "Сәлеметсіз бе" in text
    assert "Соңғы үш айдағы табысты қосыңыз." in text
    assert "http://127.0.0.1:5000/founder/" in text


def test_nothing_is_sent_when_the_action_fails(inbox: Inbox, auth: Auth) -> None:
    reviewer = staff_of()  # staff of the hub that serves the startup's region
    owner = UserFactory(role=Role.FOUNDER, email="nothing@aral.kz")
    startup = startup_in(StartupStatus.SUBMITTED, owner)
    auth.login(reviewer.email, PASSWORD)
    from tests.test_review import decide_form

    decide_form(auth.client, startup.id, "rejected", "")  # refused: a rejection needs a comment
    time.sleep(0.3)
    assert inbox.to(owner.email) == []


def test_queued_email_is_dropped_when_the_transaction_rolls_back(inbox: Inbox, app: Flask) -> None:
    from dealflow.extensions import db
    from dealflow.notifications import services as notifications

    owner = UserFactory(role=Role.FOUNDER, email="rolled@back.kz")
    notifications.notify(owner, "decision", {"startup": "Ghost", "decision": "approved"}, "/founder/")
    db.session.rollback()
    db.session.commit()
    from dealflow.jobs import delivery

    with app.app_context():
        assert delivery.deliver_due() == 0  # the worker finds nothing: the row rolled back with the action
    time.sleep(0.3)
    assert inbox.to("rolled@back.kz") == []


def test_a_decision_is_recorded_even_when_the_mail_server_is_down(
    app: Flask, monkeypatch: pytest.MonkeyPatch, auth: Auth
) -> None:
    from dealflow.extensions import db

    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # nothing listens there
    reviewer = staff_of()  # staff of the hub that serves the startup's region
    startup = startup_in(StartupStatus.SUBMITTED)
    auth.login(reviewer.email, PASSWORD)
    from tests.test_review import decide_form

    assert decide_form(auth.client, startup.id, "approved").status_code == 302
    db.session.refresh(startup)
    assert startup.status == StartupStatus.APPROVED


def test_region_names_in_emails_are_in_the_recipients_language(inbox: Inbox, auth: Auth, post_form: Any) -> None:
    from dealflow.extensions import db
    from dealflow.models import Region

    hub = HubFactory(home_region_code="KZ-43")
    hub.regions = [db.session.get(Region, "KZ-43")]
    UserFactory(role=Role.HUB_STAFF, hub=hub, locale="kk", email="kk.reviewer@hub.kz")
    owner = founder()
    startup = startup_in(StartupStatus.DRAFT, owner)
    auth.login(owner.email, PASSWORD)
    post_form(f"/founder/startups/{startup.id}/submit", {}, form_page="/founder/")
    [message] = inbox.to("kk.reviewer@hub.kz")
    assert "Қызылорда облысы" in body(message)
    assert subject(message) == "Қарауға жаңа өтінім: Aral Water"
