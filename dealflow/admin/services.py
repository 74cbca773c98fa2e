"""Administrators' rules for hubs, and for accounts where they meet billing."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from dealflow import audit
from dealflow.auth import services as accounts
from dealflow.auth.services import AccountError
from dealflow.billing import plans as billing
from dealflow.extensions import db
from dealflow.models import Hub, Region, Role, User
from dealflow.startups.services import StartupError, slugify


def save_hub(
    hub: Hub | None,
    *,
    name: str,
    home_region: str,
    regions: Sequence[str],
    actor: User,
    ip: str | None,
    name_ru: str | None = None,
    name_kk: str | None = None,
) -> Hub:
    """Create or change a hub: its name, home region and the regions whose submissions it reviews."""
    clash = db.session.scalar(select(Hub.id).where(Hub.name == name.strip()))
    if clash is not None and (hub is None or clash != hub.id):
        raise StartupError(_l("A hub with this name already exists."), field="name")
    served = db.session.scalars(select(Region).where(Region.code.in_(set(regions) | {home_region}))).all()
    if not any(r.code == home_region for r in served):
        raise StartupError(_l("Choose the hub's home region."), field="home_region")
    if hub is None:
        hub = Hub(slug=slugify(name))
        db.session.add(hub)
        action = "hub.created"
    else:
        action = "hub.updated"
    hub.name = name.strip()
    hub.name_ru = (name_ru or "").strip() or None
    hub.name_kk = (name_kk or "").strip() or None
    hub.home_region_code = home_region
    hub.regions = sorted(served, key=lambda r: r.position)
    db.session.flush()
    audit.record(action, actor=actor, target=hub, details={"regions": [r.code for r in hub.regions]}, ip=ip)
    return hub


def update_account(
    user: User, *, actor: User, role: Role, hub: Hub | None, active: bool, ip: str | None = None
) -> None:
    """Change an account's role, hub or access, unless it is an investor's whom Stripe would go on charging."""
    if user.role == Role.INVESTOR and (role != Role.INVESTOR or not active) and billing.renews_at_stripe(user):
        # Stripe would go on charging someone who can no longer reach their billing page.
        raise AccountError(
            _l("This investor pays for Pro. They cancel it on their billing page first; then change the account."),
            field="role",
        )
    accounts.update_user_by_admin(user, actor=actor, role=role, hub=hub, active=active, ip=ip)
