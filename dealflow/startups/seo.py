"""What search engines may read: robots.txt, and a sitemap of the approved startups' public pages."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, url_for
from werkzeug.wrappers import Response

from dealflow.startups.queries import listed_for_sitemap

bp = Blueprint("seo", __name__)

# Areas behind a login, or with nothing to index: a crawler would only meet a login page there.
DISALLOWED = (
    "/account", "/admin/", "/billing/", "/founder/", "/investor/", "/intros/", "/matches/",
    "/notifications", "/review/", "/files/", "/login", "/register", "/logout", "/language",
)  # fmt: skip


def _text(body: str, mimetype: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.route("/robots.txt")
def robots() -> Response:
    """Let crawlers read the public pages (teasers, evidence, calls), keep them out of accounts and reviews."""
    site = current_app.config["SITE_URL"]
    lines = ["User-agent: *", "Allow: /", *(f"Disallow: {path}" for path in DISALLOWED)]
    lines.append(f"Sitemap: {site}{url_for('seo.sitemap')}")
    return _text("\n".join(lines) + "\n", "text/plain")


@bp.route("/sitemap.xml")
def sitemap() -> Response:
    """Every approved startup's public page with when it last changed: one bounded query of two columns."""
    site = current_app.config["SITE_URL"]
    entries = [
        (site + url_for("startups.startup_page", slug=slug), changed.date().isoformat())
        for slug, changed in listed_for_sitemap()
    ]
    pages = [site + url_for("main.index"), site + url_for("evidence.index")]  # the other public pages
    return _text(render_template("startups/sitemap.xml", entries=entries, pages=pages), "application/xml")
