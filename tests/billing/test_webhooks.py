"""Stripe's webhooks: signed, applied once, in any order; a failed payment gives past_due and a grace period."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from dealflow.billing import cards, mirror, plans
from dealflow.extensions import db
from dealflow.models import AuditLog, BillingCustomer, BillingInvoice, Bookmark, StripeEvent, Subscription, User
from tests.billing_helpers import (
    LocalStripe,
    deliver,
    event,
    fall_behind,
    free_port,
    give_pro,
    signed,
    start_localstripe_with_plans,
    turn_billing_on,
    wait_for,
)
from tests.browser.conftest import LiveServer
from tests.conftest import Auth, TestDatabase, make_app
from tests.factories import PASSWORD
from tests.startup_helpers import investor, startup_in

MONTHLY = "dealflow-pro-monthly-usd"


@pytest.fixture
def billing_on(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    turn_billing_on(app, monkeypatch)


def subscription_object(
    subscription_id: str, customer_id: str, *, status: str = "active", cancel: bool = False, period_days: int = 30
) -> dict[str, Any]:
    return {
        "id": subscription_id,
        "object": "subscription",
        "customer": customer_id,
        "status": status,
        "cancel_at_period_end": cancel,
        "current_period_end": int(time.time()) + period_days * 86400,
        "items": {"data": [{"id": "si_test", "plan": {"id": MONTHLY, "interval": "month"}}]},
        "metadata": {},
    }


def invoice_object(invoice_id: str, subscription: Subscription, *, status: str, amount: int = 4900) -> dict[str, Any]:
    return {
        "id": invoice_id,
        "object": "invoice",
        "customer": subscription.stripe_customer_id,
        "subscription": subscription.stripe_subscription_id,
        "status": status,
        "currency": "usd",
        "amount_due": amount,
        "amount_paid": amount if status == "paid" else 0,
        "attempt_count": 1,
        "created": int(time.time()),
        "period_start": int(time.time()),
        "period_end": int(time.time()) + 30 * 86400,
    }


def customer_for(user: User, customer_id: str) -> BillingCustomer:
    customer = BillingCustomer(user_id=user.id, stripe_customer_id=customer_id)
    db.session.add(customer)
    db.session.flush()
    return customer


def test_a_bad_or_missing_signature_gets_400_and_changes_nothing(billing_on: None, client: FlaskClient) -> None:
    user = investor()
    customer_for(user, "cus_sig")
    payload = event("customer.subscription.created", subscription_object("sub_sig", "cus_sig"))
    for response in (
        deliver(client, payload, secret="whsec_someone_else"),
        client.post("/billing/webhook", data=signed(payload)[0], content_type="application/json"),
        client.post(
            "/billing/webhook",
            data=signed(payload)[0] + b" ",  # the body changed after signing
            headers={"Stripe-Signature": signed(payload)[1]},
            content_type="application/json",
        ),
        deliver(client, payload, at=int(time.time()) - 3600),  # an old signature replayed
    ):
        assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Subscription)) == 0
    assert db.session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert plans.plan_of(user) == plans.FREE

    assert deliver(client, payload).status_code == 200  # the same event, signed properly
    assert plans.plan_of(user) == plans.PRO


def test_the_webhook_needs_no_csrf_token_but_every_form_does(billing_on: None, client: FlaskClient) -> None:
    investor()
    response = deliver(client, event("customer.created", {"id": "cus_x", "object": "customer"}))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"
    assert client.post("/billing/cancel").status_code == 400  # any other POST without a token is refused


def test_the_same_event_twice_is_applied_once(billing_on: None, client: FlaskClient) -> None:
    user = investor()
    subscription = give_pro(user)
    payload = event("invoice.payment_failed", invoice_object("in_twice", subscription, status="open"))
    first, second = deliver(client, payload), deliver(client, payload)
    assert first.get_json()["outcome"] == "applied"
    assert second.status_code == 200
    assert second.get_json()["outcome"] == "duplicate"
    failures = db.session.scalars(select(AuditLog).where(AuditLog.action == "billing.payment_failed")).all()
    assert len(failures) == 1
    assert db.session.scalar(select(func.count()).where(BillingInvoice.stripe_invoice_id == "in_twice")) == 1


def test_subscription_updated_before_created_ends_in_stripes_state(stripe_on: LocalStripe, client: FlaskClient) -> None:
    user = investor()
    customer = stripe_on.api("POST", "/v1/customers", email=user.email)
    customer_for(user, customer["id"])
    stripe_on.api("POST", "/v1/payment_methods/pm_card_visa/attach", customer=customer["id"])
    card = stripe_on.api("GET", "/v1/payment_methods", customer=customer["id"], type="card")["data"][0]
    stripe_on.api("POST", f"/v1/customers/{customer['id']}", **{"invoice_settings[default_payment_method]": card["id"]})
    real = stripe_on.api("POST", "/v1/subscriptions", customer=customer["id"], **{"items[0][plan]": MONTHLY})
    assert real["status"] == "active"
    now = int(time.time())

    updated = event("customer.subscription.updated", {**real, "status": "active"}, created=now + 5)
    created = event("customer.subscription.created", {**real, "status": "incomplete"}, created=now)
    assert deliver(client, updated).get_json()["outcome"] == "applied"
    assert deliver(client, created).get_json()["outcome"] == "applied"

    row = mirror.subscription_by_stripe_id(real["id"])
    assert row is not None
    assert row.status == "active"  # the older "incomplete" was checked against Stripe, not applied as it came
    assert plans.plan_of(user) == plans.PRO
    subscribed = db.session.scalars(select(AuditLog).where(AuditLog.action == "billing.subscribed")).all()
    assert [e.actor_email for e in subscribed] == ["Stripe"]


def subscribed_at_stripe(stripe: LocalStripe, user: User, client: FlaskClient, *, at: int) -> dict[str, Any]:
    """A paying subscriber made at localstripe, mirrored by its customer.subscription.created event of time `at`."""
    customer = stripe.api("POST", "/v1/customers", email=user.email)
    customer_for(user, customer["id"])
    stripe.api("POST", "/v1/payment_methods/pm_card_visa/attach", customer=customer["id"])
    card = stripe.api("GET", "/v1/payment_methods", customer=customer["id"], type="card")["data"][0]
    stripe.api("POST", f"/v1/customers/{customer['id']}", **{"invoice_settings[default_payment_method]": card["id"]})
    real = stripe.api("POST", "/v1/subscriptions", customer=customer["id"], **{"items[0][plan]": MONTHLY})
    assert real["status"] == "active"
    assert deliver(client, event("customer.subscription.created", real, created=at)).status_code == 200
    return real


def first_invoice(stripe: LocalStripe, subscription: dict[str, Any]) -> dict[str, Any]:
    invoices = stripe.api("GET", "/v1/invoices", customer=subscription["customer"])["data"]
    paid = [i for i in invoices if i["status"] == "paid"]
    assert len(paid) == 1
    return paid[0]


def test_a_failed_payment_delivered_after_the_same_invoices_payment_changes_nothing(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    now = int(time.time())
    real = subscribed_at_stripe(stripe_on, user, client, at=now - 300)
    invoice = first_invoice(stripe_on, real)
    # Stripe's first attempt failed and its retry went through; the failure is delivered last.
    paid = event("invoice.paid", invoice, created=now - 60)
    failed = event("invoice.payment_failed", {**invoice, "status": "open", "amount_paid": 0}, created=now - 120)
    assert deliver(client, paid).status_code == 200
    assert deliver(client, failed).status_code == 200

    row = mirror.subscription_by_stripe_id(real["id"])
    assert row is not None
    db.session.refresh(row)
    assert row.status == "active"
    assert (row.past_due_since, row.grace_until) == (None, None)
    mirrored = db.session.scalar(select(BillingInvoice).where(BillingInvoice.stripe_invoice_id == invoice["id"]))
    assert mirrored is not None
    assert mirrored.status == "paid"  # never back to open
    assert mirrored.amount_paid == 4900
    assert mirrored.payment_failed_at is not None  # the failed attempt is still counted for the admins
    auth.login(user.email, PASSWORD)
    assert 'id="billing-banner"' not in client.get("/investor/bookmarks").get_data(as_text=True)
    assert "Payment failed" not in client.get("/billing/").get_data(as_text=True)


def test_an_older_payment_delivered_after_a_newer_failure_keeps_the_subscription_past_due(
    stripe_on: LocalStripe, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    now = int(time.time())
    real = subscribed_at_stripe(stripe_on, user, client, at=now - 300)
    first = first_invoice(stripe_on, real)
    open_invoice = fall_behind(stripe_on, real["id"])  # at Stripe the subscription is past_due now
    failed = event("invoice.payment_failed", open_invoice, created=now - 30)
    assert deliver(client, failed).status_code == 200
    row = mirror.subscription_by_stripe_id(real["id"])
    assert row is not None
    assert row.status == "past_due"
    grace = row.grace_until
    assert grace is not None

    late = event("invoice.paid", first, created=now - 200)  # last month's payment, delivered late
    assert deliver(client, late).status_code == 200
    db.session.refresh(row)
    assert row.status == "past_due"  # checked against Stripe, not taken as news
    assert row.grace_until == grace
    auth.login(user.email, PASSWORD)
    assert "Your last payment failed. Update your card by" in client.get("/investor/bookmarks").get_data(as_text=True)
    statuses = dict(db.session.execute(select(BillingInvoice.stripe_invoice_id, BillingInvoice.status)).all())
    assert statuses == {first["id"]: "paid", open_invoice["id"]: "open"}


def test_a_stale_invoice_event_while_stripe_is_down_gets_503(billing_on: None, client: FlaskClient) -> None:
    user = investor()
    subscription = give_pro(user)
    payload = event(
        "invoice.payment_failed",
        invoice_object("in_stale", subscription, status="open"),
        created=int(subscription.state_at.timestamp()) - 60,
    )
    assert deliver(client, payload).status_code == 503  # Stripe must be asked and cannot be: Stripe retries
    db.session.refresh(subscription)
    assert subscription.status == "active"
    assert db.session.get(StripeEvent, payload["id"]) is None


class SilentServer:
    """Accepts connections and never answers: a Stripe that hangs. Counts the connections made to it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.listener = socket.create_server(("127.0.0.1", self.port))
        self.connections: list[socket.socket] = []
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            self.connections.append(connection)

    def __enter__(self) -> SilentServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.listener.close()
        for connection in self.connections:
            connection.close()


def test_a_webhook_answers_503_quickly_when_stripe_hangs(
    app: Flask, monkeypatch: pytest.MonkeyPatch, billing_on: None, client: FlaskClient
) -> None:
    user = investor()
    subscription = give_pro(user)
    stale = event(
        "customer.subscription.updated",
        subscription_object(subscription.stripe_subscription_id, subscription.stripe_customer_id, status="canceled"),
        created=int(time.time()) - 3600,  # older than our state: Stripe must be asked
    )
    # The pages' patience (as in production: 10 s and two retries) is not the webhook's.
    monkeypatch.setitem(app.config, "STRIPE_TIMEOUT_SECONDS", 10)
    monkeypatch.setitem(app.config, "STRIPE_MAX_NETWORK_RETRIES", 2)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_TIMEOUT_SECONDS", 1)
    with SilentServer() as stripe_hangs:
        monkeypatch.setitem(app.config, "STRIPE_API_BASE", f"http://127.0.0.1:{stripe_hangs.port}")
        started = time.monotonic()
        response = deliver(client, stale)
        took = time.monotonic() - started
        assert response.status_code == 503
        assert took < 4, f"the webhook waited {took:.1f} s for Stripe"
        assert len(stripe_hangs.connections) == 1  # asked once, not retried
    db.session.refresh(subscription)
    assert subscription.status == "active"


def test_a_second_running_subscription_of_a_user_is_not_kept_until_the_first_ends(
    stripe_on: LocalStripe, client: FlaskClient
) -> None:
    user = investor()
    now = int(time.time())
    first = subscribed_at_stripe(stripe_on, user, client, at=now - 300)
    # Someone subscribes the same customer again in Stripe's dashboard: Stripe charges both.
    second = stripe_on.api("POST", "/v1/subscriptions", customer=first["customer"], **{"items[0][plan]": MONTHLY})
    assert deliver(client, event("customer.subscription.created", second, created=now - 200)).status_code == 200
    assert mirror.subscription_by_stripe_id(second["id"]) is None  # the first is still running at Stripe
    assert db.session.scalar(select(func.count()).where(Subscription.user_id == user.id)) == 1

    stripe_on.api("DELETE", f"/v1/subscriptions/{first['id']}")  # its end has not reached us yet
    assert deliver(client, event("customer.subscription.updated", second, created=now - 100)).status_code == 200
    kept = mirror.subscription_by_stripe_id(second["id"])
    assert kept is not None
    assert kept.status == "active"
    ended = mirror.subscription_by_stripe_id(first["id"])
    assert ended is not None
    assert ended.status == "canceled"  # read from Stripe to make room
    assert plans.current_subscription(user.id) == kept


def test_a_stale_event_while_stripe_is_down_gets_503_and_is_left_for_stripe_to_retry(
    app: Flask, monkeypatch: pytest.MonkeyPatch, billing_on: None, client: FlaskClient
) -> None:
    user = investor()
    subscription = give_pro(user)
    stale = event(
        "customer.subscription.updated",
        subscription_object(subscription.stripe_subscription_id, subscription.stripe_customer_id, status="canceled"),
        created=int(time.time()) - 3600,  # older than the state we hold: Stripe must be asked
    )
    monkeypatch.setitem(app.config, "STRIPE_API_BASE", "http://127.0.0.1:9")  # nothing listens there
    response = deliver(client, stale)
    assert response.status_code == 503
    assert db.session.get(StripeEvent, stale["id"]) is None  # not recorded: Stripe's retry will be applied
    db.session.refresh(subscription)
    assert subscription.status == "active"


@pytest.mark.date_sensitive
def test_a_failed_payment_gives_past_due_and_seven_days_of_grace(
    billing_on: None, auth: Auth, client: FlaskClient
) -> None:
    user = investor()
    subscription = give_pro(user)
    bookmarked = startup_in_approved()
    db.session.add(Bookmark(investor_id=user.id, startup_id=bookmarked, note="Call in March"))
    db.session.flush()
    failed_at = int(time.time())
    payload = event(
        "invoice.payment_failed", invoice_object("in_failed", subscription, status="open"), created=failed_at
    )
    assert deliver(client, payload).status_code == 200

    db.session.refresh(subscription)
    assert subscription.status == "past_due"
    assert subscription.grace_until == datetime.fromtimestamp(failed_at, UTC) + timedelta(days=7)
    assert plans.plan_of(user) == plans.PRO  # still Pro during the grace period
    assert plans.plan_of(user, now=subscription.grace_until + timedelta(seconds=1)) == plans.FREE
    invoice = db.session.scalar(select(BillingInvoice).where(BillingInvoice.stripe_invoice_id == "in_failed"))
    assert invoice is not None
    assert invoice.payment_failed_at is not None

    auth.login(user.email, PASSWORD)
    page = client.get("/investor/bookmarks").get_data(as_text=True)
    assert page.count('id="billing-banner"') == 1  # once, not announced twice
    assert "Your last payment failed. Update your card by" in page
    assert "Call in March" in page  # everything saved stays
    assert "Payment failed" in client.get("/billing/").get_data(as_text=True)

    subscription.grace_until = datetime.now(UTC) - timedelta(minutes=1)  # the week has passed
    db.session.flush()
    assert plans.plan_of(user) == plans.FREE
    page = client.get("/investor/bookmarks").get_data(as_text=True)
    assert "Pro has lapsed" in page
    assert "Call in March" in page
    assert client.get("/investor/bookmarks.csv").status_code == 402

    paid = event("invoice.paid", invoice_object("in_failed", subscription, status="paid"), created=failed_at + 60)
    assert deliver(client, paid).status_code == 200
    db.session.refresh(subscription)
    assert subscription.status == "active"
    assert subscription.grace_until is None
    assert plans.plan_of(user) == plans.PRO
    assert 'id="billing-banner"' not in client.get("/investor/bookmarks").get_data(as_text=True)
    actions = db.session.scalars(select(AuditLog.action).where(AuditLog.action.like("billing.%"))).all()
    assert actions == ["billing.payment_failed", "billing.payment_recovered"]


def startup_in_approved() -> int:
    from dealflow.models import StartupStatus

    return startup_in(StartupStatus.APPROVED).id


def test_subscription_deleted_ends_pro(billing_on: None, client: FlaskClient) -> None:
    user = investor()
    subscription = give_pro(user)
    gone = subscription_object(subscription.stripe_subscription_id, subscription.stripe_customer_id, status="canceled")
    gone["ended_at"] = int(time.time())
    assert deliver(client, event("customer.subscription.deleted", gone)).status_code == 200
    db.session.refresh(subscription)
    assert subscription.status == "canceled"
    assert plans.plan_of(user) == plans.FREE
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "billing.ended")) == "billing.ended"


def test_events_in_stripes_newer_api_shape_are_understood(billing_on: None, client: FlaskClient) -> None:
    """Newer API versions put the period on the item, say price for plan and move invoice.subscription."""
    user = investor()
    customer_for(user, "cus_new_shape")
    end = int(time.time()) + 365 * 86400
    new_shape = {
        "id": "sub_new_shape",
        "object": "subscription",
        "customer": "cus_new_shape",
        "status": "active",
        "cancel_at_period_end": False,
        "items": {
            "data": [
                {
                    "id": "si_new",
                    "current_period_end": end,
                    "price": {"id": "dealflow-pro-yearly-usd", "recurring": {"interval": "year"}},
                }
            ]
        },
    }
    assert deliver(client, event("customer.subscription.created", new_shape)).status_code == 200
    row = mirror.subscription_by_stripe_id("sub_new_shape")
    assert row is not None
    assert row.interval == "year"
    assert row.current_period_end == datetime.fromtimestamp(end, UTC)
    invoice = {
        "id": "in_new_shape",
        "object": "invoice",
        "customer": "cus_new_shape",
        "parent": {"subscription_details": {"subscription": "sub_new_shape"}},
        "status": "open",
        "currency": "usd",
        "amount_due": 49000,
        "created": int(time.time()),
    }
    # A second after the subscription's event: an event of the same second is no newer and is checked at Stripe.
    failed = event("invoice.payment_failed", invoice, created=int(time.time()) + 1)
    assert deliver(client, failed).status_code == 200
    db.session.refresh(row)
    assert row.status == "past_due"


def test_setup_intent_succeeded_makes_the_card_the_default(stripe_on: LocalStripe, client: FlaskClient) -> None:
    user = investor()
    customer = stripe_on.api("POST", "/v1/customers", email=user.email)
    row = customer_for(user, customer["id"])
    setup = stripe_on.api("POST", "/v1/setup_intents", customer=customer["id"])
    stripe_on.confirm_card(setup["client_secret"])  # the browser went away before telling us
    confirmed = stripe_on.api("GET", f"/v1/setup_intents/{setup['id']}")
    assert deliver(client, event("setup_intent.succeeded", confirmed)).status_code == 200
    db.session.refresh(row)
    assert row.card_last4 == "4242"
    remote = stripe_on.api("GET", f"/v1/customers/{customer['id']}")
    assert remote["invoice_settings"]["default_payment_method"] == confirmed["payment_method"]


def test_with_billing_off_the_webhook_is_not_there(client: FlaskClient) -> None:
    assert client.post("/billing/webhook", data=b"{}", content_type="application/json").status_code == 404


# ---- localstripe itself delivers signed webhooks to an app served by a real server ------------------------


@pytest.fixture
def hooked(
    test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> Iterator[tuple[Flask, LocalStripe]]:
    stripe = start_localstripe_with_plans(tmp_path)
    app = make_app(
        test_databases.create("hooks"), UPLOAD_FOLDER=str(tmp_path_factory.mktemp("hook-uploads")), **stripe.settings()
    )
    try:
        with LiveServer(app) as server:
            stripe.send_webhooks_to(f"{server.url}/billing/webhook")
            yield app, stripe
    finally:
        stripe.stop()
        with app.app_context():
            db.engine.dispose()


@pytest.mark.own_database
@pytest.mark.real_clock
def test_localstripe_delivers_signed_webhooks_that_update_the_subscription(hooked: tuple[Flask, LocalStripe]) -> None:
    app, stripe = hooked
    with app.app_context():
        user = investor()
        customer = cards.ensure_customer(user)
        db.session.commit()
        user_id, customer_id = user.id, customer.stripe_customer_id

    # Someone subscribes the customer in Stripe itself: only the webhooks can tell the app.
    stripe.api("POST", "/v1/payment_methods/pm_card_visa/attach", customer=customer_id)
    card = stripe.api("GET", "/v1/payment_methods", customer=customer_id, type="card")["data"][0]
    stripe.api("POST", f"/v1/customers/{customer_id}", **{"invoice_settings[default_payment_method]": card["id"]})
    made = stripe.api("POST", "/v1/subscriptions", customer=customer_id, **{"items[0][plan]": MONTHLY})

    def row() -> Subscription | None:
        with app.app_context():
            found = mirror.subscription_by_stripe_id(made["id"])
            if found is not None:
                db.session.expunge(found)
            return found

    arrived = wait_for(lambda: row() is not None and row())
    assert arrived, "customer.subscription.created never arrived"
    assert arrived.status == "active"
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        assert plans.plan_of(user) == plans.PRO
    paid = wait_for(lambda: _invoice_count(app, user_id))
    assert paid == 1  # invoice.payment_succeeded mirrored the first invoice

    stripe.api("DELETE", f"/v1/subscriptions/{made['id']}")
    ended = wait_for(lambda: (found := row()) is not None and found.status == "canceled")
    assert ended, "customer.subscription.deleted never arrived"
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user is not None
        assert plans.plan_of(user) == plans.FREE
        events = db.session.scalars(select(StripeEvent.type).order_by(StripeEvent.received_at)).all()
        assert "customer.subscription.created" in events
        assert "customer.subscription.deleted" in events


def _invoice_count(app: Flask, user_id: int) -> int:
    with app.app_context():
        return int(db.session.scalar(select(func.count()).where(BillingInvoice.user_id == user_id)) or 0)


def test_a_failed_payment_emails_the_investor_once_per_invoice_in_their_language(
    billing_on: None, app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller

    from dealflow.models import Notification, OutboxMessage
    from tests.test_email import Inbox, body, free_port, subject

    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        user = investor()
        user.locale = "ru"
        user.email = "payer@fund.kz"
        subscription = give_pro(user)
        now = int(time.time())
        declined = invoice_object("in_card_declined", subscription, status="open")
        first = event("invoice.payment_failed", declined, created=now - 60)
        assert deliver(client, first).status_code == 200
        assert deliver(client, first).get_json()["outcome"] == "duplicate"  # Stripe delivering the event again
        retried = event("invoice.payment_failed", {**declined, "attempt_count": 2}, created=now)  # Stripe's next try
        assert deliver(client, retried).get_json()["outcome"] == "applied"
        [message] = inbox.to("payer@fund.kz")
        time.sleep(0.3)
        assert len(inbox.to("payer@fund.kz")) == 1  # three deliveries, two events, one invoice: one email
    finally:
        controller.stop()
    assert subject(message) == "Не прошла оплата Dealflow Pro"
    text = body(message)
    assert "49.00 USD" in text
    assert "http://127.0.0.1:5000/billing/" in text
    rows = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == "payer@fund.kz")).all()
    assert [r.dedupe_key for r in rows] == ["payment_failed:in_card_declined"]
    kinds = db.session.scalars(select(Notification.kind).where(Notification.user_id == user.id)).all()
    assert kinds == ["payment_failed"]
