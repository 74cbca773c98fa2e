"""An account-wide hard cap: guesses from unbounded addresses stop, and the owner gets in with a reset link."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from dealflow.extensions import db
from dealflow.models import AuditLog
from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.test_account_lifecycle import link_in
from tests.test_email import Inbox, body
from tests.test_email import inbox as inbox  # noqa: F401 -- the aiosmtpd fixture, used by name

NEW = "Steppe-wind-over-Taraz-9"


def attempt(app: Flask, email: str, password: str, ip: str) -> tuple[int, str]:
    device = app.test_client()
    token = csrf_token(device, "/login")
    response = device.post(
        "/login",
        data={"csrf_token": token, "email": email, "password": password},
        environ_overrides={"REMOTE_ADDR": ip},
    )
    return response.status_code, response.get_data(as_text=True)


@pytest.fixture
def small_limits(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_PER_ACCOUNT", "2 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_CEILING", "4 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_LIMIT_UNDER_ATTACK", "1 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_ACCOUNT_HARD_CAP", "12 per 15 minutes")
    monkeypatch.setitem(app.config, "LOGIN_ALERT_AFTER", 100)


def test_guesses_from_ever_new_addresses_stop_at_the_hard_cap(inbox: Inbox, app: Flask, small_limits: None) -> None:
    owner = UserFactory(email="target@aktobe.kz")
    answers = [attempt(app, owner.email, f"Wrong-guess-{n}", f"198.51.100.{n + 1}") for n in range(20)]
    checked = [code for code, _ in answers if code == 200]
    assert len(checked) == 12  # every address still had a try, yet no more than the cap were checked
    code, page = answers[-1]
    assert code == 429
    assert "Reset your password to log in now." in page
    # the owner with the right password is refused too: nobody gets a password checked for the account
    code, page = attempt(app, owner.email, PASSWORD, "192.0.2.50")
    assert code == 429
    assert "logging in with a password is paused" in page
    [told] = inbox.to("target@aktobe.kz")  # once, however many more guesses come
    assert "reset your password" in body(told)
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "auth.login_locked")) is not None


def test_a_reset_link_gets_the_owner_of_a_capped_account_in(
    inbox: Inbox, app: Flask, small_limits: None, post_form: object
) -> None:
    owner = UserFactory(email="locked@aktobe.kz")
    for n in range(14):
        attempt(app, owner.email, f"Wrong-guess-{n}", f"203.0.113.{n + 1}")
    assert attempt(app, owner.email, PASSWORD, "192.0.2.9")[0] == 429
    device = app.test_client()
    token = csrf_token(device, "/forgot-password")
    device.post("/forgot-password", data={"csrf_token": token, "email": owner.email})
    link = link_in(inbox, owner.email)
    assert link.startswith("/reset-password/")
    device.post(link, data={"csrf_token": csrf_token(device, link), "new_password": NEW, "confirm": NEW})
    assert attempt(app, owner.email, NEW, "192.0.2.9")[0] == 302
