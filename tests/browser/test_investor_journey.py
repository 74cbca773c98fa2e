"""An investor in a real browser: profile, filters, search, bookmark, bookmarks page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from dealflow import demo
from dealflow.extensions import db
from dealflow.models import Region, Startup, StartupStatus, User
from dealflow.reference.data import SECTORS, reference_name
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def test_investor_profiles_filters_searches_and_bookmarks(page: Page, live_app: Flask, live_server: LiveServer) -> None:
    with live_app.app_context():
        target = db.session.scalar(
            select(Startup)
            .join(Region, Region.code == Startup.region_code)
            .where(Startup.status == StartupStatus.APPROVED, Region.is_main_hub.is_(False))
            .order_by(Startup.id)
        )
        assert target is not None
        name, region_code, sector = target.name, target.region_code, target.sector_code
        word = (target.tagline or "").split()[0]
        region_label = db.session.get(Region, region_code).name_en  # type: ignore[union-attr]
        sector_label = reference_name(SECTORS, sector, "en")
        investor = db.session.scalar(select(User).where(User.email == "investor.foreign@demo.dealflow.kz"))
        assert investor is not None
        investor.locale = None
        db.session.commit()

    page.goto("/login")
    page.get_by_label("Email").fill("investor.foreign@demo.dealflow.kz")
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()

    page.locator("#account-menu").click()
    page.get_by_role("link", name="My profile").click()
    page.get_by_label("Kind of investor").select_option("vc_fund")
    page.get_by_label("Organisation").fill("Silk Road Ventures")
    page.get_by_label("Country").select_option("DE")
    page.get_by_label("Smallest ticket (USD)").fill("25000")
    page.get_by_label("Largest ticket (USD)").fill("2000000")
    page.get_by_label(sector_label).check()
    page.get_by_label("Regional mandate: I look for deals outside Astana and Almaty").check()
    page.get_by_role("button", name="Save the profile").click()
    expect(page.get_by_text("Your investor profile is saved.")).to_be_visible()

    page.get_by_role("link", name="Startups", exact=True).click()
    page.wait_for_load_state("load")  # htmx listens to the filters once the page's scripts have run
    page.locator(f"#region-{region_code}").check()
    expect(page).to_have_url(re.compile(f"region={region_code}"))
    page.locator(f"#sector-{sector}").check()
    expect(page).to_have_url(re.compile(f"sector={sector}"))
    page.get_by_label("Search", exact=True).fill(word)
    page.get_by_role("button", name="Show startups").click()
    expect(page).to_have_url(re.compile(r"q="))  # the list has been replaced by the search results
    page.wait_for_load_state("networkidle")
    card = page.get_by_role("article").filter(has_text=name)
    expect(card).to_be_visible()
    expect(card).to_contain_text("in your sectors")
    expect(card).to_contain_text(region_label)

    card.get_by_role("button", name=f"Bookmark {name}").click()
    expect(card.get_by_role("button", name=f"Remove the bookmark of {name}")).to_be_visible()

    page.locator("#deals-menu").click()
    page.get_by_role("link", name="Bookmarks").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
