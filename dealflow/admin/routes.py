"""Administrators manage accounts: create staff and admins, change roles, block access."""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from dealflow import audit
from dealflow.admin import services as admin_services
from dealflow.admin.forms import AuditFilterForm, CreateUserForm, EditUserForm, ExchangeRateForm, HubForm
from dealflow.admin.queries import hub_choices, users_page
from dealflow.auth import services
from dealflow.auth.decorators import admin_required
from dealflow.auth.forms import show_account_error
from dealflow.auth.sessions import signed_in_user
from dealflow.billing import plans as billing_plans
from dealflow.billing import queries as billing_queries
from dealflow.extensions import db
from dealflow.models import AuditLog, Currency, ExchangeRate, Hub, Region, Role, User
from dealflow.notifications import mail, outbox
from dealflow.parsing import parse_int, parse_page
from dealflow.startups import services as startup_services

bp = Blueprint("admin", __name__)


def _hub(hub_id: str | None) -> Hub | None:
    found = parse_int(hub_id, minimum=1)
    return db.session.get(Hub, found) if found is not None else None


@bp.route("/users")
@admin_required
def users() -> str:
    """Every account, filterable by role and searchable by name or email."""
    role_arg = request.args.get("role", "")
    role = Role(role_arg) if role_arg in {r.value for r in Role} else None
    search = request.args.get("q", "")[:100]
    pagination = users_page(page=parse_page(request.args.get("page")), role=role, search=search)
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
                verified=True,  # an administrator vouches for the address of an account they open
            )
        except services.AccountError as exc:
            show_account_error(form, exc, fallback="email")
        else:
            audit.record(
                "user.created",
                actor=signed_in_user(),
                target=user,
                details={"role": user.role.value},
                ip=request.remote_addr,
            )
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
            admin_services.update_account(
                user,
                actor=signed_in_user(),
                role=Role(form.role.data),
                hub=_hub(form.hub_id.data),
                active=bool(form.active.data),
                ip=request.remote_addr,
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
            audit.record(
                "rate.changed",
                actor=signed_in_user(),
                details={"KZT": str(form.units_per_usd.data)},
                ip=request.remote_addr,
            )
            db.session.commit()
            flash(
                _("The rate is saved; %(count)d startups asking in tenge were recalculated.", count=updated), "success"
            )
            return redirect(url_for("admin.exchange_rates"))
    return render_template("admin/rates.html", form=form, current=current)


def _region_choices() -> list[tuple[str, str]]:
    locale = str(get_locale())
    return [(r.code, r.name(locale)) for r in db.session.scalars(select(Region).order_by(Region.position))]


@bp.route("/hubs")
@admin_required
def hubs() -> str:
    """Every hub with the regions it reviews and its staff."""
    rows = db.session.scalars(
        select(Hub)
        .options(selectinload(Hub.regions), selectinload(Hub.staff), selectinload(Hub.home_region))
        .order_by(Hub.name)
    ).all()
    return render_template("admin/hubs.html", hubs=rows)


@bp.route("/hubs/new", methods=["GET", "POST"])
@bp.route("/hubs/<int:hub_id>", methods=["GET", "POST"])
@admin_required
def edit_hub(hub_id: int | None = None) -> str | Response:
    """Create a hub or change the regions it reviews; staff are assigned on their account page."""
    hub = db.get_or_404(Hub, hub_id) if hub_id is not None else None
    form = HubForm()
    form.set_region_choices(_region_choices())
    if request.method == "GET" and hub is not None:
        form.name.data = hub.name
        form.name_ru.data = hub.name_ru
        form.name_kk.data = hub.name_kk
        form.home_region.data = hub.home_region_code
        form.regions.data = [r.code for r in hub.regions]
    if form.validate_on_submit():
        try:
            saved = admin_services.save_hub(
                hub,
                name=form.name.data or "",
                name_ru=form.name_ru.data,
                name_kk=form.name_kk.data,
                home_region=form.home_region.data or "",
                regions=form.regions.data or [],
                actor=signed_in_user(),
                ip=request.remote_addr,
            )
        except startup_services.StartupError as exc:
            getattr(form, exc.field or "name").errors = [str(exc.message)]
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=saved.name), "success")
            return redirect(url_for("admin.hubs"))
    return render_template("admin/hub_form.html", form=form, hub=hub)


AUDIT_PER_PAGE = 50


@bp.route("/audit")
@admin_required
def audit_log() -> str:
    """Every recorded action, newest first, filterable by action and by who did it."""
    form = AuditFilterForm(request.args)
    actions = db.session.scalars(select(AuditLog.action).distinct().order_by(AuditLog.action)).all()
    form.action.choices = [SelectChoice("", _("All actions"))] + [SelectChoice(a, a) for a in actions]
    query = select(AuditLog).order_by(AuditLog.created_at.desc(), AuditLog.id.desc())
    if form.action.data:
        query = query.where(AuditLog.action == form.action.data)
    if form.actor.data:
        query = query.where(AuditLog.actor_email.contains(form.actor.data.strip().lower(), autoescape=True))
    page = db.paginate(query, page=parse_page(request.args.get("page")), per_page=AUDIT_PER_PAGE, error_out=False)
    return render_template("admin/audit.html", form=form, pagination=page, rows=audit.shown(list(page.items)))


@bp.route("/billing")
@admin_required
def billing() -> str:
    """Who is on which plan, whose payment failed and who leaves at the end of the period."""
    plan = request.args.get("plan", "")
    plan = plan if plan in billing_queries.PLAN_FILTERS else ""
    search = request.args.get("q", "")[:100]
    pagination = billing_queries.billing_page(
        page=parse_page(request.args.get("page")), plan=plan or None, search=search
    )
    return render_template(
        "admin/billing.html",
        pagination=pagination,
        rows=billing_queries.rows_for(list(pagination.items)),
        totals=billing_queries.totals(),
        plan=plan,
        search=search,
        enabled=billing_plans.billing_enabled(),
    )


OUTBOX_PER_PAGE = 50


@bp.route("/outbox")
@admin_required
def undelivered_mail() -> str:
    """Emails every attempt failed for, with the last error, so an administrator can fix the cause and retry."""
    page = db.paginate(
        outbox.dead_letters_query(),
        page=parse_page(request.args.get("page")),
        per_page=OUTBOX_PER_PAGE,
        error_out=False,
    )
    return render_template("admin/outbox.html", pagination=page, counts=outbox.counts_by_status(db.session()))


@bp.route("/outbox/retry-all", methods=["POST"])
@admin_required
def retry_all_mail() -> Response:
    """Send every dead letter again once the mail server is fixed, instead of one click per email."""
    count = outbox.retry_all_dead(db.session())
    audit.record("outbox.retry_all", actor=signed_in_user(), details={"count": count}, ip=request.remote_addr)
    mail.mark_written(db.session())
    db.session.commit()
    flash(_("%(n)s undelivered email(s) will be sent again.", n=count), "success")
    return redirect(url_for("admin.undelivered_mail"))


@bp.route("/outbox/<int:message_id>/retry", methods=["POST"])
@admin_required
def retry_mail(message_id: int) -> Response:
    """Send a dead letter again with the same Message-ID; the worker is woken once this is committed."""
    try:
        row = outbox.retry_dead(db.session(), message_id)
    except outbox.OutboxError:
        flash(_("That email is no longer waiting for a retry."), "warning")
        return redirect(url_for("admin.undelivered_mail"))
    audit.record(
        "outbox.retry",
        actor=signed_in_user(),
        target=row,
        details={"recipient": row.recipient, "message_id": row.message_id, "last_error": row.last_error},
        ip=request.remote_addr,
    )
    mail.mark_written(db.session())
    db.session.commit()
    flash(_("The email to %(recipient)s will be sent again.", recipient=row.recipient), "success")
    return redirect(url_for("admin.undelivered_mail"))
