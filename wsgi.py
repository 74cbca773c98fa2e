"""Entry point for gunicorn and the flask command: `gunicorn wsgi:app`."""

import sys

from config import ConfigError
from dealflow import create_app

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"dealflow: {exc}")
