"""Administrators manage accounts: create staff and admins, change roles, block access."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from dealflow.admin.forms import CreateUserForm, EditUserForm, ExchangeRateForm
from dealflow.admin.queries import hub_choices, users_page
from dealflow.auth import services
from dealflow.auth.decorators import admin_required
from dealflow.auth.forms import show_account_error
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db
from dealflow.models import Currency, ExchangeRate, Hub, Role, User
from dealflow.startups import services as startup_services

bp = Blueprint("admin", __name__)


def _hub(hub_id: str | None) -> Hub | None:
    return db.session.get(Hub, int(hub_id)) if hub_id and hub_id.isdigit() else None


@bp.route("/users")
@admin_required
def users() -> str:
    """Every account, filterable by role and searchable by name or email."""
    role_arg = request.args.get("role", "")
    role = Role(role_arg) if role_arg in {r.value for r in Role} else None
    search = request.args.get("q", "")[:100]
    pagination = users_page(page=request.args.get("page", 1, type=int), role=role, search=search)
    return render_template("admin/users.html", pagination=pagination, role=role, search=search, roles=list(Role))


@bp.route("/users/new", methods=["GET", "POST"])
@admin_required
def create_user() -> str | Response:
    """Create an account of any role, typically hub staff or another admin."""
    form = CreateUserForm()
    form.set_hub_choices(hub_choices())
    if form.validate_on_submit():
        try:
            user = services.create_user(
                email=form.email.data or "",
                password=form.password.data or "",
                name=form.name.data or "",
                role=Role(form.role.data),
                hub=_hub(form.hub_id.data),
            )
        except services.AccountError as exc:
            show_account_error(form, exc, fallback="email")
        else:
            db.session.commit()
            flash(_("The account of %(email)s is created.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@admin_required
def edit_user(user_id: int) -> str | Response:
    """Change one account's role, hub or ability to log in."""
    user = db.get_or_404(User, user_id)
    form = EditUserForm(
        data={"role": user.role.value, "hub_id": str(user.hub_id or ""), "active": user.active}
        if request.method == "GET"
        else None
    )
    form.set_hub_choices(hub_choices())
    if form.validate_on_submit():
        try:
            services.update_user_by_admin(
                user,
                actor=signed_in_user(),
                role=Role(form.role.data),
                hub=_hub(form.hub_id.data),
                active=bool(form.active.data),
            )
        except services.AccountError as exc:
            show_account_error(form, exc, fallback="role")
        else:
            db.session.commit()
            flash(_("The account of %(email)s is updated.", email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_edit.html", form=form, user=user)


@bp.route("/rates", methods=["GET", "POST"])
@admin_required
def exchange_rates() -> str | Response:
    """The tenge rate used to show and filter every amount in US dollars."""
    current = db.session.get(ExchangeRate, Currency.KZT)
    form = ExchangeRateForm(
        data={"units_per_usd": current.units_per_usd if current else None} if request.method == "GET" else None
    )
    if form.validate_on_submit():
        try:
            updated = startup_services.set_exchange_rate(
                Currency.KZT, form.units_per_usd.data or Decimal(0), actor=signed_in_user()
            )
        except startup_services.StartupError as exc:
            form.units_per_usd.errors = [str(exc.message)]
        else:
            db.session.commit()
            flash(
                _("The rate is saved; %(count)d startups asking in tenge were recalculated.", count=updated), "success"
            )
            return redirect(url_for("admin.exchange_rates"))
    return render_template("admin/rates.html", form=form, current=current)
