"""Billing: each investor's Stripe customer, their subscriptions and invoices, and the Stripe events applied."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from dealflow.models.base import Base, UTCDateTime, string_enum, utcnow


class SubscriptionStatus(enum.StrEnum):
    """Stripe's subscription statuses, stored as Stripe spells them."""

    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    PAUSED = "paused"


ENDED_STATUSES = (SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED)
# A subscription in one of these is the user's running subscription: Stripe may still charge it. A user has at
# most one (the unique index below); `incomplete` is not one of them, it becomes active or expires within a day.
LIVE_STATUSES = (
    SubscriptionStatus.ACTIVE,
    SubscriptionStatus.TRIALING,
    SubscriptionStatus.PAST_DUE,
    SubscriptionStatus.UNPAID,
    SubscriptionStatus.PAUSED,
)
LIVE_ONLY = text("status IN ('active', 'trialing', 'past_due', 'unpaid', 'paused')")


class BillingInterval(enum.StrEnum):
    MONTH = "month"
    YEAR = "year"


class BillingCustomer(Base):
    """The Stripe customer of one user, made once, with the card Stripe charges (brand and last digits only)."""

    __tablename__ = "billing_customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    # Subscribe attempts Stripe has answered: the next attempt's idempotency key carries this number, so an
    # attempt whose answer was lost is sent again under the same key and Stripe does not subscribe twice.
    subscribe_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    default_payment_method_id: Mapped[str | None] = mapped_column(String(255))
    card_brand: Mapped[str | None] = mapped_column(String(20))
    card_last4: Mapped[str | None] = mapped_column(String(4))
    card_exp_month: Mapped[int | None] = mapped_column(Integer)
    card_exp_year: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Subscription(Base):
    """A Stripe subscription as last seen: the webhook handlers and the billing pages keep it current.

    state_at is when the state held here was true at Stripe (an event's time or the moment of an API read):
    an event older than that is not applied as it is, the subscription is read from Stripe again.
    """

    __tablename__ = "subscription"
    __table_args__ = (
        # One running subscription per user, even when two subscribe requests or a webhook race.
        Index("uq_subscription_user_live", "user_id", unique=True, sqlite_where=LIVE_ONLY, postgresql_where=LIVE_ONLY),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    stripe_subscription_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str] = mapped_column(String(255))
    stripe_plan_id: Mapped[str] = mapped_column(String(255))
    plan: Mapped[str] = mapped_column(String(20), default="pro")
    interval: Mapped[BillingInterval] = mapped_column(string_enum(BillingInterval, "billing_interval", 10))
    status: Mapped[str] = mapped_column(String(24))
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    past_due_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    grace_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    @property
    def is_ended(self) -> bool:
        return self.status in ENDED_STATUSES


class BillingInvoice(Base):
    """An invoice mirrored from Stripe, so the billing page and the admins see amounts and failed payments."""

    __tablename__ = "billing_invoice"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    stripe_invoice_id: Mapped[str] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255))
    number: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24))
    currency: Mapped[str] = mapped_column(String(3))
    amount_due: Mapped[int] = mapped_column(Integer)  # in cents
    amount_paid: Mapped[int] = mapped_column(Integer, default=0)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    hosted_invoice_url: Mapped[str | None] = mapped_column(String(1000))


class StripeEvent(Base):
    """A Stripe event already applied: the primary key makes a replayed event a no-op."""

    __tablename__ = "stripe_event"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
