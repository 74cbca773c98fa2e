"""Consent and personal data: the terms and privacy pages, downloading one's data, deleting the account."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.matches import services as matches
from dealflow.models import (
    AuditLog,
    Bookmark,
    IntroRequest,
    IntroStatus,
    MatchEvent,
    Role,
    SavedSearch,
    StartupStatus,
    User,
)
from dealflow.privacy import services as personal_data
from tests.billing_helpers import give_pro
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.match_helpers import listed, match, ready_investor
from tests.startup_helpers import startup_in
from tests.test_account_lifecycle import log_in


@pytest.mark.parametrize(("locale", "words"), [("en", "94-V"), ("ru", "94-V"), ("kk", "94-V")])
def test_the_terms_and_privacy_pages_exist_in_three_languages(client: Any, locale: str, words: str) -> None:
    for path in ("/terms", "/privacy"):
        page = client.get(path, headers={"Accept-Language": locale})
        assert page.status_code == 200
        assert f'lang="{locale}"' in page.get_data(as_text=True)
    privacy = client.get("/privacy", headers={"Accept-Language": locale}).get_data(as_text=True)
    assert words in privacy


def test_the_privacy_notice_says_the_ledger_keeps_no_names(client: Any) -> None:
    page = client.get("/privacy", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "without names" in page
    assert "Delete your account" in page


def test_a_user_downloads_everything_kept_about_them(app: Flask) -> None:
    investor = ready_investor(email="me@fund.kz")
    startup = listed()
    db.session.add(Bookmark(investor_id=investor.id, startup_id=startup.id, note="Call in March"))
    db.session.add(SavedSearch(investor_id=investor.id, name="Agritech west", params={"sector": ["agritech"]}))
    matches.request_intro(investor, startup, "We invest in your region.")
    device = log_in(app, investor)
    response = device.post("/account/data.json", data={"csrf_token": csrf_token(device, "/account")})
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    data = json.loads(response.get_data(as_text=True))
    assert data["account"]["email"] == "me@fund.kz"
    assert "password_hash" not in data["account"]
    assert data["investor_profile"]["organisation"] == "Steppe Capital"
    assert [b["note"] for b in data["bookmarks"]] == ["Call in March"]
    assert [s["name"] for s in data["saved_searches"]] == ["Agritech west"]
    assert [i["message"] for i in data["intro_requests_sent"]] == ["We invest in your region."]
    assert len(data["sessions"]) == 1
    assert "token_hash" not in data["sessions"][0]
    assert "auth.login" in [entry["action"] for entry in data["audit_log"]]


def test_deleting_an_account_erases_personal_data_and_keeps_the_ledger(app: Flask, runner: Any) -> None:
    investor = ready_investor(email="leaving@fund.kz")
    matched = match(investor=investor)
    pending = matches.request_intro(investor, listed(name="Second"), "Still waiting.")
    db.session.add(Bookmark(investor_id=investor.id, startup_id=matched.startup_id, note="Private note"))
    founder_owner = matched.startup.owner
    events_before = db.session.scalar(select(func.count(MatchEvent.seq)))
    device = log_in(app, investor)
    other_device = log_in(app, investor)
    wrong = device.post(
        "/account/delete", data={"csrf_token": csrf_token(device, "/account"), "password": "nope-nope-1"}
    )
    assert "Your current password is not correct." in wrong.get_data(as_text=True)
    done = device.post("/account/delete", data={"csrf_token": csrf_token(device, "/account"), "password": PASSWORD})
    assert done.headers["Location"] == "/"
    db.session.expire_all()
    gone = db.session.get(User, investor.id)
    assert gone is not None
    assert gone.name == personal_data.DELETED_NAME
    assert gone.email.endswith("@deleted.invalid")
    assert gone.deleted_at is not None
    assert gone.investor_profile is not None
    assert gone.investor_profile.organisation is None
    assert db.session.scalar(select(func.count(Bookmark.id)).where(Bookmark.investor_id == investor.id)) == 0
    assert db.session.get(IntroRequest, pending.id).status == IntroStatus.WITHDRAWN  # type: ignore[union-attr]
    assert other_device.get("/account").status_code == 302
    assert Auth(app.test_client()).login("leaving@fund.kz", PASSWORD).status_code == 200
    assert db.session.scalar(select(func.count(MatchEvent.seq))) == events_before
    assert db.session.scalar(select(AuditLog.id).where(AuditLog.action == "account.deleted")) is not None
    assert founder_owner.name != personal_data.DELETED_NAME
    verified = runner.invoke(args=["ledger", "verify"])
    assert verified.exit_code == 0, verified.output
    assert "Ledger OK" in verified.output


def test_a_deleted_founders_listings_leave_the_platform(app: Flask) -> None:
    owner = UserFactory(role=Role.FOUNDER)
    startup = startup_in(StartupStatus.APPROVED, owner)
    personal_data.delete_account(owner, password=PASSWORD)
    assert startup.status == StartupStatus.ARCHIVED
    assert startup.contact_email is None


def test_the_last_admin_cannot_delete_their_account() -> None:
    admin = UserFactory(role=Role.ADMIN)
    with pytest.raises(personal_data.AccountError, match="last administrator"):
        personal_data.delete_account(admin, password=PASSWORD)
    UserFactory(role=Role.ADMIN)
    personal_data.delete_account(admin, password=PASSWORD)
    assert admin.deleted_at is not None


def test_an_investor_paying_for_pro_cancels_before_deleting() -> None:
    investor = ready_investor()
    subscription = give_pro(investor)
    with pytest.raises(personal_data.AccountError, match="Cancel it on your billing page"):
        personal_data.delete_account(investor, password=PASSWORD)
    assert investor.deleted_at is None
    subscription.cancel_at_period_end = True  # cancelled: Stripe stops charging at the period's end
    db.session.flush()
    personal_data.delete_account(investor, password=PASSWORD)
    assert investor.deleted_at is not None
