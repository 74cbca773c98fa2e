"""Operations: a log line per request with its id, readiness of database and Redis, gunicorn refusing bad settings."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from dealflow import request_log
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory
from tests.test_email import free_port

ROOT = Path(__file__).resolve().parent.parent


def request_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "dealflow.request"]


def test_each_request_is_one_line_with_its_id_user_endpoint_status_and_duration(
    client: FlaskClient, auth: Auth, caplog: pytest.LogCaptureFixture
) -> None:
    user = UserFactory(email="logged@aral.kz")
    auth.login(user.email, PASSWORD)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="dealflow.request"):
        response = client.get("/notifications")
    [line] = request_lines(caplog)
    assert line.request_id == response.headers["X-Request-ID"]  # type: ignore[attr-defined]
    assert len(line.request_id) == 32  # type: ignore[attr-defined]
    assert line.user_id == user.id  # type: ignore[attr-defined]
    assert line.endpoint == "notifications.index"  # type: ignore[attr-defined]
    assert line.status == response.status_code == 200  # type: ignore[attr-defined]
    assert line.duration_ms >= 0  # type: ignore[attr-defined]
    assert line.method == "GET"  # type: ignore[attr-defined]


def test_a_sane_incoming_request_id_is_kept_and_a_forged_one_replaced(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="dealflow.request"):
        kept = client.get("/healthz", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
        replaced = client.get("/healthz", headers={"X-Request-ID": 'forged id=" level=ERROR'})
    assert kept.headers["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert replaced.headers["X-Request-ID"] != 'forged id=" level=ERROR'
    assert len(replaced.headers["X-Request-ID"]) == 32
    assert [r.request_id for r in request_lines(caplog)] == [  # type: ignore[attr-defined]
        "lb-7f3a9c21-0001",
        replaced.headers["X-Request-ID"],
    ]
    assert request_lines(caplog)[0].user_id is None  # type: ignore[attr-defined]


def test_a_crash_goes_to_the_log_with_its_traceback_and_never_to_the_page(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken() -> str:
        raise RuntimeError("the secret internals of the crash")

    monkeypatch.setitem(app.view_functions, "main.index", broken)
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)  # as in production, not re-raised into the test
    with caplog.at_level(logging.INFO):
        response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Something went wrong" in page
    assert "secret internals" not in page
    assert "Traceback" not in page
    [crash] = [r for r in caplog.records if r.exc_info]
    assert "the secret internals of the crash" in "".join(logging.Formatter().formatException(crash.exc_info))
    [line] = request_lines(caplog)
    assert line.status == 500  # type: ignore[attr-defined]
    filtered = logging.makeLogRecord({"msg": "x"})
    with app.test_request_context("/"):
        from flask import g

        g.request_id = line.request_id  # type: ignore[attr-defined]
        request_log.RequestIdFilter().filter(filtered)
    assert filtered.request_id == line.request_id  # type: ignore[attr-defined]


def test_production_logs_are_json_lines_with_the_request_fields() -> None:
    record = logging.makeLogRecord(
        {
            "name": "dealflow.request",
            "levelname": "INFO",
            "msg": "GET / main.index 200 3.2ms user=None",
            "request_id": "abc123def456",
            "endpoint": "main.index",
            "status": 200,
            "duration_ms": 3.2,
            "user_id": 7,
        }
    )
    line = json.loads(request_log.JsonFormatter().format(record))
    assert line["request_id"] == "abc123def456"
    assert line["status"] == 200
    assert line["user_id"] == 7
    assert line["message"].startswith("GET /")
    try:
        raise ValueError("boom")
    except ValueError:
        error = logging.makeLogRecord({"msg": "failed", "exc_info": sys.exc_info()})
    assert "ValueError: boom" in json.loads(request_log.JsonFormatter().format(error))["traceback"]


def test_readyz_is_ready_without_redis_in_the_embedded_default(client: FlaskClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "checks": {"database": "ok", "redis": "not configured"}}


def test_readyz_pings_the_real_redis(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json()["checks"] == {"database": "ok", "redis": "ok"}


def test_readyz_answers_503_when_redis_is_down(
    app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "not ready", "checks": {"database": "ok", "redis": "unavailable"}}
    assert client.get("/healthz").status_code == 200  # the process itself is alive


def gunicorn(env: dict[str, str], *args: str, timeout: float = 30) -> tuple[int | None, str, float]:
    started = time.monotonic()
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{free_port()}"]
    process = subprocess.Popen([*command, *args, "wsgi:app"], cwd=ROOT, env=env, stderr=subprocess.PIPE, text=True)
    try:
        _out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        _out, err = process.communicate()
        return None, err, time.monotonic() - started
    return process.returncode, err, time.monotonic() - started


def test_gunicorn_stops_at_once_on_invalid_production_settings() -> None:
    env: dict[str, Any] = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEALFLOW_ENV")}
    env.update(
        DEALFLOW_ENV="production",
        DATABASE_URL="postgresql://dealflow@127.0.0.1:9/dealflow",
        REDIS_URL="redis://127.0.0.1:9/0",
        SITE_URL="https://dealflow.example",
        MAIL_SERVER="127.0.0.1",
    )
    code, err, took = gunicorn(env, "--workers", "2")
    assert code not in (None, 0), "gunicorn kept running with no SECRET_KEY"
    assert took < 20
    assert "SECRET_KEY is not set: production refuses to start without it" in err
    assert err.count("SECRET_KEY is not set") == 1  # refused once in the master, not once per worker forever


def test_a_text_log_line_cannot_be_forged_through_the_path(
    client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="dealflow.request"):
        client.get("/healthz%0A2026-01-01 00:00:00 INFO dealflow.request [-] GET /admin%0D%E2%80%A8x")
    [record] = request_lines(caplog)
    line = request_log.TextFormatter().format(record)
    assert "\n" not in line
    assert "\r" not in line
    assert "\u2028" not in line
    assert "/healthz\\n2026-01-01 00:00:00 INFO" in line


def test_readyz_pings_the_queues_redis_too(app: Flask, client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setitem(app.config, "HUEY_URL", f"redis://127.0.0.1:{free_port()}/0")  # the queue's Redis is down
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "unavailable"}
