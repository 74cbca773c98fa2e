"""Subscribing, changing, cancelling and resuming through the real stripe library against localstripe."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from dealflow.billing import gateway, plans
from dealflow.extensions import db
from dealflow.models import AuditLog, BillingCustomer, BillingInvoice, Subscription, User
from tests.billing_helpers import (
    CHARGE_DECLINED_CARD,
    LocalStripe,
    deliver,
    event,
    fall_behind,
    give_pro,
    start_localstripe_with_plans,
    turn_billing_on,
)
from tests.conftest import Auth, TestDatabase, csrf_token, make_app
from tests.factories import PASSWORD
from tests.startup_helpers import founder, investor, staff


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
    assert plans.plan_of(user) == plans.FREE
    assert plans.intro_requests_left(user, used_this_month=2) == 1
    assert plans.intro_requests_left(user, used_this_month=3) == 0
    with pytest.raises(plans.PlanLimitReached) as refused:
        plans.require_intro_allowance(user, used_this_month=3)
    assert refused.value.limit == 3
    assert refused.value.resets_on is not None

    auth.login(user.email, PASSWORD)
    response = subscribe_through_pages(client, stripe_on)
    assert response.status_code == 302
    assert "Welcome to Pro" in client.get("/billing/").get_data(as_text=True)

    assert plans.plan_of(user) == plans.PRO
    assert plans.intro_requests_left(user, used_this_month=3) is None
    plans.require_intro_allowance(user, used_this_month=250)  # unlimited: no exception
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user.id))
    assert customer is not None
    assert customer.card_last4 == "4242"
    stripe_customer = stripe_on.api("GET", f"/v1/customers/{customer.stripe_customer_id}")
    assert stripe_customer["invoice_settings"]["default_payment_method"] == customer.default_payment_method_id
    subscription = plans.current_subscription(user.id)
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
    assert plans.plan_of(user) == plans.PRO  # paid until the end of the period
    page = client.get("/billing/").get_data(as_text=True)
    assert "Ends on" in page
    assert "Resume the subscription" in page

    post_form("/billing/resume", {}, form_page="/billing/")
    db.session.refresh(subscription)
    assert not subscription.cancel_at_period_end
    assert not stripe_on.api("GET", f"/v1/subscriptions/{subscription.stripe_subscription_id}")["cancel_at_period_end"]
    assert "Renews on" in client.get("/billing/").get_data(as_text=True)

    assert audit_actions(user) == ["billing.subscribed", "billing.canceled", "billing.resumed"]


def test_a_stripe_customer_is_made_once_per_user(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    token = csrf_token(client, "/billing/subscribe/pro_yearly")
    # The first request makes the customer at Stripe, then fails: our record of the customer is rolled back.
    make_setup_intent = gateway.create_setup_intent
    outage = [gateway.StripeUnavailable("Read timed out")]

    def setup_intent_after_an_outage(**kwargs: Any) -> Any:
        if outage:
            raise outage.pop()
        return make_setup_intent(**kwargs)

    monkeypatch.setattr(gateway, "create_setup_intent", setup_intent_after_an_outage)
    answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 503
    assert db.session.scalar(select(func.count()).where(BillingCustomer.user_id == user.id)) == 0
    for _ in range(3):
        answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
        assert answer.status_code == 200
    assert db.session.scalar(select(func.count()).where(BillingCustomer.user_id == user.id)) == 1
    customer_id = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user.id)
    )
    made = stripe_on.api("GET", "/v1/customers", limit="100")["data"]
    assert [c["id"] for c in made if c["email"] == user.email] == [customer_id]  # the idempotency key at work


def test_switching_to_yearly_bills_the_new_plan(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscribe_through_pages(client, stripe_on, "pro_monthly")
    token = csrf_token(client, "/billing/")
    client.post("/billing/plan", data={"csrf_token": token, "price": "pro_yearly"})
    subscription = plans.current_subscription(user.id)
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
    assert plans.plan_of(user) == plans.FREE
    customer_id = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user.id)
    )
    every = stripe_on.api("GET", "/v1/subscriptions", customer=customer_id, status="all")["data"]
    assert [s["status"] for s in every if s["status"] not in ("canceled", "incomplete_expired")] == []

    # The declined attempt is over: the next one, with a good card, is a new attempt at Stripe.
    assert subscribe_through_pages(client, stripe_on).status_code == 302
    assert plans.plan_of(user) == plans.PRO
    every = stripe_on.api("GET", "/v1/subscriptions", customer=customer_id, status="all")["data"]
    assert sorted(s["status"] for s in every if s["status"] != "canceled") == ["active"]


def test_a_subscribe_whose_answer_was_lost_is_not_charged_twice_when_tried_again(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    create = gateway.create_subscription
    made: list[str] = []

    def answer_lost_the_first_time(**kwargs: Any) -> Any:
        data = create(**kwargs)  # Stripe subscribes and charges…
        made.append(data["id"])
        if len(made) == 1:
            raise gateway.StripeUnavailable("Read timed out")  # …but its answer never reaches us
        return data

    monkeypatch.setattr(gateway, "create_subscription", answer_lost_the_first_time)
    assert subscribe_through_pages(client, stripe_on).status_code == 503
    assert plans.current_subscription(user.id) is None  # our records know nothing of it
    # The investor types the card again (a new SetupIntent): the attempt goes under the same key.
    assert subscribe_through_pages(client, stripe_on).status_code == 302

    customer_id = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user.id)
    )
    at_stripe = stripe_on.api("GET", "/v1/subscriptions", customer=customer_id, status="all")["data"]
    assert [s["id"] for s in at_stripe] == made[:1]
    assert made == [made[0], made[0]]  # Stripe answered the second attempt with the first subscription
    paid = [i for i in stripe_on.api("GET", "/v1/invoices", customer=customer_id)["data"] if i["status"] == "paid"]
    assert len(paid) == 1  # charged once
    assert db.session.scalar(select(func.count()).where(Subscription.user_id == user.id)) == 1
    assert plans.plan_of(user) == plans.PRO


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
    assert plans.current_subscription(thief.id) is None


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
    assert plans.plan_of(user) == plans.FREE

    answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 503
    assert "not answering" in answer.get_json()["error"]
    billing_page = client.get("/billing/")
    assert billing_page.status_code == 200  # the page works from our own records while Stripe is down
    assert re.search(r'id="current-plan">Free<', billing_page.get_data(as_text=True))


@pytest.mark.parametrize("make_user", [founder, staff], ids=["founder", "hub staff"])
def test_founders_and_hub_staff_cannot_subscribe_or_set_up_a_card(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient, make_user: Any
) -> None:
    user = make_user()
    auth.login(user.email, PASSWORD)
    token = csrf_token(client, "/")
    answer = client.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 403
    response = client.post(
        "/billing/subscribe", data={"csrf_token": token, "price": "pro_monthly", "setup_intent": "seti_someone"}
    )
    assert response.status_code == 403
    assert client.post("/billing/card", data={"csrf_token": token, "setup_intent": "seti_x"}).status_code == 403
    assert db.session.scalar(select(func.count()).where(BillingCustomer.user_id == user.id)) == 0
    assert db.session.scalar(select(func.count()).where(Subscription.user_id == user.id)) == 0
    made = stripe_on.api("GET", "/v1/customers", limit="100")["data"]
    assert [c["id"] for c in made if c["email"] == user.email] == []


# ---- a failed payment, and the new card that pays it ----------------------------------------------------


def change_card_through_pages(client: FlaskClient, stripe: LocalStripe, number: str) -> Any:
    token = csrf_token(client, "/billing/card")
    answer = client.post("/billing/setup-intent", data={"purpose": "change_card"}, headers={"X-CSRFToken": token})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    setup_intent = stripe.confirm_card(answer.get_json()["client_secret"], number=number)
    return client.post("/billing/card", data={"csrf_token": token, "setup_intent": setup_intent})


def behind_on_payment(client: FlaskClient, stripe: LocalStripe, user: User) -> tuple[Subscription, dict[str, Any]]:
    """A subscriber whose renewal failed at Stripe, told to us by invoice.payment_failed: past due, in grace."""
    assert subscribe_through_pages(client, stripe).status_code == 302
    subscription = plans.current_subscription(user.id)
    assert subscription is not None
    invoice = fall_behind(stripe, subscription.stripe_subscription_id)
    assert deliver(client, event("invoice.payment_failed", invoice, created=int(time.time()) + 1)).status_code == 200
    db.session.refresh(subscription)
    assert subscription.status == "past_due"
    return subscription, invoice


def test_a_new_card_pays_the_failed_payment_and_ends_the_grace(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscription, invoice = behind_on_payment(client, stripe_on, user)
    assert "Your last payment failed. Update your card by" in client.get("/billing/").get_data(as_text=True)

    response = change_card_through_pages(client, stripe_on, "5555555555554444")
    assert response.status_code == 302
    page = client.get("/billing/").get_data(as_text=True)
    assert "the failed payment has gone through: Pro is active again" in page
    assert 'id="billing-banner"' not in page
    assert "•••• 4444" in page
    db.session.refresh(subscription)
    assert subscription.status == "active"
    assert (subscription.past_due_since, subscription.grace_until) == (None, None)
    assert stripe_on.api("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    assert stripe_on.api("GET", f"/v1/subscriptions/{subscription.stripe_subscription_id}")["status"] == "active"
    mirrored = db.session.scalar(select(BillingInvoice).where(BillingInvoice.stripe_invoice_id == invoice["id"]))
    assert mirrored is not None
    assert mirrored.status == "paid"
    actions = audit_actions(user)
    assert actions[-1] == "billing.payment_recovered"
    assert "billing.card_changed" in actions


def test_a_new_card_that_is_declined_too_is_saved_and_says_so(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscription, invoice = behind_on_payment(client, stripe_on, user)

    response = change_card_through_pages(client, stripe_on, CHARGE_DECLINED_CARD)
    assert response.status_code == 200
    assert "Your new card is saved, but the failed payment was declined again" in response.get_data(as_text=True)
    db.session.refresh(subscription)
    assert subscription.status == "past_due"
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user.id))
    assert customer is not None
    assert customer.card_last4 == "0341"  # it is the card Stripe charges now, so our records say so
    assert stripe_on.api("GET", f"/v1/invoices/{invoice['id']}")["status"] == "open"
    assert "billing.payment_recovered" not in audit_actions(user)


def test_an_unpaid_subscriber_fixes_the_card_and_pays(stripe_on: LocalStripe, auth: Auth, client: FlaskClient) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscription, invoice = behind_on_payment(client, stripe_on, user)
    # Stripe's retries ran out and it marked the subscription unpaid (localstripe never does): Pro is over.
    subscription.status = "unpaid"
    subscription.past_due_since = subscription.grace_until = None
    db.session.flush()
    assert plans.plan_of(user) == plans.FREE
    page = client.get("/billing/").get_data(as_text=True)
    assert "Pro has lapsed. Update your card to get it back" in page
    assert 'href="/billing/card"' in page

    assert change_card_through_pages(client, stripe_on, "5555555555554444").status_code == 302
    db.session.refresh(subscription)
    assert subscription.status == "active"
    assert plans.plan_of(user) == plans.PRO
    assert stripe_on.api("GET", f"/v1/invoices/{invoice['id']}")["status"] == "paid"
    assert audit_actions(user)[-1] == "billing.payment_recovered"


def test_changing_the_card_of_a_subscription_in_good_standing_pays_nothing(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    auth.login(user.email, PASSWORD)
    subscribe_through_pages(client, stripe_on)
    assert change_card_through_pages(client, stripe_on, "5555555555554444").status_code == 302
    assert "Future invoices are charged to it" in client.get("/billing/").get_data(as_text=True)
    customer_id = db.session.scalar(
        select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user.id)
    )
    assert len(stripe_on.api("GET", "/v1/invoices", customer=customer_id)["data"]) == 1


# ---- two subscribe requests at once, each on a connection of its own ------------------------------------


@pytest.fixture
def race_app(
    test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory, localstripe: LocalStripe
) -> Iterator[Flask]:
    app = make_app(
        test_databases.create("subscribe_race"),
        UPLOAD_FOLDER=str(tmp_path_factory.mktemp("race-uploads")),
        **localstripe.settings(),
    )
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.own_database
def test_two_subscribe_requests_at_once_make_one_subscription(
    race_app: Flask, localstripe: LocalStripe, monkeypatch: pytest.MonkeyPatch
) -> None:
    with race_app.app_context():
        user = investor()
        db.session.commit()
        user_id, email = user.id, user.email

    # Two tabs, each with a card confirmed in Stripe.js (two SetupIntents), submitted at the same moment.
    tabs = [race_app.test_client(), race_app.test_client()]
    forms = []
    for tab in tabs:
        Auth(tab).login(email, PASSWORD)
        token = csrf_token(tab, "/billing/subscribe/pro_monthly")
        answer = tab.post("/billing/setup-intent", data={"purpose": "subscribe"}, headers={"X-CSRFToken": token})
        assert answer.status_code == 200
        setup_intent = localstripe.confirm_card(answer.get_json()["client_secret"])
        forms.append({"csrf_token": token, "price": "pro_monthly", "setup_intent": setup_intent})

    create = gateway.create_subscription

    def slow_stripe(**kwargs: Any) -> Any:
        time.sleep(1)  # the other request arrives while this one waits for Stripe
        return create(**kwargs)

    monkeypatch.setattr(gateway, "create_subscription", slow_stripe)
    outcomes: list[str] = []

    def submit(tab: FlaskClient, form: dict[str, str], delay: float) -> None:
        time.sleep(delay)
        response = tab.post("/billing/subscribe", data=form)
        if response.status_code == 302:
            outcomes.append("subscribed")
        elif "You already have a subscription" in response.get_data(as_text=True):
            outcomes.append("refused")
        else:
            outcomes.append(f"unexplained {response.status_code}")

    threads = [
        threading.Thread(target=submit, args=(tabs[0], forms[0], 0)),
        threading.Thread(target=submit, args=(tabs[1], forms[1], 0.3)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["refused", "subscribed"]
    with race_app.app_context():
        assert db.session.scalar(select(func.count()).where(Subscription.user_id == user_id)) == 1
        customer_id = db.session.scalar(
            select(BillingCustomer.stripe_customer_id).where(BillingCustomer.user_id == user_id)
        )
    at_stripe = localstripe.api("GET", "/v1/subscriptions", customer=customer_id, status="all")["data"]
    assert len(at_stripe) == 1


def test_a_user_has_one_running_subscription_at_most(stripe_on: LocalStripe) -> None:
    user = investor()
    give_pro(user)
    give_pro(user, subscription_id="sub_over", status="canceled")  # ended ones do not count…
    give_pro(user, subscription_id="sub_first_try", status="incomplete")  # …nor one waiting for its first payment
    for status in ("active", "trialing", "past_due", "unpaid", "paused"):
        with pytest.raises(IntegrityError), db.session.begin_nested():
            give_pro(user, subscription_id=f"sub_second_{status}", status=status)
