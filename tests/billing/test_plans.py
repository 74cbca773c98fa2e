"""What each plan allows, billing switched off, the Pro features (alerts, CSV export), admins' view, settings."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from config import ConfigError
from dealflow import create_app
from dealflow.billing import plans
from dealflow.extensions import db
from dealflow.investors import services as investor_services
from dealflow.investors.queries import DiscoveryQuery
from dealflow.models import AuditLog, BillingInvoice, Bookmark, PipelineStage, Role, StartupStatus, utcnow
from tests.billing_helpers import LocalStripe, give_pro, turn_billing_on
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import founder, investor, startup_in

pytestmark = pytest.mark.date_sensitive  # windows, allowances and waits are counted from today


@pytest.fixture
def billing_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    turn_billing_on(app, monkeypatch)


# ---- the plan API the intro requests will call ----------------------------------------------------------


def test_with_billing_off_everyone_is_on_free_and_nothing_crashes(auth: Auth, client: FlaskClient) -> None:
    user = investor()
    give_pro(user)  # even a subscription row does not count while billing is off
    assert plans.plan_of(user) == plans.FREE
    assert plans.intro_requests_left(user, 0) == 3
    auth.login(user.email, PASSWORD)
    page = client.get("/billing/")
    assert page.status_code == 200
    assert "Billing is not set up on this server: everyone is on the Free plan." in page.get_data(as_text=True)
    response = client.get("/billing/subscribe/pro_monthly")
    assert response.status_code == 302
    searches = client.get("/investor/searches").get_data(as_text=True)
    assert "Email alerts for saved searches are part of the Pro plan." in searches
    assert "so Pro cannot be bought here yet" in searches
    assert client.get("/investor/bookmarks.csv").status_code == 402


def test_free_allows_three_intro_requests_a_calendar_month(billing_on: None) -> None:
    user = investor()
    assert [plans.intro_requests_left(user, used) for used in range(5)] == [3, 2, 1, 0, 0]
    plans.require_intro_allowance(user, used_this_month=2)
    with pytest.raises(plans.PlanLimitReached) as refused:
        plans.require_intro_allowance(user, used_this_month=3)
    limit = refused.value
    assert limit.feature == plans.Feature.INTRO_REQUESTS
    assert limit.plan == plans.FREE
    assert (limit.limit, limit.used) == (3, 3)
    assert limit.message == "You have used all 3 intro requests of the Free plan this month."


def test_the_free_limit_comes_from_settings(billing_on: None, app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "FREE_INTRO_REQUESTS_PER_MONTH", 5)
    assert plans.intro_requests_left(investor(), 3) == 2


def test_the_calendar_month_is_counted_in_kazakhstan_time(billing_on: None) -> None:
    # 20:30 UTC on 31 March is already 1 April in Astana and Almaty (UTC+5).
    start = plans.intro_month_start(datetime(2026, 3, 31, 20, 30, tzinfo=UTC))
    assert start == datetime(2026, 3, 31, 19, 0, tzinfo=UTC)
    assert plans.intro_month_start(datetime(2026, 3, 15, tzinfo=UTC)) == datetime(2026, 2, 28, 19, 0, tzinfo=UTC)


def test_pro_grace_and_the_end_of_a_cancelled_period(billing_on: None) -> None:
    user = investor()
    subscription = give_pro(user)
    assert plans.plan_of(user) == plans.PRO
    assert plans.intro_requests_left(user, 99) is None
    subscription.cancel_at_period_end = True
    subscription.current_period_end = utcnow() - timedelta(minutes=1)  # its end passed before the webhook came
    assert plans.plan_of(user) == plans.FREE
    subscription.cancel_at_period_end = False
    subscription.status = "past_due"
    subscription.grace_until = utcnow() + timedelta(days=1)
    assert plans.plan_of(user) == plans.PRO
    subscription.grace_until = utcnow() - timedelta(seconds=1)
    assert plans.plan_of(user) == plans.FREE
    for status in ("incomplete", "unpaid", "canceled", "incomplete_expired"):
        subscription.status = status
        assert plans.plan_of(user) == plans.FREE


def test_founders_never_pay_and_are_never_pro(billing_on: None) -> None:
    owner = founder()
    give_pro(owner)
    assert plans.plan_of(owner) == plans.FREE


def test_the_upgrade_prompt_partial_renders_what_the_limit_carries(billing_on: None, app: Flask) -> None:
    from flask import render_template

    user = investor()
    with pytest.raises(plans.PlanLimitReached) as refused:
        plans.require_intro_allowance(user, used_this_month=3)
    with app.test_request_context("/"):
        html = render_template("billing/_upgrade_prompt.html", limit=refused.value)
    assert "You have used all 3 intro requests of the Free plan this month." in html
    assert "Your free intro requests renew on" in html
    assert 'data-upgrade-prompt="intro_requests"' in html


# ---- saved-search alerts are Pro ------------------------------------------------------------------------


def test_alerts_are_sent_only_to_pro_investors(billing_on: None) -> None:
    free, pro = investor(), investor()
    give_pro(pro)
    for reader in (free, pro):
        investor_services.save_search(reader, "Kyzylorda", DiscoveryQuery(regions=("KZ-43",)))
    startup_in(StartupStatus.APPROVED, region_code="KZ-43")
    assert investor_services.send_alerts() == (1, 1)
    give_pro(free, subscription_id="sub_upgraded_later")
    assert investor_services.send_alerts() == (1, 1)  # on upgrading, what matched meanwhile is sent


def test_the_saved_searches_page_tells_free_investors_alerts_are_pro(
    billing_on: None, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    page = client.get("/investor/searches").get_data(as_text=True)
    assert "Email alerts for saved searches are part of the Pro plan." in page
    assert 'href="/billing/"' in page
    assert "Upgrade to Pro" in page
    give_pro(user)
    page = client.get("/investor/searches").get_data(as_text=True)
    assert "Email alerts for saved searches are part of the Pro plan." not in page


# ---- the bookmarks export is Pro ------------------------------------------------------------------------


def test_free_investors_see_the_upgrade_prompt_instead_of_the_csv(
    billing_on: None, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    page = client.get("/investor/bookmarks").get_data(as_text=True)
    assert "Exporting your bookmarks with notes to a spreadsheet is part of the Pro plan." in page
    assert "/investor/bookmarks.csv" not in page
    refused = client.get("/investor/bookmarks.csv")
    assert refused.status_code == 402
    assert "Upgrade to Pro" in refused.get_data(as_text=True)
    assert refused.mimetype == "text/html"


def test_pro_investors_download_their_bookmarks_safe_from_formula_injection(
    billing_on: None, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    give_pro(user)
    first = startup_in(StartupStatus.APPROVED, name='=HYPERLINK("http://evil")')
    second = startup_in(StartupStatus.APPROVED, name="Aral Water")
    db.session.add_all(
        [
            Bookmark(investor_id=user.id, startup_id=first.id, note="+1 555 call, then =SUM(A1)"),
            Bookmark(investor_id=user.id, startup_id=second.id, note="Met in Kyzylorda", stage=PipelineStage.MEETING),
        ]
    )
    someone_else = investor()
    db.session.add(Bookmark(investor_id=someone_else.id, startup_id=second.id, note="not mine"))
    db.session.flush()
    auth.login(user.email, PASSWORD)
    assert "/investor/bookmarks.csv" in client.get("/investor/bookmarks").get_data(as_text=True)
    response = client.get("/investor/bookmarks.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Startup", "Link", "Region"]
    by_name = {row[0]: row for row in rows[1:]}
    assert set(by_name) == {'\'=HYPERLINK("http://evil")', "Aral Water"}
    assert by_name['\'=HYPERLINK("http://evil")'][6] == "'+1 555 call, then =SUM(A1)"
    assert by_name["Aral Water"][5] == "Meeting"
    assert by_name["Aral Water"][6] == "Met in Kyzylorda"
    assert "not mine" not in response.get_data(as_text=True)
    exported = db.session.scalar(select(AuditLog).where(AuditLog.action == "bookmarks.exported"))
    assert exported is not None
    assert exported.actor_id == user.id


def test_only_investors_reach_the_billing_pages(billing_on: None, auth: Auth, client: FlaskClient) -> None:
    owner = founder()
    auth.login(owner.email, PASSWORD)
    assert client.get("/billing/").status_code == 403
    assert client.get("/investor/bookmarks.csv").status_code == 403


def test_an_incomplete_subscription_offers_the_plans_not_a_cancel_button(
    billing_on: None, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    give_pro(user, status="incomplete")  # its first payment never went through
    auth.login(user.email, PASSWORD)
    page = client.get("/billing/").get_data(as_text=True)
    assert "Waiting for the first payment" in page
    assert "Cancel at the end of the period" not in page  # the service refuses it: no running subscription
    assert "Change the card" not in page
    assert 'href="/billing/subscribe/pro_monthly"' in page
    assert client.get("/billing/subscribe/pro_monthly").status_code == 200  # and the card form opens


def test_billing_reads_the_subscription_once_per_page(billing_on: None, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    behind = give_pro(user, status="past_due")
    behind.grace_until = utcnow() + timedelta(days=3)
    db.session.flush()
    auth.login(user.email, PASSWORD)
    seen: list[str] = []
    listener = lambda *args: seen.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        page = client.get("/investor/bookmarks").get_data(as_text=True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert "Your last payment failed. Update your card by" in page  # the banner…
    assert "/investor/bookmarks.csv" in page  # …and the plan (Pro during the grace) are both on the page
    billing = [statement for statement in seen if re.search(r"\b(subscription|billing_\w+)\b", statement)]
    assert len(billing) == 1, billing


# ---- the card page's Content-Security-Policy ------------------------------------------------------------


def test_only_the_card_page_lets_stripe_js_in(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    card_page = client.get("/billing/subscribe/pro_monthly")
    policy = card_page.headers["Content-Security-Policy"]
    assert f"script-src 'self' {stripe_on.url};" in policy
    assert f"connect-src 'self' {stripe_on.url};" in policy
    assert f'<script src="{stripe_on.js_url}"></script>' in card_page.get_data(as_text=True)
    for path in ("/billing/", "/investor/bookmarks", "/"):
        strict = client.get(path).headers["Content-Security-Policy"]
        assert "script-src 'self';" in strict
        assert stripe_on.url not in strict


def test_with_stripe_itself_the_policy_names_stripes_origins(
    billing_on: None, app: Flask, monkeypatch: pytest.MonkeyPatch, auth: Auth, client: FlaskClient
) -> None:
    monkeypatch.setitem(app.config, "STRIPE_JS_URL", "https://js.stripe.com/v3/")
    user = investor()
    auth.login(user.email, PASSWORD)
    policy = client.get("/billing/card").headers["Content-Security-Policy"]
    assert "script-src 'self' https://js.stripe.com;" in policy
    assert "connect-src 'self' https://api.stripe.com;" in policy
    assert "frame-src https://js.stripe.com https://hooks.stripe.com;" in policy


# ---- admins ---------------------------------------------------------------------------------------------


def test_admins_see_who_is_on_which_plan_and_failed_payments(billing_on: None, auth: Auth, client: FlaskClient) -> None:
    admin = UserFactory(role=Role.ADMIN)
    free = investor()
    pro = investor()
    give_pro(pro)
    late = investor()
    behind = give_pro(late, status="past_due")
    behind.grace_until = utcnow() + timedelta(days=3)
    db.session.add(
        BillingInvoice(
            user_id=late.id,
            stripe_invoice_id="in_late",
            status="open",
            currency="usd",
            amount_due=4900,
            issued_at=utcnow(),
            payment_failed_at=utcnow(),
        )
    )
    db.session.flush()
    auth.login(admin.email, PASSWORD)
    page = client.get("/admin/billing").get_data(as_text=True)
    table = page[page.index('id="billing-table"') :]
    for person in (free, pro, late):
        assert person.email in table
    row_of_late = table[table.index(late.email) : table.index("</tr>", table.index(late.email))]
    assert "Payment failed" in row_of_late
    assert re.search(r"<td>1 <span", row_of_late)  # one failed payment
    past_due_only = client.get("/admin/billing?plan=past_due").get_data(as_text=True)
    assert late.email in past_due_only
    assert pro.email not in past_due_only
    assert free.email not in past_due_only
    pro_only = client.get("/admin/billing?plan=pro").get_data(as_text=True)
    assert pro.email in pro_only
    assert late.email in pro_only
    assert free.email not in pro_only
    assert client.get("/admin/billing?plan=free").get_data(as_text=True).count(free.email) == 1
    auth.logout()
    auth.login(pro.email, PASSWORD)
    assert client.get("/admin/billing").status_code == 403


# ---- settings -------------------------------------------------------------------------------------------


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    monkeypatch.setenv("SECRET_KEY", "kQ9v2-Lx7pZ_c4RtWm8YbN3eHs6JuGfA1oDiVyTq5rEz")  # a test value of fair entropy
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SITE_URL", "https://dealflow.example")
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("LEDGER_SIGNING_KEY", "A" * 43 + "=")  # the ledger's key, as test_config gives it


def test_production_with_a_stripe_key_refuses_to_start_without_the_webhook_secret(
    production_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_x")
    with pytest.raises(ConfigError, match="^STRIPE_WEBHOOK_SECRET is not set"):
        create_app({"ENV_NAME": "production"})
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["STRIPE_API_BASE"] == "https://api.stripe.com"
    assert app.config["STRIPE_JS_URL"] == "https://js.stripe.com/v3/"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("STRIPE_API_BASE", "http://127.0.0.1:8420"),
        ("STRIPE_JS_URL", "http://127.0.0.1:8420/js.stripe.com/v3/"),
        ("STRIPE_JS_URL", "//js.stripe.com/v3/"),
    ],
)
def test_production_with_a_stripe_key_talks_to_stripe_over_https_only(
    production_env: None, monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_test_x")
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "whsec_x")
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=f"^{name} must be an https:// address"):
        create_app({"ENV_NAME": "production"})
    monkeypatch.delenv("STRIPE_SECRET_KEY")  # with billing off the addresses are not used
    create_app({"ENV_NAME": "production"})


def test_production_without_stripe_starts_with_billing_off(production_env: None) -> None:
    app = create_app({"ENV_NAME": "production"})
    with app.app_context():
        assert not plans.billing_enabled()


def test_a_secret_key_without_a_publishable_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_x")
    monkeypatch.delenv("STRIPE_PUBLISHABLE_KEY", raising=False)
    with pytest.raises(ConfigError, match="^STRIPE_PUBLISHABLE_KEY is not set"):
        create_app({"ENV_NAME": "development"})


@pytest.mark.parametrize(("value", "cents"), [("49", 4900), ("49.50", 4950), ("490.00", 49000)])
def test_prices_are_set_in_dollars(monkeypatch: pytest.MonkeyPatch, value: str, cents: int) -> None:
    monkeypatch.setenv("PRO_MONTHLY_PRICE_USD", value)
    assert create_app({"ENV_NAME": "development"}).config["PRO_MONTHLY_USD_CENTS"] == cents


@pytest.mark.parametrize("value", ["free", "-5", "0", "49.505"])
def test_a_bad_price_is_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("PRO_YEARLY_PRICE_USD", value)
    with pytest.raises(ConfigError, match="PRO_YEARLY_PRICE_USD"):
        create_app({"ENV_NAME": "development"})


def test_tests_never_use_billing_settings_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_live_from_a_shell")
    monkeypatch.setenv("STRIPE_PUBLISHABLE_KEY", "pk_live_from_a_shell")
    app = create_app({"ENV_NAME": "testing"})
    assert app.config["STRIPE_SECRET_KEY"] is None
    assert app.config["STRIPE_API_BASE"].startswith("http://127.0.0.1")


def test_sync_plans_is_idempotent(localstripe: LocalStripe) -> None:
    app = create_app({"ENV_NAME": "testing", **localstripe.settings()})
    with app.app_context():
        runner = app.test_cli_runner()
        result = runner.invoke(args=["billing", "sync-plans"])  # the session fixture already made them once
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "product dealflow-pro: already there",
        "plan dealflow-pro-monthly-usd: already there",
        "plan dealflow-pro-yearly-usd: already there",
    ]
    stripe_plans = localstripe.api("GET", "/v1/plans", limit="100")["data"]
    assert sorted((p["id"], p["amount"], p["interval"]) for p in stripe_plans) == [
        ("dealflow-pro-monthly-usd", 4900, "month"),
        ("dealflow-pro-yearly-usd", 49000, "year"),
    ]


def test_sync_plans_refuses_to_change_a_price_stripe_cannot_change(
    localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app({"ENV_NAME": "testing", **localstripe.settings(), "PRO_MONTHLY_USD_CENTS": 5900})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["billing", "sync-plans"])
    assert result.exit_code != 0
    assert "give the new price a new plan id" in result.output


def test_sync_plans_with_billing_off_says_so(runner: Any) -> None:
    result = runner.invoke(args=["billing", "sync-plans"])
    assert result.exit_code != 0
    assert "Billing is not set up" in result.output
