"""Reads of our mirror of Stripe: the investor's billing page, and the administrators' (who is on which plan,
and whose payments failed). No call to Stripe."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import and_, func, not_, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql.elements import ColumnElement

from dealflow.billing import plans
from dealflow.extensions import db
from dealflow.models import BillingCustomer, BillingInvoice, Role, Subscription, SubscriptionStatus, User, utcnow
from dealflow.models.billing import LIVE_STATUSES

PLAN_FILTERS = ("pro", "free", "past_due", "canceling")


def customer_of_user(user_id: int) -> BillingCustomer | None:
    return db.session.scalar(select(BillingCustomer).where(BillingCustomer.user_id == user_id))


def invoices_of(user: User, limit: int = 24) -> Sequence[BillingInvoice]:
    return db.session.scalars(
        select(BillingInvoice)
        .where(BillingInvoice.user_id == user.id)
        .order_by(BillingInvoice.issued_at.desc(), BillingInvoice.id.desc())
        .limit(limit)
    ).all()


@dataclass(frozen=True)
class BillingSummary:
    """What the billing page shows about one investor."""

    enabled: bool
    plan: plans.Plan
    subscription: Subscription | None
    price: plans.Price | None
    customer: BillingCustomer | None
    invoices: Sequence[BillingInvoice]
    prices: Sequence[plans.Price]

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
    subscription = plans.current_subscription(user.id) if plans.billing_enabled() else None
    return BillingSummary(
        enabled=plans.billing_enabled(),
        plan=plans.plan_of(user),
        subscription=subscription,
        price=plans.price_of(subscription) if subscription else None,
        customer=customer_of_user(user.id),
        invoices=invoices_of(user) if plans.billing_enabled() else [],
        prices=plans.prices(),
    )


@dataclass(frozen=True)
class InvestorBilling:
    """One row of the admins' billing table."""

    user: User
    subscription: Subscription | None
    plan: plans.Plan
    failed_payments: int
    last_failed_at: datetime | None
    card_last4: str | None


@dataclass(frozen=True)
class BillingTotals:
    pro: int
    past_due: int
    canceling: int


def _latest_subscription_id(user_id: Any) -> Any:
    """The id of the subscription that decides a user's plan, as a correlated subquery."""
    candidate = aliased(Subscription)
    return (
        select(candidate.id)
        .where(candidate.user_id == user_id)
        .order_by(*plans.current_first(candidate))
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )


def _pro_condition(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(
            Subscription.status.in_([s.value for s in plans.PRO_STATUSES]),
            or_(
                Subscription.cancel_at_period_end.is_(False),
                Subscription.current_period_end.is_(None),
                Subscription.current_period_end > now,
            ),
        ),
        and_(Subscription.status == SubscriptionStatus.PAST_DUE, Subscription.grace_until > now),
    )


def _investors_with_current_subscription() -> Any:
    return (
        select(User)
        .outerjoin(Subscription, Subscription.id == _latest_subscription_id(User.id))
        .where(User.role == Role.INVESTOR)
    )


def billing_page(*, page: int, plan: str | None, search: str, per_page: int = 50) -> Pagination:
    """Investors with their current subscription, filtered by plan or status, searchable by name or email."""
    now = utcnow()
    query = _investors_with_current_subscription()
    if plan == "pro":
        query = query.where(_pro_condition(now))
    elif plan == "free":
        query = query.where(or_(Subscription.id.is_(None), not_(_pro_condition(now))))
    elif plan == "past_due":
        query = query.where(Subscription.status == SubscriptionStatus.PAST_DUE)
    elif plan == "canceling":
        query = query.where(
            Subscription.cancel_at_period_end.is_(True), Subscription.status.in_(["active", "trialing"])
        )
    if search:
        pattern = search.strip().lower()
        query = query.where(or_(func.lower(User.email).contains(pattern, autoescape=True), User.name.contains(search)))
    query = query.order_by(Subscription.id.is_(None), User.name, User.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def rows_for(users: list[User]) -> list[InvestorBilling]:
    """The billing facts of a page of investors, in three queries whatever the page size."""
    ids = [u.id for u in users]
    if not ids:
        return []
    current_ids = db.session.execute(select(User.id, _latest_subscription_id(User.id)).where(User.id.in_(ids))).all()
    subscriptions = {
        s.user_id: s
        for s in db.session.scalars(
            select(Subscription).where(Subscription.id.in_([sid for _, sid in current_ids if sid is not None]))
        )
    }
    failures = {
        user_id: (count, last)
        for user_id, count, last in db.session.execute(
            select(BillingInvoice.user_id, func.count(), func.max(BillingInvoice.payment_failed_at))
            .where(BillingInvoice.user_id.in_(ids), BillingInvoice.payment_failed_at.is_not(None))
            .group_by(BillingInvoice.user_id)
        ).all()
    }
    cards = dict(
        db.session.execute(
            select(BillingCustomer.user_id, BillingCustomer.card_last4).where(BillingCustomer.user_id.in_(ids))
        ).all()
    )
    now = utcnow()
    return [
        InvestorBilling(
            user=user,
            subscription=subscriptions.get(user.id),
            plan=plans.PRO if plans.grants_pro(subscriptions.get(user.id), now) else plans.FREE,
            failed_payments=int(failures.get(user.id, (0, None))[0]),
            last_failed_at=failures.get(user.id, (0, None))[1],
            card_last4=cards.get(user.id),
        )
        for user in users
    ]


def totals() -> BillingTotals:
    """How many investors are on Pro, behind on payment, or leaving at the end of their period."""
    now = utcnow()
    base = _investors_with_current_subscription().with_only_columns(func.count(User.id))
    return BillingTotals(
        pro=db.session.scalar(base.where(_pro_condition(now))) or 0,
        past_due=db.session.scalar(base.where(Subscription.status == SubscriptionStatus.PAST_DUE)) or 0,
        canceling=db.session.scalar(
            base.where(Subscription.cancel_at_period_end.is_(True), Subscription.status.in_(["active", "trialing"]))
        )
        or 0,
    )
