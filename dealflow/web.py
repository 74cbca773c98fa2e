"""Request hooks and template helpers shared by every page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import flask_babel
from flask import Flask, Response, current_app, has_request_context, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup

from dealflow import labels
from dealflow.content import in_language, lang_attribute
from dealflow.countries import country_name
from dealflow.fragments import NEXT_SLOT, TOKEN_SLOT, fill_slots, fragments
from dealflow.i18n import format_day
from dealflow.models import IntroStatus, InvestorKind, PipelineStage, ProgressKind, ProgressStatus
from dealflow.notifications import services as notification_services
from dealflow.reference.data import SECTORS, STAGES, reference_name, region_name
from dealflow.startups.fields import FIELD_LABELS
from dealflow.startups.markdown import render_markdown


def content_security_policy(
    *, scripts: Sequence[str] = (), connects: Sequence[str] = (), frames: Sequence[str] = ()
) -> str:
    """The site's policy; a page that needs a third party (Stripe.js on the card form) names its origins."""
    script_src = " ".join(["'self'", *scripts])
    connect_src = " ".join(["'self'", *connects])
    frame_src = "frame-src " + " ".join(frames) + "; " if frames else ""
    return (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; "
        f"script-src {script_src}; font-src 'self'; connect-src {connect_src}; {frame_src}"
        "frame-ancestors 'none'; form-action 'self'; base-uri 'self'; object-src 'none'"
    )


CONTENT_SECURITY_POLICY = content_security_policy()


def safe_next_url(target: str | None) -> str | None:
    """Return target only when it is a path on this site, never another host."""
    if not target or "\\" in target or any(ch in target for ch in "\r\n\t"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _security_headers(response: Response) -> Response:
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
    if current_app.config["SESSION_COOKIE_SECURE"]:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if request.endpoint != "static":
        response.headers.setdefault("Cache-Control", "no-store")
        response.vary.add("Cookie")
        response.vary.add("Accept-Language")
    return response


def register_request_hooks(app: Flask) -> None:
    """Every response carries the security headers."""
    app.after_request(_security_headers)


def page_chrome(part: str) -> Markup:
    """The navigation bar or the footer: the same for every page of one account, language and unread count."""
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    signed_in = has_request_context() and current_user.is_authenticated
    unread = notification_services.unread_count(int(current_user.id)) if signed_in and part == "navbar" else 0
    account = (current_user.id, current_user.role, current_user.name) if signed_in else None
    html = fragments().get_or_render(
        ("chrome", part, locale, account, unread),
        lambda: render_template(f"_{part}.html", token=TOKEN_SLOT, next_url=NEXT_SLOT, unread_notifications=unread),
    )
    return fill_slots(html)


def _template_globals() -> dict[str, Any]:
    locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    return {
        "page_chrome": page_chrome,
        "current_locale": locale,
        "languages": labels.LANGUAGE_NAMES,
        "role_label": labels.role_label,
        "status_label": labels.status_label,
        "status_help": labels.status_help,
        "status_badge": labels.status_badge,
        "instrument_label": labels.instrument_label,
        "field_label": lambda name: FIELD_LABELS.get(name, name),
        "translated": lambda item, field: in_language(item, field, locale),
        "lang_attribute": lambda item, field: lang_attribute(item, field, locale),
        "hub_name": lambda hub: hub.localized_name(locale) if hub else "",
        "site_url": lambda path: current_app.config["SITE_URL"] + path,
        "region_label": lambda code: region_name(code, locale),
        "sector_label": lambda code: reference_name(SECTORS, code, locale),
        "stage_label": lambda code: reference_name(STAGES, code, locale),
        "pipeline_label": lambda stage: labels.PIPELINE_LABELS[PipelineStage(stage)],
        "fit_reason": lambda code: labels.FIT_REASONS.get(code, code),
        "instrument_labels": {i.value: label for i, label in labels.INSTRUMENT_LABELS.items()},
        "intro_status_label": lambda status: labels.INTRO_STATUS_LABELS[IntroStatus(status)],
        "intro_status_badge": lambda status: labels.INTRO_STATUS_BADGES[IntroStatus(status)],
        "progress_label": lambda kind: labels.PROGRESS_LABELS[ProgressKind(kind)],
        "progress_status_label": lambda status: labels.PROGRESS_STATUS_LABELS[ProgressStatus(status)],
        "investor_kind_label": lambda kind: labels.INVESTOR_KIND_LABELS[InvestorKind(kind)],
    }


GROUP_SEPARATORS = {"en": ",", "ru": "\u00a0", "kk": "\u00a0"}


def format_money(amount: Any, currency: Any = "USD") -> str:
    """A whole amount with its sign, digits grouped the page's way: $480,000 or 78 000 000 ₸.

    Written out rather than through Babel: a results page formats dozens of amounts.
    """
    if amount is None:
        return ""
    separator = GROUP_SEPARATORS.get(str(get_locale()), ",")
    number = f"{round(amount):,}".replace(",", separator)
    return f"{number} ₸" if str(currency) == "KZT" else f"${number}"


def format_usd(amount: Any) -> str:
    """A whole-dollar amount in the page's number format."""
    return format_money(amount, "USD")


def register_template_helpers(app: Flask) -> None:
    """Expose locale, labels and the localised-name filter to templates."""
    app.context_processor(_template_globals)
    app.add_template_filter(flask_babel.format_number, "format_number")
    app.add_template_filter(format_usd, "usd")
    app.add_template_filter(format_money, "money")
    app.add_template_filter(flask_babel.format_decimal, "format_decimal")
    app.add_template_filter(render_markdown, "markdown")

    @app.template_filter("country")
    def country(code: str) -> str:
        """A country's name in the language of the page."""
        return country_name(code, str(get_locale()))

    app.add_template_filter(format_day, "format_date")  # one date style per language, for every page

    @app.template_filter("localized")
    def localized(value: Any) -> str:
        """The name of a region, sector or stage in the language of the page."""
        if value is None:
            return ""
        return str(value.name(str(get_locale())))
