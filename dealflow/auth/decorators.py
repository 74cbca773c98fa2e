"""Guarding views by role, checked on the server for every request."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort
from flask_login import current_user

from dealflow.extensions import login_manager
from dealflow.models import Role

F = TypeVar("F", bound=Callable[..., Any])


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let only logged-in users of these roles through: others get 401 (to log in) or 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return guarded  # type: ignore[return-value]

    return decorator


staff_required = role_required(Role.HUB_STAFF, Role.ADMIN)
admin_required = role_required(Role.ADMIN)
founder_required = role_required(Role.FOUNDER)
investor_access_required = role_required(Role.INVESTOR, Role.HUB_STAFF, Role.ADMIN)
