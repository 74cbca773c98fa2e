"""Error pages in the user's language, for every status a user may meet."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from dealflow.extensions import db

ERROR_TEXTS = {
    400: (_l("Bad request"), _l("The request could not be understood. Go back and try again.")),
    403: (_l("Access denied"), _l("Your account does not have access to this page.")),
    404: (_l("Page not found"), _l("There is nothing at this address. It may have been moved or removed.")),
    405: (_l("Method not allowed"), _l("This page cannot be used that way.")),
    413: (_l("File too large"), _l("What you sent is larger than the site accepts. Choose a smaller file.")),
    429: (_l("Too many attempts"), _l("You have tried too many times. Wait a few minutes, then try again.")),
    500: (_l("Something went wrong"), _l("We could not complete your request. Nothing was saved; please try again.")),
}
ErrorPage = tuple[str, int, dict[str, str]]
CSRF_TEXT = _l("The form expired or was sent from another site. Reload the page and submit it again.")


KEPT_HEADERS = ("Retry-After", "Allow")


def _render(code: int, message: object | None = None, headers: dict[str, str] | None = None) -> ErrorPage:
    title, default_message = ERROR_TEXTS.get(code, ERROR_TEXTS[500])
    page = render_template("errors/error.html", code=code, title=title, message=message or default_message)
    return page, code, headers or {}


def handle_http_error(error: HTTPException) -> ErrorPage:
    """Render a known HTTP error as a page of the site, keeping headers such as Retry-After."""
    headers = {name: value for name, value in error.get_headers() if name in KEPT_HEADERS}
    return _render(error.code or 500, headers=headers)


def handle_csrf_error(_error: CSRFError) -> ErrorPage:
    """Explain a refused form without echoing the technical reason."""
    return _render(400, CSRF_TEXT)


def handle_server_error(_error: InternalServerError) -> ErrorPage:
    """A crash still shows a page in the user's language, with nothing technical."""
    db.session.rollback()
    return _render(500)


def register_error_handlers(app: Flask) -> None:
    """Route each error status to the shared error page."""
    app.register_error_handler(CSRFError, handle_csrf_error)
    for code in (400, 403, 404, 405, 413, 429):
        app.register_error_handler(code, handle_http_error)
    app.register_error_handler(InternalServerError, handle_server_error)
