"""The auth blueprint, shared by the sign-in pages and the account settings pages."""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint
from flask_babel import format_datetime

from dealflow.auth import sessions

bp = Blueprint("auth", __name__)
bp.before_app_request(sessions.save_session_bookkeeping)


@bp.app_template_filter("format_datetime")
def format_short_datetime(value: datetime) -> str:
    """A date and time in the reader's language and the site's time zone."""
    return str(format_datetime(value, "short"))
