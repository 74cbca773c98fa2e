"""The investor's card: the Stripe customer it belongs to, setting it up in Stripe.js, and changing it.

A changed card also pays what failed: the open invoices of a subscription behind on payment.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dealflow import audit
from dealflow.billing import gateway
from dealflow.billing.errors import BillingError, require_billing, stripe_call_failed
from dealflow.billing.gateway import StripeData
from dealflow.billing.mirror import apply_and_record, stripe_id, subscription_id_of_invoice, upsert_invoice
from dealflow.billing.plans import BEHIND_STATUSES, PRO_STATUSES, live_subscription
from dealflow.billing.queries import customer_of_user
from dealflow.extensions import db
from dealflow.models import BillingCustomer, Subscription, User

log = logging.getLogger(__name__)


def customer_idempotency_key(user: User) -> str:
    """The key that makes the user's Stripe customer once, even when our record of it is lost (a rollback, a
    crash before the commit, two requests at once): Stripe answers it again with the customer it made first.

    It names what is sent (Stripe refuses a key that comes back with other parameters) and when the account
    was made (the same user id in another database, e.g. of another install on a shared test account, is
    someone else).
    """
    made = f"{int(user.created_at.timestamp()) if user.created_at else ''}\n{user.email}\n{user.name}"
    return f"dealflow-customer-{user.id}-{hashlib.sha256(made.encode()).hexdigest()[:24]}"


def ensure_customer(user: User) -> BillingCustomer:
    """The user's Stripe customer, created at Stripe the first time and only then."""
    customer = customer_of_user(user.id)
    if customer is not None:
        return customer
    try:
        data = gateway.create_customer(
            email=user.email, name=user.name, user_id=user.id, idempotency_key=customer_idempotency_key(user)
        )
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    customer = BillingCustomer(user_id=user.id, stripe_customer_id=str(data["id"]))
    try:
        with db.session.begin_nested():
            db.session.add(customer)
    except IntegrityError:  # a parallel request made it first (Stripe's idempotency gave both the same one)
        found = customer_of_user(user.id)
        if found is None:
            raise
        return found
    return customer


def start_card_setup(user: User, *, purpose: str) -> str:
    """A SetupIntent for the user's customer: its client secret lets Stripe.js collect the card."""
    require_billing(user)
    customer = ensure_customer(user)
    try:
        setup = gateway.create_setup_intent(customer_id=customer.stripe_customer_id, purpose=purpose)
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    return str(setup["client_secret"])


def remember_card(customer: BillingCustomer, payment_method: StripeData) -> None:
    card = payment_method.get("card") or {}
    customer.default_payment_method_id = str(payment_method["id"])
    customer.card_brand = str(card["brand"])[:20] if card.get("brand") else None
    customer.card_last4 = str(card["last4"])[-4:] if card.get("last4") else None
    customer.card_exp_month = int(card["exp_month"]) if card.get("exp_month") else None
    customer.card_exp_year = int(card["exp_year"]) if card.get("exp_year") else None
    db.session.flush()


def make_default_card(customer: BillingCustomer, payment_method_id: str) -> None:
    """Attach the card to the customer if Stripe has not yet, make it the one invoices charge, remember it."""
    payment_method = gateway.retrieve_payment_method(payment_method_id)
    if stripe_id(payment_method.get("customer")) != customer.stripe_customer_id:
        payment_method = gateway.attach_payment_method(payment_method_id, customer_id=customer.stripe_customer_id)
    if customer.default_payment_method_id != payment_method_id:
        gateway.set_default_payment_method(customer.stripe_customer_id, payment_method_id)
    remember_card(customer, payment_method)


def use_confirmed_card(customer: BillingCustomer, setup_intent_id: str) -> None:
    """The card Stripe.js confirmed in this SetupIntent becomes the customer's default card."""
    setup = gateway.retrieve_setup_intent(setup_intent_id)
    if stripe_id(setup.get("customer")) != customer.stripe_customer_id:
        raise BillingError(_l("This card was not set up for your account. Enter it again."))
    if setup.get("status") != "succeeded" or not setup.get("payment_method"):
        raise BillingError(_l("The card is not confirmed yet. Enter it again."))
    make_default_card(customer, stripe_id(setup["payment_method"]) or "")


def locked_customer_of_user(user_id: int) -> BillingCustomer | None:
    """The user's Stripe customer, locked until the transaction ends: one subscribe or card change at a time.

    PostgreSQL locks the row (SELECT … FOR UPDATE); SQLite ignores that clause, but there every request that
    writes already holds the database's write lock from its first statement (BEGIN IMMEDIATE, see
    dealflow/database.py). Either way what is read after this is what the other request committed.
    """
    return db.session.scalar(
        select(BillingCustomer)
        .where(BillingCustomer.user_id == user_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class Recovery(enum.StrEnum):
    """What became of a failed payment when the card was changed."""

    NOTHING_DUE = "nothing_due"  # the subscription was not behind on payment
    PAID = "paid"  # the open invoice is paid with the new card: the subscription is active again
    DECLINED = "declined"  # the new card was declined too
    NOT_TRIED = "not_tried"  # Stripe could not be asked, or did not make the subscription active: try again


@dataclass(frozen=True)
class CardChange:
    customer: BillingCustomer
    recovery: Recovery
    reason: str | None = None  # the bank's reason for a decline, when Stripe gives one


def change_card(user: User, *, setup_intent_id: str, ip: str | None) -> CardChange:
    """Make the card just confirmed in Stripe.js the one invoices charge; if a payment failed, pay it with it."""
    require_billing(user)
    customer = locked_customer_of_user(user.id)
    if customer is None:
        raise BillingError(_l("Enter your card first."))
    before = customer.card_last4
    try:
        use_confirmed_card(customer, setup_intent_id)
    except gateway.GatewayError as exc:
        raise stripe_call_failed(exc) from exc
    audit.record(
        "billing.card_changed",
        actor=user,
        target=customer,
        details={"user_id": user.id, "last4_from": before, "last4_to": customer.card_last4},
        ip=ip,
    )
    subscription = live_subscription(user)
    if subscription is None or subscription.status not in BEHIND_STATUSES:
        return CardChange(customer, Recovery.NOTHING_DUE)
    recovery, reason = _pay_what_failed(user, customer, subscription, ip=ip)
    return CardChange(customer, recovery, reason)


def _pay_what_failed(
    user: User, customer: BillingCustomer, subscription: Subscription, *, ip: str | None
) -> tuple[Recovery, str | None]:
    """Pay the subscription's open invoices, oldest first, with the customer's (new) default card; then keep
    what Stripe says of the subscription (active again once they are paid)."""
    try:
        due = sorted(
            (
                data
                for data in gateway.list_invoices(customer.stripe_customer_id)
                if data.get("status") == "open"
                and subscription_id_of_invoice(data) == subscription.stripe_subscription_id
            ),
            key=lambda data: int(data.get("created") or data.get("date") or 0),
        )
        for data in due:
            try:
                paid = gateway.pay_invoice(str(data["id"]))
            except gateway.CardRefused as exc:
                log.info("Invoice %s declined again with the new card: %s", data["id"], exc.message)
                return Recovery.DECLINED, exc.message or None
            upsert_invoice(paid, user_id=user.id)
            if paid.get("status") != "paid":  # some servers answer with the invoice still open, not with 402
                return Recovery.DECLINED, None
        remote = gateway.retrieve_subscription(subscription.stripe_subscription_id)
    except gateway.GatewayError as exc:
        log.warning("Failed payment of %s not retried with the new card: %s", subscription.stripe_subscription_id, exc)
        return Recovery.NOT_TRIED, None
    row = apply_and_record(user, subscription, remote, ip=ip)
    return (Recovery.PAID if row.status in PRO_STATUSES else Recovery.NOT_TRIED), None
