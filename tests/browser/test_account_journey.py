"""The account lifecycle in a real browser: a reset link, logging out, and cookies that stop working."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from dealflow.auth import services as accounts
from dealflow.extensions import db
from dealflow.models import Role
from tests.browser.conftest import LiveServer, open_emailed_link
from tests.test_email import Inbox

pytestmark = pytest.mark.browser

OLD_PASSWORD = "Caspian-shore-at-dawn-7"
NEW_PASSWORD = "Tobol-river-in-spring-8"


def account(live_app: Flask, email: str) -> None:
    with live_app.app_context():
        accounts.create_user(
            email=email, password=OLD_PASSWORD, name="Aruzhan Kostanay", role=Role.FOUNDER, verified=True
        )
        db.session.commit()


def log_in(page: Page, email: str, password: str, remember: bool = False) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    if remember:
        page.get_by_label("Keep me logged in on this device").check()
    page.get_by_role("button", name="Log in").click()


def replay(browser: Browser, live_server: LiveServer, cookies: list[Any]) -> Page:
    """A new browser holding only cookies saved earlier, as a thief who copied them would."""
    context = browser.new_context(base_url=live_server.url, locale="en-US")
    context.add_cookies(cookies)
    page = context.new_page()
    page.goto("/account")
    return page


def test_forgot_password_reset_link_new_password_and_old_cookies_refused(
    page: Page, browser: Browser, live_app: Flask, live_server: LiveServer, live_inbox: Inbox
) -> None:
    account(live_app, "aruzhan@kostanay.kz")
    log_in(page, "aruzhan@kostanay.kz", OLD_PASSWORD)
    expect(page).to_have_url(re.compile(r"/founder/$"))
    saved = page.context.cookies()
    assert replay(browser, live_server, saved).url.endswith("/account")  # the copy works before the reset

    other = browser.new_context(base_url=live_server.url, locale="en-US").new_page()
    other.goto("/login")
    other.get_by_role("link", name="Forgot your password?").click()
    other.get_by_label("Email").fill("aruzhan@kostanay.kz")
    other.get_by_role("button", name="Email me a link").click()
    expect(other.locator("#reset-sent")).to_be_visible()
    open_emailed_link(other, live_inbox, "aruzhan@kostanay.kz")
    other.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    other.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    other.get_by_role("button", name="Set the new password").click()
    expect(other.get_by_text("Your password is changed and every device was logged out.")).to_be_visible()

    log_in(other, "aruzhan@kostanay.kz", NEW_PASSWORD)
    expect(other).to_have_url(re.compile(r"/founder/$"))
    thief = replay(browser, live_server, saved)
    expect(thief).to_have_url(re.compile(r"/login\?next="))
    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_logout_ends_the_session_so_a_saved_cookie_is_refused(
    page: Page, browser: Browser, live_app: Flask, live_server: LiveServer
) -> None:
    account(live_app, "logout@kostanay.kz")
    log_in(page, "logout@kostanay.kz", OLD_PASSWORD, remember=True)
    expect(page).to_have_url(re.compile(r"/founder/$"))
    page.goto("/account")
    expect(page.get_by_text("This device")).to_be_visible()
    saved = page.context.cookies()
    assert {"dealflow_session", "dealflow_remember"} <= {cookie["name"] for cookie in saved}
    page.get_by_role("button", name="Aruzhan Kostanay").click()
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_text("You have logged out.")).to_be_visible()
    thief = replay(browser, live_server, saved)
    expect(thief).to_have_url(re.compile(r"/login\?next="))
