"""Production's refusals that need more than a presence check: a guessable secret key, a plain-http site."""

from __future__ import annotations

import base64
import binascii
import math
import string
from collections import Counter
from urllib.parse import urlsplit

DEVELOPMENT_SECRETS = ("devonlynotsecret", "testingnotsecret", "notsecret", "changeme")  # lowercased, letters only
MIN_SECRET_LENGTH = 32
MIN_SECRET_BITS = 128
MIN_SHANNON_BITS = 64  # a guard against lopsided keys ("ab" * 20 + "c") the alphabet estimate cannot see
LONGEST_SEQUENCE = 6  # "abcdef", "654321", "aaaaaa": about one random hex key in twenty thousand has one
HOW_TO_MAKE_ONE = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(48))"'
HEX = frozenset(string.hexdigits.lower())
LOWER_ALNUM = frozenset(string.ascii_lowercase + string.digits)
ALNUM = frozenset(string.ascii_letters + string.digits)
BASE64 = ALNUM | frozenset("-_+/=")


def _letters_and_digits(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isascii() and ch.isalnum())


def _decodings(secret: str) -> list[str]:
    """The key as given, reversed, and as base64 or hex decodes it: a default hidden in any of them is found."""
    found = [secret, secret[::-1]]
    padded = secret + "=" * (-len(secret) % 4)
    for decode in (base64.b64decode, base64.urlsafe_b64decode, bytes.fromhex):
        try:
            found.append(decode(padded if decode is not bytes.fromhex else secret).decode("utf-8", "ignore"))
        except (ValueError, binascii.Error):
            continue
    return found


def made_from_a_default(secret: str) -> bool:
    """True when a development default is in the key, whatever its case, separators, order or encoding."""
    for text in _decodings(secret):
        plain = _letters_and_digits(text)
        if any(default in plain or default in plain[::-1] for default in DEVELOPMENT_SECRETS):
            return True
    return False


def bits_per_character(secret: str) -> float:
    """What one character can carry, judged by the smallest usual alphabet the key is written in."""
    chars = set(secret)
    if chars <= HEX or chars <= frozenset(string.hexdigits.upper()):
        return 4.0 if not chars <= frozenset(string.digits) else math.log2(10)
    for alphabet, size in ((LOWER_ALNUM, 36), (ALNUM, 62), (BASE64, 64)):
        if chars <= alphabet:
            return math.log2(size)
    return math.log2(95)  # printable ASCII and beyond


def estimated_bits(secret: str) -> float:
    """Bits of randomness the key can hold at most: its length times what each character carries."""
    return bits_per_character(secret) * len(secret)


def shannon_bits(secret: str) -> float:
    """Shannon entropy of the characters times the length: low for few distinct characters or lopsided use."""
    counts = Counter(secret)
    per_char = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_char * len(secret)


def is_repeated_pattern(secret: str) -> bool:
    """True when the key is one shorter piece written several times ('abcabcabc…')."""
    return (secret + secret).find(secret, 1) < len(secret)


def has_sequence(secret: str) -> bool:
    """True when the key holds a run such as 'abcde', '98765' or 'zzzzz' (each character one step from the last)."""
    run, step = 1, 0
    for before, after in zip(secret, secret[1:], strict=False):
        current = ord(after) - ord(before)
        if abs(current) > 1:
            run = 1
        elif run > 1 and current == step:
            run += 1
        else:
            run, step = 2, current
        if run >= LONGEST_SEQUENCE:
            return True
    return False


def secret_key_problem(secret: str) -> str | None:
    """Why production must not sign sessions with this key, or None when it is fit."""
    if made_from_a_default(secret):
        return f"SECRET_KEY is a development default or made from one: {HOW_TO_MAKE_ONE}"
    if len(secret) < MIN_SECRET_LENGTH:
        return f"SECRET_KEY is too short: production needs at least {MIN_SECRET_LENGTH} characters; {HOW_TO_MAKE_ONE}"
    if is_repeated_pattern(secret) or has_sequence(secret) or shannon_bits(secret) < MIN_SHANNON_BITS:
        return (
            "SECRET_KEY is too easy to guess (a sequence, a repeated pattern or too few distinct characters); "
            f"{HOW_TO_MAKE_ONE}"
        )
    if (bits := estimated_bits(secret)) < MIN_SECRET_BITS:
        return (
            f"SECRET_KEY is too weak: about {bits:.0f} bits of randomness, production needs {MIN_SECRET_BITS}; "
            f"{HOW_TO_MAKE_ONE}"
        )
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
