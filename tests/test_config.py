"""Settings: production refuses to start without its secrets and sets secure cookies."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask

from config import ConfigError
from dealflow import create_app
from dealflow.extensions import db

ROOT = Path(__file__).resolve().parent.parent
STRONG_SECRET = "kQ9v2-Lx7pZ_c4RtWm8YbN3eHs6JuGfA1oDiVyTq5rEz"  # not a real key: a test value of fair entropy


@pytest.fixture
def production_env(monkeypatch: pytest.MonkeyPatch, app: Flask) -> None:
    monkeypatch.setenv("SECRET_KEY", STRONG_SECRET)
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("SITE_URL", "https://dealflow.example")
    monkeypatch.setenv("MAIL_SERVER", "127.0.0.1")
    monkeypatch.setenv("LEDGER_SIGNING_KEY", "A" * 43 + "=")


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SITE_URL", "MAIL_SERVER", "LEDGER_SIGNING_KEY"]
)
def test_production_refuses_to_start_without_a_secret(
    production_env: None, monkeypatch: pytest.MonkeyPatch, missing: str
) -> None:
    monkeypatch.delenv(missing)
    with pytest.raises(ConfigError, match=f"^{missing} is not set"):
        create_app({"ENV_NAME": "production"})


def test_production_refuses_a_short_secret_key(production_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="SECRET_KEY is too short"):
        create_app({"ENV_NAME": "production"})


def test_wsgi_exits_with_one_line_naming_the_missing_variable() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL")}
    env["DEALFLOW_ENV"] = "production"
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "dealflow: SECRET_KEY is not set: production refuses to start without it"
    ]


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="DEALFLOW_ENV must be one of"):
        create_app({"ENV_NAME": "staging"})


def test_production_cookies_are_secure_httponly_and_samesite(production_env: None) -> None:
    app = create_app({"ENV_NAME": "production"})
    response = app.test_client().get("/login", base_url="https://dealflow.example")
    with app.app_context():
        db.engine.dispose()
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("dealflow_session=")]
    assert "Secure" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["REMEMBER_COOKIE_SECURE"] is True


def test_postgres_urls_are_pointed_at_psycopg3(production_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@db.internal/dealflow")
    app = create_app({"ENV_NAME": "production"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db.internal/dealflow"
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    ("secret", "reason"),
    [
        ("dev-only-not-secret", "a development default"),
        ("dev-only-not-secret-dev-only-not-secret-2026", "a development default or made from one"),
        ("x" * 48, "too easy to guess"),
        ("abcd" * 12, "too easy to guess"),
        ("aabbccddeeffgghh" * 3, "too easy to guess"),
        ("01234567890123456789012345678901234567", "too easy to guess"),
        ("dev_only_not_secret_dev_only_not_secret_2", "a development default or made from one"),
        ("DevOnlyNotSecret-please-change-me-in-production-2026", "a development default or made from one"),
        ("terces-ton-ylno-ved-terces-ton-ylno-ved-1", "a development default or made from one"),
        ("ZGV2LW9ubHktbm90LXNlY3JldC1kZXYtb25seS1ub3Qtc2VjcmV0", "a development default or made from one"),
        ("abcdefghijklmnopqrstuvwxyz0123456789", "too easy to guess"),
        ("ab" * 20 + "c", "too easy to guess"),
        ("6816850410856208701012299012898650", "too weak: about 113 bits"),
    ],
)
def test_production_refuses_a_guessable_secret_key(
    production_env: None, monkeypatch: pytest.MonkeyPatch, secret: str, reason: str
) -> None:
    monkeypatch.setenv("SECRET_KEY", secret)
    with pytest.raises(ConfigError, match=f"^SECRET_KEY is {reason}"):
        create_app({"ENV_NAME": "production"})


@pytest.mark.parametrize(
    "secret",
    [
        "3f9a1c7e5b2d84f60a9e3c71d5b8f204",  # secrets.token_hex(16), openssl rand -hex 16: 128 bits
        "9B1D4E7A02C64F3E8D5A1B7C3E9F6D20",  # the same in capitals
        "c5b0a2e4f6d14c8e9a7b3d2f1e0c8a6b",  # uuid.uuid4().hex
    ],
)
def test_a_hex_key_of_128_bits_is_accepted(production_env: None, monkeypatch: pytest.MonkeyPatch, secret: str) -> None:
    monkeypatch.setenv("SECRET_KEY", secret)
    app = create_app({"ENV_NAME": "production"})
    assert app.config["SECRET_KEY"] == secret
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("name", ["OUTBOX_BACKOFF_SECONDS", "OUTBOX_BACKOFF_CAP_SECONDS", "OUTBOX_MAX_ATTEMPTS"])
def test_an_outbox_delay_or_limit_of_zero_is_refused(
    production_env: None, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "0")
    with pytest.raises(ConfigError, match=f"^{name} must be at least 1, got 0"):
        create_app({"ENV_NAME": "production"})


def test_a_random_secret_key_is_accepted(production_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    import secrets

    monkeypatch.setenv("SECRET_KEY", secrets.token_urlsafe(48))
    app = create_app({"ENV_NAME": "production"})
    assert len(app.config["SECRET_KEY"]) >= 48
    with app.app_context():
        db.engine.dispose()


def test_production_refuses_a_plain_http_site_url(production_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_URL", "http://dealflow.example")
    with pytest.raises(ConfigError, match="^SITE_URL must be an https:// address in production"):
        create_app({"ENV_NAME": "production"})


def test_production_refuses_a_job_queue_that_is_not_redis(
    production_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUEY_URL", "sqlite:////tmp/huey.db")
    with pytest.raises(ConfigError, match="^HUEY_URL must be a Redis URL in production"):
        create_app({"ENV_NAME": "production"})


def test_seed_demo_refuses_in_production(production_env: None) -> None:
    app = create_app({"ENV_NAME": "production"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["seed-demo"])
        db.engine.dispose()
    assert result.exit_code != 0
    assert "seed-demo refuses to run in production" in result.output


def test_development_links_follow_the_port(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setenv("PORT", "8000")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'dev.db'}")
    app = create_app({"ENV_NAME": "development"})
    assert app.config["SITE_URL"] == "http://127.0.0.1:8000"
    monkeypatch.setenv("SITE_URL", "http://dealflow.local:9000/")
    assert create_app({"ENV_NAME": "development"}).config["SITE_URL"] == "http://dealflow.local:9000"


def test_an_unknown_job_queue_url_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUEY_URL", "amqp://broker")
    with pytest.raises(ConfigError, match="^HUEY_URL must start with redis://"):
        create_app({"ENV_NAME": "development"})
