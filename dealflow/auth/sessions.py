"""Server-side sessions: how Flask-Login finds the user of a cookie, and how a session ends for good."""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app, g, request, url_for
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user, login_user
from sqlalchemy import select, update
from sqlalchemy.orm import contains_eager

from dealflow.extensions import db
from dealflow.models import Role, User, UserSession, utcnow

# Write last_seen at most this often: a page view must not cost a write.
TOUCH_EVERY = timedelta(minutes=5)

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def hash_token(token: str) -> str:
    """What the table keeps of a session id or an emailed link: enough to find it, useless to a thief."""
    return hashlib.sha256(token.encode()).hexdigest()


def device_label(user_agent: str | None) -> str:
    """A short name a person recognises ("Firefox on Windows"), not the raw user-agent string."""
    agent = user_agent or ""
    browser = next((name for marker, name in _BROWSERS if marker in agent), None)
    system = next((name for marker, name in _SYSTEMS if marker in agent), None)
    if browser and system:
        return f"{browser} / {system}"
    return browser or system or re.sub(r"[^\w./ -]", "", agent)[:40] or "?"


def start_session(user: User, *, remember: bool, user_agent: str | None, ip: str | None) -> UserSession:
    """A new server-side session for a user who just proved who they are; the caller logs them in with it."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = UserSession(
        token_hash=hash_token(token),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        device=device_label(user_agent)[:80],
        ip=ip,
        remember=remember,
    )
    db.session.add(row)
    db.session.flush()
    user.attach_session(token)
    g.user_session = row
    return row


def _expired(row: UserSession, now: datetime) -> bool:
    config = current_app.config
    lifetime: timedelta = config["REMEMBER_COOKIE_DURATION"]
    if row.remember:
        return row.created_at + lifetime < now
    return row.last_seen_at + timedelta(minutes=int(config["SESSION_IDLE_MINUTES"])) < now


def load_user(token: str) -> User | None:
    """The active account behind a session cookie, unless that session ended, idled out or expired."""
    if not token or len(token) > 100:
        return None
    # One statement: the session, its user and (investors' pages nearly all read it) the investor profile.
    row = db.session.scalar(
        select(UserSession)
        .join(UserSession.user)
        .options(contains_eager(UserSession.user).joinedload(User.investor_profile))
        .where(UserSession.token_hash == hash_token(token), UserSession.ended_at.is_(None), User.active.is_(True))
    )
    if row is None:
        return None
    now = utcnow()
    if _expired(row, now):
        row.ended_at = now
        g.session_written = True
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        g.session_written = True
    row.user.attach_session(token)
    g.user_session = row
    return row.user


def save_session_bookkeeping() -> None:
    """Before each view: load the user, and commit a due last-seen or expiry on its own, before the view's work."""
    if request.endpoint == "static":
        return
    _ = current_user.is_authenticated
    if g.pop("session_written", False):
        db.session.commit()


def current_session() -> UserSession | None:
    """The server-side session of this request, if someone is logged in."""
    row = g.get("user_session")
    return row if isinstance(row, UserSession) else None


def end_session(row: UserSession) -> None:
    """End one session: its cookie, copied or not, no longer logs anyone in."""
    if row.ended_at is None:
        row.ended_at = utcnow()
    db.session.flush()


def end_sessions(user: User, *, keep: UserSession | None = None) -> int:
    """End every session of the user but the one kept (if any); how many ended."""
    query = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(query.values(ended_at=utcnow()).execution_options(synchronize_session=False))
    db.session.flush()
    return int(getattr(result, "rowcount", 0) or 0)


def active_sessions(user: User) -> Sequence[UserSession]:
    """The user's devices still logged in, most recently seen first."""
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()


def session_of(user: User, session_id: int) -> UserSession | None:
    """One of the user's own sessions, never another user's."""
    row = db.session.get(UserSession, session_id)
    return row if row is not None and row.user_id == user.id else None


def signed_in_user() -> User:
    """The logged-in user as a real User, for passing to services (never the proxy)."""
    user = current_user._get_current_object()
    if not isinstance(user, User):
        raise RuntimeError("signed_in_user() needs a logged-in user: guard the view with login_required")
    return user


def configure_login_manager(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = _l("Please log in to see this page.")
    manager.login_message_category = "info"
    manager.session_protection = "basic"


def home_for(user: User) -> str:
    """The page each role starts from after logging in."""
    return {
        Role.FOUNDER: url_for("startups.dashboard"),
        Role.INVESTOR: url_for("investors.browse"),
        Role.HUB_STAFF: url_for("review.queue"),
        Role.ADMIN: url_for("review.queue"),
    }[user.role]


def log_in(user: User, *, remember: bool) -> None:
    """Open a server-side session for the user, commit, and hand its id to Flask-Login."""
    start_session(user, remember=remember, user_agent=request.user_agent.string, ip=request.remote_addr)
    db.session.commit()
    login_user(user, remember=remember)
