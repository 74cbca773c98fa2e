"""Stripe's webhooks: each verified event applied once, in any order, to our mirror of subscriptions and invoices.

Events can come late, twice or out of order. Each event id is recorded once (a replay is a no-op). An
event no newer than the state we hold (Subscription.state_at) is not trusted as it is: the subscription, and
for invoice events the invoice, are read from Stripe again and that is what is kept. A paid invoice is never
made open again. Calls to Stripe made here have a short timeout and no retries (gateway.answering_webhook):
when Stripe cannot be asked the endpoint answers 503 and Stripe delivers the event again later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from dealflow import audit
from dealflow.billing import cards, errors, gateway, mirror, plans
from dealflow.billing.gateway import StripeData
from dealflow.billing.mirror import STRIPE_ACTOR, RemoteSubscription, Snapshot
from dealflow.extensions import db
from dealflow.models import StripeEvent, Subscription, SubscriptionStatus, User, utcnow
from dealflow.notifications import services as notifications

log = logging.getLogger(__name__)

Handler = Callable[[StripeData, datetime, str], None]


def _unavailable(exc: gateway.GatewayError) -> errors.BillingUnavailable:
    return errors.BillingUnavailable(str(exc))


def _first_delivery(event_id: str, event_type: str) -> bool:
    """Record the event id; False when it was recorded before (a replay, or Stripe retrying a delivered one)."""
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event_id, type=event_type))
    except IntegrityError:
        return False
    return True


def _read_subscription(subscription_id: str, event_id: str) -> RemoteSubscription | None:
    """The subscription as Stripe has it now; None when Stripe no longer has it."""
    try:
        return RemoteSubscription.from_stripe(gateway.retrieve_subscription(subscription_id))
    except gateway.NotFoundAtStripe:
        log.warning("Stale event %s for %s, which Stripe no longer has: kept our state", event_id, subscription_id)
        return None
    except gateway.GatewayError as exc:
        raise _unavailable(exc) from exc


def _apply(remote: RemoteSubscription, at: datetime, event_id: str) -> Subscription | None:
    before = Snapshot.of(mirror.subscription_by_stripe_id(remote.id))
    try:
        applied = mirror.apply_remote_subscription(remote, at=at)
    except gateway.GatewayError as exc:
        raise _unavailable(exc) from exc
    if applied is not None:
        mirror.record_changes(before, applied, actor=None, event_id=event_id)
    return applied


def _refresh_from_stripe(row: Subscription, event_id: str) -> None:
    """An event no newer than our state: keep what Stripe says now instead of what the event said then."""
    remote = _read_subscription(row.stripe_subscription_id, event_id)
    if remote is not None:
        _apply(remote, max(utcnow(), row.state_at), event_id)


def _on_subscription(obj: StripeData, at: datetime, event_id: str) -> None:
    remote = RemoteSubscription.from_stripe(obj)
    row = mirror.subscription_by_stripe_id(remote.id)
    if row is not None and at <= row.state_at:
        # No newer than what we hold: the event may be stale, so ask Stripe what is true now.
        _refresh_from_stripe(row, event_id)
        return
    _apply(remote, at, event_id)


def _invoice_owner(obj: StripeData) -> int | None:
    customer = mirror.customer_by_stripe_id(mirror.stripe_id(obj.get("customer")))
    return customer.user_id if customer else None


def _refresh_invoice(obj: StripeData, user_id: int, event_id: str) -> None:
    """Mirror the invoice as Stripe has it now, not as an event no newer than our state described it."""
    try:
        mirror.upsert_invoice(gateway.retrieve_invoice(str(obj["id"])), user_id=user_id)
    except gateway.NotFoundAtStripe:
        log.warning("Stale event %s for invoice %s, which Stripe no longer has", event_id, obj.get("id"))
    except gateway.GatewayError as exc:
        raise _unavailable(exc) from exc


def _on_invoice_paid(obj: StripeData, at: datetime, event_id: str) -> None:
    user_id = _invoice_owner(obj)
    if user_id is None:
        return
    # A paid invoice stays paid, so the invoice itself is safe to keep whatever the order of events.
    mirror.upsert_invoice({**obj, "status": "paid"}, user_id=user_id, at=at)
    row = mirror.subscription_by_stripe_id(mirror.subscription_id_of_invoice(obj))
    if row is None:
        return
    if at <= row.state_at:
        # An older payment than the state we hold (a later renewal may have failed since): ask Stripe.
        _refresh_from_stripe(row, event_id)
        return
    before = Snapshot.of(row)
    if row.status in plans.BEHIND_STATUSES:
        row.status = SubscriptionStatus.ACTIVE
        row.past_due_since = row.grace_until = None
    # The payment is news about the subscription: an older failure arriving later must not undo it.
    row.state_at = at
    db.session.flush()
    mirror.record_changes(before, row, actor=None, event_id=event_id)


def _on_invoice_payment_failed(obj: StripeData, at: datetime, event_id: str) -> None:
    user_id = _invoice_owner(obj)
    if user_id is None:
        return
    invoice_id = mirror.stripe_id(obj.get("id"))
    held = mirror.invoice_by_stripe_id(invoice_id)
    row = mirror.subscription_by_stripe_id(mirror.subscription_id_of_invoice(obj))
    if (held is not None and held.status == "paid") or (row is not None and at <= row.state_at):
        # No newer than what we hold, or about an invoice paid since: the failure may be over, so keep what
        # Stripe says now of the invoice and the subscription, not what the event said then.
        _refresh_invoice(obj, user_id, event_id)
        if row is not None:
            _refresh_from_stripe(row, event_id)
    else:
        mirror.upsert_invoice(obj, user_id=user_id, at=at)
        if row is not None and row.status in (*plans.PRO_STATUSES, SubscriptionStatus.PAST_DUE):
            row.status = SubscriptionStatus.PAST_DUE
            mirror.start_grace(row, at)
            # The failure is news about the subscription too: an older "active" arriving later must not undo it.
            row.state_at = max(row.state_at, at)
    # That the attempt failed stays true in any order: the invoice and the audit log keep it.
    invoice = mirror.invoice_by_stripe_id(invoice_id)
    if invoice is not None and (invoice.payment_failed_at is None or invoice.payment_failed_at < at):
        invoice.payment_failed_at = at
    db.session.flush()
    owner = db.session.get(User, user_id)
    if owner is not None and invoice_id and (invoice is None or invoice.status != "paid"):
        notifications.tell_investor_of_failed_payment(
            owner,
            invoice_id,
            amount_cents=obj.get("amount_due"),
            currency=obj.get("currency"),
            grace_until=row.grace_until if row is not None else None,
        )
    audit.record(
        "billing.payment_failed",
        actor=None,
        actor_email=STRIPE_ACTOR,
        target=row,
        details={
            "user_id": user_id,
            "stripe_invoice_id": obj.get("id"),
            "amount_due": obj.get("amount_due"),
            "currency": obj.get("currency"),
            "attempt_count": obj.get("attempt_count"),
            "grace_until": row.grace_until.isoformat() if row is not None and row.grace_until else None,
            "stripe_event": event_id,
        },
    )


def _on_setup_intent_succeeded(obj: StripeData, at: datetime, event_id: str) -> None:
    """A card confirmed in Stripe.js becomes the default even if the browser never came back to us."""
    customer = mirror.customer_by_stripe_id(mirror.stripe_id(obj.get("customer")))
    payment_method_id = mirror.stripe_id(obj.get("payment_method"))
    if customer is None or payment_method_id is None or customer.default_payment_method_id == payment_method_id:
        return
    try:
        cards.make_default_card(customer, payment_method_id)
    except gateway.NotFoundAtStripe:
        log.warning("Event %s names payment method %s, which Stripe does not have", event_id, payment_method_id)
    except gateway.GatewayError as exc:
        raise _unavailable(exc) from exc


HANDLERS: dict[str, Handler] = {
    "customer.subscription.created": _on_subscription,
    "customer.subscription.updated": _on_subscription,
    "customer.subscription.deleted": _on_subscription,
    "invoice.paid": _on_invoice_paid,
    "invoice.payment_succeeded": _on_invoice_paid,  # what older API versions (and localstripe) send
    "invoice.payment_failed": _on_invoice_payment_failed,
    "setup_intent.succeeded": _on_setup_intent_succeeded,
}


def process_event(event: StripeData) -> str:
    """Apply one verified event once: 'applied', 'duplicate' or 'ignored' (a type we do not act on).

    Raises BillingUnavailable when Stripe must be asked and does not answer: the caller rolls back and
    answers 503, so Stripe delivers the event again later.
    """
    event_id = str(event.get("id") or "")
    event_type = str(event.get("type") or "")
    if not event_id:
        return "ignored"
    if not _first_delivery(event_id, event_type):
        return "duplicate"
    handler = HANDLERS.get(event_type)
    obj = event["data"].get("object")
    if handler is None or not isinstance(obj, dict):
        return "ignored"
    created = event.get("created")
    at = datetime.fromtimestamp(int(created), UTC) if created else utcnow()
    with gateway.answering_webhook():
        handler(obj, at, event_id)
    return "applied"
