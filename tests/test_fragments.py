"""Cached pieces of pages (navigation bar, footer, cards) show each reader their own account, language and state."""

from __future__ import annotations

import re
from typing import Any

from dealflow.extensions import db
from dealflow.models import Role
from dealflow.notifications import services as notifications
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory


def test_the_cached_navigation_bar_belongs_to_whoever_reads_it(app: Any) -> None:
    founder = UserFactory(role=Role.FOUNDER, name="Aigerim Founder")
    investor = UserFactory(role=Role.INVESTOR, name="Daniyar Investor")
    db.session.flush()
    pages = {}
    for user in (founder, investor, founder):
        browser = app.test_client()
        Auth(browser).login(user.email, PASSWORD)
        pages.setdefault(user.name, []).append(browser.get("/account").get_data(as_text=True))
    first, again = pages["Aigerim Founder"]
    assert "Aigerim Founder" in first
    assert "Daniyar Investor" not in first
    assert "My startups" in first
    assert "Bookmarks" not in first
    (theirs,) = pages["Daniyar Investor"]
    assert "Daniyar Investor" in theirs
    assert "Aigerim Founder" not in theirs
    assert "Bookmarks" in theirs
    assert "My startups" not in theirs
    tokens = {re.search(r'name="csrf_token" value="([^"]+)"', page).group(1) for page in (first, again, theirs)}  # type: ignore[union-attr]
    assert len(tokens) == 3  # every page carries its own session's token, never a cached one


def test_the_cached_bell_and_language_follow_changes(auth: Auth, client: Any) -> None:
    reader = UserFactory(role=Role.INVESTOR)
    db.session.flush()
    auth.login(reader.email, PASSWORD)
    assert "unread" not in client.get("/account").get_data(as_text=True)
    notifications.notify(reader, "decision", {"startup": "Steppe Seeds", "decision": "approved"}, "/founder/")
    db.session.flush()
    page = client.get("/account?tab=1").get_data(as_text=True)
    assert re.search(r'text-bg-warning">1<span class="visually-hidden"> unread', page)
    assert 'name="next" value="/account?tab=1"' in page  # the language switch returns to this very page
    russian = client.get("/account", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert 'lang="ru"' in russian
    assert "Выйти" in russian
