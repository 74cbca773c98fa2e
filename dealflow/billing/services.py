"""Plans and their limits, and subscribing, changing, cancelling and resuming: the billing rules.

Founders never pay; investors are on Free unless a Stripe subscription says Pro. With no STRIPE_SECRET_KEY
billing is off and everyone is on Free. The web pages, the webhooks and the other areas' services (intro
requests, saved-search alerts, the bookmarks export) all ask this module, never Stripe or the tables directly.
"""

from __future__ import annotations

import enum
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from dealflow import audit
from dealflow.billing import gateway
from dealflow.billing.gateway import StripeData
from dealflow.extensions import db
from dealflow.models import (
    ENDED_STATUSES,
    BillingCustomer,
    BillingInterval,
    BillingInvoice,
    Role,
    Subscription,
    SubscriptionStatus,
    User,
    utcnow,
)
from dealflow.models.billing import LIVE_STATUSES

log = logging.getLogger(__name__)

STRIPE_ACTOR = "Stripe"  # who the audit log names for changes that came by webhook
PRO_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
# LIVE_STATUSES (active, trialing, past_due, unpaid, paused): the running subscription, at most one per user.
# Behind on payment: Stripe keeps an invoice open; paying it with a new card makes the subscription active again.
BEHIND_STATUSES = (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)
FINAL_INVOICE_STATUSES = ("paid", "void")  # Stripe never reopens these


class Feature(enum.StrEnum):
    INTRO_REQUESTS = "intro_requests"
    SAVED_SEARCH_ALERTS = "saved_search_alerts"
    BOOKMARKS_CSV = "bookmarks_csv"


@dataclass(frozen=True)
class Plan:
    """What an investor may do; the numbers that come from settings are read where they are used."""

    code: str
    name: LazyString
    unlimited_intro_requests: bool
    features: frozenset[Feature]

    @property
    def is_paid(self) -> bool:
        return self.code != "free"

    def allows(self, feature: Feature) -> bool:
        return feature in self.features


FREE = Plan("free", _l("Free"), unlimited_intro_requests=False, features=frozenset({Feature.INTRO_REQUESTS}))
PRO = Plan("pro", _l("Pro"), unlimited_intro_requests=True, features=frozenset(Feature))

FEATURE_MESSAGES: dict[Feature, LazyString] = {
    Feature.INTRO_REQUESTS: _l("You have used all %(limit)d intro requests of the Free plan this month."),
    Feature.SAVED_SEARCH_ALERTS: _l("Email alerts for saved searches are part of the Pro plan."),
    Feature.BOOKMARKS_CSV: _l("Exporting your bookmarks with notes to a spreadsheet is part of the Pro plan."),
}


@dataclass(frozen=True)
class Price:
    """One way to pay for Pro: monthly or yearly, in US cents, and the Stripe plan id that charges it."""

    key: str
    interval: BillingInterval
    stripe_plan_id: str
    amount_cents: int
    currency: str = "usd"

    @property
    def plan(self) -> Plan:
        return PRO


class BillingError(Exception):
    """A billing request was refused; message is shown to the user.

    keep: what was done before the refusal is to be committed all the same (Stripe acted on it: the card
    became the customer's default, a subscribe attempt was answered).
    """

    def __init__(self, message: LazyString | str, *, keep: bool = False) -> None:
        super().__init__(str(message))
        self.message = message
        self.keep = keep


class BillingOff(BillingError):
    """No STRIPE_SECRET_KEY: nothing can be bought."""


class BillingUnavailable(BillingError):
    """Stripe did not answer: nothing was charged or changed, the user may try again."""


class PaymentDeclined(BillingError):
    """The card was refused."""


class PlanLimitReached(Exception):
    """A plan's limit refused the request; carries what the upgrade prompt shows."""

    def __init__(
        self,
        feature: Feature,
        *,
        plan: Plan,
        limit: int | None = None,
        used: int | None = None,
        resets_on: date | None = None,
    ) -> None:
        self.feature = feature
        self.plan = plan
        self.limit = limit
        self.used = used
        self.resets_on = resets_on
        self.message: str = str(FEATURE_MESSAGES[feature]) % {"limit": limit or 0}
        super().__init__(self.message)


# ---- settings -------------------------------------------------------------------------------------------


def billing_enabled() -> bool:
    """Billing is on only when a Stripe secret key is configured."""
    return bool(current_app.config.get("STRIPE_SECRET_KEY"))


def prices() -> list[Price]:
    """The prices of Pro, from settings."""
    config = current_app.config
    return [
        Price("pro_monthly", BillingInterval.MONTH, config["STRIPE_PLAN_PRO_MONTHLY"], config["PRO_MONTHLY_USD_CENTS"]),
        Price("pro_yearly", BillingInterval.YEAR, config["STRIPE_PLAN_PRO_YEARLY"], config["PRO_YEARLY_USD_CENTS"]),
    ]


def price_by_key(key: str | None) -> Price | None:
    return next((p for p in prices() if p.key == key), None)


def price_of(subscription: Subscription) -> Price | None:
    return next((p for p in prices() if p.stripe_plan_id == subscription.stripe_plan_id), None)


def free_intro_requests_per_month() -> int:
    return int(current_app.config["FREE_INTRO_REQUESTS_PER_MONTH"])


# ---- plans and limits -----------------------------------------------------------------------------------


def current_first(entity: Any = Subscription) -> tuple[ColumnElement[Any], ...]:
    """The order that puts a user's current subscription first: live before ended, newest first."""
    return (
        case((entity.status.in_([s.value for s in ENDED_STATUSES]), 1), else_=0),
        entity.created_at.desc(),
        entity.id.desc(),
    )


def current_subscription(user_id: int) -> Subscription | None:
    """The subscription that decides the user's plan: the newest live one, else the newest ended one."""
    return db.session.scalar(
        select(Subscription).where(Subscription.user_id == user_id).order_by(*current_first()).limit(1)
    )


def grants_pro(subscription: Subscription | None, now: datetime | None = None) -> bool:
    """Active or trialing gives Pro; past due keeps it until the grace period ends."""
    if subscription is None:
        return False
    now = now or utcnow()
    status = subscription.status
    if status in PRO_STATUSES:
        # A subscription cancelled at the period end whose end has passed is over, even if the webhook is late.
        end = subscription.current_period_end
        return not (subscription.cancel_at_period_end and end is not None and end <= now)
    if status == SubscriptionStatus.PAST_DUE:
        return subscription.grace_until is not None and now < subscription.grace_until
    return False


def plan_of(user: User, now: datetime | None = None) -> Plan:
    """The investor's plan now: Pro while subscribed (or within the grace after a failed payment), else Free."""
    if not billing_enabled() or user.role != Role.INVESTOR:
        return FREE
    return plan_for(user, current_subscription(user.id), now)


def plan_for(user: User, subscription: Subscription | None, now: datetime | None = None) -> Plan:
    """plan_of for a caller that has already read the user's current subscription (one read per page)."""
    if not billing_enabled() or user.role != Role.INVESTOR:
        return FREE
    return PRO if grants_pro(subscription, now) else FREE


def require_feature(user: User, feature: Feature) -> None:
    """Raise PlanLimitReached unless the user's plan includes the feature."""
    plan = plan_of(user)
    if not plan.allows(feature):
        raise PlanLimitReached(feature, plan=plan)


def intro_month_start(now: datetime | None = None) -> datetime:
    """The start of the current calendar month in the site's time zone (Asia/Almaty), as a UTC time.

    The intro-request service counts an investor's requests made since this moment.
    """
    zone = ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = (now or utcnow()).astimezone(zone)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _next_month_start(now: datetime | None = None) -> date:
    start = intro_month_start(now).astimezone(ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"]))
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def intro_requests_left(user: User, used_this_month: int) -> int | None:
    """How many intro requests the investor may still send this calendar month; None means unlimited."""
    if plan_of(user).unlimited_intro_requests:
        return None
    return max(0, free_intro_requests_per_month() - used_this_month)


def require_intro_allowance(user: User, used_this_month: int) -> None:
    """Raise PlanLimitReached when the investor's plan allows no more intro requests this month."""
    left = intro_requests_left(user, used_this_month)
    if left is not None and left <= 0:
        raise PlanLimitReached(
            Feature.INTRO_REQUESTS,
            plan=FREE,
            limit=free_intro_requests_per_month(),
            used=used_this_month,
            resets_on=_next_month_start(),
        )


# ---- Stripe's subscriptions and invoices, as rows ------------------------------------------------------


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


def customer_of_user(user_id: int) -> BillingCustomer | None:
    return db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user_id))


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


def invoices_of(user: User, limit: int = 24) -> Sequence[BillingInvoice]:
    return db.session.scalars(
        select(BillingInvoice)
        .where(BillingInvoice.user_id == user.id)
        .order_by(BillingInvoice.issued_at.desc(), BillingInvoice.id.desc())
        .limit(limit)
    ).all()


def sync_invoices(user: User, customer: BillingCustomer) -> None:
    """Mirror the customer's recent invoices; the page still works from the mirror when Stripe is down."""
    try:
        for data in gateway.list_invoices(customer.stripe_customer_id):
            upsert_invoice(data, user_id=user.id)
    except gateway.GatewayError as exc:
        log.warning("Invoices of %s not refreshed: %s", customer.stripe_customer_id, exc)


# ---- what investors do on the billing page ---------------------------------------------------------------


def _stripe_call_failed(exc: gateway.GatewayError) -> BillingError:
    if isinstance(exc, gateway.StripeUnavailable):
        return BillingUnavailable(
            _l(
                "Our payment provider is not answering right now. "
                "Nothing was charged; please try again in a few minutes."
            )
        )
    if isinstance(exc, gateway.CardRefused):
        return PaymentDeclined(_l("Your card was declined: %(reason)s", reason=exc.message))
    return BillingError(_l("The payment provider refused the request. Nothing was charged; please contact us."))


def _require_billing(user: User) -> None:
    if not billing_enabled():
        raise BillingOff(_l("Billing is not set up on this server: everyone is on the Free plan."))
    if user.role != Role.INVESTOR:
        raise BillingError(_l("Only investors subscribe to a plan."))


def live_subscription(user: User) -> Subscription | None:
    """The user's subscription unless it has ended."""
    current = current_subscription(user.id)
    return current if current is not None and current.status in LIVE_STATUSES else None


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
        raise _stripe_call_failed(exc) from exc
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
    _require_billing(user)
    customer = ensure_customer(user)
    try:
        setup = gateway.create_setup_intent(customer_id=customer.stripe_customer_id, purpose=purpose)
    except gateway.GatewayError as exc:
        raise _stripe_call_failed(exc) from exc
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


def _use_confirmed_card(customer: BillingCustomer, setup_intent_id: str) -> None:
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
    _require_billing(user)
    price = price_by_key(price_key)
    if price is None:
        raise BillingError(_l("Choose the monthly or the yearly plan."))
    customer = locked_customer_of_user(user.id)
    if customer is None:
        raise BillingError(_l("Enter your card first."))
    if live_subscription(user) is not None:
        raise BillingError(_l("You already have a subscription: change its plan on the billing page."))
    try:
        _use_confirmed_card(customer, setup_intent_id)
    except gateway.GatewayError as exc:
        raise _stripe_call_failed(exc) from exc
    try:
        data = gateway.create_subscription(
            customer_id=customer.stripe_customer_id,
            plan_id=price.stripe_plan_id,
            user_id=user.id,
            idempotency_key=subscribe_idempotency_key(customer, price),
        )
    except gateway.StripeUnavailable as exc:
        raise _stripe_call_failed(exc) from exc  # no answer: the next attempt goes under the same key
    except gateway.GatewayError as exc:
        customer.subscribe_attempts += 1
        refused = _stripe_call_failed(exc)
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
        raise _stripe_call_failed(exc) from exc
    if row is None:  # cannot happen: the customer is ours and, under the lock, had no running subscription
        raise BillingError(_l("The payment provider refused the request. Nothing was charged; please contact us."))
    record_changes(before, row, actor=user, ip=ip)
    sync_invoices(user, customer)
    return row


def _live_or_refuse(user: User) -> Subscription:
    _require_billing(user)
    subscription = live_subscription(user)
    if subscription is None:
        raise BillingError(_l("You have no subscription. Choose a plan first."))
    return subscription


def _apply_and_record(user: User, subscription: Subscription, data: StripeData, *, ip: str | None) -> Subscription:
    before = Snapshot.of(subscription)
    row = apply_remote_subscription(RemoteSubscription.from_stripe(data), at=utcnow())
    assert row is not None  # noqa: S101 -- the row exists, so its customer is ours
    record_changes(before, row, actor=user, ip=ip)
    return row


def cancel_at_period_end(user: User, *, ip: str | None) -> Subscription:
    """Stop renewing: Pro stays until the end of the period already paid for."""
    subscription = _live_or_refuse(user)
    if subscription.cancel_at_period_end:
        return subscription
    try:
        data = gateway.set_cancel_at_period_end(subscription.stripe_subscription_id, True)
    except gateway.GatewayError as exc:
        raise _stripe_call_failed(exc) from exc
    return _apply_and_record(user, subscription, data, ip=ip)


def resume(user: User, *, ip: str | None) -> Subscription:
    """Take back a cancellation before the period ends: the subscription renews as before."""
    subscription = _live_or_refuse(user)
    if not subscription.cancel_at_period_end:
        return subscription
    try:
        data = gateway.set_cancel_at_period_end(subscription.stripe_subscription_id, False)
    except gateway.GatewayError as exc:
        raise _stripe_call_failed(exc) from exc
    return _apply_and_record(user, subscription, data, ip=ip)


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
        raise _stripe_call_failed(exc) from exc
    row = _apply_and_record(user, subscription, data, ip=ip)
    customer = customer_of_user(user.id)
    if customer is not None:
        sync_invoices(user, customer)
    return row


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
    _require_billing(user)
    customer = locked_customer_of_user(user.id)
    if customer is None:
        raise BillingError(_l("Enter your card first."))
    before = customer.card_last4
    try:
        _use_confirmed_card(customer, setup_intent_id)
    except gateway.GatewayError as exc:
        raise _stripe_call_failed(exc) from exc
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
    row = _apply_and_record(user, subscription, remote, ip=ip)
    return (Recovery.PAID if row.status in PRO_STATUSES else Recovery.NOT_TRIED), None


@dataclass(frozen=True)
class BillingSummary:
    """What the billing page shows about one investor."""

    enabled: bool
    plan: Plan
    subscription: Subscription | None
    price: Price | None
    customer: BillingCustomer | None
    invoices: Sequence[BillingInvoice]
    prices: Sequence[Price]

    @property
    def live(self) -> bool:
        """A running subscription (the one that can be changed or cancelled), as the rules here count it."""
        return self.subscription is not None and self.subscription.status in LIVE_STATUSES

    @property
    def in_grace(self) -> bool:
        sub = self.subscription
        return sub is not None and sub.status == SubscriptionStatus.PAST_DUE and self.plan.is_paid


def summary_of(user: User) -> BillingSummary:
    """Plan, status, renewal, card and invoices, from our mirror of Stripe (no call to Stripe)."""
    subscription = current_subscription(user.id) if billing_enabled() else None
    return BillingSummary(
        enabled=billing_enabled(),
        plan=plan_of(user),
        subscription=subscription,
        price=price_of(subscription) if subscription else None,
        customer=customer_of_user(user.id),
        invoices=invoices_of(user) if billing_enabled() else [],
        prices=prices(),
    )


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
