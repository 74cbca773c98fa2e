"""Reads for administrators' pages."""

from __future__ import annotations

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from dealflow.extensions import db
from dealflow.models import Hub, Role, User

PER_PAGE = 50


def users_page(*, page: int, role: Role | None, search: str) -> Pagination:
    """Accounts filtered by role and by a piece of name or email, newest first."""
    query = select(User).options(selectinload(User.hub)).order_by(User.created_at.desc(), User.id.desc())
    if role is not None:
        query = query.where(User.role == role)
    if search:
        term = search.strip()
        query = query.where(
            or_(User.email.contains(term.lower(), autoescape=True), User.name.icontains(term, autoescape=True))
        )
    return db.paginate(query, page=max(page, 1), per_page=PER_PAGE, error_out=False)


def hub_choices() -> list[tuple[int, str]]:
    """Every hub as (id, name), for the staff assignment menus."""
    return [(h.id, h.name) for h in db.session.scalars(select(Hub).order_by(Hub.name))]
