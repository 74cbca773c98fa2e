"""Plans, their limits and who is on which: the entitlements every other area asks, without talking to Stripe.

Founders never pay; investors are on Free unless a Stripe subscription says Pro. With no STRIPE_SECRET_KEY
billing is off and everyone is on Free. The intro requests, saved-search alerts, the bookmarks export and the
admins' pages ask this module, never Stripe or the tables directly; it reads only our mirror of Stripe
(billing/mirror.py keeps it), so importing it never brings in the Stripe library.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, select
from sqlalchemy.sql.elements import ColumnElement

from dealflow.extensions import db
from dealflow.models import ENDED_STATUSES, BillingInterval, Role, Subscription, SubscriptionStatus, User, utcnow
from dealflow.models.billing import LIVE_STATUSES

PRO_STATUSES = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
# LIVE_STATUSES (active, trialing, past_due, unpaid, paused): the running subscription, at most one per user.
# Behind on payment: Stripe keeps an invoice open; paying it with a new card makes the subscription active again.
BEHIND_STATUSES = (SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID)


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


def live_subscription(user: User) -> Subscription | None:
    """The user's subscription unless it has ended."""
    current = current_subscription(user.id)
    return current if current is not None and current.status in LIVE_STATUSES else None


def renews_at_stripe(user: User) -> bool:
    """Whether Stripe goes on charging the user: a running subscription that is not set to end with its period."""
    running = live_subscription(user)
    return running is not None and not running.cancel_at_period_end
