"""The one place that talks to Stripe: the stripe library with the configured API base, keys and timeouts.

Everything comes back as plain dicts, so that the services do not depend on the library's object model and
an event's payload and an API read look the same to them. Stripe's failures become three exceptions:
unreachable, refused the card, or refused the request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, cast
from urllib.parse import urlsplit

import stripe
from flask import current_app

log = logging.getLogger(__name__)

StripeData = dict[str, Any]


class GatewayError(Exception):
    """Stripe could not do what was asked; message is Stripe's own text, for the logs."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


class StripeUnavailable(GatewayError):
    """Stripe did not answer, or answered with a server error: nothing may be assumed to have happened."""


class CardRefused(GatewayError):
    """The card was declined or could not be used."""


class RequestRefused(GatewayError):
    """Stripe refused the request itself (a bad parameter or a key without access)."""


class NotFoundAtStripe(RequestRefused):
    """The object does not exist at Stripe (any more)."""


class InvalidWebhook(Exception):
    """A webhook whose signature is missing, wrong or too old, or whose body is not an event."""


def origin_of(url: str) -> str:
    """scheme://host[:port] of a URL, as a Content-Security-Policy source."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


STRIPE_JS_ORIGIN = "https://js.stripe.com"


def browser_origins() -> dict[str, list[str]]:
    """What the card form's Content-Security-Policy must allow for the configured Stripe.js.

    Stripe's own script talks to api.stripe.com and draws the card field in frames of its own; the stand-in
    that localstripe serves draws plain inputs and talks to the server it came from.
    """
    js = origin_of(current_app.config["STRIPE_JS_URL"])
    if js == STRIPE_JS_ORIGIN:
        return {"scripts": [js], "connects": ["https://api.stripe.com"], "frames": [js, "https://hooks.stripe.com"]}
    return {"scripts": [js], "connects": [js], "frames": []}


_answering_webhook: ContextVar[bool] = ContextVar("dealflow_stripe_answering_webhook", default=False)


@contextmanager
def answering_webhook() -> Iterator[None]:
    """Calls to Stripe made while a webhook waits for its answer: a short timeout and no retries.

    Stripe waits only seconds for the answer, so a Stripe that does not answer quickly gets a 503 at once
    (and delivers the event again later) instead of the pages' patient timeout and retries.
    """
    token = _answering_webhook.set(True)
    try:
        yield
    finally:
        _answering_webhook.reset(token)


def _client() -> stripe.StripeClient:
    config = current_app.config
    if _answering_webhook.get():
        timeout, retries = config["STRIPE_WEBHOOK_TIMEOUT_SECONDS"], 0
    else:
        timeout, retries = config["STRIPE_TIMEOUT_SECONDS"], config["STRIPE_MAX_NETWORK_RETRIES"]
    key = (config["STRIPE_SECRET_KEY"], config["STRIPE_API_BASE"], timeout, retries)
    cache: dict[tuple[Any, ...], stripe.StripeClient] = current_app.extensions.setdefault("dealflow_stripe", {})
    if key not in cache:
        if len(cache) >= 2:  # the pages' client and the webhooks' one; other keys are settings that changed
            cache.clear()
        cache[key] = stripe.StripeClient(
            config["STRIPE_SECRET_KEY"],
            base_addresses={"api": config["STRIPE_API_BASE"]},
            http_client=stripe.RequestsClient(timeout=timeout),
            max_network_retries=retries,
        )
    return cache[key]


@contextmanager
def _translated_errors(what: str) -> Iterator[None]:
    try:
        yield
    except stripe.CardError as exc:
        raise CardRefused(exc.user_message or str(exc), code=exc.code) from exc
    except stripe.InvalidRequestError as exc:
        log.warning("Stripe refused %s: %s", what, exc)
        if exc.http_status == 404 or exc.code == "resource_missing":
            raise NotFoundAtStripe(str(exc), code=exc.code) from exc
        raise RequestRefused(str(exc), code=exc.code) from exc
    except stripe.IdempotencyError as exc:  # a key sent again with other parameters: a bug of ours, not an outage
        log.error("Stripe refused an idempotency key while trying to %s: %s", what, exc)
        raise RequestRefused(str(exc), code=exc.code) from exc
    except (stripe.AuthenticationError, stripe.PermissionError) as exc:
        log.error("Stripe refused the API key while trying to %s: %s", what, exc)
        raise RequestRefused(str(exc)) from exc
    except stripe.StripeError as exc:  # connection errors, timeouts, rate limits, Stripe's own 5xx
        log.warning("Stripe unavailable while trying to %s: %s", what, exc)
        raise StripeUnavailable(str(exc)) from exc


def _data(obj: Any) -> StripeData:
    return cast(StripeData, obj.to_dict())


def create_customer(*, email: str, name: str, user_id: int, idempotency_key: str) -> StripeData:
    """One Stripe customer per user; the idempotency key keeps a repeated request from making a second."""
    with _translated_errors("create a customer"):
        return _data(
            _client().v1.customers.create(
                params={"email": email, "name": name, "metadata": {"user_id": str(user_id)}},
                options={"idempotency_key": idempotency_key},
            )
        )


def create_setup_intent(*, customer_id: str, purpose: str) -> StripeData:
    with _translated_errors("create a SetupIntent"):
        return _data(
            _client().v1.setup_intents.create(
                params={"customer": customer_id, "usage": "off_session", "metadata": {"purpose": purpose}}
            )
        )


def retrieve_setup_intent(setup_intent_id: str) -> StripeData:
    with _translated_errors("read a SetupIntent"):
        return _data(_client().v1.setup_intents.retrieve(setup_intent_id))


def retrieve_payment_method(payment_method_id: str) -> StripeData:
    with _translated_errors("read a payment method"):
        return _data(_client().v1.payment_methods.retrieve(payment_method_id))


def attach_payment_method(payment_method_id: str, *, customer_id: str) -> StripeData:
    with _translated_errors("attach a payment method"):
        return _data(_client().v1.payment_methods.attach(payment_method_id, params={"customer": customer_id}))


def set_default_payment_method(customer_id: str, payment_method_id: str) -> StripeData:
    with _translated_errors("set the default payment method"):
        return _data(
            _client().v1.customers.update(
                customer_id, params={"invoice_settings": {"default_payment_method": payment_method_id}}
            )
        )


def create_subscription(*, customer_id: str, plan_id: str, user_id: int, idempotency_key: str) -> StripeData:
    """Charge the customer's default card now; a declined first payment leaves no subscription behind."""
    with _translated_errors("create a subscription"):
        return _data(
            _client().v1.subscriptions.create(
                params={
                    "customer": customer_id,
                    "items": [{"plan": plan_id}],
                    "payment_behavior": "error_if_incomplete",
                    "metadata": {"user_id": str(user_id)},
                },
                options={"idempotency_key": idempotency_key},
            )
        )


def retrieve_subscription(subscription_id: str) -> StripeData:
    with _translated_errors("read a subscription"):
        return _data(_client().v1.subscriptions.retrieve(subscription_id))


def set_cancel_at_period_end(subscription_id: str, cancel: bool) -> StripeData:
    with _translated_errors("cancel or resume a subscription"):
        return _data(_client().v1.subscriptions.update(subscription_id, params={"cancel_at_period_end": cancel}))


def cancel_subscription_now(subscription_id: str) -> StripeData:
    with _translated_errors("cancel a subscription"):
        return _data(_client().v1.subscriptions.cancel(subscription_id))


def change_subscription_plan(subscription_id: str, *, item_id: str, plan_id: str) -> StripeData:
    with _translated_errors("change a subscription's plan"):
        return _data(
            _client().v1.subscriptions.update(
                subscription_id, params={"items": [{"id": item_id, "plan": plan_id}], "cancel_at_period_end": False}
            )
        )


def retrieve_invoice(invoice_id: str) -> StripeData:
    with _translated_errors("read an invoice"):
        return _data(_client().v1.invoices.retrieve(invoice_id))


def pay_invoice(invoice_id: str) -> StripeData:
    """Charge an open invoice now, to the customer's default card; a decline raises CardRefused."""
    with _translated_errors("pay an invoice"):
        return _data(_client().v1.invoices.pay(invoice_id))


def list_invoices(customer_id: str, limit: int = 24) -> list[StripeData]:
    with _translated_errors("list invoices"):
        page = _client().v1.invoices.list(params={"customer": customer_id, "limit": limit})
        return [_data(invoice) for invoice in page.data]


def retrieve_product(product_id: str) -> StripeData | None:
    try:
        with _translated_errors("read a product"):
            return _data(_client().v1.products.retrieve(product_id))
    except NotFoundAtStripe:
        return None


def create_product(*, product_id: str, name: str) -> StripeData:
    with _translated_errors("create a product"):
        return _data(_client().v1.products.create(params={"id": product_id, "name": name}))


def retrieve_plan(plan_id: str) -> StripeData | None:
    try:
        with _translated_errors("read a plan"):
            return _data(_client().v1.plans.retrieve(plan_id))
    except NotFoundAtStripe:
        return None


def create_plan(*, plan_id: str, product_id: str, amount_cents: int, currency: str, interval: str) -> StripeData:
    with _translated_errors("create a plan"):
        return _data(
            _client().v1.plans.create(
                params={
                    "id": plan_id,
                    "product": product_id,
                    "amount": amount_cents,
                    "currency": currency,
                    "interval": cast(Any, interval),
                    "nickname": plan_id,
                }
            )
        )


def verified_event(payload: bytes, signature_header: str | None) -> StripeData:
    """The event in a webhook body, once the Stripe-Signature header proves it came from Stripe."""
    secret = current_app.config["STRIPE_WEBHOOK_SECRET"]
    if not secret:
        raise InvalidWebhook("STRIPE_WEBHOOK_SECRET is not set: webhooks cannot be verified")
    if not signature_header:
        raise InvalidWebhook("no Stripe-Signature header")
    try:
        stripe.WebhookSignature.verify_header(
            payload.decode("utf-8"),
            signature_header,
            secret,
            tolerance=current_app.config["STRIPE_WEBHOOK_TOLERANCE_SECONDS"],
        )
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError) as exc:
        raise InvalidWebhook(str(exc)) from exc
    if not isinstance(event, dict) or event.get("object") != "event" or not isinstance(event.get("data"), dict):
        raise InvalidWebhook("the body is not a Stripe event")
    return event
