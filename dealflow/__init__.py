"""Dealflow: the deal-flow platform of Kazakhstan's venture ecosystem."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import settings_for
from dealflow import cli, database, errors, i18n, request_log, web
from dealflow.admin.routes import bp as admin_bp
from dealflow.auth import sessions
from dealflow.auth.routes import bp as auth_bp
from dealflow.billing.routes import bp as billing_bp
from dealflow.evidence.log_routes import bp as ledger_log_bp
from dealflow.evidence.routes import bp as evidence_bp
from dealflow.extensions import babel, csrf, db, file_store, limiter, login_manager, migrate
from dealflow.investors.listing import register_listing_events
from dealflow.investors.routes import bp as investors_bp
from dealflow.jobs import register_jobs
from dealflow.main.notifications import bp as notifications_bp
from dealflow.main.routes import bp as main_bp
from dealflow.matches.routes import bp as matches_bp
from dealflow.parsing import BoundedIntConverter
from dealflow.privacy.routes import bp as privacy_bp
from dealflow.review.routes import bp as review_bp
from dealflow.startups.routes import bp as startups_bp
from dealflow.startups.seo import bp as seo_bp


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app: load settings, bind extensions, register blueprints, errors and commands."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    overrides = dict(config or {})
    env_name = overrides.pop("ENV_NAME", None) or os.environ.get("DEALFLOW_ENV", "development")
    app.config.from_object(settings_for(env_name, app.instance_path))
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)

    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    app.url_map.converters["int"] = BoundedIntConverter  # before any route: every <int:...> is a possible id
    request_log.configure_logging(app)
    request_log.register_request_logging(app)  # first: its after-request hook runs last and times the whole request
    register_extensions(app)
    register_blueprints(app)
    errors.register_error_handlers(app)
    web.register_request_hooks(app)
    web.register_template_helpers(app)
    cli.register_commands(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions of dealflow.extensions to this app."""
    db.init_app(app)
    database.register_engine_events(app)
    register_listing_events(app)
    register_jobs(app)  # after db: its end-of-work hook runs before the session is removed
    migrate.init_app(
        app,
        db,
        directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
        compare_type=True,
        render_as_batch=True,
    )
    csrf.init_app(app)
    babel.init_app(app, locale_selector=i18n.select_locale)
    limiter.init_app(app)
    file_store.init_app(app)
    login_manager.init_app(app)
    sessions.configure_login_manager(login_manager)


def register_blueprints(app: Flask) -> None:
    """Mount every area of the site."""
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(notifications_bp)
    app.register_blueprint(startups_bp)
    app.register_blueprint(seo_bp)
    app.register_blueprint(investors_bp)
    app.register_blueprint(matches_bp)
    app.register_blueprint(evidence_bp, url_prefix="/evidence")
    app.register_blueprint(ledger_log_bp, url_prefix="/evidence")
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(billing_bp, url_prefix="/billing")
