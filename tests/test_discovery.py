"""Discovery, search, fit, bookmarks, saved searches and alerts."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from dealflow.extensions import db
from dealflow.investors import services
from dealflow.investors.queries import DiscoveryQuery, discover
from dealflow.models import Bookmark, Currency, Instrument, Role, SavedSearchAlert, Startup, StartupStatus
from dealflow.startups import services as startups
from dealflow.startups.profile import Profile
from tests.billing_helpers import give_pro, turn_billing_on
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import founder, investor, startup_in

REGIONS = ["KZ-71", "KZ-75", "KZ-43", "KZ-47", "KZ-61"]
SECTORS = ["agritech", "fintech", "edtech"]
STAGES = ["idea", "seed", "series_a"]


def listed(**changes: Any) -> Startup:
    return startup_in(StartupStatus.APPROVED, **changes)


def names(results: Any) -> set[str]:
    return {card.startup.name for card in results.cards}


def test_only_approved_startups_appear_in_results_facets_and_search() -> None:
    listed(name="Visible Aral", description="Irrigation sensors for the Aral region")
    for status in (StartupStatus.DRAFT, StartupStatus.SUBMITTED, StartupStatus.REJECTED, StartupStatus.ARCHIVED):
        startup_in(status, name=f"Hidden {status.value}", description="Irrigation sensors too")
    for query in (DiscoveryQuery(), DiscoveryQuery(text="irrigation"), DiscoveryQuery(regions=("KZ-43",))):
        results = discover(query, None, None)
        assert names(results) == {"Visible Aral"}, query
        assert results.total == 1
        assert results.facets["region"] == {"KZ-43": 1}
        assert sum(results.facets["sector"].values()) == 1


def test_filters_combine_like_a_plain_python_filter() -> None:
    rng = random.Random(7)
    made = []
    for n in range(36):
        made.append(
            listed(
                name=f"Combo {n}",
                region_code=rng.choice(REGIONS),
                sector_code=rng.choice(SECTORS),
                stage_code=rng.choice(STAGES),
                ask_amount=Decimal(rng.choice([50_000, 150_000, 400_000, 900_000])),
                instrument=rng.choice([Instrument.EQUITY, Instrument.SAFE]),
                founded_year=rng.choice([2019, 2021, 2023]),
                monthly_revenue=Decimal(rng.choice([0, 0, 2500])),
                export_markets=rng.choice([(), ("UZ",)]),
            )
        )
    queries = [
        DiscoveryQuery(regions=("KZ-43", "KZ-47"), sectors=("agritech",)),
        DiscoveryQuery(outside_main_hubs=True, stages=("seed", "series_a"), has_revenue=True),
        DiscoveryQuery(ask_min=Decimal(100_000), ask_max=Decimal(500_000), instruments=("safe",)),
        DiscoveryQuery(founded_from=2021, exports=True, sectors=("fintech", "edtech")),
        DiscoveryQuery(regions=("KZ-71",), outside_main_hubs=True),
    ]

    def expected(q: DiscoveryQuery) -> set[str]:
        return {
            s.name
            for s in made
            if (not q.regions or s.region_code in q.regions)
            and (not q.outside_main_hubs or s.region_code not in ("KZ-71", "KZ-75"))
            and (not q.sectors or s.sector_code in q.sectors)
            and (not q.stages or s.stage_code in q.stages)
            and (not q.instruments or s.instrument in q.instruments)
            and (q.ask_min is None or (s.ask_usd or 0) >= q.ask_min)
            and (q.ask_max is None or (s.ask_usd or 0) <= q.ask_max)
            and (q.founded_from is None or (s.founded_year or 0) >= q.founded_from)
            and (not q.has_revenue or (s.monthly_revenue_usd or 0) > 0)
            and (not q.exports or bool(s.export_markets))
        }

    for q in queries:
        got: set[str] = set()
        page = 1
        while True:
            results = discover(DiscoveryQuery(**{**q.__dict__, "page": page}), None, None)
            got |= names(results)
            if page >= results.pages:
                break
            page += 1
        assert got == expected(q), q
        assert results.total == len(expected(q))


@pytest.mark.parametrize(
    ("word", "language"),
    [("фермеров", "ru"), ("фермер", "ru"), ("шаруашылық", "kk"), ("ШАРУАШЫЛЫҒЫ", "kk"), ("irrigation", "en")],
)
def test_russian_kazakh_and_english_words_are_found(word: str, language: str) -> None:
    listed(
        name="Su Kz", tagline="Умный полив для фермеров", description="Ауыл шаруашылығы үшін суару. Smart irrigation."
    )
    listed(name="Other", tagline="Payments", description="Nothing about water")
    assert names(discover(DiscoveryQuery(text=word), None, None)) == {"Su Kz"}, language


def test_search_ranks_name_matches_first_and_keeps_other_filters() -> None:
    listed(name="Aral Fish", description="fish farming", region_code="KZ-43")
    listed(name="Steppe", description="Trading aral fish nationwide", region_code="KZ-43")
    listed(name="Aral Far", description="unrelated", region_code="KZ-47")
    listed(name="Lake Tours", tagline="Boat trips on the Aral", description="tourism", region_code="KZ-43")
    results = discover(DiscoveryQuery(text="aral", regions=("KZ-43",)), None, None)
    assert [c.startup.name for c in results.cards] == ["Aral Fish", "Lake Tours", "Steppe"]
    assert results.total == 3
    newest = discover(DiscoveryQuery(text="aral", regions=("KZ-43",), sort="newest"), None, None)
    assert [c.startup.name for c in newest.cards] == ["Lake Tours", "Steppe", "Aral Fish"]


def test_discovery_issues_the_same_number_of_statements_for_1_or_20_results(app: Any) -> None:
    reader = investor()
    services.save_profile(
        reader, kind=None, organisation=None, country="DE", ticket_min_usd=None, ticket_max_usd=None,
        sectors=["agritech"], stages=[], regions=[], regional_mandate=True,
    )  # fmt: skip

    def count_statements(query: DiscoveryQuery) -> tuple[int, int]:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            results = discover(query, reader.investor_profile, reader.id)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen), len(results.cards)

    listed(name="Only one")
    one = count_statements(DiscoveryQuery(text="only"))
    for n in range(25):
        listed(name=f"Many {n}")
    twenty = count_statements(DiscoveryQuery())
    assert one[1] == 1
    assert twenty[1] == 20
    assert one[0] == twenty[0]


def test_fit_score_and_reasons_follow_the_investor_profile() -> None:
    reader = investor()
    profile = services.save_profile(
        reader, kind=None, organisation="Steppe Ventures", country="KZ",
        ticket_min_usd=Decimal(100_000), ticket_max_usd=Decimal(400_000),
        sectors=["agritech"], stages=["seed"], regions=["KZ-43"], regional_mandate=True,
    )  # fmt: skip
    listed(name="Perfect", sector_code="agritech", stage_code="seed", ask_amount=Decimal(300_000), region_code="KZ-43")
    listed(name="Poor", sector_code="fintech", stage_code="idea", ask_amount=Decimal(5_000_000), region_code="KZ-71")
    results = discover(DiscoveryQuery(sort="fit"), profile, reader.id)
    first, last = results.cards[0], results.cards[-1]
    assert (first.startup.name, first.fit) == ("Perfect", 100)
    assert first.reasons == ["sector", "stage", "ticket", "region", "mandate"]
    assert (last.startup.name, last.fit, last.reasons) == ("Poor", 0, [])
    assert profile.is_foreign is False


def test_investor_profile_is_saved_and_checked(auth: Auth, client: Any, post_form: Any) -> None:
    reader = investor()
    auth.login(reader.email, PASSWORD)
    bad = post_form("/investor/profile", {"country": "DE", "ticket_min_usd": "500000", "ticket_max_usd": "100000"})
    assert "The smallest ticket cannot be larger than the largest." in bad.get_data(as_text=True)
    good = post_form(
        "/investor/profile",
        {
            "kind": "vc_fund", "organisation": "Nomad Capital", "country": "DE",
            "ticket_min_usd": "100000", "ticket_max_usd": "500000",
            "sectors": ["agritech", "fintech"], "stages": ["seed"], "regions": ["KZ-43"], "regional_mandate": "y",
        },
    )  # fmt: skip
    assert good.status_code == 302
    db.session.refresh(reader)
    profile = reader.investor_profile
    assert profile is not None
    assert (profile.kind.value if profile.kind else None, profile.country, profile.is_foreign) == (
        "vc_fund",
        "DE",
        True,
    )
    assert profile.sectors == ["agritech", "fintech"]
    assert "Verified by hub staff" in client.get("/investor/profile").get_data(as_text=True)


def test_bookmarks_are_private_and_carry_a_note_and_stage(app: Any, auth: Auth, client: Any, post_form: Any) -> None:
    startup = listed(name="Bookmarked One")
    mine, theirs = investor(), investor()
    auth.login(mine.email, PASSWORD)
    post_form(f"/startups/{startup.id}/bookmark", {}, form_page="/startups/")
    bookmark = db.session.scalar(select(Bookmark).where(Bookmark.investor_id == mine.id))
    assert bookmark is not None
    post_form(
        f"/investor/bookmarks/{bookmark.id}",
        {f"b{bookmark.id}-note": "Met at Astana Hub demo day", f"b{bookmark.id}-stage": "meeting"},
        form_page="/investor/bookmarks",
    )
    db.session.refresh(bookmark)
    assert (bookmark.note, bookmark.stage.value) == ("Met at Astana Hub demo day", "meeting")
    page = client.get("/investor/bookmarks?stage=meeting").get_data(as_text=True)
    assert "Met at Astana Hub demo day" in page
    assert "Bookmarked One" not in client.get("/investor/bookmarks?stage=passed").get_data(as_text=True)
    other = app.test_client()
    Auth(other).login(theirs.email, PASSWORD)
    assert "Met at Astana Hub demo day" not in other.get("/investor/bookmarks").get_data(as_text=True)
    token_page = other.get("/investor/bookmarks").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)  # type: ignore[union-attr]
    stolen = other.post(f"/investor/bookmarks/{bookmark.id}", data={"csrf_token": token, f"b{bookmark.id}-note": "x"})
    assert stolen.status_code == 404
    owner_client = app.test_client()
    Auth(owner_client).login(startup.owner.email, PASSWORD)
    for path in ("/founder/", f"/founder/startups/{startup.id}/preview"):
        assert "Met at Astana Hub demo day" not in owner_client.get(path).get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.FOUNDER, Role.HUB_STAFF, Role.ADMIN])
def test_founders_and_staff_cannot_bookmark(auth: Auth, post_form: Any, role: Role) -> None:
    startup = listed()
    user = UserFactory(role=role)
    auth.login(user.email, PASSWORD)
    assert post_form(f"/startups/{startup.id}/bookmark", {}, form_page="/").status_code == 403
    with pytest.raises(services.InvestorError):
        services.toggle_bookmark(user, startup.id)
    assert db.session.scalar(select(func.count(Bookmark.id))) == 0


def test_bookmark_toggle_works_from_the_list_with_htmx(auth: Auth, client: Any) -> None:
    startup = listed(name="Htmx One")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    page = client.get("/startups/").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post(
        f"/startups/{startup.id}/bookmark", data={"csrf_token": token}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'aria-pressed="true"' in fragment
    assert "<html" not in fragment
    again = client.post(f"/startups/{startup.id}/bookmark", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert 'aria-pressed="false"' in again.get_data(as_text=True)


def test_the_list_updates_as_a_fragment_for_htmx_and_as_a_page_without_it(auth: Auth, client: Any) -> None:
    listed(name="Fragment One", sector_code="agritech")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    fragment = client.get("/startups/?sector=agritech", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "Fragment One" in fragment
    assert "<html" not in fragment
    full = client.get("/startups/?sector=agritech").get_data(as_text=True)
    assert "<html" in full
    assert 'value="agritech" checked' in full


def test_an_htmx_update_brings_the_new_facet_counts_out_of_band(auth: Auth, client: Any) -> None:
    listed(name="Oob One", region_code="KZ-43", sector_code="agritech")
    listed(name="Oob Two", region_code="KZ-43", sector_code="agritech")
    listed(name="Oob Three", region_code="KZ-43", sector_code="fintech")
    auth.login(investor().email, PASSWORD)
    page = client.get("/startups/").get_data(as_text=True)
    assert 'id="count-region-KZ-43">3<' in page
    fragment = client.get("/startups/?sector=agritech", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'id="count-region-KZ-43" hx-swap-oob="true">2<' in fragment  # the sector filter applies to regions
    assert 'id="count-sector-fintech" hx-swap-oob="true">1<' in fragment  # but not to its own facet
    assert 'id="count-region-KZ-71" hx-swap-oob="true">0<' in fragment
    assert '<article class="card' in fragment  # the list itself is HTML, not escaped text


def test_saved_searches_run_rename_and_delete(auth: Auth, client: Any, post_form: Any) -> None:
    listed(name="Kyzylorda Farm", region_code="KZ-43", sector_code="agritech")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    post_form(
        "/investor/searches", {"name": "Aral farms", "query": "region=KZ-43&sector=agritech"}, form_page="/startups/"
    )
    page = client.get("/investor/searches").get_data(as_text=True)
    assert "Aral farms" in page
    assert "Email alerts of new matches come with the Pro plan." in page  # Free: no promise of emails
    import re

    run = re.search(r'href="(/startups/\?[^"]+)">Aral farms', page)
    assert run is not None
    assert "Kyzylorda Farm" in client.get(run.group(1).replace("&amp;", "&")).get_data(as_text=True)
    saved_id = int(re.search(r"/investor/searches/(\d+)/rename", page).group(1))  # type: ignore[union-attr]
    post_form(
        f"/investor/searches/{saved_id}/rename", {f"s{saved_id}-name": "Kyzylorda agri"}, form_page="/investor/searches"
    )
    assert "Kyzylorda agri" in client.get("/investor/searches").get_data(as_text=True)
    post_form(f"/investor/searches/{saved_id}/delete", {}, form_page="/investor/searches")
    assert "Kyzylorda agri" not in client.get("/investor/searches").get_data(as_text=True)


@pytest.mark.date_sensitive
def test_an_alert_never_repeats_a_startup_for_the_same_search(
    runner: Any, app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    turn_billing_on(app, monkeypatch)
    reader = investor()
    give_pro(reader)  # alerts are part of Pro
    saved = services.save_search(reader, "Kyzylorda", DiscoveryQuery(regions=("KZ-43",)))
    first = listed(name="First Match", region_code="KZ-43")
    listed(name="Elsewhere", region_code="KZ-47")
    emails, sent = services.send_alerts()
    assert (emails, sent) == (1, 1)
    assert services.send_alerts() == (0, 0)  # nothing new: nothing sent, nothing repeated
    listed(name="Second Match", region_code="KZ-43")
    assert services.send_alerts() == (1, 1)
    rows = db.session.scalars(
        select(SavedSearchAlert.startup_id).where(SavedSearchAlert.saved_search_id == saved.id)
    ).all()
    assert sorted(rows) == sorted(
        [first.id, db.session.scalar(select(Startup.id).where(Startup.name == "Second Match"))]
    )
    result = runner.invoke(args=["alerts", "send"])
    assert "Sent 0 alert emails" in result.output


def test_amounts_in_tenge_filter_by_their_dollar_value() -> None:
    listed(name="Tenge Ask", currency=Currency.KZT, ask_amount=Decimal(52_000_000))  # 100,000 USD at 520
    assert names(discover(DiscoveryQuery(ask_min=Decimal(90_000), ask_max=Decimal(110_000)), None, None)) == {
        "Tenge Ask"
    }
    assert names(discover(DiscoveryQuery(ask_min=Decimal(200_000)), None, None)) == set()


def test_startups_can_be_found_after_their_profile_changes() -> None:
    owner = founder()
    startup = startups.create_startup(owner, Profile(name="Renamed Later", description="old words"))
    db.session.flush()
    startup.status = StartupStatus.APPROVED
    startup.description = "new vocabulary about camels"
    db.session.flush()
    assert names(discover(DiscoveryQuery(text="camels"), None, None)) == {"Renamed Later"}
    assert names(discover(DiscoveryQuery(text="old"), None, None)) == set()


def test_cached_pages_counts_and_facets_follow_every_change_to_a_startup() -> None:
    def statements(query: DiscoveryQuery) -> tuple[int, Any]:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            results = discover(query, None, None)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen), results

    first = listed(name="Cached One", sector_code="edtech")
    cold, results = statements(DiscoveryQuery(sectors=("edtech",)))
    warm, again = statements(DiscoveryQuery(sectors=("edtech",)))
    assert names(results) == names(again) == {"Cached One"}
    assert warm < cold  # the second page came from the cache…
    listed(name="Cached Two", sector_code="edtech")
    changed = discover(DiscoveryQuery(sectors=("edtech",)), None, None)
    assert names(changed) == {"Cached One", "Cached Two"}  # …and a new listing is seen at once
    assert (changed.total, changed.facets["sector"]["edtech"]) == (2, 2)
    first.status = StartupStatus.ARCHIVED
    db.session.flush()
    archived = discover(DiscoveryQuery(sectors=("edtech",)), None, None)
    assert names(archived) == {"Cached Two"}
    assert archived.total == 1


def test_a_cached_card_shows_the_profile_as_changed(auth: Auth, client: Any) -> None:
    startup = listed(name="Before Rename", tagline="old tagline", sector_code="agritech")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    assert "Before Rename" in client.get("/startups/?sector=agritech").get_data(as_text=True)
    startup.name, startup.tagline = "After Rename", "new tagline"
    db.session.flush()
    page = client.get("/startups/?sector=agritech").get_data(as_text=True)
    assert "After Rename" in page
    assert "new tagline" in page
    assert "Before Rename" not in page
    russian = client.get("/startups/?sector=agritech", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert "After Rename" in russian


def test_the_exact_count_is_shown_and_paging_stops_at_the_pageable_limit(
    auth: Auth, client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dealflow.investors import queries

    monkeypatch.setattr(queries, "PAGEABLE", 20)
    for n in range(23):
        listed(name=f"Counted {n}", sector_code="fintech")
    reader = investor()
    auth.login(reader.email, PASSWORD)
    page = client.get("/startups/?sector=fintech").get_data(as_text=True)
    assert "23 startups" in page
    assert "Only the first 20 can be paged through" in page
    assert "Page 1 of 1" not in page  # a single page: no pager at all
    beyond = client.get("/startups/?sector=fintech&page=2").get_data(as_text=True)
    assert "Counted 22<" in beyond  # a page past the limit shows the last pageable one
    assert "Counted 2<" not in beyond
