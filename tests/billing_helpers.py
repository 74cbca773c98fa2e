"""A real local Stripe server (localstripe) for the billing tests, and the helpers that drive it."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from dealflow.extensions import db
from dealflow.models import BillingCustomer, BillingInterval, Subscription, SubscriptionStatus, User, utcnow

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "sk_test_dealflow_localstripe"
PUBLISHABLE_KEY = "pk_test_dealflow_localstripe"
WEBHOOK_SECRET = "whsec_dealflow_test_secret"
GOOD_CARD = "4242424242424242"
CHARGE_DECLINED_CARD = "4000000000000341"  # attaches fine, every charge is declined


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class LocalStripe:
    """localstripe in a subprocess on a free loopback port, honouring idempotency keys as Stripe does
    (tests/billing/stripe_server.py); stop() is a real outage."""

    def __init__(self, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> LocalStripe:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tests.billing.stripe_server", str(self.port)],
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"localstripe exited: see {self.log_path}")
            try:
                if requests.get(f"{self.url}/v1/customers", auth=(SECRET_KEY, ""), timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"localstripe did not answer on {self.url}: see {self.log_path}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    @property
    def js_url(self) -> str:
        return f"{self.url}/js.stripe.com/v3/"

    def settings(self) -> dict[str, Any]:
        return {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "STRIPE_API_BASE": self.url,
            "STRIPE_JS_URL": self.js_url,
        }

    def send_webhooks_to(self, url: str, name: str = "dealflow") -> None:
        """localstripe signs each event with the secret and posts it to url, as Stripe does."""
        response = requests.post(
            f"{self.url}/_config/webhooks/{name}", data={"url": url, "secret": WEBHOOK_SECRET}, timeout=10
        )
        response.raise_for_status()

    def confirm_card(self, client_secret: str, number: str = GOOD_CARD) -> str:
        """What Stripe.js does with the card the user typed: confirm the SetupIntent; returns its id."""
        setup_intent = client_secret.split("_secret_")[0]
        response = requests.post(
            f"{self.url}/v1/setup_intents/{setup_intent}/confirm",
            data=json.dumps(
                {
                    "key": PUBLISHABLE_KEY,
                    "client_secret": client_secret,
                    "payment_method_data": {
                        "type": "card",
                        "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
                    },
                }
            ),
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert response.json()["status"] == "succeeded"
        return setup_intent

    def api(self, method: str, path: str, **data: Any) -> dict[str, Any]:
        """Act on Stripe directly, as someone in Stripe's dashboard would."""
        query, body = (data, None) if method == "GET" else (None, data)
        response = requests.request(
            method, f"{self.url}{path}", auth=(SECRET_KEY, ""), params=query, data=body, timeout=10
        )
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


def start_localstripe_with_plans(log_dir: Path) -> LocalStripe:
    """A fresh localstripe with the Pro product and plans made by `flask billing sync-plans` itself."""
    from dealflow import create_app

    server = LocalStripe(log_dir / "localstripe.log").start()
    try:
        app = create_app({"ENV_NAME": "testing", **server.settings()})
        with app.app_context():  # the command runs in this app even inside a test that holds another one
            result = app.test_cli_runner().invoke(args=["billing", "sync-plans"])
        assert result.exit_code == 0, result.output
    except BaseException:
        server.stop()
        raise
    return server


def turn_billing_on(app: Flask, monkeypatch: pytest.MonkeyPatch, stripe: LocalStripe | None = None) -> None:
    """Billing settings on the (session-wide) app for one test; monkeypatch puts them back."""
    settings = (
        stripe.settings()
        if stripe
        else {
            "STRIPE_SECRET_KEY": SECRET_KEY,
            "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
            "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        }
    )
    for name, value in settings.items():
        monkeypatch.setitem(app.config, name, value)


def give_pro(
    user: User,
    *,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    customer_id: str | None = None,
    subscription_id: str | None = None,
    plan_id: str = "dealflow-pro-monthly-usd",
) -> Subscription:
    """Rows as the webhooks would leave them for a subscribed investor, without a Stripe server."""
    customer = db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user.id))
    if customer is None:
        customer = BillingCustomer(user_id=user.id, stripe_customer_id=customer_id or f"cus_test{user.id}")
        db.session.add(customer)
    now = utcnow()
    subscription = Subscription(
        user_id=user.id,
        stripe_subscription_id=subscription_id or f"sub_test{user.id}",
        stripe_customer_id=customer.stripe_customer_id,
        stripe_plan_id=plan_id,
        interval=BillingInterval.MONTH,
        status=status,
        current_period_end=now + timedelta(days=30),
        state_at=now - timedelta(minutes=5),
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription


def signed(event: dict[str, Any], secret: str = WEBHOOK_SECRET, *, at: int | None = None) -> tuple[bytes, str]:
    """A webhook body and its Stripe-Signature header, made the way Stripe makes them."""
    body = json.dumps(event).encode()
    timestamp = at or int(time.time())
    signature = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return body, f"t={timestamp},v1={signature}"


def event(
    event_type: str, obj: dict[str, Any], *, created: int | None = None, event_id: str | None = None
) -> dict[str, Any]:
    return {
        "id": event_id or f"evt_{event_type.replace('.', '_')}_{time.monotonic_ns()}",
        "object": "event",
        "type": event_type,
        "created": created or int(time.time()),
        "api_version": "2017-08-15",
        "data": {"object": obj},
    }


def deliver(client: FlaskClient, payload: dict[str, Any], *, secret: str = WEBHOOK_SECRET, **kwargs: Any) -> Any:
    """POST a hand-signed event to the webhook endpoint, as Stripe would."""
    body, header = signed(payload, secret, **kwargs)
    return client.post(
        "/billing/webhook", data=body, headers={"Stripe-Signature": header}, content_type="application/json"
    )


def wait_for(condition: Any, timeout: float = 15.0, interval: float = 0.2) -> Any:
    """Poll until condition() is truthy (webhooks arrive a moment after the change that caused them)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def declining_card_as_default(stripe: LocalStripe, customer_id: str) -> str:
    """Make a card whose charges are declined the customer's default at Stripe (as a card that expired would)."""
    setup = stripe.api("POST", "/v1/setup_intents", customer=customer_id)
    stripe.confirm_card(setup["client_secret"], number=CHARGE_DECLINED_CARD)
    payment_method = str(stripe.api("GET", f"/v1/setup_intents/{setup['id']}")["payment_method"])
    stripe.api("POST", f"/v1/payment_methods/{payment_method}/attach", customer=customer_id)
    stripe.api("POST", f"/v1/customers/{customer_id}", **{"invoice_settings[default_payment_method]": payment_method})
    return payment_method


def fall_behind(stripe: LocalStripe, subscription_id: str) -> dict[str, Any]:
    """A payment of a running subscription fails at Stripe: it becomes past_due with an open invoice.

    localstripe never fails a renewal, but it charges at once when the billing interval changes, so the card is
    swapped for a declining one and the plan switched to the other interval; returns the open invoice.
    """
    remote = stripe.api("GET", f"/v1/subscriptions/{subscription_id}")
    declining_card_as_default(stripe, remote["customer"])
    item = remote["items"]["data"][0]["id"]
    other = (
        "dealflow-pro-yearly-usd" if remote["plan"]["id"] != "dealflow-pro-yearly-usd" else "dealflow-pro-monthly-usd"
    )
    behind = stripe.api(
        "POST", f"/v1/subscriptions/{subscription_id}", **{"items[0][id]": item, "items[0][plan]": other}
    )
    assert behind["status"] == "past_due", behind["status"]
    invoice = stripe.api("GET", f"/v1/invoices/{behind['latest_invoice']}")
    assert invoice["status"] == "open"
    return invoice
