"""The demo speaks the visitor's language: startups and hubs in Kazakh and Russian, found by their words."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from dealflow import demo
from dealflow.extensions import db
from dealflow.models import Hub, Startup, StartupStatus
from tests.conftest import Auth
from tests.factories import PASSWORD
from tests.startup_helpers import investor


def card_names(page: str) -> list[str]:
    return re.findall(r'<h2 class="[^"]*" id="startup-\d+"><a href="/startups/[^"]+">([^<]+)</a>', page)


def test_russian_and_kazakh_words_find_demo_startups_shown_in_the_visitors_language(auth: Auth, client: Any) -> None:
    demo.seed_demo()
    reader = investor(verified=True)
    auth.login(reader.email, PASSWORD)
    for word, sector in (("банк", "fintech"), ("білім", "edtech")):
        page = client.get("/startups/", query_string={"q": word}).get_data(as_text=True)
        found = card_names(page)
        assert found, word
        listed = db.session.scalars(
            select(Startup.name).where(Startup.status == StartupStatus.APPROVED, Startup.sector_code == sector)
        ).all()
        assert set(found) <= set(listed), word  # only the startups that hold the word
        assert len(found) == len(listed), word  # and every one of them, whatever language its original is in
    # The reader has no language of their own, so the browser's applies: a Kazakh visitor sees Kazakh cards.
    page = client.get("/startups/", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert '<html lang="kk">' in page
    assert "Аудандық емханаларға арналған телемедициналық кеңестер" in page or "банк бөлімшесі" in page
    for english in demo.SECTOR_TAGLINES.values():
        assert english["en"] not in page
    russian = client.get("/startups/", headers={"Accept-Language": "ru"}, query_string={"q": "банк"})
    assert "отделения банка" in russian.get_data(as_text=True)


def test_demo_texts_have_kazakh_and_russian_originals_and_versions() -> None:
    demo.seed_demo()
    listed = db.session.scalars(select(Startup).where(Startup.status == StartupStatus.APPROVED)).all()
    originals = {demo.original_language(i) for i in range(4)}
    assert originals == {"en", "ru", "kk"}
    kazakh_first = [s for s in listed if s.tagline in {t["kk"] for t in demo.SECTOR_TAGLINES.values()}]
    russian_first = [s for s in listed if s.tagline in {t["ru"] for t in demo.SECTOR_TAGLINES.values()}]
    assert kazakh_first
    assert russian_first
    assert all(s.tagline_kk is None and s.tagline_ru for s in kazakh_first)
    assert all(s.description_kk or s.description and "өңірлік" in s.description for s in listed)
    assert {s.sector_code for s in listed} == set(demo.SECTOR_PROFILES)  # discovery shows every sector
    hubs = {h.slug: h for h in db.session.scalars(select(Hub))}
    assert hubs["west-kazakhstan-hub"].localized_name("kk") == "Батыс Қазақстан хабы"
    assert hubs["west-kazakhstan-hub"].localized_name("ru") == "Хаб Западного Казахстана"
    assert hubs["west-kazakhstan-hub"].localized_name("en") == "West Kazakhstan Hub"
    staff_names = [spec.name for spec in demo.DEMO_USERS if spec.role.value == "hub_staff"]
    assert all(re.fullmatch(r"[А-Яа-яЁёӘәҒғҚқҢңӨөҰұҮүҺһІі ]+", name) for name in staff_names)


def test_an_admin_names_a_hub_in_three_languages_and_staff_read_it_in_theirs(
    app: Any, auth: Auth, client: Any, post_form: Any
) -> None:
    from dealflow.models import Role
    from tests.factories import UserFactory

    admin = UserFactory(role=Role.ADMIN, locale="en")
    auth.login(admin.email, PASSWORD)
    post_form(
        "/admin/hubs/new",
        {
            "name": "Aral Sea Hub",
            "name_ru": "Хаб Приаралья",
            "name_kk": "Арал өңірінің хабы",
            "home_region": "KZ-43",
            "regions": ["KZ-43"],
        },
    )
    hub = db.session.scalar(select(Hub).where(Hub.name == "Aral Sea Hub"))
    assert hub is not None
    assert (hub.name_ru, hub.name_kk) == ("Хаб Приаралья", "Арал өңірінің хабы")
    reader = app.test_client()
    Auth(reader).login(UserFactory(role=Role.ADMIN, locale="kk").email, PASSWORD)
    assert "Арал өңірінің хабы" in reader.get("/review/overview").get_data(as_text=True)


def test_cached_cards_are_kept_per_language(auth: Auth, client: Any) -> None:
    from tests.startup_helpers import startup_in

    startup_in(
        StartupStatus.APPROVED, tagline_ru="Датчики воды для каналов", tagline_kk="Арналарға арналған су датчиктері"
    )
    reader = investor(verified=True)
    auth.login(reader.email, PASSWORD)
    pages = {
        language: client.get("/startups/", headers={"Accept-Language": language}).get_data(as_text=True)
        for language in ("ru", "kk", "en")
    }
    again = client.get("/startups/", headers={"Accept-Language": "ru"}).get_data(as_text=True)  # from the cache
    assert "Датчики воды для каналов" in again
    assert "Датчики воды для каналов" in pages["ru"]
    assert "Арналарға арналған су датчиктері" in pages["kk"]
    assert "Water sensors for irrigation canals" in pages["en"]
    assert "Датчики воды" not in pages["kk"]
    assert "Датчики воды" not in pages["en"]


def test_the_visitors_version_or_the_original_with_its_language() -> None:
    from types import SimpleNamespace

    from dealflow.content import in_language, lang_attribute

    row = SimpleNamespace(tagline="Water sensors", tagline_ru="Датчики воды", tagline_kk=None, content_language="en")
    assert in_language(row, "tagline", "ru") == "Датчики воды"
    assert in_language(row, "tagline", "kk") == "Water sensors"
    assert in_language(row, "tagline", "en") == "Water sensors"
    assert str(lang_attribute(row, "tagline", "ru")) == ""  # the Russian version is the page's language
    assert str(lang_attribute(row, "tagline", "kk")) == ' lang="en"'
    forged = SimpleNamespace(tagline="x", tagline_ru=None, tagline_kk=None, content_language='"><script>')
    assert "<script>" not in str(lang_attribute(forged, "tagline", "kk"))
