"""How billing states read on the page, in each language."""

from __future__ import annotations

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

SUBSCRIPTION_STATUS_LABELS: dict[str, LazyString] = {
    "incomplete": _l("Waiting for the first payment"),
    "incomplete_expired": _l("First payment failed"),
    "trialing": _l("Trial"),
    "active": _l("Active"),
    "past_due": _l("Payment failed"),
    "canceled": _l("Ended"),
    "unpaid": _l("Unpaid"),
    "paused": _l("Paused"),
}

INVOICE_STATUS_LABELS: dict[str, LazyString] = {
    "open": _l("Due"),
    "paid": _l("Paid"),
    "void": _l("Void"),
    "uncollectible": _l("Uncollectible"),
}

INTERVAL_LABELS: dict[str, LazyString] = {
    "month": _l("Monthly"),
    "year": _l("Yearly"),
}


def subscription_status_label(status: str) -> str:
    return str(SUBSCRIPTION_STATUS_LABELS.get(status, status))


def invoice_status_label(status: str) -> str:
    return str(INVOICE_STATUS_LABELS.get(status, status))


def interval_label(interval: str) -> str:
    return str(INTERVAL_LABELS.get(str(interval), interval))
