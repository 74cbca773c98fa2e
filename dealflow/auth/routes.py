"""Signing up, logging in and out, and account settings."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import TooManyRequests
from werkzeug.wrappers import Response

from dealflow import audit
from dealflow.auth import services, throttle
from dealflow.auth.forms import LoginForm, PasswordChangeForm, RegisterForm, SettingsForm, show_account_error
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db, limiter
from dealflow.http import safe_next_url
from dealflow.i18n import remember_language
from dealflow.models import Role, User

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    """The page each role starts from after logging in."""
    return {
        Role.FOUNDER: url_for("startups.dashboard"),
        Role.INVESTOR: url_for("investors.browse"),
        Role.HUB_STAFF: url_for("review.queue"),
        Role.ADMIN: url_for("review.queue"),
    }[user.role]


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["REGISTER_LIMIT_PER_IP"], methods=["POST"])
def register() -> str | Response:
    """A founder or investor opens an account and is logged in."""
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
                locale=request.cookies.get(current_app.config["LANGUAGE_COOKIE_NAME"]),
            )
            db.session.commit()
        except services.AccountError as exc:
            show_account_error(form, exc, fallback="email")
        except IntegrityError:  # the same email registered a moment ago by a parallel request
            db.session.rollback()
            show_account_error(form, services.EmailTaken(), fallback="email")
        else:
            audit.record("auth.registered", actor=user, details={"role": user.role.value}, ip=request.remote_addr)
            db.session.commit()
            login_user(user)
            flash(_("Welcome to Dealflow, %(name)s.", name=user.name), "success")
            return redirect(home_for(user))
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], methods=["POST"])
def login() -> str | Response:
    """Log in with email and password; a failure never says which of the two was wrong."""
    if current_user.is_authenticated:
        return redirect(safe_next_url(request.args.get("next")) or home_for(signed_in_user()))
    form = LoginForm()
    if form.validate_on_submit():
        account = throttle.account_key(form.email.data or "")
        limit = current_app.config["LOGIN_LIMIT_PER_ACCOUNT"]
        if not throttle.take_login_attempt(account, limit):
            raise TooManyRequests(retry_after=throttle.seconds_until_next_attempt(account, limit))
        user = services.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            throttle.forget_login_attempts(account, limit)
            audit.record("auth.login", actor=user, ip=request.remote_addr)
            db.session.commit()
            login_user(user, remember=bool(form.remember.data))
            return redirect(safe_next_url(request.args.get("next")) or home_for(user))
        audit.record("auth.login_failed", actor=None, actor_email=account, ip=request.remote_addr)
        db.session.commit()
        form.password.errors = [_("The email or password is not correct.")]
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the session; a POST so that no other site can log a user out."""
    if current_user.is_authenticated:
        audit.record("auth.logout", actor=signed_in_user(), ip=request.remote_addr)
        db.session.commit()
    logout_user()
    flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | Response:
    """Name and preferred language."""
    user = signed_in_user()
    form = SettingsForm(obj=user) if request.method == "GET" else SettingsForm()
    if form.validate_on_submit():
        services.update_settings(user, name=form.name.data or "", locale=form.locale.data or None)
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return remember_language(redirect(url_for("auth.account")), user.locale)
    return render_template("auth/account.html", form=form, password_form=PasswordChangeForm())


@bp.route("/account/password", methods=["POST"])
@login_required
@limiter.limit(lambda: current_app.config["ACCOUNT_SECURITY_LIMIT"], key_func=lambda: f"user:{current_user.id}")
def change_password() -> str | Response:
    """Replace the password after proving the current one; other sessions end."""
    user = signed_in_user()
    password_form = PasswordChangeForm()
    if password_form.validate_on_submit():
        try:
            services.change_password(
                user,
                current_password=password_form.current_password.data or "",
                new_password=password_form.new_password.data or "",
            )
        except services.AccountError as exc:
            show_account_error(password_form, exc, fallback="current_password")
        else:
            audit.record("auth.password_changed", actor=user, ip=request.remote_addr)
            db.session.commit()
            remembered = current_app.config["REMEMBER_COOKIE_NAME"] in request.cookies
            login_user(user, remember=remembered)  # this session continues under the new version
            flash(_("Your password is changed. Other devices have been logged out."), "success")
            return redirect(url_for("auth.account"))
    return render_template("auth/account.html", form=SettingsForm(obj=user), password_form=password_form)
