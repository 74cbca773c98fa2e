"""The public home page, the language switch and the health check."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from dealflow.auth import services as account_services
from dealflow.extensions import db
from dealflow.main.queries import home_figures
from dealflow.web import safe_next_url

bp = Blueprint("main", __name__)

ONE_YEAR = 365 * 24 * 3600


@bp.route("/")
def index() -> str:
    """What Dealflow is, for a visitor; the way in, for each role."""
    return render_template("main/index.html", figures=home_figures())


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Remember the chosen language: in the account when logged in, always in a cookie."""
    language = request.form.get("language", "")
    target = safe_next_url(request.form.get("next")) or url_for("main.index")
    response = redirect(target)
    if language not in current_app.config["LANGUAGES"]:
        return response
    if current_user.is_authenticated:
        account_services.set_locale(current_user, language)
        db.session.commit()
    response.set_cookie(
        current_app.config["LANGUAGE_COOKIE_NAME"],
        language,
        max_age=ONE_YEAR,
        secure=current_app.config["SESSION_COOKIE_SECURE"],
        httponly=True,
        samesite="Lax",
    )
    return response


@bp.route("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """For load balancers: the process answers, without touching the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
