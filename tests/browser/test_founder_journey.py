"""A founder lists a startup in a real browser: draft, logo and deck, submission, status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveServer, open_emailed_link
from tests.startup_helpers import pdf_bytes, png_bytes
from tests.test_email import Inbox

pytestmark = pytest.mark.browser


def register_founder(page: Page, email: str, inbox: Inbox) -> None:
    """Sign up, then open the verification link from the email: it confirms the address and logs in."""
    page.goto("/register?role=founder")
    page.get_by_label("Full name").fill("Saule Aktobe")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill("Ilek-river-bank-2026")
    page.get_by_label("Repeat the password").fill("Ilek-river-bank-2026")
    page.get_by_label("I accept the terms of use and the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#check-inbox")).to_be_visible()
    open_emailed_link(page, inbox, email)
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page).to_have_url(re.compile(r"/founder/$"))
    expect(page.get_by_text("Your email address is confirmed.")).to_be_visible()
    expect(page.locator("#verify-banner")).to_have_count(0)


def test_founder_signs_up_verifies_the_email_creates_a_draft_and_submits(
    page: Page, live_server: LiveServer, live_inbox: Inbox, tmp_path: Path
) -> None:
    logo, deck = tmp_path / "logo.png", tmp_path / "deck.pdf"
    logo.write_bytes(png_bytes("Ilek"))
    deck.write_bytes(pdf_bytes("Ilek Logistics"))
    register_founder(page, "saule@aktobe.kz", live_inbox)

    page.get_by_role("link", name="List a startup").click()
    page.get_by_label("Startup name").fill("Ilek Logistics")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your draft is saved.")).to_be_visible()
    expect(page.locator("#missing-fields")).to_contain_text("Pitch deck")

    page.get_by_label("Tagline").fill("Shared freight between Aktobe and the Caspian ports")
    page.get_by_label("Description").fill("We fill **empty trucks** on the way back.")
    page.get_by_label("Website").fill("ilek.kz")
    page.get_by_label("Year founded").fill("2024")
    page.get_by_label("Region").select_option(label="Aktobe Region")
    page.get_by_label("City or town").fill("Aktobe")
    page.get_by_label("Sector").select_option(label="Logistics and mobility")
    page.get_by_label("Stage").select_option(label="MVP")
    page.get_by_label("Team size").fill("5")
    page.get_by_label("Number of customers").fill("14")
    page.get_by_label("Export markets").select_option(["UZ", "RU"])
    page.locator("#team-0-name").fill("Saule")
    page.locator("#team-0-role").fill("CEO")
    page.get_by_label("Currency").select_option("KZT")
    page.get_by_label("Funding ask").fill("78000000")
    page.get_by_label("Instrument").select_option("safe")
    page.get_by_label("Monthly revenue").fill("1500000")
    page.get_by_label("Contact email").fill("hello@ilek.kz")
    page.get_by_label("Contact phone").fill("+7 713 555 0199")
    page.get_by_label("Logo").set_input_files(str(logo))
    page.get_by_label("Pitch deck", exact=True).set_input_files(str(deck))
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Your draft is saved.")).to_be_visible()
    expect(page.get_by_text("Everything required is filled in.")).to_be_visible()
    expect(page.get_by_text("Current deck: deck.pdf (3 pages)")).to_be_visible()

    page.get_by_role("button", name="Save and submit for review").click()
    expect(page.get_by_text("Submitted for review.")).to_be_visible()
    card = page.get_by_role("article").filter(has_text="Ilek Logistics")
    expect(card.get_by_text("Submitted", exact=True)).to_be_visible()
    expect(card).to_contain_text("Hub staff are reviewing it.")

    page.get_by_role("link", name=re.compile("Preview")).click()
    expect(page.get_by_role("heading", name="Ilek Logistics")).to_be_visible()
    expect(page.get_by_text("78,000,000 ₸")).to_be_visible()
    expect(page.get_by_role("img", name="Logo of Ilek Logistics")).to_be_visible()
