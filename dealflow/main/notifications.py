"""The bell: a user's notifications."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_login import login_required
from werkzeug.wrappers import Response

from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db
from dealflow.forms import ConfirmForm
from dealflow.notifications import services

bp = Blueprint("notifications", __name__)


@bp.route("/notifications")
@login_required
def index() -> str:
    """The newest notifications, unread ones marked."""
    user = signed_in_user()
    return render_template(
        "notifications/index.html",
        notifications=services.recent(user.id),
        unread_notifications=services.unread_count(user.id),
        text_of=services.text_of,
    )


@bp.route("/notifications/read", methods=["POST"])
@login_required
def mark_read() -> Response:
    """Mark every notification as read."""
    if ConfirmForm().validate_on_submit():
        services.mark_all_read(signed_in_user().id)
        db.session.commit()
    return redirect(url_for("notifications.index"))
