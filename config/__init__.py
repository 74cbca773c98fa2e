"""Settings for each environment, read from the process environment.

Development and testing have safe defaults; production has none for its secrets
and refuses to start without them.
"""

from __future__ import annotations

import base64
import os
import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from config import checks

ENVIRONMENTS = ("development", "testing", "production")
LANGUAGES = ("en", "ru", "kk")


class ConfigError(RuntimeError):
    """Raised when the environment cannot run the app as configured."""


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from exc


def _env_usd_cents(name: str, default_cents: int) -> int:
    """A price in US dollars such as "49" or "49.50", kept in cents as Stripe wants it."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default_cents
    try:
        cents = Decimal(value.strip()) * 100
    except InvalidOperation as exc:
        raise ConfigError(f"{name} must be an amount in US dollars such as 49 or 49.50, got {value!r}") from exc
    if cents <= 0 or cents != cents.to_integral_value():
        raise ConfigError(f"{name} must be a positive amount in whole cents, got {value!r}")
    return int(cents)


def normalise_database_url(url: str) -> str:
    """Point postgres URLs at psycopg 3, the driver we ship."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class BaseConfig:
    """Settings shared by every environment."""

    ENV_NAME = "base"
    DEBUG = False
    TESTING = False

    LANGUAGES = LANGUAGES
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_DEFAULT_TIMEZONE = "Asia/Almaty"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent.parent / "dealflow" / "translations")

    SQLALCHEMY_TRACK_MODIFICATIONS = False
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT: int | None = None  # the token lives as long as the session

    SESSION_COOKIE_NAME = "dealflow_session"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = False
    REMEMBER_COOKIE_NAME = "dealflow_remember"
    LANGUAGE_COOKIE_NAME = "dealflow_lang"
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    SESSION_IDLE_MINUTES = 120  # a session without "keep me logged in" ends after this long unused

    MAX_CONTENT_LENGTH = 25 * 1024 * 1024  # the largest upload (a deck) plus form fields

    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = "memory://"
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_LIMIT_PER_IP = "20 per 5 minutes"
    # Wrong passwords count per (account, client address): a stranger cannot lock the owner out.
    LOGIN_LIMIT_PER_ACCOUNT = "5 per 15 minutes"
    # Past this many attempts on one account from all addresses, each address gets the shorter allowance.
    LOGIN_ACCOUNT_CEILING = "50 per 15 minutes"
    LOGIN_LIMIT_UNDER_ATTACK = "2 per 15 minutes"
    # A hard cap far above any person (10x the ceiling): past it no password is checked for the account,
    # from any address, until the window ends; the owner gets in at once with a password-reset link.
    LOGIN_ACCOUNT_HARD_CAP = "500 per 15 minutes"
    LOGIN_ALERT_AFTER = 10  # failed attempts in the ceiling's window before the owner is emailed, once per window
    VERIFY_EMAIL_HOURS = 48
    RESET_PASSWORD_MINUTES = 60
    RESEND_LIMIT_PER_ACCOUNT = "3 per hour"
    RESEND_LIMIT_PER_IP = "10 per hour"
    RESET_LIMIT_PER_ADDRESS = "3 per hour"
    RESET_LIMIT_PER_IP = "10 per hour"
    TERMS_VERSION = "2026-12"
    REGISTER_LIMIT_PER_IP = "10 per hour"
    ACCOUNT_SECURITY_LIMIT = "10 per 15 minutes"

    TRUSTED_PROXIES = 0
    LOG_LEVEL = "INFO"
    LOG_FORMAT = "text"  # "json" in production: one object per line for the log collector

    PROFILE_SAVE_LIMIT = "120 per hour"
    MARKDOWN_PREVIEW_LIMIT = "60 per minute"  # the founder form's live preview, one request per pause in typing
    DISCOVERY_CACHE_SIZE = 2_000  # pages, counts and facets kept per worker, keyed by the listing generation
    FRAGMENT_CACHE_SIZE = 5_000  # rendered result cards and filter panels kept per worker
    INTRO_REQUEST_LIMIT = "20 per hour"
    MATCH_PROGRESS_LIMIT = "60 per hour"
    MAIL_BACKEND = "console"
    MAIL_SERVER = "127.0.0.1"
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME: str | None = None
    MAIL_PASSWORD: str | None = None
    MAIL_DEFAULT_SENDER = "Dealflow <noreply@dealflow.kz>"
    MAIL_TIMEOUT_SECONDS = 10

    # The outbox and its worker (Huey). HUEY_URL is redis://…, sqlite:///path, or "immediate" (tests).
    HUEY_NAME = "dealflow"
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_BACKOFF_SECONDS = 60  # 1 min after the first failure, then 2, 4, 8… up to the cap
    OUTBOX_BACKOFF_CAP_SECONDS = 3600
    OUTBOX_LEASE_SECONDS = 300  # a worker killed mid-batch leaves its rows to another one after this
    OUTBOX_BATCH_SIZE = 50
    SITE_URL = "http://127.0.0.1:5000"
    REVIEW_SLA_WORKING_DAYS = 5
    MAX_LOGO_BYTES = 2 * 1024 * 1024
    MAX_DECK_BYTES = 20 * 1024 * 1024

    # Billing: off unless STRIPE_SECRET_KEY is set. The API base and the Stripe.js URL point at
    # Stripe itself by default and at localstripe in tests and local development.
    STRIPE_SECRET_KEY: str | None = None
    STRIPE_PUBLISHABLE_KEY: str | None = None
    STRIPE_WEBHOOK_SECRET: str | None = None
    STRIPE_API_BASE = "https://api.stripe.com"
    STRIPE_JS_URL = "https://js.stripe.com/v3/"
    STRIPE_TIMEOUT_SECONDS = 10
    STRIPE_MAX_NETWORK_RETRIES = 2
    STRIPE_WEBHOOK_TIMEOUT_SECONDS = 3  # calls made while Stripe waits for a webhook's answer; never retried
    STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300
    STRIPE_PRODUCT_ID = "dealflow-pro"
    STRIPE_PLAN_PRO_MONTHLY = "dealflow-pro-monthly-usd"
    STRIPE_PLAN_PRO_YEARLY = "dealflow-pro-yearly-usd"
    PRO_MONTHLY_USD_CENTS = 4900
    PRO_YEARLY_USD_CENTS = 49000
    BILLING_GRACE_DAYS = 7
    FREE_INTRO_REQUESTS_PER_MONTH = 3

    # The evidence ledger's checkpoints: signed with LEDGER_SIGNING_KEY (an Ed25519 key as a C2SP note
    # signer key "PRIVATE+KEY+<origin>+<id>+<base64>", or a base64 32-byte seed named LEDGER_ORIGIN).
    # Development and tests keep a generated one in LEDGER_SIGNING_KEY_FILE; production needs the setting.
    LEDGER_ORIGIN = "dealflow.kz/evidence"
    LEDGER_SIGNING_KEY: str | None = None
    LEDGER_SIGNING_KEY_FILE: str | None = None
    LEDGER_CHECKPOINT_SECONDS = 5  # a new checkpoint at most this often, and only once the tree grew

    def __init__(self, instance_path: str) -> None:
        self.INSTANCE_PATH = instance_path
        self.LEDGER_ORIGIN = os.environ.get("LEDGER_ORIGIN") or self.LEDGER_ORIGIN
        self.LEDGER_SIGNING_KEY = os.environ.get("LEDGER_SIGNING_KEY") or None
        self.LEDGER_CHECKPOINT_SECONDS = _env_int("LEDGER_CHECKPOINT_SECONDS", self.LEDGER_CHECKPOINT_SECONDS)
        self.UPLOAD_FOLDER = os.environ.get("UPLOAD_FOLDER") or str(Path(instance_path) / "uploads")
        # The open data's aggregate files, written once per ledger head and shared by all workers.
        self.OPEN_DATA_FOLDER = os.environ.get("OPEN_DATA_FOLDER") or str(Path(instance_path) / "open-data")
        self.SITE_URL = (os.environ.get("SITE_URL") or self.SITE_URL).rstrip("/")
        self.MAIL_BACKEND = os.environ.get("MAIL_BACKEND") or (
            "smtp" if os.environ.get("MAIL_SERVER") else self.MAIL_BACKEND
        )
        self.MAIL_SERVER = os.environ.get("MAIL_SERVER") or self.MAIL_SERVER
        self.MAIL_PORT = _env_int("MAIL_PORT", self.MAIL_PORT)
        self.MAIL_USE_TLS = _env_bool("MAIL_USE_TLS", self.MAIL_USE_TLS)
        self.MAIL_USE_SSL = _env_bool("MAIL_USE_SSL", self.MAIL_USE_SSL)
        self.MAIL_USERNAME = os.environ.get("MAIL_USERNAME") or None
        self.MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD") or None
        self.MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER") or self.MAIL_DEFAULT_SENDER
        self.MAIL_TIMEOUT_SECONDS = _env_int("MAIL_TIMEOUT_SECONDS", self.MAIL_TIMEOUT_SECONDS)
        self._read_outbox_settings()
        self.TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", self.TRUSTED_PROXIES)
        self.LOG_LEVEL = (os.environ.get("LOG_LEVEL") or self.LOG_LEVEL).upper()
        if self.LOG_LEVEL not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise ConfigError(f"LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {self.LOG_LEVEL!r}")
        self.LOG_FORMAT = os.environ.get("LOG_FORMAT") or ("json" if self.ENV_NAME == "production" else self.LOG_FORMAT)
        if self.LOG_FORMAT not in ("json", "text"):
            raise ConfigError(f"LOG_FORMAT must be json or text, got {self.LOG_FORMAT!r}")
        self.RATELIMIT_ENABLED = _env_bool("RATELIMIT_ENABLED", self.RATELIMIT_ENABLED)
        self.SESSION_IDLE_MINUTES = _env_int("SESSION_IDLE_MINUTES", self.SESSION_IDLE_MINUTES)
        redis_url = os.environ.get("REDIS_URL")
        if redis_url:
            self.RATELIMIT_STORAGE_URI = redis_url
        self.REDIS_URL = redis_url or None
        # The job queue: Redis when there is one, else a SQLite file beside the database (no Redis needed).
        self.HUEY_URL = os.environ.get("HUEY_URL") or redis_url or "sqlite:///" + str(Path(instance_path) / "huey.db")
        self.HUEY_NAME = os.environ.get("HUEY_NAME") or self.HUEY_NAME
        if problem := checks.queue_url_problem(self.HUEY_URL):
            raise ConfigError(problem)
        self._read_billing_settings()

    def _read_outbox_settings(self) -> None:
        for name in (
            "OUTBOX_MAX_ATTEMPTS",
            "OUTBOX_BACKOFF_SECONDS",
            "OUTBOX_BACKOFF_CAP_SECONDS",
            "OUTBOX_LEASE_SECONDS",
            "OUTBOX_BATCH_SIZE",
        ):
            value = _env_int(name, getattr(self, name))
            if value < 1:  # a zero delay or cap retries a failing email in a tight loop
                raise ConfigError(f"{name} must be at least 1, got {value}")
            setattr(self, name, value)

    def _read_billing_settings(self) -> None:
        self.STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY") or None
        self.STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY") or None
        self.STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET") or None
        self.STRIPE_API_BASE = (os.environ.get("STRIPE_API_BASE") or self.STRIPE_API_BASE).rstrip("/")
        self.STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL") or self.STRIPE_JS_URL
        self.STRIPE_TIMEOUT_SECONDS = _env_int("STRIPE_TIMEOUT_SECONDS", self.STRIPE_TIMEOUT_SECONDS)
        self.STRIPE_MAX_NETWORK_RETRIES = _env_int("STRIPE_MAX_NETWORK_RETRIES", self.STRIPE_MAX_NETWORK_RETRIES)
        self.STRIPE_WEBHOOK_TIMEOUT_SECONDS = _env_int(
            "STRIPE_WEBHOOK_TIMEOUT_SECONDS", self.STRIPE_WEBHOOK_TIMEOUT_SECONDS
        )
        self.STRIPE_PRODUCT_ID = os.environ.get("STRIPE_PRODUCT_ID") or self.STRIPE_PRODUCT_ID
        self.STRIPE_PLAN_PRO_MONTHLY = os.environ.get("STRIPE_PLAN_PRO_MONTHLY") or self.STRIPE_PLAN_PRO_MONTHLY
        self.STRIPE_PLAN_PRO_YEARLY = os.environ.get("STRIPE_PLAN_PRO_YEARLY") or self.STRIPE_PLAN_PRO_YEARLY
        self.PRO_MONTHLY_USD_CENTS = _env_usd_cents("PRO_MONTHLY_PRICE_USD", self.PRO_MONTHLY_USD_CENTS)
        self.PRO_YEARLY_USD_CENTS = _env_usd_cents("PRO_YEARLY_PRICE_USD", self.PRO_YEARLY_USD_CENTS)
        self.BILLING_GRACE_DAYS = _env_int("BILLING_GRACE_DAYS", self.BILLING_GRACE_DAYS)
        self.FREE_INTRO_REQUESTS_PER_MONTH = _env_int(
            "FREE_INTRO_REQUESTS_PER_MONTH", self.FREE_INTRO_REQUESTS_PER_MONTH
        )
        if self.STRIPE_SECRET_KEY and not self.STRIPE_PUBLISHABLE_KEY:
            raise ConfigError("STRIPE_PUBLISHABLE_KEY is not set: the card form needs it when STRIPE_SECRET_KEY is set")


class DevelopmentConfig(BaseConfig):
    """A laptop: embedded SQLite under instance/, a throwaway secret."""

    ENV_NAME = "development"

    def __init__(self, instance_path: str) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = os.environ.get("SECRET_KEY") or "dev-only-not-secret"
        # Links in emails point at the port the dev server listens on (PORT=8000 make run).
        if not os.environ.get("SITE_URL"):
            self.SITE_URL = f"http://127.0.0.1:{_env_int('PORT', 5000)}"
        default_db = "sqlite:///" + str(Path(instance_path) / "dealflow.db")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ.get("DATABASE_URL") or default_db)
        self.LEDGER_SIGNING_KEY_FILE = str(
            Path(instance_path) / "ledger-signing-key"
        )  # generated once, never committed


class TestingConfig(BaseConfig):
    """The test suite: the database is chosen by the fixtures."""

    ENV_NAME = "testing"
    TESTING = True
    LOGIN_LIMIT_PER_IP = "50 per 5 minutes"
    REGISTER_LIMIT_PER_IP = "30 per hour"

    def __init__(self, instance_path: str) -> None:
        super().__init__(instance_path)
        self.SECRET_KEY = "testing-not-secret"  # noqa: S105 -- tests only, never a real secret
        self.MAIL_BACKEND = "null"
        # Mail is delivered the moment the request that wrote it ends, so a test reads its inbox right after.
        self.HUEY_URL = "immediate"
        self.REDIS_URL = None
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.RATELIMIT_STORAGE_URI = "memory://"
        # Billing is off unless a test turns it on against its local Stripe server, whatever the shell says.
        self.STRIPE_SECRET_KEY = self.STRIPE_PUBLISHABLE_KEY = self.STRIPE_WEBHOOK_SECRET = None
        self.STRIPE_API_BASE = "http://127.0.0.1:9"  # the discard port: never the real Stripe
        self.STRIPE_JS_URL = "http://127.0.0.1:9/js.stripe.com/v3/"
        self.STRIPE_MAX_NETWORK_RETRIES = 0  # a stopped local Stripe server fails at once
        self.STRIPE_TIMEOUT_SECONDS = 5
        # A fresh key for each test session's app (never a file, never a real key).
        self.LEDGER_SIGNING_KEY = base64.b64encode(secrets.token_bytes(32)).decode()


class ProductionConfig(BaseConfig):
    """PostgreSQL, Redis and HTTPS; every secret comes from the environment."""

    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"
    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 5}

    def __init__(self, instance_path: str) -> None:
        super().__init__(instance_path)
        for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL", "SITE_URL", "MAIL_SERVER"):
            if not os.environ.get(name):
                raise ConfigError(f"{name} is not set: production refuses to start without it")
        secret = os.environ["SECRET_KEY"]
        for problem in (
            checks.secret_key_problem(secret),
            checks.site_url_problem(self.SITE_URL),
            checks.huey_url_problem(self.HUEY_URL),
        ):
            if problem:
                raise ConfigError(problem)
        self.SECRET_KEY = secret
        if not self.LEDGER_SIGNING_KEY:
            raise ConfigError(
                "LEDGER_SIGNING_KEY is not set: production refuses to sign the evidence ledger with a made-up key "
                "(make one with `flask ledger keygen`)"
            )
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(os.environ["DATABASE_URL"])
        self.TRUSTED_PROXIES = _env_int("TRUSTED_PROXIES", 1)
        if self.STRIPE_SECRET_KEY and not self.STRIPE_WEBHOOK_SECRET:
            raise ConfigError(
                "STRIPE_WEBHOOK_SECRET is not set: production refuses to take payments "
                "without verifying Stripe's webhooks"
            )
        if self.STRIPE_SECRET_KEY:
            # The secret key travels with every call to the API base, and the card page runs the script at
            # STRIPE_JS_URL with the card in it: neither may go over plain http.
            for name in ("STRIPE_API_BASE", "STRIPE_JS_URL"):
                url = getattr(self, name)
                if urlsplit(url).scheme != "https" or not urlsplit(url).netloc:
                    raise ConfigError(
                        f"{name} must be an https:// address in production when STRIPE_SECRET_KEY is set, got {url!r}"
                    )


_CLASSES: dict[str, type[BaseConfig]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def settings_for(env_name: str, instance_path: str) -> BaseConfig:
    """Build the settings object of one environment, failing fast on bad input."""
    try:
        cls = _CLASSES[env_name]
    except KeyError:
        choices = ", ".join(ENVIRONMENTS)
        raise ConfigError(f"DEALFLOW_ENV must be one of {choices}, got {env_name!r}") from None
    return cls(instance_path)
