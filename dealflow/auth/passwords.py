"""Password hashing (argon2id) and the rules a new password must meet."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from zxcvbn import zxcvbn
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 10
MAX_LENGTH = 128

_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """An argon2id hash with a fresh salt, never the password itself."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches; a malformed hash never matches."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash to verify against when no account matches, so timing reveals nothing."""
    return _hasher.hash("no-such-account-placeholder")


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problems(password: str, *, email: str = "", name: str = "") -> list[LazyString]:
    """Why a new password is refused; an empty list means it is acceptable."""
    if len(password) < MIN_LENGTH:
        return [_l("Use at least %(count)d characters.", count=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_l("Use at most %(count)d characters.", count=MAX_LENGTH)]
    lowered = password.lower()
    local_part = email.split("@", 1)[0].lower()
    if lowered in _common_passwords():
        return [_l("This password is among the most common ones. Choose another.")]
    if (local_part and len(local_part) >= 4 and local_part in lowered) or lowered == email.lower():
        return [_l("Do not use your email address in your password.")]
    if zxcvbn(password[:64], user_inputs=[email, name])["score"] < 2:
        return [_l("This password is too easy to guess. Add more words or characters.")]
    return []
