"""Deleting an account erases what the first pass left, and the data export holds only the user's own data."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from dealflow import audit
from dealflow.auth import sessions
from dealflow.extensions import db, file_store
from dealflow.matches import services as matches
from dealflow.models import (
    BillingCustomer,
    IntroRequest,
    InvestorKind,
    Role,
    StartupRevision,
    StartupStatus,
    StoredFile,
    UserSession,
)
from dealflow.privacy import services as personal_data
from dealflow.startups import services as startups
from dealflow.startups.profile import Profile
from tests.billing_helpers import give_pro
from tests.conftest import csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.match_helpers import listed, match, ready_investor
from tests.startup_helpers import startup_in
from tests.test_account_lifecycle import log_in


@pytest.fixture
def ctx(app: Flask) -> Iterator[None]:
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.7"}):
        yield


def test_deleting_an_investor_erases_intro_words_sessions_card_and_profile(ctx: None) -> None:
    investor = ready_investor(email="aidos@example.kz", name="Aidos Bekov")
    startup = listed()
    intro = matches.request_intro(investor, startup, "I am Aidos Bekov of Steppe Capital, +7 701 555 1234")
    matches.accept_intro(startup.owner, intro, "Call me on +7 702 000 0000")
    sessions.start_session(investor, remember=True, user_agent="Firefox/1 Windows", ip="198.51.100.23")
    db.session.add(
        BillingCustomer(user_id=investor.id, stripe_customer_id="cus_gone", card_brand="visa", card_last4="4242")
    )
    profile = investor.investor_profile
    assert profile is not None
    profile.kind = next(iter(InvestorKind))
    profile.country = "KZ"
    db.session.flush()
    personal_data.delete_account(investor, password=PASSWORD)
    db.session.flush()
    db.session.expire_all()
    kept = db.session.get(IntroRequest, intro.id)
    assert kept is not None
    assert kept.status.value == "accepted"  # the fact of the match stays
    assert "Aidos" not in kept.message
    assert kept.reply is None
    assert db.session.scalar(select(func.count(UserSession.id)).where(UserSession.user_id == investor.id)) == 0
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == investor.id))
    assert customer is not None
    assert (customer.card_brand, customer.card_last4) == (None, None)
    assert (profile.kind, profile.country, profile.organisation) == (None, None, None)


def test_deleting_a_founder_erases_team_website_bin_revision_contacts_and_files(app: Flask) -> None:
    with app.test_request_context("/"):
        startup = startup_in(StartupStatus.APPROVED)
        founder = startup.owner
        startup.team = [{"name": "Dana Founder", "role": "CEO"}]
        startup.website = "https://dana.kz"
        startup.bin = "123456789012"
        deck = db.session.get(StoredFile, startup.deck_file_id)
        assert deck is not None
        key = deck.storage_key
        file_store.save(key, b"%PDF- Dana's deck")
        revised = Profile.of(startup).replace(contact_email="dana@private.kz", tagline="New words")
        startups.save_profile(startup, revised, actor=founder)
        startups.submit_for_review(startup, actor=founder)  # seen by staff: the revision is kept, withdrawn
        db.session.commit()
        device = log_in(app, founder)
    response = device.post("/account/delete", data={"csrf_token": csrf_token(device, "/account"), "password": PASSWORD})
    assert response.headers["Location"] == "/"
    db.session.expire_all()
    assert (startup.team, startup.website, startup.bin, startup.deck_file_id) == ([], None, None, None)
    revision = db.session.scalar(select(StartupRevision).where(StartupRevision.startup_id == startup.id))
    assert revision is not None
    assert "contact_email" not in revision.data
    assert "team" not in revision.data
    assert revision.data["tagline"] == "New words"
    assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.owner_id == founder.id)) == 0
    assert not file_store.path(key).exists()


def test_the_export_tells_what_others_did_to_the_user_without_who_or_where(ctx: None) -> None:
    admin = UserFactory(role=Role.ADMIN, email="admin@dealflow.kz")
    user = UserFactory(email="someone@example.kz")
    audit.record("user.updated", actor=admin, target=user, details={"before": {}, "after": {}}, ip="10.9.8.7")
    audit.record("auth.login", actor=user, ip="192.0.2.4")
    db.session.flush()
    data = personal_data.collect(user)
    [by_admin] = [row for row in data["audit_log"] if row["action"] == "user.updated"]
    assert set(by_admin) == {"id", "action", "created_at", "target_type", "target_id"}
    assert "admin@dealflow.kz" not in json.dumps(data)
    assert "10.9.8.7" not in json.dumps(data)
    [own] = [row for row in data["audit_log"] if row["action"] == "auth.login"]
    assert own["ip"] == "192.0.2.4"  # the user's own rows stay whole


def test_the_export_holds_billing_files_revisions_and_review_events(ctx: None) -> None:
    investor = ready_investor(email="payer@fund.kz")
    give_pro(investor)
    data = personal_data.collect(investor)
    assert data["billing"]["customer"][0]["stripe_customer_id"] == f"cus_test{investor.id}"
    assert len(data["billing"]["subscriptions"]) == 1
    founder_startup = startup_in(StartupStatus.APPROVED)
    startups.save_profile(
        founder_startup, Profile.of(founder_startup).replace(tagline="Next"), actor=founder_startup.owner
    )
    mine = personal_data.collect(founder_startup.owner)
    assert [r["data"]["tagline"] for r in mine["startup_revisions"]] == ["Next"]
    assert mine["review_events"]  # the submission and approval of the listing
    files = mine["files"]
    assert {f["kind"] for f in files} == {"logo", "deck"}
    assert all("storage_key" not in f and f["original_name"] for f in files)


def test_the_audit_page_shows_a_deleted_account_without_its_addresses(app: Flask) -> None:
    admin = UserFactory(role=Role.ADMIN, email="boss@dealflow.kz")
    leaving = UserFactory(email="leaving@example.kz")
    with app.test_request_context("/"):
        audit.record(
            "auth.email_changed",
            actor=leaving,
            target=leaving,
            details={"from": "older@example.kz", "to": "leaving@example.kz"},
            ip="198.51.100.23",
        )
        audit.record("user.updated", actor=admin, target=leaving, details={"after": {"active": True}}, ip="10.0.0.9")
        personal_data.delete_account(leaving, password=PASSWORD)
        db.session.commit()
    page = log_in(app, admin).get("/admin/audit").get_data(as_text=True)
    assert "Deleted user" in page
    for gone in ("leaving@example.kz", "older@example.kz", "198.51.100.23"):
        assert gone not in page
    assert "boss@dealflow.kz" in page  # the admin who acted stays named


@pytest.mark.parametrize("side", ["founder", "investor"])
def test_a_match_with_a_deleted_counterpart_shows_no_contact(app: Flask, side: str) -> None:
    with app.test_request_context("/"):
        intro = match()
        founder, investor = intro.startup.owner, intro.investor
        gone, stays = (founder, investor) if side == "founder" else (investor, founder)
        personal_data.delete_account(gone, password=PASSWORD)
        db.session.commit()
        intro_id = intro.id
    page = log_in(app, stays).get(f"/matches/{intro_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Deleted user" in text
    assert "deleted.invalid" not in text
