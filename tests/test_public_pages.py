"""Approved startups have a public teaser that previews when shared; search engines find it; the rest stays gated."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from dealflow.extensions import db
from dealflow.models import StartupStatus, User
from dealflow.startups import services
from tests.conftest import Auth
from tests.factories import PASSWORD
from tests.startup_helpers import complete_profile, founder, startup_in

SITE = "http://127.0.0.1:5000"  # SITE_URL of the test settings
HIDDEN_STATUSES = (StartupStatus.DRAFT, StartupStatus.SUBMITTED, StartupStatus.REJECTED, StartupStatus.ARCHIVED)


def meta(page: str, key: str) -> str | None:
    """The content of the <meta property|name=key> tag, unescaped enough for these tests."""
    found = re.search(rf'<meta (?:property|name)="{re.escape(key)}" content="([^"]*)"', page)
    return found.group(1).replace("&amp;", "&") if found else None


def test_a_visitor_sees_the_teaser_of_an_approved_startup_without_contacts_or_deck(client: Any) -> None:
    startup = startup_in(StartupStatus.APPROVED)
    response = client.get(f"/startups/{startup.slug}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Aral Water" in page
    assert "Water sensors for irrigation canals" in page
    assert "<strong>where it is lost</strong>" in page
    assert "team@aralwater.kz" not in page
    assert "+7 701 234 5678" not in page
    assert f"/files/{startup.deck_file_id}" not in page
    assert "Register as an investor" in page


def test_a_visitor_gets_404_for_startups_that_are_not_listed(client: Any) -> None:
    for status in (StartupStatus.DRAFT, StartupStatus.SUBMITTED, StartupStatus.REJECTED, StartupStatus.ARCHIVED):
        hidden = startup_in(status)
        assert client.get(f"/startups/{hidden.slug}").status_code == 404, status
        assert client.get(f"/files/{hidden.logo_file_id}").status_code == 302, status  # log in first
    assert client.get("/startups/no-such-startup").status_code == 404


def test_open_graph_tags_preview_the_listing_with_its_logo(client: Any) -> None:
    startup = startup_in(StartupStatus.APPROVED)
    page = client.get(f"/startups/{startup.slug}").get_data(as_text=True)
    assert meta(page, "og:title") == "Aral Water"
    assert meta(page, "og:description") == "Water sensors for irrigation canals"
    assert meta(page, "og:url") == f"{SITE}/startups/{startup.slug}"
    assert meta(page, "og:image") == f"{SITE}/files/{startup.logo_file_id}"
    assert meta(page, "og:image:type") == "image/webp"
    assert meta(page, "twitter:card") == "summary"
    with client.get(f"/files/{startup.logo_file_id}") as logo:  # a crawler fetches it with no session
        assert logo.status_code == 200
        assert logo.mimetype == "image/webp"  # uploads are re-encoded
        assert logo.data.startswith(b"RIFF")
    assert client.get(f"/files/{startup.deck_file_id}").status_code == 302  # the deck stays gated


def test_logged_in_investors_still_see_what_they_saw_before(auth: Auth, client: Any) -> None:
    from tests.startup_helpers import investor

    startup = startup_in(StartupStatus.APPROVED)
    reader = investor(verified=True)
    auth.login(reader.email, PASSWORD)
    page = client.get(f"/startups/{startup.slug}").get_data(as_text=True)
    assert f"/files/{startup.deck_file_id}" in page
    assert "team@aralwater.kz" not in page
    assert "Ask the founder for an intro" in page
    assert "Register as an investor" not in page


def test_the_sitemap_lists_approved_startups_only(client: Any) -> None:
    listed = startup_in(StartupStatus.APPROVED)
    draft = startup_in(StartupStatus.DRAFT, name="Hidden Draft")
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    namespace = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    root = ElementTree.fromstring(response.data)  # noqa: S314 -- our own response
    urls = {u.findtext("s:loc", namespaces=namespace): u.findtext("s:lastmod", namespaces=namespace) for u in root}
    assert urls[f"{SITE}/startups/{listed.slug}"] == listed.updated_at.date().isoformat()
    assert f"{SITE}/startups/{draft.slug}" not in urls
    assert f"{SITE}/evidence/" in urls


def test_robots_allows_public_pages_and_keeps_crawlers_out_of_accounts(client: Any) -> None:
    response = client.get("/robots.txt")
    lines = response.get_data(as_text=True).splitlines()
    assert response.mimetype == "text/plain"
    assert "Allow: /" in lines
    for area in ("/admin/", "/review/", "/founder/", "/account", "/investor/"):
        assert f"Disallow: {area}" in lines
    assert not any(line.startswith("Disallow: /startups") for line in lines)
    assert f"Sitemap: {SITE}/sitemap.xml" in lines


def test_the_founder_dashboard_links_to_the_live_listing(auth: Auth, client: Any) -> None:
    owner = founder()
    listed = startup_in(StartupStatus.APPROVED, owner)
    draft = startup_in(StartupStatus.DRAFT, owner, name="Still A Draft")
    auth.login(owner.email, PASSWORD)
    page = client.get("/founder/").get_data(as_text=True)
    assert page.count("View your public listing") == 1
    assert f'href="/startups/{listed.slug}"' in page
    assert f'data-copy="{SITE}/startups/{listed.slug}"' in page
    assert f'href="/startups/{draft.slug}"' not in page
    assert "js/copy-link.js" in page
    assert "<script>" not in page  # no inline script: the CSP allows files from this site only


def test_the_teaser_is_in_the_visitors_language_from_the_cookie(app: Any, client: Any) -> None:
    startup = startup_in(
        StartupStatus.APPROVED,
        tagline_kk="Суару арналарына арналған су датчиктері",
        description_kk="Біз суды **ол жоғалатын жерде** өлшейміз.",
    )
    client.set_cookie(app.config["LANGUAGE_COOKIE_NAME"], "kk")
    page = client.get(f"/startups/{startup.slug}").get_data(as_text=True)
    assert '<html lang="kk">' in page
    assert "Суару арналарына арналған су датчиктері" in page
    assert "<strong>ол жоғалатын жерде</strong>" in page
    assert meta(page, "og:description") == "Суару арналарына арналған су датчиктері"
    assert meta(page, "og:locale") == "kk_KZ"
    assert "Water sensors for irrigation canals" not in page


def test_pages_that_are_not_listed_are_never_indexed(auth: Auth, client: Any) -> None:
    from dealflow.models import Role
    from tests.factories import UserFactory

    submitted = startup_in(StartupStatus.SUBMITTED)
    auth.login(UserFactory(role=Role.HUB_STAFF).email, PASSWORD)
    assert '<meta name="robots" content="noindex">' in client.get(f"/startups/{submitted.slug}").get_data(as_text=True)
    listed = startup_in(StartupStatus.APPROVED)
    assert "noindex" not in client.get(f"/startups/{listed.slug}").get_data(as_text=True)


def test_text_in_another_language_than_the_page_is_marked_for_screen_readers(client: Any) -> None:
    startup = startup_in(
        StartupStatus.APPROVED,
        content_language="kk",
        tagline="Суару арналарына арналған су датчиктері",
        tagline_ru="Датчики воды для оросительных каналов",
    )
    english = client.get(f"/startups/{startup.slug}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<p class="lead mb-1" lang="kk">Суару арналарына арналған су датчиктері</p>' in english
    russian = client.get(f"/startups/{startup.slug}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<p class="lead mb-1">Датчики воды для оросительных каналов</p>' in russian  # the page's own language
    assert 'class="startup-description" lang="kk"' in russian  # no Russian description: the Kazakh original


def test_the_sitemap_never_lists_a_startup_that_is_not_approved(client: Any) -> None:
    hidden = [startup_in(status, name=f"Hidden {status.value}") for status in HIDDEN_STATUSES]
    listed = startup_in(StartupStatus.APPROVED, name="Shown Startup")
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/startups/{listed.slug}</loc>" in sitemap
    for startup in hidden:
        assert f"/startups/{startup.slug}<" not in sitemap, startup.status


def test_a_pending_change_shows_no_new_logo_or_deck_to_the_public(client: Any) -> None:
    startup = startup_in(StartupStatus.APPROVED)
    published_logo = startup.logo_file_id
    owner = db.session.get(User, startup.owner_id)
    assert owner is not None
    changed = complete_profile(owner, name="Aral Water", tagline="Not reviewed yet")
    assert services.save_profile(startup, changed, actor=owner) is not None  # a revision, not the listing
    page = client.get(f"/startups/{startup.slug}").get_data(as_text=True)
    assert "Not reviewed yet" not in page
    assert f"/files/{published_logo}" in page
    assert f"/files/{changed.logo_file_id}" not in page
    assert client.get(f"/files/{changed.logo_file_id}").status_code == 302  # log in first, and then only the owner
    assert client.get(f"/files/{changed.deck_file_id}").status_code == 302
    with client.get(f"/files/{published_logo}") as logo:
        assert logo.status_code == 200
