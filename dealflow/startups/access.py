"""Who may see which startup, which file and which contact details. Checked on every request."""

from __future__ import annotations

from sqlalchemy import or_, select

from dealflow.extensions import db
from dealflow.models import DeckVisibility, IntroRequest, IntroStatus, Role, Startup, StartupStatus, StoredFile, User


def can_view_startup(user: User | None, startup: Startup) -> bool:
    """Owners see their own; staff see everything; everyone else, signed in or not, sees approved teasers."""
    if user is not None and (user.is_staff or startup.owner_id == user.id):
        return True
    return startup.status == StartupStatus.APPROVED


def has_match(user: User, startup: Startup) -> bool:
    """Whether the investor and the startup are matched (an accepted intro)."""
    if user.role != Role.INVESTOR:
        return False
    matched = select(IntroRequest.id).where(
        IntroRequest.investor_id == user.id,
        IntroRequest.startup_id == startup.id,
        IntroRequest.status == IntroStatus.ACCEPTED,
    )
    return db.session.scalar(matched.limit(1)) is not None


def can_see_contacts(user: User, startup: Startup) -> bool:
    """Contact details are for the owner, hub staff, and investors once matched."""
    return user.is_staff or startup.owner_id == user.id or has_match(user, startup)


def can_open_deck(user: User, startup: Startup) -> bool:
    """The deck as the founder chose: all verified investors, or matched investors only.

    A matched investor sees it either way: the founder accepted them, which says more than verification.
    """
    if user.is_staff or startup.owner_id == user.id:
        return True
    if user.role != Role.INVESTOR or startup.status != StartupStatus.APPROVED:
        return False
    if startup.deck_visibility == DeckVisibility.MATCHED_INVESTORS or not user.is_verified_investor:
        return has_match(user, startup)
    return True


def can_download(user: User | None, stored: StoredFile) -> bool:
    """Files follow the startup they belong to; unattached uploads are their owner's alone.

    A listed startup's logo is public, like its teaser, so that a shared link previews with it.
    """
    if user is not None and (user.is_staff or stored.owner_id == user.id):
        return True
    listed = db.session.scalars(
        select(Startup).where(
            Startup.status == StartupStatus.APPROVED,
            or_(Startup.logo_file_id == stored.id, Startup.deck_file_id == stored.id),
        )
    ).all()
    for startup in listed:
        if startup.logo_file_id == stored.id and can_view_startup(user, startup):
            return True
        if startup.deck_file_id == stored.id and user is not None and can_open_deck(user, startup):
            return True
    return False
