"""Server-side sessions (logout really ends them) and login throttling that strangers cannot turn into a lock-out."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from flask import Flask
from sqlalchemy import event, select

from dealflow.extensions import db
from dealflow.models import Role, UserSession, utcnow
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.match_helpers import ready_investor
from tests.test_account_lifecycle import copy_cookies, log_in
from tests.test_email import Inbox, body
from tests.test_email import inbox as inbox  # noqa: F401 -- the aiosmtpd fixture, used by name


def test_after_logout_a_saved_session_or_remember_cookie_is_refused(app: Flask) -> None:
    user = UserFactory()
    device = log_in(app, user, remember=True)
    thief = app.test_client()
    copy_cookies(device, thief)
    assert thief.get("/account").status_code == 200  # a copied cookie works while the session lives
    Auth(device).logout()
    assert device.get("/account").status_code == 302
    assert thief.get("/account").status_code == 302
    remember_only = app.test_client()
    cookie = device.get_cookie("dealflow_remember") or thief.get_cookie("dealflow_remember")
    assert cookie is not None
    remember_only.set_cookie("dealflow_remember", cookie.value)
    assert remember_only.get("/account").status_code == 302
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None
    assert row.ended_at is not None


def test_an_idle_session_ends_but_a_remembered_one_lasts_30_days(app: Flask) -> None:
    user = UserFactory()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        plain = log_in(app, user)
        remembered = log_in(app, user, remember=True)
        traveller.shift(timedelta(minutes=app.config["SESSION_IDLE_MINUTES"] + 1))
        assert plain.get("/account").status_code == 302
        assert remembered.get("/account").status_code == 200
        traveller.shift(timedelta(days=30))
        assert remembered.get("/account").status_code == 302


def test_last_seen_is_written_at_most_every_few_minutes(app: Flask) -> None:
    user = UserFactory()
    with time_machine.travel(utcnow(), tick=False) as traveller:
        device = log_in(app, user)
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert row is not None
        first_seen = row.last_seen_at
        traveller.shift(timedelta(minutes=2))
        device.get("/account")
        db.session.refresh(row)
        assert row.last_seen_at == first_seen
        traveller.shift(timedelta(minutes=4))
        device.get("/account")
        db.session.refresh(row)
        assert row.last_seen_at > first_seen


def test_loading_the_user_and_the_session_is_one_statement(app: Flask) -> None:
    from dealflow.auth.sessions import load_user

    user = ready_investor()
    device = log_in(app, user)
    cookie = device.get_cookie("dealflow_session")
    assert cookie is not None
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row is not None
    with app.test_request_context():
        from dealflow.auth import sessions

        secret = "x" * 43
        row.token_hash = sessions.hash_token(secret)
        db.session.flush()
        db.session.expunge_all()
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            loaded = load_user(secret)
            assert loaded is not None
            assert loaded.investor_profile is not None
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    assert len(seen) == 1


def test_the_settings_list_devices_and_log_out_others(app: Flask) -> None:
    user = UserFactory()
    phone = log_in(app, user, ip="10.1.1.1")
    phone_agent = {"User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0) AppleWebKit Safari/604.1"}
    laptop = app.test_client()
    token = csrf_token(laptop, "/login")
    laptop.post(
        "/login",
        data={"csrf_token": token, "email": user.email, "password": PASSWORD},
        headers={"User-Agent": "Mozilla/5.0 (Windows NT 10.0) Gecko/20100101 Firefox/130.0"},
    )
    page = laptop.get("/account").get_data(as_text=True)
    assert "Firefox / Windows" in page
    assert page.count("device-row") == 2
    assert "This device" in page
    del phone_agent
    ended = laptop.post("/account/sessions/end-others", data={"csrf_token": csrf_token(laptop, "/account")})
    assert ended.status_code == 302
    assert phone.get("/account").status_code == 302
    assert laptop.get("/account").status_code == 200
    assert laptop.get("/account").get_data(as_text=True).count("device-row") == 1


def test_one_device_is_logged_out_from_another_but_never_a_strangers(app: Flask) -> None:
    user, stranger = UserFactory(), UserFactory()
    first = log_in(app, user)
    second = log_in(app, user)
    strangers_device = log_in(app, stranger)
    ids = db.session.scalars(
        select(UserSession.id).where(UserSession.user_id == user.id).order_by(UserSession.id)
    ).all()
    strangers_id = db.session.scalar(select(UserSession.id).where(UserSession.user_id == stranger.id))
    second.post(f"/account/sessions/{strangers_id}/end", data={"csrf_token": csrf_token(second, "/account")})
    assert strangers_device.get("/account").status_code == 200
    second.post(f"/account/sessions/{ids[0]}/end", data={"csrf_token": csrf_token(second, "/account")})
    assert first.get("/account").status_code == 302
    assert second.get("/account").status_code == 200


def test_an_admin_role_change_ends_the_users_sessions(app: Flask, auth: Auth, post_form: Any) -> None:
    target = UserFactory(role=Role.FOUNDER)
    their_device = log_in(app, target)
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    post_form(f"/admin/users/{target.id}", {"role": "investor", "hub_id": "", "active": "y"})
    assert their_device.get("/account").status_code == 302


# -- no lock-out by strangers -----------------------------------------------------------------------------


def attempt(app: Flask, email: str, password: str, ip: str) -> int:
    device = app.test_client()
    token = csrf_token(device, "/login")
    data = {"csrf_token": token, "email": email, "password": password}
    return int(device.post("/login", data=data, environ_overrides={"REMOTE_ADDR": ip}).status_code)


def test_fifty_wrong_passwords_from_one_address_do_not_keep_the_owner_out(app: Flask) -> None:
    owner = UserFactory(role=Role.ADMIN)
    answers = [attempt(app, owner.email, "Wrong-password-123", "203.0.113.9") for _ in range(50)]
    assert answers[:5] == [200] * 5
    assert set(answers[5:]) == {429}
    assert attempt(app, owner.email, PASSWORD, "203.0.113.9") == 429  # that address waits, even with the password
    assert attempt(app, owner.email, PASSWORD, "198.51.100.7") == 302  # the owner, elsewhere, gets in


def test_guessing_from_many_addresses_slows_every_address_and_tells_the_owner_once(inbox: Inbox, app: Flask) -> None:
    owner = UserFactory(email="target@aktobe.kz")
    ceiling = int(app.config["LOGIN_ACCOUNT_CEILING"].split()[0])
    per_client = int(app.config["LOGIN_LIMIT_PER_ACCOUNT"].split()[0])
    for n in range(ceiling // per_client):
        for _ in range(per_client):
            assert attempt(app, owner.email, "Wrong-password-123", f"203.0.113.{n}") == 200
    slowed = int(app.config["LOGIN_LIMIT_UNDER_ATTACK"].split()[0])
    answers = [attempt(app, owner.email, "Wrong-password-123", "192.0.2.1") for _ in range(slowed + 1)]
    assert answers == [200] * slowed + [429]  # a fresh address gets the shorter allowance
    assert attempt(app, owner.email, PASSWORD, "198.51.100.7") == 302  # the owner is slowed, never locked out
    [warning] = inbox.to("target@aktobe.kz")
    assert "Your account is not locked" in body(warning)
