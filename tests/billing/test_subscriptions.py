"""Subscribing, changing, cancelling and resuming through the real stripe library against localstripe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from dealflow.billing import services
from dealflow.extensions import db
from dealflow.models import AuditLog, BillingCustomer, BillingInvoice, Subscription, User
from tests.billing_helpers import CHARGE_DECLINED_CARD, LocalStripe, start_localstripe_with_plans, turn_billing_on
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD
from tests.startup_helpers import investor


def audit_actions(user: User) -> list[str]:
    rows = db.session.scalars(select(AuditLog).where(AuditLog.actor_id == user.id).order_by(AuditLog.id)).all()
    return [r.action for r in rows if r.action.startswith("billing.")]


def subscribe_through_pages(client: FlaskClient, stripe: LocalStripe, price: str = "pro_monthly", **card: str) -> Any:
    """What the browser does: open the card form, get a SetupIntent, let Stripe.js confirm it, submit its id."""
    page = client.get(f"/billing/subscribe/{price}")
    assert page.status_code == 200
    token = csrf_token(client, f"/billing/subscribe/{price}")
    answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    setup_intent = stripe.confirm_card(answer.get_json()["client_secret"], **card)
    return client.post("/billing/subscribe", data={"csrf_token": token, "price": price, "setup_intent": setup_intent})


def test_subscribing_lifts_the_intro_limit_then_cancel_and_resume(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient, post_form: Any
) -> None:
    user = investor()
    assert services.plan_of(user) == services.FREE
    assert services.intro_requests_left(user, used_this_month=2) == 1
    assert services.intro_requests_left(user, used_this_month=3) == 0
    with pytest.raises(services.PlanLimitReached) as refused:
        services.require_intro_allowance(user, used_this_month=3)
    assert refused.value.limit == 3
    assert refused.value.resets_on is not None

    auth.login(user.email, PASSWORD)
    response = subscribe_through_pages(client, stripe_on)
    assert response.status_code == 302
    assert "Welcome to Pro" in client.get("/billing/").get_data(as_text=True)

    assert services.plan_of(user) == services.PRO
    assert services.intro_requests_left(user, used_this_month=3) is None
    services.require_intro_allowance(user, used_this_month=250)  # unlimited: no exception
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user.id))
    assert customer is not None
    assert customer.card_last4 == "4242"
    stripe_customer = stripe_on.api("GET", f"/v1/customers/{customer.stripe_customer_id}")
    assert stripe_customer["invoice_settings"]["default_payment_method"] == customer.default_payment_method_id
    subscription = services.current_subscription(user.id)
    assert subscription is not None
    assert subscription.status == "active"
    assert subscription.stripe_plan_id == "dealflow-pro-monthly-usd"
    assert subscription.current_period_end is not None

    page = client.get("/billing/").get_data(as_text=True)
    assert re.search(r'id="current-plan">Pro<', page)
    assert 'id="renewal-date"' in page
    assert "•••• 4242" in page
    assert "$49.00" in page  # the invoice of the first month, mirrored from Stripe
    invoice = db.session.scalar(select(BillingInvoice).where(BillingInvoice.user_id == user.id))
    assert invoice is not None
    assert invoice.status == "paid"
    assert invoice.amount_paid == 4900

    post_form("/billing/cancel", {}, form_page="/billing/")
    db.session.refresh(subscription)
    assert subscription.cancel_at_period_end
    assert stripe_on.api("GET", f"/v1/subscriptions/{subscription.stripe_subscription_id}")["cancel_at_period_end"]
    assert services.plan_of(user) == services.PRO  # paid until the end of the period
    page = client.get("/billing/").get_data(as_text=True)
    assert "Ends on" in page
    assert "Resume the subscription" in page

    post_form("/billing/resume", {}, form_page="/billing/")
    db.session.refresh(subscription)
    assert not subscription.cancel_at_period_end
    assert not stripe_on.api("GET", f"/v1/subscriptions/{subscription.stripe_subscription_id}")["cancel_at_period_end"]
    assert "Renews on" in client.get("/billing/").get_data(as_text=True)

    assert audit_actions(user) == ["billing.subscribed", "billing.canceled", "billing.resumed"]


def test_a_stripe_customer_is_made_once_per_user(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    token = csrf_token(client, "/billing/subscribe/pro_yearly")
    for _ in range(3):
        answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
        assert answer.status_code == 200
    assert db.session.scalar(select(func.count()).where(BillingCustomer.user_id == user.id)) == 1
    customer_id = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user.id)
    )
    made = stripe_on.api("GET", "/v1/customers", limit="100")["data"]
    assert [c["id"] for c in made if c["email"] == user.email] == [customer_id]


def test_switching_to_yearly_bills_the_new_plan(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscribe_through_pages(client, stripe_on, "pro_monthly")
    token = csrf_token(client, "/billing/")
    client.post("/billing/plan", data={"csrf_token": token, "price": "pro_yearly"})
    subscription = services.current_subscription(user.id)
    assert subscription is not None
    assert subscription.stripe_plan_id == "dealflow-pro-yearly-usd"
    assert subscription.interval == "year"
    remote = stripe_on.api("GET", f"/v1/subscriptions/{subscription.stripe_subscription_id}")
    assert remote["plan"]["id"] == "dealflow-pro-yearly-usd"
    assert "$490.00" in client.get("/billing/").get_data(as_text=True)
    assert audit_actions(user) == ["billing.subscribed", "billing.plan_changed"]


def test_changing_the_card(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscribe_through_pages(client, stripe_on)
    token = csrf_token(client, "/billing/card")
    answer = client.post("/billing/setup-intent", data={"purpose": "change_card"}, headers={"X-CSRFToken": token})
    setup_intent = stripe_on.confirm_card(answer.get_json()["client_secret"], number="5555555555554444")
    response = client.post("/billing/card", data={"csrf_token": token, "setup_intent": setup_intent})
    assert response.status_code == 302
    assert "•••• 4444" in client.get("/billing/").get_data(as_text=True)
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user.id))
    assert customer is not None
    remote = stripe_on.api("GET", f"/v1/customers/{customer.stripe_customer_id}")
    assert remote["invoice_settings"]["default_payment_method"] == customer.default_payment_method_id
    assert audit_actions(user)[-1] == "billing.card_changed"


def test_a_declined_card_leaves_no_subscription(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    response = subscribe_through_pages(client, stripe_on, number=CHARGE_DECLINED_CARD)
    page = response.get_data(as_text=True)
    assert "Your card was declined" in page
    assert db.session.scalar(select(func.count()).where(Subscription.user_id == user.id)) == 0
    assert services.plan_of(user) == services.FREE
    customer_id = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user.id)
    )
    live = stripe_on.api("GET", "/v1/subscriptions", customer=customer_id)["data"]
    assert live == []  # the incomplete one was cancelled at Stripe too


def test_a_setup_intent_of_another_customer_is_refused(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    someone = investor()
    auth.login(someone.email, PASSWORD)
    token = csrf_token(client, "/billing/subscribe/pro_monthly")
    answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    theirs = stripe_on.confirm_card(answer.get_json()["client_secret"])
    auth.logout()

    thief = investor()
    auth.login(thief.email, PASSWORD)
    token = csrf_token(client, "/billing/subscribe/pro_monthly")
    client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    response = client.post(
        "/billing/subscribe", data={"csrf_token": token, "price": "pro_monthly", "setup_intent": theirs}
    )
    assert "This card was not set up for your account" in response.get_data(as_text=True)
    assert services.current_subscription(thief.id) is None


def test_a_stripe_outage_during_subscribe_shows_a_message_and_keeps_no_subscription(
    app: Flask, monkeypatch: pytest.MonkeyPatch, tmp_path: Any, auth: Auth, client: FlaskClient
) -> None:
    outage = start_localstripe_with_plans(tmp_path)
    try:
        turn_billing_on(app, monkeypatch, outage)
        user = investor()
        auth.login(user.email, PASSWORD)
        token = csrf_token(client, "/billing/subscribe/pro_monthly")
        answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
        setup_intent = outage.confirm_card(answer.get_json()["client_secret"])
    finally:
        outage.stop()  # the card is confirmed in the browser, then Stripe goes away

    response = client.post(
        "/billing/subscribe", data={"csrf_token": token, "price": "pro_monthly", "setup_intent": setup_intent}
    )
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert "Our payment provider is not answering right now. Nothing was charged" in page
    assert db.session.scalar(select(func.count()).where(Subscription.user_id == user.id)) == 0
    assert services.plan_of(user) == services.FREE

    answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 503
    assert "not answering" in answer.get_json()["error"]
    billing_page = client.get("/billing/")
    assert billing_page.status_code == 200  # the page works from our own records while Stripe is down
    assert re.search(r'id="current-plan">Free<', billing_page.get_data(as_text=True))
