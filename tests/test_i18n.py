"""Three languages: choosing one, remembering it, and catalogs that are complete."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from sqlalchemy import select

from dealflow.extensions import db
from dealflow.models import User
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parent.parent
CATALOGS = ROOT / "dealflow" / "translations"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")

HOME_HEADLINE = {
    "en": "Venture deals from every region of Kazakhstan",
    "ru": "Венчурные сделки",
    "kk": "Қазақстан",
}


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_accept_language_picks_the_page_language(client: Any, language: str) -> None:
    page = client.get("/", headers={"Accept-Language": f"{language},en;q=0.5"}).get_data(as_text=True)
    assert f'<html lang="{language}">' in page
    assert HOME_HEADLINE[language] in page


def test_unknown_language_falls_back_to_english(client: Any) -> None:
    page = client.get("/", headers={"Accept-Language": "de-DE"}).get_data(as_text=True)
    assert '<html lang="en">' in page


def test_language_switch_is_remembered_in_a_cookie(client: Any) -> None:
    token = csrf_token(client, "/")
    response = client.post("/language", data={"csrf_token": token, "language": "kk", "next": "/login"})
    assert response.headers["Location"] == "/login"
    assert any(c.startswith("dealflow_lang=kk;") for c in response.headers.getlist("Set-Cookie"))
    page = client.get("/", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert '<html lang="kk">' in page


def test_language_switch_ignores_foreign_next_and_unknown_languages(client: Any) -> None:
    token = csrf_token(client, "/")
    response = client.post("/language", data={"csrf_token": token, "language": "xx", "next": "https://evil.example"})
    assert response.headers["Location"] == "/"
    assert not any(c.startswith("dealflow_lang=") for c in response.headers.getlist("Set-Cookie"))


def test_user_setting_wins_over_cookie_and_browser(auth: Auth, client: Any) -> None:
    user = UserFactory(locale="ru")
    client.set_cookie("dealflow_lang", "kk")
    auth.login(user.email, PASSWORD)
    page = client.get("/account", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in page


def test_switching_language_when_logged_in_saves_it_to_the_account(auth: Auth, client: Any) -> None:
    user = UserFactory(locale="en")
    auth.login(user.email, PASSWORD)
    token = csrf_token(client, "/account")
    client.post("/language", data={"csrf_token": token, "language": "kk", "next": "/account"})
    db.session.refresh(user)
    assert user.locale == "kk"


def _source_messages() -> set[str]:
    found: set[str] = set()
    method_map = [("dealflow/**.py", "python"), ("templates/**.html", "jinja2"), ("templates/**.txt", "jinja2")]
    for _, _, message, _, _ in extract_from_dir(str(ROOT), method_map=method_map, keywords=KEYWORDS):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_catalog_is_complete_and_current(language: str) -> None:
    path = CATALOGS / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=language)
    problems: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        if not all(strings) or (isinstance(message.id, tuple) and len(strings) != catalog.num_plurals):
            problems.append(f"untranslated: {msgid!r}")
        wanted = set(PLACEHOLDER.findall(msgid))
        for text in strings:
            if text and set(PLACEHOLDER.findall(text)) != wanted:
                problems.append(f"placeholders differ: {msgid!r}")
    in_catalog = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog if m.id}
    problems += [f"missing: {msgid!r}" for msgid in sorted(_source_messages() - in_catalog)]
    assert problems == []


def test_saving_a_language_in_settings_sets_the_cookie_and_automatic_clears_it(
    auth: Auth, client: Any, post_form: Any
) -> None:
    user = UserFactory(name="Asel")
    auth.login(user.email, PASSWORD)
    chosen = post_form("/account", {"name": "Asel", "locale": "ru"})
    assert any(c.startswith("dealflow_lang=ru;") for c in chosen.headers.getlist("Set-Cookie"))
    automatic = post_form("/account", {"name": "Asel", "locale": ""})
    assert any(
        c.startswith("dealflow_lang=;") and "Expires=Thu, 01 Jan 1970" in c
        for c in automatic.headers.getlist("Set-Cookie")
    )
    db.session.refresh(user)
    assert user.locale is None
    page = client.get("/account", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert '<html lang="kk">' in page


def test_a_junk_language_cookie_is_never_stored(client: Any, post_form: Any) -> None:
    client.set_cookie("dealflow_lang", "english-please")
    response = post_form(
        "/register",
        {
            "name": "Cookie Tester",
            "email": "cookie@example.kz",
            "password": "Steppe-wind-over-Taraz-9",
            "confirm": "Steppe-wind-over-Taraz-9",
            "role": "investor",
            "accept_terms": "y",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "cookie@example.kz"))
    assert user is not None
    assert user.locale is None
