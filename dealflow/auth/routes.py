"""Signing up, confirming the address, logging in and out, and getting back in with a reset link."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from dealflow import audit
from dealflow.auth import (
    account_routes,  # noqa: F401 -- registers the account settings views on bp
    links,
    recovery,
    services,
    sessions,
    throttle,
)
from dealflow.auth.blueprint import bp as bp  # create_app imports the blueprint from here
from dealflow.auth.forms import (
    ButtonForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    show_account_error,
)
from dealflow.auth.sessions import home_for, log_in, signed_in_user
from dealflow.extensions import db, limiter
from dealflow.http import safe_next_url
from dealflow.models import Role, TokenPurpose


def _form_email_key() -> str:
    return "address:" + throttle.account_key(request.form.get("email", ""))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_IP"], methods=["POST"])
def register() -> str | Response:
    """A founder or investor asks for an account; the answer is the same whether or not the address has one."""
    if current_user.is_authenticated:
        return redirect(home_for(signed_in_user()))
    form = RegisterForm()
    if request.method == "GET" and request.args.get("role") in (Role.FOUNDER.value, Role.INVESTOR.value):
        form.role.data = request.args["role"]
    if form.validate_on_submit():
        try:
            user = services.register_user(
                email=form.email.data or "",
                password=form.password.data or "",
                name=form.name.data or "",
                role=Role(form.role.data),
                terms_version=current_app.config["TERMS_VERSION"],
                locale=request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"]),
            )
            if user is not None:
                details = {"role": user.role.value, "terms_version": user.terms_version}
                audit.record("auth.registered", actor=user, details=details, ip=request.remote_addr)
            db.session.commit()
        except services.AccountError as exc:
            show_account_error(form, exc, fallback="email")
        except IntegrityError:  # the same address registered a moment ago by a parallel request: answer alike
            db.session.rollback()
            return redirect(url_for("auth.check_inbox"))
        else:
            return redirect(url_for("auth.check_inbox"))
    return render_template("auth/register.html", form=form)


@bp.route("/register/check-your-inbox")
def check_inbox() -> str:
    """What every sign-up sees next, whether the address was new or not."""
    return render_template("auth/check_inbox.html")


@bp.route("/verify-email/<secret>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], methods=["POST"])
def verify_email(secret: str) -> str | Response:
    """Confirm the address with the emailed link (a button, so that mail scanners do not spend it).

    The link logs in only a visitor nobody is signed in as, and only on the first confirmation: it must not
    become a password-free way into an account that is already in use, nor swap the signed-in person.
    """
    form = ButtonForm()
    if request.method == "GET" and not links.is_live(secret, TokenPurpose.VERIFY_EMAIL):
        flash(str(links.LinkInvalid.message), "danger")
        return redirect(url_for("auth.login"))
    if form.validate_on_submit():
        try:
            user, newly_verified = services.verify_email(secret)
        except links.LinkInvalid as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(url_for("auth.login"))
        if current_user.is_authenticated:
            db.session.commit()
            if signed_in_user().id == user.id:
                flash(_("Your email address is confirmed."), "success")
            else:
                flash(_("The email address is confirmed. Log in to that account to use it."), "info")
            return redirect(home_for(signed_in_user()))
        if not newly_verified:
            db.session.commit()
            flash(_("Your email address is already confirmed. Log in to continue."), "info")
            return redirect(url_for("auth.login"))
        audit.record("auth.login", actor=user, details={"via": "verification link"}, ip=request.remote_addr)
        log_in(user, remember=False)
        flash(_("Your email address is confirmed. Welcome to Dealflow, %(name)s.", name=user.name), "success")
        return redirect(home_for(user))
    return render_template("auth/verify_email.html", form=form)


@bp.route("/verify-email/resend", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["RESEND_LIMIT_PER_IP"])
@limiter.limit(lambda: current_app.config["RESEND_LIMIT_PER_ACCOUNT"], key_func=lambda: f"resend:{current_user.id}")
def resend_verification() -> Response:
    """Send a fresh verification link; the older ones stop working."""
    user = signed_in_user()
    if ButtonForm().validate_on_submit() and not user.is_email_verified:
        services.send_verification(user)
        audit.record("auth.verification_sent", actor=user, target=user, ip=request.remote_addr)
        db.session.commit()
        flash(_("We sent a new link to %(email)s.", email=user.email), "info")
    return redirect(safe_next_url(request.form.get("next")) or home_for(user))


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def login() -> str | Response | tuple[str, int]:
    """Log in with email and password; a failure never says which of the two was wrong."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")) or home_for(signed_in_user()))
    form = LoginForm()
    if form.validate_on_submit():
        account = throttle.account_key(form.email.data or "")
        client = request.remote_addr or "unknown"
        if not throttle.take_account_attempt(account):
            if throttle.first_refusal_in_window(account):
                services.warn_of_lock(account)
                db.session.commit()
            form.password.errors = [
                _(
                    "Too many wrong passwords were tried for this account, so logging in with a password "
                    "is paused. Reset your password to log in now."
                )
            ]
            return render_template("auth/login.html", form=form), 429
        if not throttle.take_login_attempt(account, client):
            raise TooManyRequests(retry_after=throttle.seconds_until_next_attempt(account, client))
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            throttle.forget_login_attempts(account, client)
            audit.record("auth.login", actor=user, ip=request.remote_addr)
            log_in(user, remember=bool(form.remember.data))
            return redirect(safe_next_url(request.args.get("next")) or home_for(user))
        if throttle.record_failure(account):
            services.warn_of_guessing(account)
        audit.record("auth.login_failed", actor=None, actor_email=account, ip=request.remote_addr)
        db.session.commit()
        form.password.errors = [_("The email or password is not correct.")]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the session on the server, so a copied cookie stops working; a POST so no other site can do it."""
    if current_user.is_authenticated:
        row = sessions.current_session()
        if row is not None:
            sessions.end_session(row)
        audit.record("auth.logout", actor=signed_in_user(), ip=request.remote_addr)
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot-password", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_IP"], methods=["POST"])
@limiter.limit(lambda: current_app.config["RESET_LIMIT_PER_ADDRESS"], methods=["POST"], key_func=_form_email_key)
def forgot_password() -> str | Response:
    """Ask for a reset link; the page answers the same whether or not the address has an account."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        recovery.request_password_reset(form.email.data or "", ip=request.remote_addr)
        db.session.commit()
        return render_template("auth/reset_sent.html")
    return render_template("auth/forgot_password.html", form=form)


@bp.route("/reset-password/<secret>", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], methods=["POST"])
def reset_password(secret: str) -> str | Response:
    """Choose a new password through the emailed link; every session of the account ends."""
    try:
        links.find(secret, TokenPurpose.RESET_PASSWORD)
    except links.LinkInvalid as exc:
        flash(str(exc.message), "danger")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = recovery.reset_password(secret, form.new_password.data or "", ip=request.remote_addr)
        except services.AccountError as exc:
            db.session.rollback()
            show_account_error(form, exc, fallback="new_password")
        except links.LinkInvalid as exc:
            db.session.rollback()
            flash(str(exc.message), "danger")
            return redirect(url_for("auth.forgot_password"))
        else:
            db.session.commit()
            throttle.unlock_account(throttle.account_key(user.email))
            logout_user()
            flash(_("Your password is changed and every device was logged out. Log in with the new one."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset_password.html", form=form)


@bp.route("/terms")
def terms() -> str:
    """The terms of use, in the reader's language."""
    return render_template("legal/page.html", page="terms")


@bp.route("/privacy")
def privacy() -> str:
    """The privacy notice: what is kept, why, for how long, and the reader's rights."""
    return render_template("legal/page.html", page="privacy")
