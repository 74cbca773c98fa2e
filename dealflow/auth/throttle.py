"""Counting login attempts per account, before the password is checked.

Flask-Limiter's decorator can only deduct a failure after the view has run, so
parallel requests would all pass the check; here each attempt is counted
atomically in the limiter's storage (Redis in production) before verification.
"""

from __future__ import annotations

import time

from flask import current_app, has_app_context
from limits import RateLimitItem, parse

from dealflow.auth import services
from dealflow.extensions import limiter

NAMESPACE = "login-account"


def _item(limit: str) -> RateLimitItem:
    return parse(limit)


def _enabled() -> bool:
    return not has_app_context() or bool(current_app.config.get("RATELIMIT_ENABLED", True))


def take_login_attempt(account_key: str, limit: str) -> bool:
    """Count one attempt for this account; False once the limit is reached (always True when limits are off)."""
    if not _enabled():
        return True
    return limiter.limiter.hit(_item(limit), NAMESPACE, account_key)


def seconds_until_next_attempt(account_key: str, limit: str) -> int:
    """How long a locked account waits before the window lets it try again."""
    stats = limiter.limiter.get_window_stats(_item(limit), NAMESPACE, account_key)
    return max(1, int(stats.reset_time - time.time()))


def forget_login_attempts(account_key: str, limit: str) -> None:
    """A successful login starts the count again."""
    if not _enabled():
        return
    limiter.limiter.clear(_item(limit), NAMESPACE, account_key)


def account_key(email: str) -> str:
    """One key per mailbox, however the address is typed."""
    try:
        return services.normalise_email(email)
    except services.InvalidEmail:
        return email.strip().lower()[:254]
