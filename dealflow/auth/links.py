"""Single-use, expiring links sent by email: the link carries a random secret, the table keeps its hash."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from dealflow.auth.sessions import hash_token
from dealflow.extensions import db
from dealflow.models import AccountToken, TokenPurpose, User, utcnow


class LinkInvalid(Exception):
    """The link was used already, has expired, was replaced by a newer one, or never existed."""

    message = _l("This link has expired or was already used. Ask for a new one.")


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def revoke_all(user: User, *, purposes: Iterable[TokenPurpose] = tuple(TokenPurpose)) -> None:
    """Spend every outstanding link of these purposes, so a change of password or address kills older links."""
    db.session.execute(
        update(AccountToken)
        .where(
            AccountToken.user_id == user.id,
            AccountToken.purpose.in_(list(purposes)),
            AccountToken.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    db.session.flush()


def issue(user: User, purpose: TokenPurpose, *, lifetime: timedelta, new_email: str | None = None) -> str:
    """A fresh link secret for the user; earlier unused links of the same purpose stop working.

    A verification link remembers the address it was sent to, so that it confirms that address only.
    """
    now = utcnow()
    revoke_all(user, purposes=[purpose])
    if purpose is TokenPurpose.VERIFY_EMAIL:
        new_email = user.email
    secret = new_secret()
    db.session.add(
        AccountToken(
            token_hash=hash_token(secret),
            user_id=user.id,
            purpose=purpose,
            new_email=new_email,
            created_at=now,
            expires_at=now + lifetime,
        )
    )
    db.session.flush()
    return secret


def find(secret: str, purpose: TokenPurpose) -> AccountToken:
    """The live link behind a secret, without using it up; raises LinkInvalid otherwise."""
    if not secret or len(secret) > 100:
        raise LinkInvalid()
    token = db.session.scalar(
        select(AccountToken).where(AccountToken.token_hash == hash_token(secret), AccountToken.purpose == purpose)
    )
    if token is None or token.used_at is not None or token.expires_at <= utcnow() or not token.user.active:
        raise LinkInvalid()
    if token.user.deleted_at is not None:
        raise LinkInvalid()
    if purpose is TokenPurpose.VERIFY_EMAIL and token.new_email != token.user.email:
        raise LinkInvalid()  # sent to an address the account has left since
    return token


def is_live(secret: str, purpose: TokenPurpose) -> bool:
    """Whether the link would still work, to say so before anyone presses its button."""
    try:
        find(secret, purpose)
    except LinkInvalid:
        return False
    return True


def use(token: AccountToken) -> None:
    """Spend the link so that it never works again; two clicks in the same instant: only one wins."""
    spent = db.session.execute(
        update(AccountToken)
        .where(AccountToken.id == token.id, AccountToken.used_at.is_(None))
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if getattr(spent, "rowcount", 0) != 1:
        raise LinkInvalid()
    db.session.flush()
