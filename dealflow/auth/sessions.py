"""How Flask-Login finds the user of a session."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user
from sqlalchemy.orm import joinedload

from dealflow.extensions import db
from dealflow.models import User


def load_user(session_id: str) -> User | None:
    """The active account behind a session cookie, unless the session was ended since."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    # Investors' pages nearly all read the profile (fit, foreign/domestic): load it in the same statement.
    user = db.session.get(User, int(user_id), options=[joinedload(User.investor_profile)])
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


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
