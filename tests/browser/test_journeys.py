"""Journeys a person makes in a real browser: sign up, log in, switch language, log out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from dealflow import demo
from tests.browser.conftest import LiveServer, open_emailed_link
from tests.test_email import Inbox

pytestmark = pytest.mark.browser


def test_register_log_in_switch_language_log_out(page: Page, live_server: LiveServer, live_inbox: Inbox) -> None:
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Sign up").click()

    page.get_by_label("A founder: I want to list my startup").check()
    page.get_by_label("Full name").fill("Zhanna Kyzylorda")
    page.get_by_label("Email").fill("zhanna@kyzylorda.kz")
    page.get_by_label("Password", exact=True).fill("Syr-Darya-delta-2026")
    page.get_by_label("Repeat the password").fill("Syr-Darya-delta-2026")
    page.get_by_label("I accept the terms of use and the privacy notice").check()
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#check-inbox")).to_be_visible()
    open_emailed_link(page, live_inbox, "zhanna@kyzylorda.kz")
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page).to_have_url(re.compile(r"/founder/$"))
    expect(page.get_by_role("heading", name="My startups")).to_be_visible()

    page.get_by_role("button", name="Zhanna Kyzylorda").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()

    page.get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill("zhanna@kyzylorda.kz")
    page.get_by_label("Password").fill("Syr-Darya-delta-2026")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/founder/$"))

    page.locator("#language-menu").click()
    page.locator("nav").get_by_role("button", name="Қазақша").click()
    expect(page.locator("html")).to_have_attribute("lang", "kk")
    expect(page).to_have_url(re.compile(r"/founder/$"))
    expect(page.get_by_role("heading", name="Менің стартаптарым")).to_be_visible()
    page.locator("footer").get_by_role("button", name="Русский").click()  # works without JavaScript too
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    page.wait_for_load_state("load")  # the menu opens once Bootstrap's script has run on the new page

    page.get_by_role("button", name="Zhanna Kyzylorda").click()
    page.locator("form[action='/logout'] button").click()
    expect(page.locator("html")).to_have_attribute("lang", "ru")  # the cookie keeps the choice
    expect(page.get_by_role("link", name=re.compile("Войти"))).to_be_visible()


def test_wrong_password_shows_a_message_and_keeps_the_email(page: Page, live_server: LiveServer) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(demo.DEMO_USERS[8].email)
    page.get_by_label("Password").fill("Not-the-right-one-1")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("The email or password is not correct.")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value(demo.DEMO_USERS[8].email)


def test_phone_width_menu_opens_with_the_keyboard(page: Page, live_server: LiveServer) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    page.goto("/")
    toggler = page.get_by_role("button", name="Show menu")
    expect(toggler).to_be_visible()
    toggler.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
