"""Hub staff and a founder in real browsers: changes requested, resubmitted, approved, listed."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from dealflow import demo
from dealflow.extensions import db
from dealflow.models import Startup, StartupStatus, User
from dealflow.review.queries import QueueFilters, review_queue
from tests.browser.conftest import LiveServer

pytestmark = pytest.mark.browser


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()


def test_staff_request_changes_founder_resubmits_staff_approve_investors_see_it(
    browser: Browser, live_app: Flask, live_server: LiveServer
) -> None:
    with live_app.app_context():
        reviewer = db.session.scalar(select(User).where(User.email == "staff@demo.dealflow.kz"))
        assert reviewer is not None
        waiting = [i for i in review_queue(QueueFilters(), reviewer, 5) if not i.is_revision and not i.claim]
        startup = waiting[0].startup
        name, slug, owner_email = startup.name, startup.slug, startup.owner.email
        for person in db.session.scalars(select(User)):
            person.locale = None  # the demo users speak several languages; this journey reads English
        db.session.commit()

    def new_page() -> Page:
        context = browser.new_context(base_url=live_server.url, locale="en-US")
        page = context.new_page()
        page.set_default_timeout(10_000)
        return page

    staff = new_page()
    log_in(staff, "staff@demo.dealflow.kz")
    expect(staff).to_have_url(re.compile(r"/review/$"))
    staff.get_by_role("link", name=name).click()
    staff.get_by_label("Request changes").check()
    staff.get_by_label("Comment to the founder").fill("Please add your revenue for the last three months.")
    staff.get_by_role("button", name="Record the decision").click()
    expect(staff.get_by_text(f"Your decision on {name} is recorded")).to_be_visible()

    founder = new_page()
    log_in(founder, owner_email)
    card = founder.get_by_role("article").filter(has_text=name)
    expect(card.get_by_text("Changes requested", exact=True)).to_be_visible()
    expect(card).to_contain_text("Please add your revenue for the last three months.")
    card.get_by_role("link", name=re.compile("^Edit")).click()
    founder.get_by_label("Tagline").fill("Now with three months of revenue")
    founder.get_by_label("Monthly revenue").fill("2500")
    founder.get_by_role("button", name="Save and submit for review").click()
    expect(founder.get_by_text("Submitted for review.")).to_be_visible()

    staff.goto("/review/")
    staff.get_by_role("link", name=name).click()
    expect(staff.get_by_text("Now with three months of revenue")).to_be_visible()
    staff.get_by_label("Approve: list it for investors").check()
    staff.get_by_role("button", name="Record the decision").click()
    expect(staff.get_by_text(f"Your decision on {name} is recorded")).to_be_visible()

    investor = new_page()
    log_in(investor, "investor@demo.dealflow.kz")
    investor.goto(f"/startups/{slug}")
    expect(investor.get_by_role("heading", name=name)).to_be_visible()
    expect(investor.get_by_text("Now with three months of revenue")).to_be_visible()

    with live_app.app_context():
        listed = db.session.scalar(select(Startup).where(Startup.slug == slug))
        assert listed is not None
        assert listed.status == StartupStatus.APPROVED
