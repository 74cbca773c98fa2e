"""Counting login attempts per (account, client address), before the password is checked.

A stranger who guesses from one address uses up only that address's allowance: the owner,
from their own address, still gets in. When many addresses guess the same account, every
address gets a shorter allowance (the owner is slowed) and the owner is told by email, once per
window. Past a hard cap far above normal use (LOGIN_ACCOUNT_HARD_CAP) no password is checked for
the account at all until the window ends, so unbounded addresses cannot guess without end; the
owner still gets in with a password-reset link, which clears the cap.

Flask-Limiter's decorator can only deduct a failure after the view has run, so parallel
requests would all pass the check; here each attempt is counted atomically in the limiter's
storage (Redis in production) before verification.
"""

from __future__ import annotations

import time

from flask import current_app, has_app_context
from limits import RateLimitItem, parse

from dealflow.auth import services
from dealflow.extensions import limiter

PER_CLIENT = "login-client"
ACCOUNT_WIDE = "login-account"
FAILURES = "login-failures"
ALERTED = "login-alerted"
CAPPED = "login-capped"
LOCK_TOLD = "login-lock-told"


def _enabled() -> bool:
    return not has_app_context() or bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _setting(name: str) -> RateLimitItem:
    return parse(current_app.config[name])


def _same_window(item: RateLimitItem, amount: int) -> RateLimitItem:
    return type(item)(amount, item.multiples)


def under_attack(account_key: str) -> bool:
    """Whether this account had more attempts, from all addresses together, than the ceiling allows."""
    return not limiter.limiter.test(_setting("LOGIN_ACCOUNT_CEILING"), ACCOUNT_WIDE, account_key)


def take_account_attempt(account_key: str) -> bool:
    """Count one attempt on the account from any address; False once it is past the hard cap for this window."""
    if not _enabled():
        return True
    return bool(limiter.limiter.hit(_setting("LOGIN_ACCOUNT_HARD_CAP"), CAPPED, account_key))


def first_refusal_in_window(account_key: str) -> bool:
    """True exactly once per window of the hard cap, when the owner should be told that logins are paused."""
    return bool(limiter.limiter.hit(_same_window(_setting("LOGIN_ACCOUNT_HARD_CAP"), 1), LOCK_TOLD, account_key))


def unlock_account(account_key: str) -> None:
    """A password reset proves the owner: the hard cap starts again from nothing."""
    if not _enabled():
        return
    cap = _setting("LOGIN_ACCOUNT_HARD_CAP")
    limiter.limiter.clear(cap, CAPPED, account_key)
    limiter.limiter.clear(_same_window(cap, 1), LOCK_TOLD, account_key)


def take_login_attempt(account_key: str, client: str) -> bool:
    """Count one attempt from this client on this account; False once this client must wait."""
    if not _enabled():
        return True
    pair = f"{account_key}|{client}"
    if not limiter.limiter.hit(_setting("LOGIN_LIMIT_PER_ACCOUNT"), PER_CLIENT, pair):
        return False
    if under_attack(account_key) and not limiter.limiter.hit(_setting("LOGIN_LIMIT_UNDER_ATTACK"), PER_CLIENT, pair):
        return False
    limiter.limiter.hit(_setting("LOGIN_ACCOUNT_CEILING"), ACCOUNT_WIDE, account_key)
    return True


def seconds_until_next_attempt(account_key: str, client: str) -> int:
    """How long this client waits before its allowance lets it try again."""
    pair = f"{account_key}|{client}"
    waits = [
        int(stats.reset_time - time.time())
        for name in ("LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_UNDER_ATTACK")
        if (stats := limiter.limiter.get_window_stats(_setting(name), PER_CLIENT, pair)).remaining == 0
    ]
    return max([1, *waits])


def record_failure(account_key: str) -> bool:
    """Count a wrong password on the account; True exactly once per window, when the owner should be told."""
    if not _enabled():
        return False
    ceiling = _setting("LOGIN_ACCOUNT_CEILING")
    threshold = _same_window(ceiling, current_app.config["LOGIN_ALERT_AFTER"])
    if limiter.limiter.hit(threshold, FAILURES, account_key):
        return False
    return limiter.limiter.hit(_same_window(ceiling, 1), ALERTED, account_key)


def forget_login_attempts(account_key: str, client: str) -> None:
    """A successful login starts this client's count again (the account-wide count runs on)."""
    if not _enabled():
        return
    pair = f"{account_key}|{client}"
    for name in ("LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_UNDER_ATTACK"):
        limiter.limiter.clear(_setting(name), PER_CLIENT, pair)


def account_key(email: str) -> str:
    """One key per mailbox, however the address is typed."""
    try:
        return services.normalise_email(email)
    except services.InvalidEmail:
        return email.strip().lower()[:254]
