"""Production's refusals that need more than a presence check: a guessable secret key, a plain-http site."""

from __future__ import annotations

import math
from collections import Counter
from urllib.parse import urlsplit

DEVELOPMENT_SECRETS = ("dev-only-not-secret", "testing-not-secret")
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
HOW_TO_MAKE_ONE = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'


def estimated_bits(secret: str) -> float:
    """Shannon entropy of the characters times the length: low for few distinct characters or lopsided use."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def is_repeated_pattern(secret: str) -> bool:
    """True when the key is one shorter piece written several times ('abcabcabc…')."""
    return (secret + secret).find(secret, 1) < len(secret)


def secret_key_problem(secret: str) -> str | None:
    """Why production must not sign sessions with this key, or None when it is fit."""
    lowered = secret.lower()
    if any(default in lowered for default in DEVELOPMENT_SECRETS) or "not-secret" in lowered:
        return f"SECRET_KEY is a development default or made from one: {HOW_TO_MAKE_ONE}"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"SECRET_KEY is too short: production needs at least {MIN_SECRET_LENGTH} characters; {HOW_TO_MAKE_ONE}"
    if is_repeated_pattern(secret) or estimated_bits(secret) < MIN_SECRET_BITS:
        return f"SECRET_KEY is too easy to guess (a repeated pattern or too few distinct characters); {HOW_TO_MAKE_ONE}"
    return None


def site_url_problem(url: str) -> str | None:
    """Links in emails carry reset and verification tokens: production's site must be https."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.netloc:
        return f"SITE_URL must be an https:// address in production, got {url!r}"
    return None


QUEUE_SCHEMES = ("redis://", "rediss://", "unix://", "sqlite:///")


def queue_url_problem(url: str) -> str | None:
    """The job queue is Redis or a SQLite file (tests use "immediate")."""
    if url != "immediate" and not url.startswith(QUEUE_SCHEMES):
        return f"HUEY_URL must start with redis://, rediss://, unix:// or sqlite:///, got {url!r}"
    return None


def huey_url_problem(url: str) -> str | None:
    """Every web host and worker must share one queue: production's is Redis."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return f"HUEY_URL must be a Redis URL in production (redis://, rediss:// or unix://), got {url!r}"
    return None
