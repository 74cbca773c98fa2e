"""Request hooks and template helpers shared by every page."""

from __future__ import annotations

from typing import Any

import flask_babel
from flask import Flask, Response, current_app, has_request_context, render_template, request
from flask_babel import get_locale
from flask_login import current_user
from markupsafe import Markup, escape

from dealflow import labels
from dealflow.content import in_language, lang_attribute
from dealflow.countries import country_name
from dealflow.fragments import NEXT_SLOT, TOKEN_SLOT, fill_slots, fragments
from dealflow.http import CONTENT_SECURITY_POLICY
from dealflow.i18n import format_day
from dealflow.models import IntroStatus, InvestorKind, PipelineStage, ProgressKind, ProgressStatus
from dealflow.notifications import services as notification_services
from dealflow.numbers import format_money, format_usd
from dealflow.reference.data import SECTORS, STAGES, reference_name, region_name
from dealflow.startups.fields import FIELD_LABELS
from dealflow.startups.markdown import render_markdown


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
    return mark_current_page(fill_slots(html)) if part == "navbar" else fill_slots(html)


def mark_current_page(html: Markup) -> Markup:
    """The link to this very page gets aria-current, outside the cache, so the cache key stays per account."""
    if not has_request_context():
        return html
    href = f'href="{escape(request.path)}"'
    for link_class in ('class="nav-link"', 'class="dropdown-item"'):
        link = f"{link_class} {href}"
        if link in html:
            return Markup(str(html).replace(link, f'{link} aria-current="page"', 1))  # noqa: S704 -- path escaped
    return html


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
