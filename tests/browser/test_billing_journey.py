"""An investor on Free meets the upgrade prompt, pays with a test card in Stripe.js (localstripe's), lands on Pro.

The card is typed into the stand-in Stripe.js that localstripe serves; localstripe then delivers its signed
webhooks to the live server.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import (
    Bookmark,
    IntroRequest,
    InvestorKind,
    InvestorProfile,
    Role,
    Startup,
    StartupStatus,
    StripeEvent,
    utcnow,
)
from tests.billing_helpers import GOOD_CARD, LocalStripe, start_localstripe_with_plans, turn_billing_on, wait_for
from tests.browser.conftest import LiveServer
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser_stripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    server = start_localstripe_with_plans(tmp_path_factory.mktemp("browser-localstripe"))
    yield server
    server.stop()


@pytest.fixture
def billing_live(
    live_app: Flask, live_server: LiveServer, browser_stripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> LocalStripe:
    """Billing on for the live server during one test, with localstripe's webhooks pointed at it."""
    turn_billing_on(live_app, monkeypatch, browser_stripe)
    browser_stripe.send_webhooks_to(f"{live_server.url}/billing/webhook")
    return browser_stripe


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("#deals-menu")).to_be_visible()  # an investor's navigation


def fill_card(page: Page, number: str = GOOD_CARD) -> None:
    """Type a card into the stand-in Stripe.js card field (localstripe draws plain inputs)."""
    field = page.locator("#card-element")
    field.get_by_placeholder("number").fill(number)
    field.get_by_placeholder("exp_month").fill("12")
    field.get_by_placeholder("exp_year").fill("34")
    field.get_by_placeholder("cvc").fill("123")
    field.get_by_placeholder("postal_code").fill("010000")


def upgrade_to_pro(page: Page, number: str = GOOD_CARD) -> None:
    """From any page showing the upgrade prompt: to billing, Pro monthly, the card, and back on Pro."""
    page.get_by_role("link", name="Upgrade to Pro").first.click()
    page.get_by_role("link", name=re.compile(r"Pro, \$49\.00 a month")).click()
    expect(page.get_by_role("heading", name="Subscribe to Pro")).to_be_visible()
    fill_card(page, number)
    page.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_text("Welcome to Pro. Thank you for your subscription!")).to_be_visible()
    expect(page.locator("#current-plan")).to_have_text("Pro")


def test_a_free_investor_upgrades_with_the_test_card_and_downloads_the_bookmarks(
    page: Page, live_app: Flask, billing_live: LocalStripe
) -> None:
    with live_app.app_context():
        user = UserFactory(role=Role.INVESTOR, email=f"upgrading.{utcnow().timestamp():.0f}@example.kz")
        db.session.add(InvestorProfile(user_id=user.id, verified_at=utcnow()))
        startup = db.session.scalar(
            select(Startup).where(Startup.status == StartupStatus.APPROVED).order_by(Startup.id)
        )
        assert startup is not None
        db.session.add(Bookmark(investor_id=user.id, startup_id=startup.id, note="Ask about the Almaty pilot"))
        db.session.commit()
        email, events_before = user.email, db.session.scalar(select(func.count()).select_from(StripeEvent))

    log_in(page, email)
    page.locator("#deals-menu").click()
    page.get_by_role("link", name="Bookmarks").click()
    prompt = page.locator("[data-upgrade-prompt=bookmarks_csv]")
    expect(prompt).to_contain_text("Exporting your bookmarks with notes to a spreadsheet is part of the Pro plan.")
    expect(page.get_by_role("link", name="Download as a spreadsheet (CSV)")).to_have_count(0)

    upgrade_to_pro(page)
    expect(page.locator("#renewal-date")).to_be_visible()
    expect(page.locator("#card-on-file")).to_contain_text("4242")

    page.locator("#deals-menu").click()
    page.get_by_role("link", name="Bookmarks").click()
    expect(page.locator("[data-upgrade-prompt]")).to_have_count(0)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download as a spreadsheet (CSV)").click()
    path = download_info.value.path()
    content = path.read_text(encoding="utf-8-sig")
    assert "Ask about the Almaty pilot" in content

    def webhooks_arrived() -> bool:
        with live_app.app_context():
            return (db.session.scalar(select(func.count()).select_from(StripeEvent)) or 0) > (events_before or 0)

    assert wait_for(webhooks_arrived), "localstripe's webhooks did not reach the live server"


def test_a_free_investor_hits_the_intro_limit_upgrades_and_sends_the_fourth_request(
    page: Page, live_app: Flask, billing_live: LocalStripe
) -> None:
    with live_app.app_context():
        user = UserFactory(role=Role.INVESTOR, email=f"fourth.{utcnow().timestamp():.0f}@example.kz")
        db.session.add(InvestorProfile(user_id=user.id, kind=InvestorKind.ANGEL, country="DE", verified_at=utcnow()))
        db.session.commit()
        startups = db.session.execute(
            select(Startup.id, Startup.name)
            .where(Startup.status == StartupStatus.APPROVED)
            .order_by(Startup.id)
            .limit(4)
        ).all()
        assert len(startups) == 4
        email, user_id = user.email, user.id

    def ask(startup_id: int, message: str) -> None:
        page.goto(f"/startups/{startup_id}/intro")
        page.get_by_label("Message to the founder").fill(message)
        page.get_by_role("button", name="Request an intro").click()

    log_in(page, email)
    for startup_id, name in startups[:3]:
        ask(startup_id, f"An angel from Berlin who backs teams like {name}.")
        expect(page.get_by_text(f"Your intro request is sent to the founder of {name}.")).to_be_visible()

    fourth_id, fourth_name = startups[3]
    ask(fourth_id, "The fourth request, sent once I am on Pro.")
    prompt = page.locator("[data-upgrade-prompt=intro_requests]")
    expect(prompt).to_contain_text("You have used all 3 intro requests of the Free plan this month.")
    expect(page.get_by_label("Message to the founder")).to_have_value("The fourth request, sent once I am on Pro.")

    upgrade_to_pro(page)
    ask(fourth_id, "The fourth request, sent once I am on Pro.")
    expect(page.get_by_text(f"Your intro request is sent to the founder of {fourth_name}.")).to_be_visible()
    with live_app.app_context():
        sent = db.session.scalar(
            select(func.count()).select_from(IntroRequest).where(IntroRequest.investor_id == user_id)
        )
    assert sent == 4
