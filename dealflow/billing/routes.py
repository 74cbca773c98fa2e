"""The billing pages (plan, card, invoices, cancel, resume) and the endpoint Stripe's webhooks reach."""

from __future__ import annotations

import logging
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from dealflow.auth.decorators import role_required
from dealflow.auth.sessions import signed_in_user
from dealflow.billing import cards, errors, gateway, labels, plans, queries, subscriptions, webhooks
from dealflow.billing.forms import CardForm, ChangePlanForm, SubscribeForm
from dealflow.extensions import csrf, db, limiter
from dealflow.forms import ConfirmForm
from dealflow.http import content_security_policy
from dealflow.models import Role, Subscription

log = logging.getLogger(__name__)

bp = Blueprint("billing", __name__)
investor_required = role_required(Role.INVESTOR)

SETUP_PURPOSES = ("subscribe", "change_card")


@bp.app_context_processor
def billing_template_globals() -> dict[str, Any]:
    """Lazy helpers for every page: the signed-in investor's plan and whether a payment failed."""
    return {
        "billing_enabled": plans.billing_enabled,
        "current_plan": current_plan,
        "billing_notice": billing_notice,
        "plan_limit": plan_limit,
        "subscription_status_label": labels.subscription_status_label,
        "invoice_status_label": labels.invoice_status_label,
        "interval_label": labels.interval_label,
    }


def _signed_in_investor_billing() -> bool:
    return (
        has_request_context()
        and current_user.is_authenticated
        and current_user.role == Role.INVESTOR
        and plans.billing_enabled()
    )


def _request_subscription() -> Subscription | None:
    """The signed-in investor's current subscription, read once per request: the plan and the banner share it."""
    if "billing_subscription" not in g:
        g.billing_subscription = plans.current_subscription(int(current_user.id))
    subscription: Subscription | None = g.billing_subscription
    return subscription


def current_plan() -> plans.Plan:
    """The signed-in user's plan (Free for everyone but investors, and for everyone while billing is off)."""
    if not _signed_in_investor_billing():
        return plans.FREE
    return plans.plan_for(signed_in_user(), _request_subscription())


def plan_limit(feature: str) -> plans.PlanLimitReached | None:
    """What the upgrade prompt shows when the signed-in user's plan lacks the feature, else None."""
    plan = current_plan()
    if plan.allows(plans.Feature(feature)):
        return None
    return plans.PlanLimitReached(plans.Feature(feature), plan=plan)


def billing_notice() -> Subscription | None:
    """The investor's subscription when its last payment failed (past due or unpaid), for the banner on every page."""
    if not _signed_in_investor_billing():
        return None
    subscription = _request_subscription()
    return subscription if subscription is not None and subscription.status in plans.BEHIND_STATUSES else None


@bp.app_template_filter("cents")
def format_cents(amount: int | None, currency: str = "usd") -> str:
    """An amount Stripe gives in cents, in the page's currency format: $49.00."""
    return str(format_currency((amount or 0) / 100, currency.upper()))


def _with_stripe_js(page: str) -> Response:
    """A page that loads Stripe.js: only it gets a policy that lets Stripe's script, calls and frames in."""
    response = current_app.make_response(page)
    response.headers["Content-Security-Policy"] = content_security_policy(**gateway.browser_origins())
    return response


@bp.route("/")
@investor_required
def index() -> str:
    """Current plan, status, renewal date, card and invoices; the buttons to subscribe, change, cancel, resume."""
    summary = queries.summary_of(signed_in_user())
    return render_template(
        "billing/index.html", summary=summary, free_intro_limit=plans.free_intro_requests_per_month()
    )


def _card_page(
    form: SubscribeForm | CardForm, *, price: plans.Price | None, error: str | None = None, status: int = 200
) -> Response:
    config = current_app.config
    page = render_template(
        "billing/card.html",
        form=form,
        error=error,
        price=price,
        purpose="subscribe" if price is not None else "change_card",
        action=url_for("billing.subscribe") if price is not None else url_for("billing.change_card"),
        publishable_key=config["STRIPE_PUBLISHABLE_KEY"],
        stripe_js_url=config["STRIPE_JS_URL"],
    )
    response = _with_stripe_js(page)
    response.status_code = status
    return response


def _refusal_status(exc: errors.BillingError) -> int:
    return 503 if isinstance(exc, errors.BillingUnavailable) else 200


def _end_refused(exc: errors.BillingError) -> None:
    """Roll a refused request back, unless Stripe acted before refusing (then our records must say so too)."""
    if exc.keep:
        db.session.commit()
    else:
        db.session.rollback()


@bp.route("/subscribe/<price_key>")
@investor_required
def checkout(price_key: str) -> Response:
    """The card form for Pro, monthly or yearly: Stripe.js collects the card, our server never sees it."""
    price = plans.price_by_key(price_key)
    if price is None:
        raise NotFound()
    if not plans.billing_enabled():
        flash(_("Billing is not set up on this server: everyone is on the Free plan."), "info")
        return redirect(url_for("billing.index"))
    if plans.live_subscription(signed_in_user()) is not None:
        flash(_("You already have a subscription: change its plan below."), "info")
        return redirect(url_for("billing.index"))
    return _card_page(SubscribeForm(formdata=None, price=price.key), price=price)


@bp.route("/setup-intent", methods=["POST"])
@investor_required
@limiter.limit("30 per hour", key_func=lambda: f"setup-intent:{signed_in_user().id}")
def setup_intent() -> tuple[Response, int]:
    """A SetupIntent's client secret for Stripe.js (JSON; the CSRF token comes in the X-CSRFToken header)."""
    purpose = request.form.get("purpose", "subscribe")
    if purpose not in SETUP_PURPOSES:
        return jsonify(error=_("Reload the page and try again.")), 400
    try:
        client_secret = cards.start_card_setup(signed_in_user(), purpose=purpose)
    except errors.BillingError as exc:
        db.session.rollback()
        return jsonify(error=str(exc.message)), 503 if isinstance(exc, errors.BillingUnavailable) else 400
    db.session.commit()  # the Stripe customer is kept even if the card is never entered
    return jsonify(client_secret=client_secret), 200


@bp.route("/subscribe", methods=["POST"])
@investor_required
def subscribe() -> Response:
    """Create the subscription with the card Stripe.js confirmed; nothing is kept if Stripe refuses or is down."""
    form = SubscribeForm()
    price = plans.price_by_key(form.price.data)
    if not form.validate_on_submit() or price is None:
        flash(_("Enter your card again."), "danger")
        return redirect(url_for("billing.index"))
    try:
        subscriptions.subscribe(
            signed_in_user(),
            price_key=price.key,
            setup_intent_id=form.setup_intent.data or "",
            ip=request.remote_addr,
        )
    except errors.BillingError as exc:
        _end_refused(exc)
        return _card_page(
            SubscribeForm(formdata=None, price=price.key),
            price=price,
            error=str(exc.message),
            status=_refusal_status(exc),
        )
    db.session.commit()
    flash(_("Welcome to Pro. Thank you for your subscription!"), "success")
    return redirect(url_for("billing.index"))


@bp.route("/card", methods=["GET", "POST"])
@investor_required
def change_card() -> Response:
    """Replace the card future invoices are charged to."""
    if not plans.billing_enabled():
        return redirect(url_for("billing.index"))
    form = CardForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("Enter your card again."), "danger")
            return redirect(url_for("billing.change_card"))
        try:
            change = cards.change_card(
                signed_in_user(), setup_intent_id=form.setup_intent.data or "", ip=request.remote_addr
            )
        except errors.BillingError as exc:
            _end_refused(exc)
            return _card_page(CardForm(formdata=None), price=None, error=str(exc.message), status=_refusal_status(exc))
        db.session.commit()  # the card is the default at Stripe whatever became of the failed payment
        if change.recovery == cards.Recovery.DECLINED:
            if change.reason:
                error = _(
                    "Your new card is saved, but the failed payment was declined again: %(reason)s",
                    reason=change.reason,
                )
            else:
                error = _("Your new card is saved, but the failed payment was declined again. Try another card.")
            return _card_page(CardForm(formdata=None), price=None, error=error)
        if change.recovery == cards.Recovery.PAID:
            flash(_("Your new card is saved and the failed payment has gone through: Pro is active again."), "success")
        elif change.recovery == cards.Recovery.NOT_TRIED:
            flash(
                _(
                    "Your new card is saved, but the failed payment could not be charged to it just now. "
                    "Save the card again in a few minutes to retry."
                ),
                "warning",
            )
        else:
            flash(_("Your new card is saved. Future invoices are charged to it."), "success")
        return redirect(url_for("billing.index"))
    return _card_page(CardForm(formdata=None), price=None)


def _subscription_change(change: Any, done: Any) -> Response:
    try:
        change()
    except errors.BillingError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    else:
        db.session.commit()
        flash(str(done), "success")
    return redirect(url_for("billing.index"))


@bp.route("/cancel", methods=["POST"])
@investor_required
def cancel() -> Response:
    """Cancel at the end of the period already paid for; everything saved stays."""
    if not ConfirmForm().validate_on_submit():
        raise NotFound()
    user = signed_in_user()
    return _subscription_change(
        lambda: subscriptions.cancel_at_period_end(user, ip=request.remote_addr),
        _l("Your subscription will end at the end of the current period. You keep Pro until then."),
    )


@bp.route("/resume", methods=["POST"])
@investor_required
def resume() -> Response:
    """Undo a cancellation before the period ends."""
    if not ConfirmForm().validate_on_submit():
        raise NotFound()
    user = signed_in_user()
    return _subscription_change(
        lambda: subscriptions.resume(user, ip=request.remote_addr),
        _l("Your subscription will renew as before."),
    )


@bp.route("/plan", methods=["POST"])
@investor_required
def change_plan() -> Response:
    """Switch between paying monthly and yearly."""
    form = ChangePlanForm()
    if not form.validate_on_submit():
        raise NotFound()
    user = signed_in_user()
    return _subscription_change(
        lambda: subscriptions.change_plan(user, price_key=form.price.data or "", ip=request.remote_addr),
        _l("Your plan is changed."),
    )


@bp.route("/webhook", methods=["POST"])
@csrf.exempt
def webhook() -> tuple[Response, int]:
    """Stripe's events, verified by their signature (the only form on the site without a CSRF token)."""
    if not plans.billing_enabled():
        raise NotFound()
    try:
        event = gateway.verified_event(request.get_data(cache=False), request.headers.get("Stripe-Signature"))
    except gateway.InvalidWebhook as exc:
        log.warning("Refused a Stripe webhook from %s: %s", request.remote_addr, exc)
        return jsonify(error="invalid signature"), 400
    try:
        outcome = webhooks.process_event(event)
    except errors.BillingUnavailable as exc:
        db.session.rollback()
        log.warning("Stripe event %s not applied, Stripe will send it again: %s", event.get("id"), exc)
        return jsonify(error="try again later"), 503
    db.session.commit()
    return jsonify(received=True, outcome=outcome), 200
