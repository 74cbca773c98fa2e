"""Forms every area shares."""

from __future__ import annotations

from flask_wtf import FlaskForm


class ConfirmForm(FlaskForm):
    """A button that changes state: only its CSRF token matters."""
