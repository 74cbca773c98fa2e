"""The founder's own startups."""

from __future__ import annotations

from flask import Blueprint, render_template

from dealflow.auth.decorators import founder_required
from dealflow.auth.sessions import signed_in_user
from dealflow.founders.queries import startups_owned_by

bp = Blueprint("founders", __name__)


@bp.route("/")
@founder_required
def dashboard() -> str:
    """Each of the founder's startups with its status and what to do next."""
    return render_template("founders/dashboard.html", startups=startups_owned_by(signed_in_user().id))
