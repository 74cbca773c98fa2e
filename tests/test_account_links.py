"""Emailed links die with the change that should kill them: a new password, a new address, a first login."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from dealflow.admin import services as admin_services
from dealflow.auth import links, recovery, services
from dealflow.extensions import db
from dealflow.models import AccountToken, Role, TokenPurpose, User, UserSession
from dealflow.privacy import services as personal_data
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.test_account_lifecycle import link_in, log_in, press
from tests.test_email import Inbox, body
from tests.test_email import inbox as inbox  # noqa: F401 -- the aiosmtpd fixture, used by name

NEW = "Steppe-wind-over-Taraz-9"
OTHER = "Another-long-passphrase-77"


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context("/"):
        yield


def live_links(user: User) -> int:
    return (
        db.session.scalar(
            select(func.count(AccountToken.id)).where(AccountToken.user_id == user.id, AccountToken.used_at.is_(None))
        )
        or 0
    )


def all_links(user: User) -> dict[TokenPurpose, str]:
    return {
        TokenPurpose.RESET_PASSWORD: links.issue(user, TokenPurpose.RESET_PASSWORD, lifetime=timedelta(hours=1)),
        TokenPurpose.CHANGE_EMAIL: links.issue(
            user, TokenPurpose.CHANGE_EMAIL, lifetime=timedelta(hours=24), new_email="attacker@evil.kz"
        ),
        TokenPurpose.VERIFY_EMAIL: links.issue(user, TokenPurpose.VERIFY_EMAIL, lifetime=timedelta(hours=48)),
    }


def test_a_password_reset_kills_every_other_link_of_the_account(ctx: None) -> None:
    owner = UserFactory(email="owner@example.kz")
    earlier = all_links(owner)
    reset = links.issue(owner, TokenPurpose.RESET_PASSWORD, lifetime=timedelta(hours=1))
    earlier.pop(TokenPurpose.RESET_PASSWORD)  # replaced by the newer reset link already
    recovery.reset_password(reset, NEW)
    for purpose, secret in earlier.items():
        with pytest.raises(links.LinkInvalid):
            links.find(secret, purpose)
    assert live_links(owner) == 0
    with pytest.raises(links.LinkInvalid):
        recovery.confirm_email_change(earlier[TokenPurpose.CHANGE_EMAIL])
    assert owner.email == "owner@example.kz"


def test_a_password_change_kills_every_outstanding_link(ctx: None) -> None:
    owner = UserFactory(email="owner2@example.kz")
    earlier = all_links(owner)
    services.change_password(owner, current_password=PASSWORD, new_password=NEW)
    assert live_links(owner) == 0
    with pytest.raises(links.LinkInvalid):
        recovery.confirm_email_change(earlier[TokenPurpose.CHANGE_EMAIL])
    with pytest.raises(links.LinkInvalid):
        recovery.reset_password(earlier[TokenPurpose.RESET_PASSWORD], OTHER)
    assert owner.email == "owner2@example.kz"


def test_an_unverified_account_cannot_ask_to_move_its_address(ctx: None) -> None:
    """The pre-hijack: a squatter signs up with the victim's address and must not move it to their own mailbox."""
    squatted = services.register_user(
        email="victim@example.kz", password=OTHER, name="X", role=Role.FOUNDER, terms_version="1"
    )
    assert squatted is not None
    assert squatted.email_verified_at is None
    with pytest.raises(services.AccountError) as refused:
        recovery.request_email_change(squatted, password=OTHER, new_email="attacker@evil.kz")
    assert "Confirm your current email address" in str(refused.value.message)
    assert (
        db.session.scalar(select(func.count(AccountToken.id)).where(AccountToken.purpose == TokenPurpose.CHANGE_EMAIL))
        == 0
    )


def test_a_confirmed_email_change_kills_links_sent_to_the_old_address_and_other_sessions(
    app: Flask, inbox: Inbox
) -> None:
    user = UserFactory(email="old@example.kz")
    other_device = log_in(app, user)
    this_device = log_in(app, user)
    with app.test_request_context("/"):
        old_reset = links.issue(user, TokenPurpose.RESET_PASSWORD, lifetime=timedelta(hours=1))
    db.session.commit()
    token = csrf_token(this_device, "/account")
    assert (
        this_device.post(
            "/account/email", data={"csrf_token": token, "new_email": "new@example.kz", "password": PASSWORD}
        ).status_code
        == 302
    )
    press(this_device, link_in(inbox, "new@example.kz"))
    db.session.refresh(user)
    assert user.email == "new@example.kz"
    with app.test_request_context("/"), pytest.raises(links.LinkInvalid):
        recovery.reset_password(old_reset, NEW)
    assert this_device.get("/account").status_code == 200  # the device that confirmed stays in
    assert other_device.get("/account").status_code == 302  # every other device is logged out
    alive = db.session.scalar(
        select(func.count(UserSession.id)).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )
    assert alive == 1


def test_the_email_form_answers_alike_for_a_taken_address_and_tells_its_owner(
    inbox: Inbox, auth: Auth, post_form: Any
) -> None:
    user = UserFactory(email="mover@example.kz")
    UserFactory(email="someone@example.kz", name="Dana")
    auth.login(user.email, PASSWORD)
    answers = []
    for address in ("someone@example.kz", "free@example.kz"):
        response = post_form(
            "/account/email", {"new_email": address, "password": PASSWORD}, form_page="/account", follow_redirects=True
        )
        answers.append(response.get_data(as_text=True))
    for page in answers:
        assert "We sent a link to the new address." in page
        assert "already exists" not in page
    owner_mail = inbox.to("someone@example.kz")
    assert len(owner_mail) == 1
    assert "/account/email/confirm/" not in body(owner_mail[0])
    assert "asked to move it to this email address" in body(owner_mail[0])
    assert link_in(inbox, "free@example.kz").startswith("/account/email/confirm/")
    assert db.session.scalar(select(AccountToken.new_email).where(AccountToken.used_at.is_(None))) == (
        "free@example.kz"
    )


def test_confirming_a_move_to_an_address_taken_since_is_refused_with_a_clear_message(
    inbox: Inbox, auth: Auth, post_form: Any, client: Any
) -> None:
    user = UserFactory(email="slow@example.kz")
    auth.login(user.email, PASSWORD)
    post_form("/account/email", {"new_email": "later@example.kz", "password": PASSWORD}, form_page="/account")
    UserFactory(email="later@example.kz")  # someone registered the address before the link was opened
    link = link_in(inbox, "later@example.kz")
    response = client.post(link, data={"csrf_token": csrf_token(client, link)}, follow_redirects=True)
    assert "This address now belongs to another account." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.email == "slow@example.kz"


def test_a_verification_link_to_an_address_the_account_left_is_dead(app: Flask) -> None:
    user = UserFactory(email="typo@example.kz", email_verified_at=None)
    with app.test_request_context("/"):
        old_verify = links.issue(user, TokenPurpose.VERIFY_EMAIL, lifetime=timedelta(hours=48))
        user.email = "right@example.kz"  # an admin corrected the address, say
        db.session.commit()
    device = app.test_client()
    path = f"/verify-email/{old_verify}"
    assert device.get(path).headers["Location"] == "/login"
    response = device.post(path, data={"csrf_token": csrf_token(device, "/login")})
    assert response.headers["Location"] == "/login"
    assert device.get("/account").status_code == 302
    db.session.refresh(user)
    assert user.email_verified_at is None


def test_a_verification_link_does_not_log_in_to_an_account_already_verified(app: Flask) -> None:
    user = UserFactory(email="done@example.kz")
    with app.test_request_context("/"):
        secret = links.issue(user, TokenPurpose.VERIFY_EMAIL, lifetime=timedelta(hours=48))
    db.session.commit()
    device = app.test_client()
    response = press(device, f"/verify-email/{secret}")
    assert response.headers["Location"] == "/login"
    assert device.get("/account").status_code == 302  # still logged out: a link is no password
    alive = db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == user.id))
    assert alive == 0


def test_a_verification_link_opened_by_someone_else_signed_in_confirms_but_keeps_them(app: Flask) -> None:
    newcomer = UserFactory(email="newcomer@example.kz", email_verified_at=None)
    colleague = UserFactory(email="colleague@example.kz")
    device = log_in(app, colleague)
    with app.test_request_context("/"):
        secret = links.issue(newcomer, TokenPurpose.VERIFY_EMAIL, lifetime=timedelta(hours=48))
    db.session.commit()
    response = press(device, f"/verify-email/{secret}")
    assert response.status_code == 302
    page = device.get("/account").get_data(as_text=True)
    assert "colleague@example.kz" in page
    assert "newcomer@example.kz" not in page
    db.session.refresh(newcomer)
    assert newcomer.email_verified_at is not None
    assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == newcomer.id)) == 0


def test_a_first_verification_still_logs_the_newcomer_in(app: Flask) -> None:
    newcomer = UserFactory(email="fresh@example.kz", email_verified_at=None)
    with app.test_request_context("/"):
        secret = links.issue(newcomer, TokenPurpose.VERIFY_EMAIL, lifetime=timedelta(hours=48))
    db.session.commit()
    device = app.test_client()
    press(device, f"/verify-email/{secret}")
    assert "fresh@example.kz" in device.get("/account").get_data(as_text=True)


def test_a_block_kills_the_accounts_links_so_reactivating_does_not_revive_them(ctx: None) -> None:
    admin = UserFactory(role=Role.ADMIN)
    user = UserFactory(email="blocked@example.kz")
    reset = links.issue(user, TokenPurpose.RESET_PASSWORD, lifetime=timedelta(hours=1))
    admin_services.update_account(user, actor=admin, role=user.role, hub=None, active=False)
    admin_services.update_account(user, actor=admin, role=user.role, hub=None, active=True)
    with pytest.raises(links.LinkInvalid):
        links.find(reset, TokenPurpose.RESET_PASSWORD)


def test_an_admin_cannot_reactivate_a_deleted_account(ctx: None) -> None:
    admin = UserFactory(role=Role.ADMIN)
    user = UserFactory(email="gone@example.kz")
    personal_data.delete_account(user, password=PASSWORD)
    with pytest.raises(services.AccountError):
        admin_services.update_account(user, actor=admin, role=user.role, hub=None, active=True)
    assert user.active is False
