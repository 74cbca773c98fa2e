"""An intro in real browsers: the investor asks, the founder accepts, both see contacts, the public sees the match."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select

from dealflow import demo
from dealflow.auth import services as accounts
from dealflow.evidence.privacy import shown_count
from dealflow.evidence.queries import add_months
from dealflow.extensions import db
from dealflow.models import InvestorKind, InvestorProfile, LedgerSlice, Region, Role, Startup, StartupStatus, utcnow
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser
INVESTOR_EMAIL = "journey.investor@example.de"
INVESTOR_PASSWORD = "Irtysh-river-at-dawn-2026"


def matches_this_year(region_code: str) -> int:
    first_month = add_months(utcnow().date().replace(day=1), -11)
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(LedgerSlice.event_count), 0)).where(
                LedgerSlice.kind == "intro_accepted",
                LedgerSlice.dimension == "region",
                LedgerSlice.value == region_code,
                LedgerSlice.month >= first_month,
            )
        )
    )


def log_in(page: Page, email: str, password: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log in")).to_have_count(0)


def test_an_intro_becomes_a_match_with_contacts_and_shows_on_the_dashboard(
    page: Page, browser: Browser, live_app: Flask, live_server: LiveServer
) -> None:
    with live_app.app_context():
        target = db.session.scalar(
            select(Startup)
            .join(Region, Region.code == Startup.region_code)
            .where(Startup.status == StartupStatus.APPROVED, Region.is_main_hub.is_(False))
            .order_by(Startup.id.desc())
        )
        assert target is not None
        target.owner.locale = None  # the founder reads the site in the browser's language, English
        investor = accounts.create_user(
            email=INVESTOR_EMAIL, password=INVESTOR_PASSWORD, name="Greta Journey", role=Role.INVESTOR, verified=True
        )
        investor.investor_profile = InvestorProfile(
            user_id=investor.id, kind=InvestorKind.VC_FUND, organisation="Irtysh Partners", country="DE"
        )
        db.session.commit()
        name, slug, region_code = target.name, target.slug, target.region_code or ""
        owner_email, contact_email = target.owner.email, target.contact_email or ""
        before = matches_this_year(region_code)

    log_in(page, INVESTOR_EMAIL, INVESTOR_PASSWORD)
    page.goto(f"/startups/{slug}")
    expect(page.get_by_text(contact_email)).to_have_count(0)
    page.get_by_label("Message to the founder").fill("We invest in regional fintech and agritech. Can we talk?")
    page.get_by_role("button", name="Request an intro").click()
    expect(page.get_by_text(f"Your intro request is sent to the founder of {name}.")).to_be_visible()

    founder_context = browser.new_context(base_url=live_server.url, locale="en-US")
    founder = founder_context.new_page()
    founder.set_default_timeout(10_000)
    log_in(founder, owner_email, demo.DEMO_PASSWORD)
    founder.get_by_role("link", name="Intros", exact=True).click()
    request = founder.get_by_role("article").filter(has_text="Greta Journey")
    expect(request).to_contain_text("We invest in regional fintech and agritech.")
    expect(request).not_to_contain_text(INVESTOR_EMAIL)
    request.get_by_role("button", name="Accept: share contacts Greta Journey").click()
    expect(founder).to_have_url(re.compile(r"/matches/\d+$"))
    expect(founder.locator("#investor-details")).to_contain_text(INVESTOR_EMAIL)
    expect(founder.locator("#investor-details")).to_contain_text("Irtysh Partners")
    founder_context.close()

    page.locator("#deals-menu").click()
    page.get_by_role("link", name="My intros").click()
    mine = page.get_by_role("article").filter(has_text=name)
    expect(mine).to_contain_text("Matched")
    mine.get_by_role("link", name="Open the match").click()
    expect(page.locator("#founder-contacts")).to_contain_text(contact_email)
    page.goto(f"/startups/{slug}")
    expect(page.get_by_role("link", name=contact_email)).to_be_visible()

    public_context = browser.new_context(base_url=live_server.url, locale="en-US")
    public = public_context.new_page()
    public.goto("/")
    public.get_by_role("link", name="Evidence").first.click()
    expect(public.get_by_role("heading", name="Evidence: venture deals beyond Astana and Almaty")).to_be_visible()
    shown = shown_count(before + 1)
    cell = public.locator(f'#regions-table tr[data-region="{region_code}"] td[data-kind="matched"]')
    expect(cell).to_have_text(str(shown))
    expect(public.locator(f'.tile[data-region="{region_code}"] .tile-value')).to_have_text(str(shown))
    with live_app.app_context():
        assert matches_this_year(region_code) == before + 1
    public_context.close()
