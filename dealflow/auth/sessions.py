"""How Flask-Login finds the user of a session."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_login import LoginManager

from dealflow.extensions import db
from dealflow.models import User


def load_user(user_id: str) -> User | None:
    """The active account behind a session cookie, if it still exists."""
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user is not None and user.active else None


def configure_login_manager(manager: LoginManager) -> None:
    manager.user_loader(load_user)
    manager.login_view = "auth.login"
    manager.login_message = _l("Please log in to see this page.")
    manager.login_message_category = "info"
    manager.session_protection = "basic"
