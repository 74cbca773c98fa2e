"""Telling people what happened: a notification in the app and an email, in each reader's language."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import LazyString, force_locale, get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from dealflow.extensions import db
from dealflow.labels import status_label
from dealflow.models import Hub, Notification, Role, Startup, User, hub_region, utcnow
from dealflow.notifications import mail
from dealflow.reference.data import region_name

SUBJECTS: dict[str, LazyString] = {
    "submission": _l("New submission to review: %(startup)s"),
    "changes_submitted": _l("Changes to review: %(startup)s"),
    "decision": _l("Decision on %(startup)s: %(decision)s"),
    "intro_request": _l("Intro request for %(startup)s from %(investor)s"),
    "intro_declined": _l("Your intro request to %(startup)s was declined"),
    "match_investor": _l("Match: %(startup)s accepted your intro request"),
    "match_founder": _l("Match: you and %(investor)s, about %(startup)s"),
    "close_to_confirm": _l("Please confirm the investment in %(startup)s"),
    "close_confirmed": _l("The investment in %(startup)s is confirmed"),
    "close_disputed": _l("The investment in %(startup)s was not confirmed"),
    "payment_failed": _l("Your payment for Dealflow Pro failed"),
}
TEXTS: dict[str, LazyString] = {
    "submission": _l("%(startup)s (%(region)s) was submitted for review."),
    "changes_submitted": _l("%(startup)s (%(region)s) submitted changes to its listed profile."),
    "decision": _l("Hub staff decided on %(startup)s: %(decision)s."),
    "intro_request": _l("%(investor)s asked for an intro to %(startup)s."),
    "intro_declined": _l("The founder of %(startup)s declined your intro request."),
    "match_investor": _l("%(startup)s accepted your intro request: you are matched and can see their contacts."),
    "match_founder": _l("You are matched with %(investor)s about %(startup)s and can see their contacts."),
    "close_to_confirm": _l("%(who)s recorded a closed investment in %(startup)s: please confirm it."),
    "close_confirmed": _l("%(who)s confirmed the closed investment in %(startup)s."),
    "close_disputed": _l("%(who)s did not confirm the closed investment in %(startup)s."),
    "payment_failed": _l("The payment of %(amount)s for Dealflow Pro failed: update your card to keep Pro."),
}


def _shown(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as the reader sees them: decisions and regions named in the current language."""
    shown = dict(params)
    if "decision" in shown:
        shown["decision"] = str(status_label(shown["decision"])).lower()
    if "region_code" in shown:
        shown["region"] = region_name(shown.pop("region_code"), str(get_locale()))
    return shown


def text_of(notification: Notification) -> str:
    """The notification in the language of the page showing it."""
    return str(TEXTS[notification.kind]) % _shown(notification.params)


def notify(
    user: User,
    kind: str,
    params: dict[str, Any],
    link: str,
    *,
    email_extra: dict[str, Any] | None = None,
    once_key: str | None = None,
) -> bool:
    """One notification and one outbox email, in the recipient's language, in the caller's transaction.

    With once_key the pair is written at most once ever (False when it was written before).
    """
    locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
    with force_locale(locale):
        shown = _shown(params)
        subject = str(SUBJECTS[kind]) % shown
        body = render_template(
            f"emails/{kind}.txt",
            user=user,
            params=shown,
            extra=email_extra or {},
            url=current_app.config["SITE_URL"] + link,
        )
    if not mail.queue(db.session(), mail.build(user.email, subject, body), dedupe_key=once_key):
        return False
    db.session.add(Notification(user_id=user.id, kind=kind, params=params, link=link))
    db.session.flush()
    return True


def staff_serving(region_code: str | None) -> Sequence[User]:
    """Active hub staff of every hub that serves the region."""
    if region_code is None:
        return []
    return db.session.scalars(
        select(User)
        .join(Hub, User.hub_id == Hub.id)
        .join(hub_region, hub_region.c.hub_id == Hub.id)
        .where(hub_region.c.region_code == region_code, User.role == Role.HUB_STAFF, User.active.is_(True))
        .order_by(User.id)
    ).all()


def tell_staff_of_submission(startup: Startup, *, changes: bool) -> None:
    """Each staff member of the hubs serving the startup's region hears of a new item in their queue."""
    for reviewer in staff_serving(startup.region_code):
        notify(
            reviewer,
            "changes_submitted" if changes else "submission",
            {"startup": startup.name, "region_code": startup.region_code},
            f"/review/{startup.id}",
        )


def tell_founder_of_decision(startup: Startup, decision: str, comment: str | None) -> None:
    """The founder hears the decision, with the reviewer's comment in the email."""
    notify(
        startup.owner,
        "decision",
        {"startup": startup.name, "decision": decision},
        "/founder/",
        email_extra={"comment": comment},
    )


def tell_investor_of_failed_payment(
    user: User, invoice_id: str, *, amount_cents: int | None, currency: str | None, grace_until: datetime | None
) -> bool:
    """A failed payment reaches the investor's inbox, not only a banner: once per invoice, whatever Stripe retries."""
    amount = f"{(amount_cents or 0) / 100:.2f} {(currency or 'usd').upper()}"
    return notify(
        user,
        "payment_failed",
        {"amount": amount},
        "/billing/",
        email_extra={"grace_until": grace_until},
        once_key=f"payment_failed:{invoice_id}",
    )


def unread_count(user_id: int) -> int:
    """For the bell in the navigation bar: one small indexed count."""
    return (
        db.session.scalar(
            select(func.count(Notification.id)).where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


def recent(user_id: int, limit: int = 50) -> Sequence[Notification]:
    """The newest notifications of a user."""
    return db.session.scalars(
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
        .limit(limit)
    ).all()


def mark_all_read(user_id: int) -> None:
    """Mark the user's notifications as read."""
    query = update(Notification).where(Notification.user_id == user_id, Notification.read_at.is_(None))
    db.session.execute(query.values(read_at=utcnow()))
