"""Every key page at five widths in three languages: no sideways scrolling, the account menu and the bell
within reach, zero axe-core violations (colour contrast included) and no console error (CSP included).

The pages are a table of (role, path) entries: a page another part of the site adds is one more row.
A path may name a placeholder ({startup}, {review_item}, {match}) that is looked up in the demo data.
Screenshots of every page at 1366 and 375 px in Kazakh go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page, expect
from sqlalchemy import select

from dealflow import demo
from dealflow.extensions import db
from dealflow.models import IntroRequest, IntroStatus, Startup, StartupStatus, User
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = "/static/vendor/axe-core/axe.min.js"  # by URL: the page's CSP refuses an inline copy, rightly
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
WIDTHS = (375, 768, 1280, 1366, 1536)
LANGUAGES = ("en", "ru", "kk")
COLLAPSED_BELOW = 992  # navbar-expand-lg
SCREENSHOT_WIDTHS, SCREENSHOT_LANGUAGE = (375, 1366), "kk"

# role: the demo account that plays it (None: not logged in)
ACCOUNTS: dict[str, str | None] = {
    "public": None,
    "founder": "founder@demo.dealflow.kz",
    "investor": "investor@demo.dealflow.kz",
    "staff": "staff@demo.dealflow.kz",
}

PAGES: tuple[tuple[str, str], ...] = (
    ("public", "/"),
    ("public", "/register"),
    ("public", "/evidence/"),
    ("public", "/startups/{startup}"),
    ("public", "/forgot-password"),
    ("public", "/terms"),
    ("public", "/privacy"),
    ("founder", "/founder/"),
    ("founder", "/founder/startups/new"),
    ("founder", "/account"),
    ("investor", "/startups/"),
    ("investor", "/startups/{startup}"),
    ("investor", "/investor/bookmarks"),
    ("investor", "/matches/{match}"),
    ("investor", "/billing/"),
    ("staff", "/review/"),
    ("staff", "/review/{review_item}"),
    ("staff", "/startups/"),
)

OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.help} at ${v.nodes.slice(0, 3)
    .map((n) => n.target.join(" ") + (n.failureSummary ? " [" + n.failureSummary.replace(/\\s+/g, " ") + "]" : ""))
    .join("; ")}`);
}"""


@dataclass
class Visitor:
    """One logged-in browser context per role, reused across widths; it remembers what its console said."""

    context: BrowserContext
    page: Page
    errors: list[str] = field(default_factory=list)


def placeholders(app: Flask) -> dict[str, str]:
    """The demo rows the parametrised paths point at."""
    with app.app_context():
        investor = db.session.scalar(select(User).where(User.email == ACCOUNTS["investor"]))
        assert investor is not None
        startup = db.session.scalar(
            select(Startup)
            .where(Startup.status == StartupStatus.APPROVED, Startup.logo_file_id.is_not(None))
            .order_by(Startup.id)
        )
        intro = db.session.scalar(
            select(IntroRequest)
            .where(IntroRequest.investor_id == investor.id, IntroRequest.status == IntroStatus.ACCEPTED)
            .order_by(IntroRequest.id)
        )
        waiting = db.session.scalar(
            select(Startup).where(Startup.status == StartupStatus.SUBMITTED).order_by(Startup.id)
        )
        assert startup is not None
        assert intro is not None
        assert waiting is not None
        return {"startup": startup.slug, "match": str(intro.id), "review_item": str(waiting.id)}


def set_language(app: Flask, language: str, visitors: dict[str, Visitor], base_url: str) -> None:
    """Accounts keep their language in the database; the public visitor keeps it in the cookie."""
    with app.app_context():
        for email in ACCOUNTS.values():
            if email:
                user = db.session.scalar(select(User).where(User.email == email))
                assert user is not None
                user.locale = language
        db.session.commit()
    visitors["public"].context.add_cookies(
        [{"name": app.config["LANGUAGE_COOKIE_NAME"], "value": language, "url": base_url}]
    )


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(demo.DEMO_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#account-menu")).to_have_count(1)


@pytest.fixture(scope="module")
def visitors(browser: Browser, live_server: LiveServer, live_app: Flask) -> Iterator[dict[str, Visitor]]:
    with live_app.app_context():
        saved = {
            email: db.session.scalar(select(User.locale).where(User.email == email))
            for email in ACCOUNTS.values()
            if email
        }
    made: dict[str, Visitor] = {}
    for role, email in ACCOUNTS.items():
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(15_000)
        visitor = Visitor(context, page)
        page.on("console", lambda message, v=visitor: record_console(v, message))
        page.on("pageerror", lambda error, v=visitor: v.errors.append(f"page error: {error}"))
        if email:
            log_in(page, email)
        made[role] = visitor
    yield made
    for visitor in made.values():
        visitor.context.close()
    with live_app.app_context():
        for email, locale in saved.items():
            user = db.session.scalar(select(User).where(User.email == email))
            assert user is not None
            user.locale = locale
        db.session.commit()


def record_console(visitor: Visitor, message: ConsoleMessage) -> None:
    if message.type == "error":
        visitor.errors.append(f"console: {message.text}")


def check_chrome(page: Page, role: str, width: int) -> list[str]:
    """The account menu (with Log out) and the bell, or Log in for the public, are on screen and clickable."""
    problems = []
    toggler = page.locator(".navbar-toggler")
    if width < COLLAPSED_BELOW:
        expect(toggler).to_be_visible()
        toggler.click()
        expect(page.locator("#nav-main")).to_have_class(re.compile(r"\bshow\b"))
    if role == "public":
        page.locator("#nav-main").get_by_role("link", name=re.compile(".")).last.click(trial=True)
    else:
        bell = page.locator("#notifications-link")
        bell.click(trial=True)
        account = page.locator("#account-menu")
        account.click()
        log_out = page.locator("form[action='/logout'] button")
        expect(log_out).to_be_visible()
        box = log_out.bounding_box()
        if box is None or box["x"] < 0 or box["x"] + box["width"] > width:
            problems.append(f"Log out is off-screen: {box}")
        log_out.click(trial=True)
        account.click()  # close it again
    if width < COLLAPSED_BELOW:
        toggler.click()
    return problems


def visit(visitor: Visitor, role: str, path: str, width: int, language: str) -> list[str]:
    """Load one page at one width and list everything wrong with it."""
    page = visitor.page
    visitor.errors.clear()
    page.set_viewport_size({"width": width, "height": 800})
    response = page.goto(path)
    assert response is not None
    problems = [] if response.status == 200 else [f"status {response.status}"]
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.wait_for_load_state("load")
    overflow = page.evaluate(OVERFLOW)
    if overflow > 0:
        problems.append(f"scrolls sideways by {overflow} px")
    page.add_script_tag(url=AXE)
    problems += [f"axe: {violation}" for violation in page.evaluate(RUN_AXE)]
    if language == SCREENSHOT_LANGUAGE and width in SCREENSHOT_WIDTHS:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = re.sub(r"[^a-z0-9]+", "-", f"{role}-{path}".lower()).strip("-")
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"))
    problems += check_chrome(page, role, width)
    problems += visitor.errors
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_key_pages_fit_every_width_and_pass_axe(
    language: str, visitors: dict[str, Visitor], live_app: Flask, live_server: LiveServer
) -> None:
    paths = placeholders(live_app)
    set_language(live_app, language, visitors, live_server.url)
    report: list[str] = []
    for role, template in PAGES:
        path = template.format(**paths)
        for width in WIDTHS:
            problems = visit(visitors[role], role, path, width, language)
            report += [f"{language} {width}px {role} {path}: {problem}" for problem in problems]
    assert not report, "\n".join(report)


def test_the_current_page_is_marked_in_the_navigation(visitors: dict[str, Visitor]) -> None:
    page = visitors["investor"].page
    page.set_viewport_size({"width": 1366, "height": 800})
    page.goto("/investor/bookmarks")
    current = page.locator("nav [aria-current='page']")
    expect(current).to_have_count(1)
    expect(current).to_have_attribute("href", "/investor/bookmarks")
    page.goto("/startups/")
    expect(page.locator("nav [aria-current='page']")).to_have_attribute("href", "/startups/")


def test_on_a_phone_the_filters_open_in_a_drawer_and_update_the_results(
    visitors: dict[str, Visitor], live_app: Flask, live_server: LiveServer
) -> None:
    set_language(live_app, "en", visitors, live_server.url)
    visitor = visitors["investor"]
    page = visitor.page
    visitor.errors.clear()
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/startups/")
    expect(page.locator("#q")).to_be_hidden()  # results first: the filters wait behind one button
    first_card = page.locator("#results article").first
    assert (box := first_card.bounding_box()) is not None
    assert box["y"] < 800
    page.locator("a[href='#filters']").click()
    expect(page.locator("#q")).to_be_visible()
    page.locator("#region-search").fill("kyzyl")
    expect(page.locator("label[for='region-KZ-43']")).to_be_visible()
    expect(page.locator("label[for='region-KZ-71']")).to_be_hidden()
    with page.expect_response(lambda response: "region=KZ-43" in response.url):
        page.locator("label[for='region-KZ-43']").click()
    chip = page.locator(".df-active-filters .df-chip-remove")
    expect(chip).to_have_count(1)
    expect(chip).to_contain_text("Kyzylorda Region")
    assert "region=KZ-43" in page.url  # the URL holds the query
    page.get_by_role("button", name="Show startups").click()
    expect(page.locator("#q")).to_be_hidden()
    assert visitor.errors == []  # htmx's update brought no inline style, so no CSP report


def test_without_javascript_the_filters_follow_the_results(browser: Browser, live_server: LiveServer) -> None:
    context = browser.new_context(base_url=live_server.url, locale="en-US", java_script_enabled=False)
    page = context.new_page()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, "investor.foreign@demo.dealflow.kz")
    page.goto("/startups/?sector=agritech")
    expect(page.locator("#q")).to_be_visible()
    expect(page.locator("#region-search")).to_be_hidden()  # the search box needs a script; the boxes do not
    results, filters = page.locator("#results").bounding_box(), page.locator("#discovery").bounding_box()
    assert results is not None
    assert filters is not None
    assert results["y"] < filters["y"]
    page.locator(".df-chip-remove").first.click()
    assert "sector=" not in page.url
    assert page.evaluate(OVERFLOW) <= 0
    context.close()
