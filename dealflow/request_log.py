"""Logging: one line per request with its id, JSON lines in production, tracebacks to the log and never the page."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Flask, Response, g, has_request_context, request
from flask_login import current_user

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or a client may pass on: nothing that could forge or break a log line.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")
REQUEST_FIELDS = ("request_id", "method", "path", "endpoint", "status", "duration_ms", "user_id")
access_log = logging.getLogger("dealflow.request")


class RequestIdFilter(logging.Filter):
    """Every line written while a request is handled carries that request's id, tracebacks included."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = g.get("request_id") if has_request_context() else None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for a log collector; the request's fields are keys of their own."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for field in REQUEST_FIELDS:
            value = getattr(record, field, None)
            if value is not None:
                line[field] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def escape_controls(text: str) -> str:
    """Control characters and line separators as visible escapes: a path such as /x%0A<fake> cannot start a line."""
    return "".join(
        ch.encode("unicode_escape").decode("ascii")
        if unicodedata.category(ch)[0] == "C" or ch in "\u2028\u2029"
        else ch
        for ch in text
    )


class TextFormatter(logging.Formatter):
    """Readable lines for a developer's terminal; whatever a message holds, it is one line (a traceback follows)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_shown)s] %(message)s")

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 -- logging's hook name
        record.message = escape_controls(record.message)
        return super().formatMessage(record)

    def format(self, record: logging.LogRecord) -> str:
        record.request_shown = getattr(record, "request_id", None) or "-"
        return super().format(record)


class DealflowHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Our handler on the root logger; recognised so that a second app in one process replaces it, not doubles it."""


def configure_logging(app: Flask) -> None:
    """JSON lines in production, text elsewhere, at LOG_LEVEL; in tests pytest's own capture is left alone."""
    root = logging.getLogger()
    root.setLevel(app.config["LOG_LEVEL"])
    logging.getLogger("dealflow").setLevel(app.config["LOG_LEVEL"])
    for handler in [h for h in root.handlers if isinstance(h, DealflowHandler)]:
        root.removeHandler(handler)
    if app.testing:
        return
    handler = DealflowHandler(sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter() if app.config["LOG_FORMAT"] == "json" else TextFormatter())
    root.addHandler(handler)


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if SANE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _log_request(response: Response) -> Response:
    request_id = g.get("request_id") or uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = request_id
    duration_ms = round((time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000, 1)
    user_id = current_user.id if current_user and current_user.is_authenticated else None
    fields = {
        "request_id": request_id,
        "method": request.method,
        "path": request.path,
        "endpoint": request.endpoint,
        "status": response.status_code,
        "duration_ms": duration_ms,
        "user_id": user_id,
    }
    access_log.info(
        "%s %s %s %s %.1fms user=%s",
        request.method,
        request.path,
        request.endpoint,
        response.status_code,
        duration_ms,
        user_id,
        extra=fields,
    )
    return response


def register_request_logging(app: Flask) -> None:
    """Give each request an id (a sane incoming X-Request-ID, else a new one), echo it, and log the request."""
    app.before_request(_start_request)
    app.after_request(_log_request)
