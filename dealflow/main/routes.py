"""The public home page, the language switch and the health and readiness checks."""

from __future__ import annotations

from flask import Blueprint, jsonify, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from dealflow import readiness
from dealflow.auth import services as account_services
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db
from dealflow.http import safe_next_url
from dealflow.i18n import remember_language
from dealflow.main.forms import LanguageForm
from dealflow.main.queries import home_figures

bp = Blueprint("main", __name__)


@bp.route("/")
def index() -> str:
    """What Dealflow is, for a visitor; the way in, for each role."""
    return render_template("main/index.html", figures=home_figures())


@bp.route("/language", methods=["POST"])
def set_language() -> Response:
    """Remember the chosen language: in the account when logged in, always in a cookie."""
    form = LanguageForm()
    response = redirect(safe_next_url(form.next.data) or url_for("main.index"))
    if not form.validate_on_submit():
        return response
    if current_user.is_authenticated:
        account_services.set_locale(signed_in_user(), form.language.data or "")
        db.session.commit()
    return remember_language(response, form.language.data)


@bp.route("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    """For load balancers: the process answers, without touching the database."""
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.route("/readyz")
def readyz() -> tuple[Response, int]:
    """For orchestrators: 200 once the database and Redis answer, 503 (and no traffic) while one does not."""
    ready, checks = readiness.readiness()
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
