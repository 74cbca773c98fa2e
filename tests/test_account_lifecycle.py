"""The account lifecycle: sign-up without enumeration, email verification, email change and reset links."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.matches import services as matches
from dealflow.models import (
    AccountToken,
    AuditLog,
    IntroRequest,
    Role,
    StartupStatus,
    User,
    utcnow,
)
from dealflow.startups import services as startups
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.match_helpers import listed, ready_investor
from tests.startup_helpers import startup_in
from tests.test_email import Inbox, body
from tests.test_email import inbox as inbox  # noqa: F401 -- the aiosmtpd fixture, used by name

NEW_PASSWORD = "Steppe-wind-over-Taraz-9"
LINK_RE = re.compile(r"http://127\.0\.0\.1:5000(/\S+)")


def sign_up(post_form: Any, email: str, role: str = "founder", name: str = "Aliya Serikova") -> Any:
    data = {
        "name": name,
        "email": email,
        "password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD,
        "role": role,
        "accept_terms": "y",
    }
    return post_form("/register", data)


def link_in(inbox: Inbox, address: str, index: int = -1) -> str:
    messages = inbox.to(address)
    assert messages, f"no email to {address}"
    found = LINK_RE.search(body(messages[index]))
    assert found, body(messages[index])
    return found.group(1)


def press(client: FlaskClient, path: str) -> Any:
    """Open a link page and press its only button, as a person would (a dead link sends them away at once)."""
    opened = client.get(path)
    if opened.status_code == 302:
        return opened
    return client.post(path, data={"csrf_token": csrf_token(client, path)})


def copy_cookies(source: FlaskClient, target: FlaskClient) -> None:
    for name in ("dealflow_session", "dealflow_remember"):
        cookie = source.get_cookie(name)
        if cookie is not None:
            target.set_cookie(name, cookie.value)


def log_in(app: Flask, user: User, remember: bool = False, ip: str = "127.0.0.1") -> FlaskClient:
    device = app.test_client()
    token = csrf_token(device, "/login")
    data = {"csrf_token": token, "email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = device.post("/login", data=data, environ_overrides={"REMOTE_ADDR": ip})
    assert response.status_code == 302
    return device


# -- email verification -----------------------------------------------------------------------------------


def test_the_emailed_link_verifies_logs_in_and_works_only_once(inbox: Inbox, client: Any, post_form: Any) -> None:
    assert sign_up(post_form, "new@aktobe.kz").headers["Location"] == "/register/check-your-inbox"
    user = db.session.scalar(select(User).where(User.email == "new@aktobe.kz"))
    assert user is not None
    assert user.email_verified_at is None
    link = link_in(inbox, "new@aktobe.kz")
    assert link.startswith("/verify-email/")
    assert db.session.scalar(select(AccountToken.token_hash)) != link.rsplit("/", 1)[1]  # only the hash is kept
    assert "Confirm and log in" in client.get(link).get_data(as_text=True)  # a GET (a mail scanner) spends nothing
    response = press(client, link)
    assert response.headers["Location"] == "/founder/"
    db.session.refresh(user)
    assert user.email_verified_at is not None
    assert "verify-banner" not in client.get("/founder/").get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.actor_id == user.id)).all()
    assert {"auth.registered", "auth.email_verified"} <= set(actions)
    again = Auth(client)
    again.logout()
    second = press(client, link)
    assert second.headers["Location"] == "/login"
    assert "expired or was already used" in client.get("/login").get_data(as_text=True)
    db.session.refresh(user)
    assert client.post(link, data={"csrf_token": csrf_token(client, "/login")}).headers["Location"] == "/login"


def test_a_verification_link_expires_after_48_hours(inbox: Inbox, client: Any, post_form: Any) -> None:
    with time_machine.travel(utcnow(), tick=False) as traveller:
        sign_up(post_form, "late@aktobe.kz")
        link = link_in(inbox, "late@aktobe.kz")
        traveller.shift(timedelta(hours=48, minutes=1))
        press(client, link)
    user = db.session.scalar(select(User).where(User.email == "late@aktobe.kz"))
    assert user is not None
    assert user.email_verified_at is None


def test_a_taken_address_gets_a_warning_instead_of_a_link(inbox: Inbox, client: Any, post_form: Any) -> None:
    UserFactory(email="taken@aktobe.kz", name="First Owner")
    fresh = sign_up(post_form, "fresh@aktobe.kz")
    taken = sign_up(post_form, "Taken@Aktobe.kz", name="Someone Else")
    assert taken.status_code == fresh.status_code == 302
    assert taken.headers["Location"] == fresh.headers["Location"]
    [warning] = inbox.to("taken@aktobe.kz")
    text = body(warning)
    assert "you already have an account" in text
    assert "/forgot-password" in text
    assert "/verify-email/" not in text
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "taken@aktobe.kz")) == 1


def test_an_unverified_founder_drafts_but_cannot_submit_and_the_page_says_why(auth: Auth, post_form: Any) -> None:
    owner = UserFactory(role=Role.FOUNDER, email_verified_at=None)
    draft = startup_in(StartupStatus.DRAFT, owner)
    auth.login(owner.email, PASSWORD)
    page = auth.client.get("/founder/").get_data(as_text=True)
    assert "verify-banner" in page
    assert "Confirm your email address to submit a startup for review" in page
    response = post_form(f"/founder/startups/{draft.id}/submit", {}, form_page="/founder/")
    follow = auth.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Confirm your email address before you submit" in follow
    db.session.refresh(draft)
    assert draft.status == StartupStatus.DRAFT


def test_an_unverified_investor_browses_but_cannot_request_intros() -> None:
    investor = ready_investor(email_verified_at=None)
    with pytest.raises(matches.MatchError, match="Confirm your email address"):
        matches.request_intro(investor, listed(), "We invest in your region.")
    assert db.session.scalar(select(func.count(IntroRequest.id))) == 0


def test_resending_the_link_replaces_the_old_one_and_is_rate_limited(inbox: Inbox, app: Flask, auth: Auth) -> None:
    user = UserFactory(email="resend@aktobe.kz", email_verified_at=None)
    auth.login(user.email, PASSWORD)
    limit = int(app.config["RESEND_LIMIT_PER_ACCOUNT"].split()[0])
    for _ in range(limit):
        assert (
            auth.client.post(
                "/verify-email/resend", data={"csrf_token": csrf_token(auth.client, "/account")}
            ).status_code
            == 302
        )
    assert (
        auth.client.post("/verify-email/resend", data={"csrf_token": csrf_token(auth.client, "/account")}).status_code
        == 429
    )
    first, last = link_in(inbox, user.email, 0), link_in(inbox, user.email, -1)
    assert first != last
    other = app.test_client()
    press(other, first)
    db.session.refresh(user)
    assert user.email_verified_at is None  # the older link stopped working
    press(other, last)
    db.session.refresh(user)
    assert user.email_verified_at is not None


def test_resend_without_csrf_sends_nothing(inbox: Inbox, auth: Auth) -> None:
    user = UserFactory(email="nocsrf@aktobe.kz", email_verified_at=None)
    auth.login(user.email, PASSWORD)
    assert auth.client.post("/verify-email/resend").status_code == 400
    assert db.session.scalar(select(func.count(AccountToken.id))) == 0


def test_changing_the_email_needs_the_password_and_takes_effect_on_the_link(
    inbox: Inbox, app: Flask, auth: Auth, post_form: Any
) -> None:
    user = UserFactory(email="old@aktobe.kz")
    auth.login(user.email, PASSWORD)
    wrong = post_form(
        "/account/email", {"new_email": "new@aktobe.kz", "password": "Not-my-password-1"}, form_page="/account"
    )
    assert "Your current password is not correct." in wrong.get_data(as_text=True)
    response = post_form("/account/email", {"new_email": "New@Aktobe.kz", "password": PASSWORD}, form_page="/account")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.email == "old@aktobe.kz"  # nothing changes before the link is opened
    assert "new@aktobe.kz" in body(inbox.to("old@aktobe.kz")[0])  # the old address is told
    link = link_in(inbox, "new@aktobe.kz")
    press(auth.client, link)
    db.session.refresh(user)
    assert user.email == "new@aktobe.kz"
    assert user.email_verified_at is not None
    assert len(inbox.to("old@aktobe.kz")) == 2  # told again once it happened
    assert db.session.scalar(select(AuditLog.details).where(AuditLog.action == "auth.email_changed")) == {
        "from": "old@aktobe.kz",
        "to": "new@aktobe.kz",
    }


# -- password reset ---------------------------------------------------------------------------------------


def test_forgot_password_answers_the_same_whether_or_not_the_address_has_an_account(
    inbox: Inbox, post_form: Any
) -> None:
    UserFactory(email="known@aktobe.kz")
    known = post_form("/forgot-password", {"email": "known@aktobe.kz"}).get_data(as_text=True)
    unknown = post_form("/forgot-password", {"email": "unknown@aktobe.kz"}).get_data(as_text=True)
    strip = re.compile(r'name="csrf_token"[^>]*>')
    assert strip.sub("", known) == strip.sub("", unknown)
    assert "If an account uses this address" in known
    assert link_in(inbox, "known@aktobe.kz").startswith("/reset-password/")
    assert inbox.to("unknown@aktobe.kz") == []


def test_a_reset_link_sets_a_new_password_once_and_ends_every_session(
    inbox: Inbox, app: Flask, client: Any, post_form: Any
) -> None:
    user = UserFactory(email="reset@aktobe.kz")
    before = log_in(app, user, remember=True)
    saved = app.test_client()
    copy_cookies(before, saved)
    post_form("/forgot-password", {"email": "reset@aktobe.kz"})
    link = link_in(inbox, "reset@aktobe.kz")
    weak = client.post(
        link, data={"csrf_token": csrf_token(client, link), "new_password": "password12", "confirm": "password12"}
    )
    assert "among the most common" in weak.get_data(as_text=True)
    done = client.post(
        link, data={"csrf_token": csrf_token(client, link), "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert done.headers["Location"] == "/login"
    assert before.get("/account").status_code == 302
    assert saved.get("/account").status_code == 302
    assert Auth(app.test_client()).login(user.email, PASSWORD).status_code == 200
    assert Auth(app.test_client()).login(user.email, NEW_PASSWORD).status_code == 302
    assert client.get(link).headers["Location"] == "/forgot-password"  # spent
    assert db.session.scalar(select(func.count(AuditLog.id)).where(AuditLog.action == "auth.password_reset")) == 1


def test_a_reset_link_expires_after_an_hour(inbox: Inbox, client: Any, post_form: Any) -> None:
    user = UserFactory(email="slow@aktobe.kz")
    with time_machine.travel(utcnow(), tick=False) as traveller:
        post_form("/forgot-password", {"email": user.email})
        link = link_in(inbox, user.email)
        traveller.shift(timedelta(minutes=61))
        assert client.get(link).headers["Location"] == "/forgot-password"


def test_reset_requests_are_limited_per_address(app: Flask, post_form: Any) -> None:
    limit = int(app.config["RESET_LIMIT_PER_ADDRESS"].split()[0])
    for _ in range(limit):
        assert post_form("/forgot-password", {"email": "Target@aktobe.kz"}).status_code == 200
    assert post_form("/forgot-password", {"email": "target@aktobe.kz "}).status_code == 429
    assert post_form("/forgot-password", {"email": "other@aktobe.kz"}).status_code == 200


def test_a_weak_password_is_refused_alike_for_a_new_and_a_taken_address(post_form: Any) -> None:
    UserFactory(email="taken@aktobe.kz")
    for address in ("taken@aktobe.kz", "free@aktobe.kz"):
        response = post_form(
            "/register",
            {
                "name": "Aliya",
                "email": address,
                "password": "password12",
                "confirm": "password12",
                "role": "founder",
                "accept_terms": "y",
            },
        )
        assert response.status_code == 200
        assert "among the most common" in response.get_data(as_text=True)


def test_devices_are_named_the_way_people_recognise_them() -> None:
    from dealflow.auth.sessions import device_label

    firefox = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0"
    safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Version/17.5 Safari/604.1"
    chrome = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"
    assert device_label(firefox) == "Firefox / Windows"
    assert device_label(safari) == "Safari / iPhone"
    assert device_label(chrome) == "Chrome / Android"
    assert device_label(None) == "?"


def test_an_unverified_founder_who_submits_through_the_service_is_refused() -> None:
    owner = UserFactory(role=Role.FOUNDER, email_verified_at=None)
    draft = startup_in(StartupStatus.DRAFT, owner)
    with pytest.raises(startups.StartupError, match="Confirm your email address"):
        startups.submit_for_review(draft, actor=owner)


@pytest.mark.own_database
def test_the_migration_counts_existing_accounts_as_verified_and_goes_back(test_databases: Any) -> None:
    import flask_migrate
    from sqlalchemy import text

    from dealflow import create_app

    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": test_databases.create("lifecycle")})
    with app.app_context():
        try:
            flask_migrate.upgrade(revision="0009")
            db.session.execute(
                text(
                    "INSERT INTO user_account (email, password_hash, name, role, active, session_version, created_at) "
                    "VALUES ('before@aktobe.kz', 'x', 'Before', 'founder', :yes, 0, '2025-03-01 10:00:00')"
                ),
                {"yes": True},
            )
            db.session.commit()
            flask_migrate.upgrade(revision="0011")
            user = db.session.scalar(select(User).where(User.email == "before@aktobe.kz"))
            assert user is not None
            assert user.email_verified_at == user.created_at
            db.session.rollback()
            flask_migrate.downgrade(revision="0010")
            flask_migrate.upgrade(revision="0011")
        finally:
            db.session.remove()
            db.engine.dispose()
