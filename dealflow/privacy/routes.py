"""Downloading one's data and deleting one's account (a POST each: personal, audited, rate-limited)."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, url_for
from flask import Response as FlaskResponse
from flask_babel import gettext as _
from flask_login import login_required, logout_user
from werkzeug.wrappers import Response

from dealflow import audit
from dealflow.auth.account_routes import security_key, settings_page
from dealflow.auth.forms import ButtonForm, DeleteAccountForm, show_account_error
from dealflow.auth.services import AccountError
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db, file_store, limiter
from dealflow.privacy import services

bp = Blueprint("privacy", __name__)


@bp.route("/account/data.json", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], key_func=security_key)
def download_data() -> Response:
    """Everything the site keeps about the user, as one JSON file (a POST: it is personal and audited)."""
    user = signed_in_user()
    if not ButtonForm().validate_on_submit():
        return redirect(url_for("auth.account"))
    audit.record("account.exported", actor=user, target=user, ip=request.remote_addr)
    db.session.commit()
    body = services.export_json(user)
    return FlaskResponse(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="dealflow-my-data.json"'},
    )


@bp.route("/account/delete", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], key_func=security_key)
def delete_account() -> str | Response:
    """Erase the account's personal data after the password is given; the anonymous ledger stays."""
    user = signed_in_user()
    delete_form = DeleteAccountForm()
    if delete_form.validate_on_submit():
        try:
            keys = services.delete_account(user, password=delete_form.password.data or "", ip=request.remote_addr)
        except AccountError as exc:
            db.session.rollback()
            show_account_error(delete_form, exc, fallback="password")
        else:
            db.session.commit()
            for key in keys:  # only once the rows are gone for good: a rollback keeps both
                file_store.delete(key)
            logout_user()
            flash(_("Your account is deleted. Thank you for using Dealflow."), "info")
            return redirect(url_for("main.index"))
    return settings_page(delete_form=delete_form)
