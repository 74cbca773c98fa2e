"""gunicorn's settings for Dealflow: `gunicorn -c gunicorn.conf.py wsgi:app` (the job worker is `flask worker`).

The settings are checked once in the master, before any worker forks: invalid production settings stop
gunicorn with the reason and a non-zero exit, instead of workers that fail to boot and are restarted forever.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from config import ConfigError, settings_for

bind = os.environ.get("BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))  # one sync worker per core
timeout = 30
graceful_timeout = 20
accesslog = None  # the app writes one line per request itself, with its request id
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server: Any) -> None:
    """Build the settings in the master: a ConfigError ends gunicorn here, naming what is wrong."""
    instance_path = str(Path(__file__).resolve().parent / "instance")
    try:
        settings_for(os.environ.get("DEALFLOW_ENV", "development"), instance_path)
    except ConfigError as exc:
        print(f"dealflow: {exc}", file=sys.stderr, flush=True)  # noqa: T201 -- before gunicorn's log exists
        sys.exit(1)
