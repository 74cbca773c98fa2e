"""CSRF, roles, security headers and the error pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import Role, User
from tests.conftest import Auth, make_app
from tests.factories import PASSWORD, HubFactory, UserFactory

STAFF_PAGES = ["/review/", "/admin/users", "/admin/users/new"]


def test_post_without_csrf_token_is_refused_and_changes_nothing(client: Any) -> None:
    response = client.post(
        "/register",
        data={
            "name": "No Token",
            "email": "notoken@example.kz",
            "password": "Steppe-wind-over-Taraz-9",
            "confirm": "Steppe-wind-over-Taraz-9",
            "role": "founder",
        },
    )
    assert response.status_code == 400
    assert "The form expired or was sent from another site" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(User.id)).where(User.email == "notoken@example.kz")) == 0


def test_settings_change_without_csrf_token_is_refused(auth: Auth, client: Any) -> None:
    user = UserFactory(name="Kept Name")
    auth.login(user.email, PASSWORD)
    assert client.post("/account", data={"name": "Changed", "locale": "ru"}).status_code == 400
    db.session.refresh(user)
    assert user.name == "Kept Name"


@pytest.mark.parametrize("role", [Role.FOUNDER, Role.INVESTOR])
def test_founders_and_investors_get_403_on_staff_pages(auth: Auth, client: Any, role: Role) -> None:
    user = UserFactory(role=role)
    auth.login(user.email, PASSWORD)
    for page in STAFF_PAGES:
        response = client.get(page)
        assert response.status_code == 403, page
        assert "Access denied" in response.get_data(as_text=True)


def test_hub_staff_see_the_queue_but_not_the_admin_pages(auth: Auth, client: Any) -> None:
    staff = UserFactory(role=Role.HUB_STAFF)
    auth.login(staff.email, PASSWORD)
    assert client.get("/review/").status_code == 200
    assert client.get("/admin/users").status_code == 403


def test_founder_cannot_browse_investor_pages(auth: Auth, client: Any) -> None:
    founder = UserFactory(role=Role.FOUNDER)
    auth.login(founder.email, PASSWORD)
    assert client.get("/startups/").status_code == 403


def test_admin_creates_a_hub_staff_account(auth: Auth, client: Any, post_form: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    hub = HubFactory()
    auth.login(admin.email, PASSWORD)
    response = post_form(
        "/admin/users/new",
        {
            "name": "Reviewer Kyzylorda",
            "email": "reviewer@hub.kz",
            "password": "Syr-Darya-river-2026",
            "role": "hub_staff",
            "hub_id": str(hub.id),
        },
    )
    assert response.status_code == 302
    created = db.session.scalar(select(User).where(User.email == "reviewer@hub.kz"))
    assert created is not None
    assert (created.role, created.hub_id) == (Role.HUB_STAFF, hub.id)
    assert "reviewer@hub.kz" in client.get("/admin/users?role=hub_staff").get_data(as_text=True)


def test_admin_changes_a_role_and_blocks_an_account(auth: Auth, post_form: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    target = UserFactory(role=Role.INVESTOR)
    auth.login(admin.email, PASSWORD)
    response = post_form(f"/admin/users/{target.id}", {"role": "hub_staff", "hub_id": ""})
    assert response.status_code == 302
    db.session.refresh(target)
    assert target.role == Role.HUB_STAFF
    assert target.active is False  # the unchecked box blocks the account


def test_an_investor_paying_for_pro_keeps_the_role_until_they_cancel(auth: Auth, post_form: Any) -> None:
    from tests.billing_helpers import give_pro

    admin = UserFactory(role=Role.ADMIN)
    target = UserFactory(role=Role.INVESTOR)
    subscription = give_pro(target)
    auth.login(admin.email, PASSWORD)
    refused = post_form(f"/admin/users/{target.id}", {"role": "founder", "hub_id": "", "active": "y"})
    assert "They cancel it on their billing page first" in refused.get_data(as_text=True)
    db.session.refresh(target)
    assert (target.role, target.active) == (Role.INVESTOR, True)
    subscription.cancel_at_period_end = True  # cancelled: nothing more will be charged
    db.session.flush()
    post_form(f"/admin/users/{target.id}", {"role": "founder", "hub_id": "", "active": "y"})
    db.session.refresh(target)
    assert target.role == Role.FOUNDER


def test_admin_cannot_remove_their_own_admin_role(auth: Auth, post_form: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    response = post_form(f"/admin/users/{admin.id}", {"role": "founder", "hub_id": "", "active": "y"})
    assert "You cannot remove your own administrator access." in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


def test_admin_pages_404_for_a_missing_user(auth: Auth, client: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    response = client.get("/admin/users/999999")
    assert response.status_code == 404
    assert "Page not found" in response.get_data(as_text=True)


def test_responses_carry_security_headers(client: Any) -> None:
    response = client.get("/")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


def test_pages_load_nothing_from_other_hosts(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    assert "http://" not in page
    assert "https://" not in page


def test_too_large_request_gets_the_413_page(app: Flask, client: Any) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    response = client.post("/login", data={"email": "x" * (limit + 1)})
    assert response.status_code == 413
    assert "File too large" in response.get_data(as_text=True)


def test_crash_shows_the_500_page_in_the_users_language(test_databases: Any, app: Flask) -> None:
    crashing = make_app(app.config["SQLALCHEMY_DATABASE_URI"], PROPAGATE_EXCEPTIONS=False)

    @crashing.route("/boom")
    def boom() -> str:
        raise RuntimeError("kaboom")

    try:
        response = crashing.test_client().get("/boom", headers={"Accept-Language": "kk"})
    finally:
        with crashing.app_context():
            db.engine.dispose()
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert 'lang="kk"' in page
    assert "kaboom" not in page


def test_admin_search_treats_wildcards_as_text(auth: Auth, client: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    UserFactory(email="plain@example.kz")
    auth.login(admin.email, PASSWORD)
    page = client.get("/admin/users", query_string={"q": "%"}).get_data(as_text=True)
    assert "plain@example.kz" not in page
    assert "plain@example.kz" in client.get("/admin/users", query_string={"q": "PLAIN@"}).get_data(as_text=True)
