"""Approved startups, as investors see them."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from dealflow.auth.decorators import investor_access_required
from dealflow.investors.queries import approved_startups_page

bp = Blueprint("investors", __name__)


@bp.route("/")
@investor_access_required
def browse() -> str:
    """Approved startups, newest first, twenty a page."""
    page = request.args.get("page", 1, type=int)
    return render_template("investors/browse.html", pagination=approved_startups_page(page))
