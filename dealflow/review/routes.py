"""Hub staff's view of what waits for review."""

from __future__ import annotations

from flask import Blueprint, render_template

from dealflow.auth.decorators import staff_required
from dealflow.review.queries import waiting_submissions

bp = Blueprint("review", __name__)


@bp.route("/")
@staff_required
def queue() -> str:
    """Submissions waiting for a decision, oldest first."""
    return render_template("review/queue.html", items=waiting_submissions())
