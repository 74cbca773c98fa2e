"""Stripe's webhooks: each verified event applied once, in any order, to our mirror of subscriptions and invoices.

Events can come late, twice or out of order. Each event id is recorded once (a replay is a no-op). A
subscription event no newer than the state we hold is not trusted as it is: the subscription is read from
Stripe again and that is what is kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.exc import IntegrityError

from dealflow import audit
from dealflow.billing import gateway, services
from dealflow.billing.gateway import StripeData
from dealflow.billing.services import STRIPE_ACTOR, RemoteSubscription, Snapshot
from dealflow.extensions import db
from dealflow.models import StripeEvent, SubscriptionStatus, utcnow

log = logging.getLogger(__name__)

Handler = Callable[[StripeData, datetime, str], None]


def _unavailable(exc: gateway.GatewayError) -> services.BillingUnavailable:
    return services.BillingUnavailable(str(exc))


def _first_delivery(event_id: str, event_type: str) -> bool:
    """Record the event id; False when it was recorded before (a replay, or Stripe retrying a delivered one)."""
    try:
        with db.session.begin_nested():
            db.session.add(StripeEvent(id=event_id, type=event_type))
    except IntegrityError:
        return False
    return True


def _on_subscription(obj: StripeData, at: datetime, event_id: str) -> None:
    remote = RemoteSubscription.from_stripe(obj)
    row = services.subscription_by_stripe_id(remote.id)
    if row is not None and at <= row.state_at:
        # No newer than what we hold: the event may be stale, so ask Stripe what is true now.
        try:
            remote = RemoteSubscription.from_stripe(gateway.retrieve_subscription(remote.id))
        except gateway.NotFoundAtStripe:
            log.warning("Stale event %s for %s, which Stripe no longer has: kept our state", event_id, remote.id)
            return
        except gateway.GatewayError as exc:
            raise _unavailable(exc) from exc
        at = max(utcnow(), row.state_at)
    before = Snapshot.of(row)
    applied = services.apply_remote_subscription(remote, at=at)
    if applied is not None:
        services.record_changes(before, applied, actor=None, event_id=event_id)


def _invoice_owner(obj: StripeData) -> int | None:
    customer = services.customer_by_stripe_id(services.stripe_id(obj.get("customer")))
    return customer.user_id if customer else None


def _on_invoice_paid(obj: StripeData, at: datetime, event_id: str) -> None:
    user_id = _invoice_owner(obj)
    if user_id is None:
        return
    services.upsert_invoice({**obj, "status": "paid"}, user_id=user_id, at=at)
    row = services.subscription_by_stripe_id(services.subscription_id_of_invoice(obj))
    if row is not None and row.status == SubscriptionStatus.PAST_DUE:
        before = Snapshot.of(row)
        row.status = SubscriptionStatus.ACTIVE
        row.past_due_since = row.grace_until = None
        row.state_at = max(row.state_at, at)
        db.session.flush()
        services.record_changes(before, row, actor=None, event_id=event_id)


def _on_invoice_payment_failed(obj: StripeData, at: datetime, event_id: str) -> None:
    user_id = _invoice_owner(obj)
    if user_id is None:
        return
    invoice = services.upsert_invoice(obj, user_id=user_id, at=at)
    if invoice is not None:
        invoice.payment_failed_at = at
    row = services.subscription_by_stripe_id(services.subscription_id_of_invoice(obj))
    if row is not None and row.status in (*services.PRO_STATUSES, SubscriptionStatus.PAST_DUE):
        row.status = SubscriptionStatus.PAST_DUE
        services.start_grace(row, at)
        # The failure is news about the subscription too: an older "active" arriving later must not undo it.
        row.state_at = max(row.state_at, at)
    db.session.flush()
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
    customer = services.customer_by_stripe_id(services.stripe_id(obj.get("customer")))
    payment_method_id = services.stripe_id(obj.get("payment_method"))
    if customer is None or payment_method_id is None or customer.default_payment_method_id == payment_method_id:
        return
    try:
        services.make_default_card(customer, payment_method_id)
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
    handler(obj, at, event_id)
    return "applied"
