"""Account settings: name and language, password, email address, devices, one's data and deleting it all."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.wrappers import Response

from dealflow import audit
from dealflow.auth import links, recovery, services, sessions
from dealflow.auth.blueprint import bp
from dealflow.auth.forms import (
    ButtonForm,
    DeleteAccountForm,
    EmailChangeForm,
    PasswordChangeForm,
    SettingsForm,
    show_account_error,
)
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db, limiter
from dealflow.i18n import remember_language
from dealflow.models import TokenPurpose


def security_key() -> str:
    return f"user:{current_user.id}"


def settings_page(**forms: object) -> str:
    user = signed_in_user()
    shown = {
        "form": SettingsForm(obj=user),
        "password_form": PasswordChangeForm(),
        "email_form": EmailChangeForm(),
        "delete_form": DeleteAccountForm(),
        "button_form": ButtonForm(),
        **forms,
    }
    current = sessions.current_session()
    return render_template(
        "auth/account.html",
        devices=sessions.active_sessions(user),
        this_session_id=current.id if current else None,
        **shown,
    )


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    """Name and preferred language, with the other account settings below."""
    user = signed_in_user()
    form = SettingsForm(obj=user) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        services.update_settings(user, name=form.name.data or "", locale=form.locale.data or None)
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return remember_language(redirect(url_for("auth.account")), user.locale)
    return settings_page(form=form)


@bp.route("/account/password", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], key_func=security_key)
def change_password() -> str | Response:
    """Replace the password after proving the current one; other sessions end, this one goes on."""
    user = signed_in_user()
    password_form = PasswordChangeForm()
    if password_form.validate_on_submit():
        try:
            services.change_password(
                user,
                current_password=password_form.current_password.data or "",
                new_password=password_form.new_password.data or "",
                keep=sessions.current_session(),
            )
        except services.AccountError as exc:
            show_account_error(password_form, exc, fallback="current_password")
        else:
            audit.record("auth.password_changed", actor=user, ip=request.remote_addr)
            db.session.commit()
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return settings_page(password_form=password_form)


@bp.route("/account/email", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], key_func=security_key)
def change_email() -> str | Response:
    """Ask to move the account to another address; nothing changes until the link sent there is opened."""
    user = signed_in_user()
    email_form = EmailChangeForm()
    if email_form.validate_on_submit():
        try:
            recovery.request_email_change(
                user,
                password=email_form.password.data or "",
                new_email=email_form.new_email.data or "",
                ip=request.remote_addr,
            )
        except services.AccountError as exc:
            db.session.rollback()
            show_account_error(email_form, exc, fallback="new_email")
        else:
            db.session.commit()
            flash(_("We sent a link to the new address. Your email changes when you open it."), "info")
            return redirect(url_for("auth.account"))
    return settings_page(email_form=email_form)


@bp.route("/account/email/confirm/<secret>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], methods=["POST"])
def confirm_email_change(secret: str) -> str | Response:
    """Open the link sent to the new address (a button, so mail scanners cannot spend it)."""
    form = ButtonForm()
    if request.method == "GET" and not links.is_live(secret, TokenPurpose.CHANGE_EMAIL):
        flash(str(links.LinkInvalid.message), "danger")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    if form.validate_on_submit():
        try:
            keep = sessions.current_session() if current_user.is_authenticated else None
            recovery.confirm_email_change(secret, ip=request.remote_addr, keep=keep)
            db.session.commit()
        except links.LinkInvalid as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        except services.AccountError as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
        except IntegrityError:  # another account took the address in the same instant
            db.session.rollback()
            flash(str(recovery.AddressNowTaken().message), "danger")
        else:
            flash(_("Your email address is changed."), "success")
        return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("auth.login"))
    return render_template("auth/confirm_email_change.html", form=form)


@bp.route("/account/sessions/<int:session_id>/end", methods=["POST"])
@login_required
def end_session(session_id: int) -> Response:
    """Log one of one's own devices out."""
    user = signed_in_user()
    row = sessions.session_of(user, session_id)
    if ButtonForm().validate_on_submit() and row is not None:
        sessions.end_session(row)
        audit.record("auth.session_ended", actor=user, target=row, details={"device": row.device})
        db.session.commit()
        if row.id == getattr(sessions.current_session(), "id", None):
            logout_user()
            flash(_("You have logged out."), "info")
            return redirect(url_for("main.index"))
        flash(_("That device is logged out."), "success")
    return redirect(url_for("auth.account") + "#sessions")


@bp.route("/account/sessions/end-others", methods=["POST"])
@login_required
def end_other_sessions() -> Response:
    """Log every device out but this one."""
    user = signed_in_user()
    if ButtonForm().validate_on_submit():
        ended = sessions.end_sessions(user, keep=sessions.current_session())
        audit.record("auth.other_sessions_ended", actor=user, target=user, details={"count": ended})
        db.session.commit()
        flash(_("Every other device is logged out."), "success")
    return redirect(url_for("auth.account") + "#sessions")
