"""Entry point for gunicorn, the flask command and Huey's consumer: `gunicorn -c gunicorn.conf.py wsgi:app`.

`flask worker` (or `huey_consumer wsgi.huey`) runs the job queue beside it.
"""

import sys

from config import ConfigError
from dealflow import create_app
from dealflow.jobs import queue_of

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"dealflow: {exc}")

huey = queue_of(app).huey
