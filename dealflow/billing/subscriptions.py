"""Subscribing to Pro, changing between monthly and yearly, cancelling and resuming: the calls to Stripe.

Also the command that makes the Pro product and its plans at Stripe.
"""

from __future__ import annotations

import logging

from flask import current_app
from flask_babel import lazy_gettext as _l

from dealflow.billing import gateway
from dealflow.billing.cards import locked_customer_of_user, use_confirmed_card
from dealflow.billing.errors import BillingError, BillingOff, PaymentDeclined, require_billing, stripe_call_failed
from dealflow.billing.mirror import (
    RemoteSubscription,
    Snapshot,
    apply_and_record,
    apply_remote_subscription,
    record_changes,
    subscription_by_stripe_id,
    sync_invoices,
)
from dealflow.billing.plans import PRO_STATUSES, Price, billing_enabled, live_subscription, price_by_key, prices
from dealflow.billing.queries import customer_of_user
from dealflow.models import BillingCustomer, Subscription, User, utcnow

log = logging.getLogger(__name__)


def subscribe_idempotency_key(customer: BillingCustomer, price: Price) -> str:
    """The key of the user's current subscribe attempt at Stripe (per customer, so per user).

    It changes only once Stripe has answered an attempt (subscribed or refused), so an attempt whose answer
    never reached us (a timeout, a crash before our commit) is repeated under the same key and Stripe hands
    back what it did the first time instead of subscribing and charging again. It names the plan because
    Stripe refuses a key that comes back with other parameters.
    """
    return f"dealflow-subscribe-{customer.stripe_customer_id}-{customer.subscribe_attempts}-{price.stripe_plan_id}"


def subscribe(user: User, *, price_key: str, setup_intent_id: str, ip: str | None) -> Subscription:
    """Subscribe to Pro with the card just confirmed in Stripe.js; no row is kept unless Stripe says it is paid.

    One attempt per user at a time (the customer row is locked before anything is checked), and a user has
    at most one running subscription (a unique index backs the check).
    """
    require_billing(user)
    price = price_by_key(price_key)
    if price is None:
        raise BillingError(_l("Choose the monthly or the yearly plan."))
    customer = locked_customer_of_user(user.id)
    if customer is None:
        raise BillingError(_l("Enter your card first."))
    if live_subscription(user) is not None:
        raise BillingError(_l("You already have a subscription: change its plan on the billing page."))
    try:
        use_confirmed_card(customer, setup_intent_id)
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    try:
        data = gateway.create_subscription(
            customer_id=customer.stripe_customer_id,
            plan_id=price.stripe_plan_id,
            user_id=user.id,
            idempotency_key=subscribe_idempotency_key(customer, price),
        )
    except gateway.StripeUnavailable as exc:
        raise stripe_call_failed(exc) from exc  # no answer: the next attempt goes under the same key
    except gateway.GatewayError as exc:
        customer.subscribe_attempts += 1
        refused = stripe_call_failed(exc)
        refused.keep = True
        raise refused from exc
    customer.subscribe_attempts += 1
    remote = RemoteSubscription.from_stripe(data)
    if remote.status not in PRO_STATUSES:
        # The first payment did not go through (Stripe answers 402 for that; some servers leave it incomplete).
        try:
            gateway.cancel_subscription_now(remote.id)
        except gateway.GatewayError as exc:
            log.warning("Incomplete subscription %s not cancelled: %s", remote.id, exc)
        raise PaymentDeclined(_l("Your card was declined. Nothing was charged; try another card."), keep=True)
    before = Snapshot.of(subscription_by_stripe_id(remote.id))
    try:
        row = apply_remote_subscription(remote, at=utcnow())
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    if row is None:  # cannot happen: the customer is ours and, under the lock, had no running subscription
        raise BillingError(_l("The payment provider refused the request. Nothing was charged; please contact us."))
    record_changes(before, row, actor=user, ip=ip)
    sync_invoices(user, customer)
    return row


def _live_or_refuse(user: User) -> Subscription:
    require_billing(user)
    subscription = live_subscription(user)
    if subscription is None:
        raise BillingError(_l("You have no subscription. Choose a plan first."))
    return subscription


def cancel_at_period_end(user: User, *, ip: str | None) -> Subscription:
    """Stop renewing: Pro stays until the end of the period already paid for."""
    subscription = _live_or_refuse(user)
    if subscription.cancel_at_period_end:
        return subscription
    try:
        data = gateway.set_cancel_at_period_end(subscription.stripe_subscription_id, True)
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    return apply_and_record(user, subscription, data, ip=ip)


def resume(user: User, *, ip: str | None) -> Subscription:
    """Take back a cancellation before the period ends: the subscription renews as before."""
    subscription = _live_or_refuse(user)
    if not subscription.cancel_at_period_end:
        return subscription
    try:
        data = gateway.set_cancel_at_period_end(subscription.stripe_subscription_id, False)
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    return apply_and_record(user, subscription, data, ip=ip)


def change_plan(user: User, *, price_key: str, ip: str | None) -> Subscription:
    """Switch between monthly and yearly; Stripe prorates and bills the difference."""
    subscription = _live_or_refuse(user)
    price = price_by_key(price_key)
    if price is None:
        raise BillingError(_l("Choose the monthly or the yearly plan."))
    if price.stripe_plan_id == subscription.stripe_plan_id:
        raise BillingError(_l("You are already on this plan."))
    try:
        current = RemoteSubscription.from_stripe(gateway.retrieve_subscription(subscription.stripe_subscription_id))
        if current.item_id is None:
            raise BillingError(_l("The payment provider refused the request. Nothing was charged; please contact us."))
        data = gateway.change_subscription_plan(
            subscription.stripe_subscription_id, item_id=current.item_id, plan_id=price.stripe_plan_id
        )
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    row = apply_and_record(user, subscription, data, ip=ip)
    customer = customer_of_user(user.id)
    if customer is not None:
        sync_invoices(user, customer)
    return row


def sync_plans() -> list[str]:
    """Create the Pro product and its monthly and yearly plans at Stripe unless they exist; say what was done.

    A plan's amount cannot change at Stripe: a plan that exists with another amount is reported, not changed.
    """
    if not billing_enabled():
        raise BillingOff(_l("Billing is not set up on this server: everyone is on the Free plan."))
    config = current_app.config
    report: list[str] = []
    product_id = config["STRIPE_PRODUCT_ID"]
    if gateway.retrieve_product(product_id) is None:
        gateway.create_product(product_id=product_id, name="Dealflow Pro")
        report.append(f"product {product_id}: created")
    else:
        report.append(f"product {product_id}: already there")
    for price in prices():
        found = gateway.retrieve_plan(price.stripe_plan_id)
        if found is None:
            gateway.create_plan(
                plan_id=price.stripe_plan_id,
                product_id=product_id,
                amount_cents=price.amount_cents,
                currency=price.currency,
                interval=price.interval.value,
            )
            amount = f"{price.amount_cents} {price.currency}/{price.interval}"
            report.append(f"plan {price.stripe_plan_id}: created ({amount})")
            continue
        same = (
            int(found.get("amount") or 0) == price.amount_cents
            and found.get("currency") == price.currency
            and found.get("interval") == price.interval.value
        )
        if same:
            report.append(f"plan {price.stripe_plan_id}: already there")
        else:
            raise BillingError(
                f"plan {price.stripe_plan_id} exists at Stripe with {found.get('amount')} {found.get('currency')}"
                f"/{found.get('interval')}, not {price.amount_cents} {price.currency}/{price.interval}: "
                "Stripe plans cannot change their price, so give the new price a new plan id in the settings"
            )
    return report
