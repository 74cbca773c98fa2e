"""Our mirror of Stripe: its subscriptions and invoices as rows, kept by the billing pages and the webhooks alike.

What a plan allows is read from these rows by billing/plans.py; this module is the one that writes them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from dealflow import audit
from dealflow.billing import gateway
from dealflow.billing.gateway import StripeData
from dealflow.billing.plans import BEHIND_STATUSES, PRO, PRO_STATUSES, prices
from dealflow.extensions import db
from dealflow.models import (
    ENDED_STATUSES,
    BillingCustomer,
    BillingInterval,
    BillingInvoice,
    Subscription,
    SubscriptionStatus,
    User,
    utcnow,
)
from dealflow.models.billing import LIVE_STATUSES

log = logging.getLogger(__name__)

STRIPE_ACTOR = "Stripe"  # who the audit log names for changes that came by webhook
FINAL_INVOICE_STATUSES = ("paid", "void")  # Stripe never reopens these


def _moment(timestamp: Any) -> datetime | None:
    return datetime.fromtimestamp(int(timestamp), UTC) if timestamp else None


def stripe_id(value: Any) -> str | None:
    """An id whether Stripe sent the id or the expanded object."""
    if isinstance(value, dict):
        return str(value["id"]) if value.get("id") else None
    return str(value) if value else None


@dataclass(frozen=True)
class RemoteSubscription:
    """The parts of a Stripe subscription we keep, read from either API shape (old: period on the
    subscription and `plan`; new: period on the item and `price`)."""

    id: str
    customer_id: str
    status: str
    plan_id: str
    interval: BillingInterval
    item_id: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    ended_at: datetime | None
    user_id_hint: int | None

    @classmethod
    def from_stripe(cls, data: StripeData) -> RemoteSubscription:
        items = (data.get("items") or {}).get("data") or []
        item = items[0] if items else {}
        plan = item.get("plan") or item.get("price") or data.get("plan") or {}
        if not isinstance(plan, dict):
            plan = {"id": plan}
        plan_id = stripe_id(plan) or ""
        known = next((p for p in prices() if p.stripe_plan_id == plan_id), None)
        raw_interval = plan.get("interval") or (plan.get("recurring") or {}).get("interval")
        if known is not None:
            interval = known.interval
        else:
            interval = BillingInterval.YEAR if raw_interval == "year" else BillingInterval.MONTH
        hint = str((data.get("metadata") or {}).get("user_id") or "")
        return cls(
            id=str(data["id"]),
            customer_id=stripe_id(data.get("customer")) or "",
            status=str(data.get("status") or SubscriptionStatus.INCOMPLETE),
            plan_id=plan_id,
            interval=interval,
            item_id=stripe_id(item) if item else None,
            current_period_end=_moment(data.get("current_period_end") or item.get("current_period_end")),
            cancel_at_period_end=bool(data.get("cancel_at_period_end")),
            ended_at=_moment(data.get("ended_at")),
            user_id_hint=int(hint) if hint.isdigit() else None,
        )


@dataclass(frozen=True)
class Snapshot:
    """What a subscription looked like before a change, to tell the audit log what changed."""

    status: str
    plan_id: str
    cancel_at_period_end: bool

    @classmethod
    def of(cls, subscription: Subscription | None) -> Snapshot | None:
        if subscription is None:
            return None
        return cls(subscription.status, subscription.stripe_plan_id, subscription.cancel_at_period_end)


def customer_by_stripe_id(customer_id: str | None) -> BillingCustomer | None:
    if not customer_id:
        return None
    return db.session.scalar(select(BillingCustomer).where(BillingCustomer.stripe_customer_id == customer_id))


def subscription_by_stripe_id(subscription_id: str | None) -> Subscription | None:
    if not subscription_id:
        return None
    return db.session.scalar(select(Subscription).where(Subscription.stripe_subscription_id == subscription_id))


def start_grace(subscription: Subscription, at: datetime) -> None:
    if subscription.past_due_since is None:
        subscription.past_due_since = at
        subscription.grace_until = at + timedelta(days=int(current_app.config["BILLING_GRACE_DAYS"]))


def _other_live_subscription(user_id: int, subscription_id: str) -> Subscription | None:
    return db.session.scalar(
        select(Subscription)
        .where(
            Subscription.user_id == user_id,
            Subscription.stripe_subscription_id != subscription_id,
            Subscription.status.in_([s.value for s in LIVE_STATUSES]),
        )
        .limit(1)
    )


def _room_for_live(user_id: int, remote: RemoteSubscription) -> bool:
    """Whether `remote` may be kept as the user's running subscription: a user has one at most.

    Another one held as running is read from Stripe first (its end may not have reached us yet). Two that
    really run at Stripe mean the investor is charged twice: that is logged for a person to sort out, and the
    newcomer is not kept. Raises GatewayError when Stripe must be asked and cannot be.
    """
    other = _other_live_subscription(user_id, remote.id)
    if other is None:
        return True
    try:
        fresh = RemoteSubscription.from_stripe(gateway.retrieve_subscription(other.stripe_subscription_id))
    except gateway.NotFoundAtStripe:
        fresh = None
    if fresh is not None:
        before = Snapshot.of(other)
        apply_remote_subscription(fresh, at=max(utcnow(), other.state_at))
        record_changes(before, other, actor=None)
        if other.status not in LIVE_STATUSES:
            return True
    log.error(
        "User %s has two running Stripe subscriptions, %s and %s: the second is not kept; cancel one at Stripe",
        user_id,
        other.stripe_subscription_id,
        remote.id,
    )
    return False


def apply_remote_subscription(remote: RemoteSubscription, *, at: datetime) -> Subscription | None:
    """Make our row say what Stripe said at `at`; a subscription of a customer we do not know is ignored, and so
    is a second running subscription of a user who has one (see _room_for_live).

    Raises GatewayError only when that rule needs Stripe and Stripe cannot be asked.
    """
    row = subscription_by_stripe_id(remote.id)
    becomes_live = remote.status in LIVE_STATUSES and (row is None or row.status not in LIVE_STATUSES)
    if row is None:
        customer = customer_by_stripe_id(remote.customer_id)
        if customer is None:
            log.warning("Stripe subscription %s belongs to no customer of ours: ignored", remote.id)
            return None
        if becomes_live and not _room_for_live(customer.user_id, remote):
            return None
        row = Subscription(
            user_id=customer.user_id,
            stripe_subscription_id=remote.id,
            stripe_customer_id=remote.customer_id,
            stripe_plan_id=remote.plan_id,
            interval=remote.interval,
            status=remote.status,
            state_at=at,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # the webhook and the page that subscribed made it at the same moment
            found = subscription_by_stripe_id(remote.id)
            if found is None:  # not that: another running subscription of the user was kept meanwhile
                log.error("User %s already has a running subscription: %s not kept", customer.user_id, remote.id)
                return None
            row = found
    elif becomes_live and not _room_for_live(row.user_id, remote):
        return None
    row.stripe_customer_id = remote.customer_id
    row.stripe_plan_id = remote.plan_id or row.stripe_plan_id
    row.plan = PRO.code
    row.interval = remote.interval
    row.status = remote.status
    row.current_period_end = remote.current_period_end or row.current_period_end
    row.cancel_at_period_end = remote.cancel_at_period_end
    row.ended_at = remote.ended_at
    if remote.status == SubscriptionStatus.PAST_DUE:
        start_grace(row, at)
    else:
        row.past_due_since = row.grace_until = None
    row.state_at = at
    db.session.flush()
    return row


def record_changes(
    before: Snapshot | None,
    row: Subscription,
    *,
    actor: User | None,
    ip: str | None = None,
    event_id: str | None = None,
) -> None:
    """One audit entry per change a person would name: subscribed, plan changed, cancelled, resumed, ended."""
    details: dict[str, Any] = {"user_id": row.user_id, "stripe_subscription_id": row.stripe_subscription_id}
    if event_id:
        details["stripe_event"] = event_id

    def record(action: str, **extra: Any) -> None:
        audit.record(
            action,
            actor=actor,
            actor_email=None if actor else STRIPE_ACTOR,
            target=row,
            details={**details, **extra},
            ip=ip,
        )

    was_live = before is not None and before.status in LIVE_STATUSES
    if not was_live and row.status in PRO_STATUSES:
        record("billing.subscribed", plan=row.plan, interval=row.interval.value, stripe_plan_id=row.stripe_plan_id)
        return
    if before is None:
        return
    if before.plan_id != row.stripe_plan_id and not row.is_ended:
        record("billing.plan_changed", stripe_plan_from=before.plan_id, stripe_plan_to=row.stripe_plan_id)
    if not before.cancel_at_period_end and row.cancel_at_period_end and not row.is_ended:
        ends = row.current_period_end.isoformat() if row.current_period_end else None
        record("billing.canceled", ends_at=ends)
    if before.cancel_at_period_end and not row.cancel_at_period_end and not row.is_ended:
        record("billing.resumed")
    if before.status in BEHIND_STATUSES and row.status in PRO_STATUSES:
        record("billing.payment_recovered")
    if before.status not in ENDED_STATUSES and row.is_ended:
        record("billing.ended", status=row.status)


def apply_and_record(user: User, subscription: Subscription, data: StripeData, *, ip: str | None) -> Subscription:
    before = Snapshot.of(subscription)
    row = apply_remote_subscription(RemoteSubscription.from_stripe(data), at=utcnow())
    assert row is not None  # noqa: S101 -- the row exists, so its customer is ours
    record_changes(before, row, actor=user, ip=ip)
    return row


def upsert_invoice(data: StripeData, *, user_id: int, at: datetime | None = None) -> BillingInvoice | None:
    """Mirror one Stripe invoice; drafts and previews without an id are not kept."""
    invoice_id = data.get("id")
    if not invoice_id or data.get("status") == "draft":
        return None
    row = invoice_by_stripe_id(str(invoice_id))
    if row is None:
        row = BillingInvoice(user_id=user_id, stripe_invoice_id=str(invoice_id))
        try:
            with db.session.begin_nested():
                _fill_invoice(row, data)
                db.session.add(row)
        except IntegrityError:
            row = invoice_by_stripe_id(str(invoice_id))
            if row is None:
                raise
    held_status, held_paid = row.status, row.amount_paid
    _fill_invoice(row, data)
    if held_status in FINAL_INVOICE_STATUSES and row.status != held_status:
        # Stripe never reopens a paid or voided invoice: what says otherwise is an older copy of it.
        row.status, row.amount_paid = held_status, held_paid
    if row.status == "paid" and row.paid_at is None:
        paid = _moment((data.get("status_transitions") or {}).get("paid_at"))
        row.paid_at = paid or at or utcnow()
    db.session.flush()
    return row


def invoice_by_stripe_id(invoice_id: str | None) -> BillingInvoice | None:
    if not invoice_id:
        return None
    return db.session.scalar(select(BillingInvoice).where(BillingInvoice.stripe_invoice_id == invoice_id))


def subscription_id_of_invoice(data: StripeData) -> str | None:
    """The subscription an invoice bills, in the old shape (`subscription`) or the new (`parent`)."""
    direct = stripe_id(data.get("subscription"))
    if direct:
        return direct
    details = ((data.get("parent") or {}).get("subscription_details")) or {}
    return stripe_id(details.get("subscription"))


def _fill_invoice(row: BillingInvoice, data: StripeData) -> None:
    row.stripe_subscription_id = subscription_id_of_invoice(data)
    row.number = data.get("number")
    row.status = str(data.get("status") or "open")
    row.currency = str(data.get("currency") or "usd")[:3]
    row.amount_due = int(data.get("amount_due") or data.get("total") or 0)
    row.amount_paid = int(data.get("amount_paid") or 0)
    row.period_start = _moment(data.get("period_start"))
    row.period_end = _moment(data.get("period_end"))
    row.issued_at = _moment(data.get("created") or data.get("date")) or utcnow()
    row.hosted_invoice_url = data.get("hosted_invoice_url")


def sync_invoices(user: User, customer: BillingCustomer) -> None:
    """Mirror the customer's recent invoices; the page still works from the mirror when Stripe is down."""
    try:
        for data in gateway.list_invoices(customer.stripe_customer_id):
            upsert_invoice(data, user_id=user.id)
    except gateway.GatewayError as exc:
        log.warning("Invoices of %s not refreshed: %s", customer.stripe_customer_id, exc)
