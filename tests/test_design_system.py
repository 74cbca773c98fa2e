"""The shared look: navigation with the current page marked, marketplace cards, filter chips, the evidence
page's short tile names and keyboard-scrollable tables, icons and the htmx indicator rules."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from dealflow.evidence.tiles import short_region_name
from dealflow.extensions import db
from dealflow.models import Role, StartupStatus
from dealflow.reference.data import REGIONS
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import investor, startup_in

ROOT = Path(__file__).resolve().parents[1]


def nav_of(page: str) -> str:
    return page[page.index("<nav") : page.index("</nav>")]


def current_links(page: str) -> list[str]:
    return re.findall(r'<a class="[^"]*" href="([^"]+)" aria-current="page"', nav_of(page))


def test_the_current_page_is_marked_in_the_cached_navigation(auth: Auth, client: Any) -> None:
    reader = investor()
    auth.login(reader.email, PASSWORD)
    for _twice in range(2):  # the second round is served from the cache
        assert current_links(client.get("/investor/bookmarks").get_data(as_text=True)) == ["/investor/bookmarks"]
        assert current_links(client.get("/startups/").get_data(as_text=True)) == ["/startups/"]
        assert current_links(client.get("/account").get_data(as_text=True)) == ["/account"]
    assert current_links(client.get("/investor/bookmarks?stage=contacted").get_data(as_text=True)) == [
        "/investor/bookmarks"
    ]


def test_an_investors_links_are_grouped_so_the_bar_stays_short(auth: Auth, client: Any) -> None:
    reader = investor()
    auth.login(reader.email, PASSWORD)
    nav = nav_of(client.get("/startups/").get_data(as_text=True))
    deals = nav[nav.index('id="deals-menu"') : nav.index("</ul>", nav.index('id="deals-menu"'))]
    for link in ("/investor/intros", "/investor/bookmarks", "/investor/searches"):
        assert f'href="{link}"' in deals
    account = nav[nav.index('id="account-menu"') :]
    for link in ("/investor/profile", "/billing/", "/account"):
        assert f'href="{link}"' in account
    top_level = re.findall(r'<li class="nav-item"><a class="nav-link" href="([^"]+)"', nav)
    assert top_level == ["/startups/", "/evidence/"]
    assert "navbar-expand-lg" in nav


def test_an_admins_pages_sit_in_one_menu(auth: Auth, client: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    db.session.flush()
    auth.login(admin.email, PASSWORD)
    nav = nav_of(client.get("/account").get_data(as_text=True))
    menu = nav[nav.index('id="admin-menu"') : nav.index("</ul>", nav.index('id="admin-menu"'))]
    for link in ("/admin/users", "/admin/hubs", "/admin/audit", "/admin/billing"):
        assert f'href="{link}"' in menu


def test_cards_lead_with_the_logo_or_initials_and_show_the_figures(auth: Auth, client: Any) -> None:
    with_logo = startup_in(StartupStatus.APPROVED, name="Aral Water")
    solar = startup_in(StartupStatus.APPROVED, name="Steppe Solar")
    solar.logo_file_id, solar.customers_count = None, None  # a listing from before logos were asked for
    db.session.flush()
    reader = investor()
    auth.login(reader.email, PASSWORD)
    page = client.get("/startups/").get_data(as_text=True)
    aral = page[page.index('aria-labelledby="startup-' + str(with_logo.id)) :]
    aral = aral[: aral.index("</article>")]
    assert f'src="/files/{with_logo.logo_file_id}"' in aral
    for figure in ("Raising $300,000", "Seed", "Revenue $4,000 a month", "12 customers", "Exports to 1 country"):
        assert figure in aral
    solar = page[page.index(">Steppe Solar<") - 600 : page.index(">Steppe Solar<")]
    assert '<span class="df-avatar" aria-hidden="true">SS</span>' in solar
    assert "customers" not in page[page.index(">Steppe Solar<") :].split("</article>")[0]


def test_the_fit_is_a_badge_whose_reasons_open_on_demand(auth: Auth, client: Any) -> None:
    startup_in(StartupStatus.APPROVED, name="Aral Water", sector_code="agritech", stage_code="seed")
    reader = investor()
    reader.investor_profile.sectors = ["agritech"]
    reader.investor_profile.stages = ["seed"]
    db.session.flush()
    auth.login(reader.email, PASSWORD)
    page = client.get("/startups/", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    fit = page[page.index('<details class="df-fit">') : page.index("</details>")]
    assert "<li>сіздің салаларыңызда</li><li>даму кезеңі сәйкес</li>" in fit
    assert " · " not in fit


def test_active_filters_are_chips_that_each_remove_one_filter(auth: Auth, client: Any) -> None:
    startup_in(StartupStatus.APPROVED, name="Aral Water")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    page = client.get("/startups/?sector=agritech&region=KZ-43&revenue=1&sort=ask_desc").get_data(as_text=True)
    chips = page[page.index('class="df-active-filters') : page.index("</ul>", page.index('class="df-active-filters'))]
    links = {
        label.strip(): href.replace("&amp;", "&")
        for href, label in re.findall(r'<a class="df-chip df-chip-remove" href="([^"]+)">([^<]+)<', chips)
    }
    assert set(links) == {"Agriculture (AgriTech)", "Kyzylorda Region", "Has revenue"}
    assert parse_qs(urlsplit(links["Agriculture (AgriTech)"]).query) == {
        "region": ["KZ-43"],
        "revenue": ["1"],
        "sort": ["ask_desc"],
    }
    assert parse_qs(urlsplit(links["Has revenue"]).query) == {
        "region": ["KZ-43"],
        "sector": ["agritech"],
        "sort": ["ask_desc"],
    }
    assert 'href="/startups/?sort=ask_desc">Clear all filters' in chips
    assert client.get(links["Agriculture (AgriTech)"]).status_code == 200


def test_the_filters_live_in_a_drawer_and_the_regions_are_grouped(auth: Auth, client: Any) -> None:
    startup_in(StartupStatus.APPROVED, name="Aral Water")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    page = client.get("/startups/").get_data(as_text=True)
    assert 'class="offcanvas-lg offcanvas-start df-drawer"' in page
    assert 'href="#filters" role="button" data-bs-toggle="offcanvas"' in page  # a plain link without JavaScript
    main_hubs = page[page.index('id="region-group-1"') : page.index('id="region-group-2"')]
    assert 'value="KZ-71"' in main_hubs
    assert 'value="KZ-75"' in main_hubs
    assert 'value="KZ-43"' not in main_hubs
    assert 'value="KZ-43"' in page[page.index('id="region-group-2"') :]


def test_tile_names_are_short_and_whole() -> None:
    for locale in ("en", "ru", "kk"):
        labels = {}
        for region in REGIONS:
            full = {"en": region.name_en, "ru": region.name_ru, "kk": region.name_kk}[locale]
            labels[region.code] = short_region_name(region.code, full, locale)
            assert max(len(word) for word in re.split(r"[ -]", labels[region.code])) <= 14, labels[region.code]
        assert len(set(labels.values())) == len(REGIONS), labels  # Almaty Region is never read as the city
    assert short_region_name("KZ-47", "Маңғыстау облысы", "kk") == "Маңғыстау"
    assert short_region_name("KZ-27", "Батыс Қазақстан облысы", "kk") == "БҚО"


def test_the_evidence_page_opens_with_the_headline_and_folds_the_details(client: Any) -> None:
    page = client.get("/evidence/", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert page.index('id="headline-12m"') < page.index('id="chart-trend"') < page.index('class="tile-map')
    assert page.index('class="tile-map') < page.index('<details class="df-section"')
    assert '<li class="tile tile-r4 tile-c1 tile-step-0" data-region="KZ-47" title="Маңғыстау облысы">' in page
    assert '<span class="tile-name">Маңғыстау</span>' in page
    boxes = re.findall(r'<div class="df-scroll" tabindex="0" role="region" aria-label="([^"]+)">', page)
    assert len(boxes) == 6
    assert all(boxes)
    for table in ("regions-table", "origin-table", "sector-table", "trend-table", "funnel-totals", "funnel-table"):
        assert f'id="{table}"' in page


def test_every_page_links_its_icons_and_turns_off_htmx_inline_styles(client: Any) -> None:
    page = client.get("/").get_data(as_text=True)
    for link in (
        '<link rel="icon" href="/static/img/favicon.svg" type="image/svg+xml">',
        '<link rel="manifest" href="/static/manifest.webmanifest">',
        '<meta name="htmx-config" content=\'{"includeIndicatorStyles":false}\'>',
        '<link rel="stylesheet" href="/static/vendor/noto-sans/noto-sans.css">',
    ):
        assert link in page
    response = client.get("/static/manifest.webmanifest")
    manifest = json.loads(response.get_data(as_text=True))
    response.close()
    for icon in manifest["icons"]:
        response = client.get("/static/" + icon["src"])
        assert response.status_code == 200
        response.close()  # static files are streamed from disk
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}
    stylesheet = (ROOT / "static/css/dealflow.css").read_text(encoding="utf-8")
    assert ".htmx-indicator { opacity: 0; }" in stylesheet
    fonts = (ROOT / "static/vendor/noto-sans/noto-sans.css").read_text(encoding="utf-8")
    assert "U+0460-052F" in fonts  # Cyrillic Extended: қ ң ұ ү ө ә і һ ғ
    for name in re.findall(r"url\((files/[^)]+)\)", fonts):
        assert (ROOT / "static/vendor/noto-sans" / name).is_file()
