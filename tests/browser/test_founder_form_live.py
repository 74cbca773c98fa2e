"""The founder's form and dashboard in a real browser: live counters, progress, preview, and the copy-link button."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from dealflow import demo
from tests.browser.conftest import LiveServer
from tests.browser.test_founder_journey import register_founder
from tests.test_email import Inbox

pytestmark = pytest.mark.browser


def collect_errors(page: Page) -> list[str]:
    """Console errors, which is where a Content-Security-Policy refusal of a script shows."""
    errors: list[str] = []

    def keep(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", keep)
    return errors


def test_counters_progress_and_preview_follow_the_typing(
    page: Page, live_server: LiveServer, live_inbox: Inbox
) -> None:
    errors = collect_errors(page)
    register_founder(page, "dana@kyzylorda.kz", live_inbox)
    page.goto("/founder/startups/new")
    progress = page.locator("#progress-label")
    expect(progress).to_have_text("0 of 7 sections complete")

    page.get_by_label("Startup name").fill("Aral Water")
    page.get_by_label("Tagline").fill("Water sensors for irrigation canals")
    page.get_by_label("Description").fill("We measure **where water is lost**.\n\n<script>alert(1)</script>")
    page.get_by_label("Website").fill("aralwater.kz")
    page.get_by_label("Year founded").fill("2022")
    expect(progress).to_have_text("1 of 7 sections complete")
    expect(page.locator('[data-section-status="startup"]')).to_have_attribute("data-complete", "true")
    expect(page.locator("#tagline-count")).to_have_text("35 / 140 characters")
    expect(page.locator("#description-count")).to_have_text(re.compile(r"^\d+ / 10,000 characters$"))

    preview = page.locator("#description-preview")
    expect(preview.locator("strong")).to_have_text("where water is lost")
    assert "<script" not in preview.inner_html()

    page.get_by_label("Startup name").fill("")
    expect(progress).to_have_text("0 of 7 sections complete")
    assert errors == []


def test_a_listed_founder_copies_the_public_link(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    errors = collect_errors(page)
    page.goto("/login")
    page.get_by_label("Email").fill(demo.DEMO_USERS[4].email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto("/founder/")
    listing = page.locator("[data-public-link]").first
    button = listing.get_by_role("button", name=re.compile("Copy link"))
    expect(button).to_be_visible()
    address = button.get_attribute("data-copy")
    assert address
    button.click()
    expect(listing.get_by_role("status")).to_have_text("Link copied.")
    assert page.evaluate("navigator.clipboard.readText()") == address
    listing.get_by_role("link", name=re.compile("View your public listing")).click()
    expect(page).to_have_url(re.compile(r"/startups/[a-z0-9-]+$"))
    assert errors == []
    context.close()
