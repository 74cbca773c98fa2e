"""No URL gives a 500: malformed, huge and Unicode-digit numbers in paths and query strings are refused or ignored."""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.routing import Rule

from dealflow.extensions import db, file_store
from dealflow.models import Role, StartupStatus, StoredFile
from dealflow.parsing import LARGEST_ID, BoundedIntConverter, parse_int, parse_page
from tests.conftest import Auth
from tests.factories import PASSWORD, HubFactory, UserFactory
from tests.match_helpers import match, ready_investor
from tests.startup_helpers import startup_in

SOURCE = Path(__file__).resolve().parent.parent / "dealflow"
# Every query parameter the code reads; the test below fails when one is added without being listed here.
QUERY_PARAMETERS = {
    "action", "actor", "after", "ask_max", "ask_min", "exports", "founded_from", "founded_to", "from", "hub", "index",
    "instrument", "next", "outside", "page", "period", "plan", "q", "region", "revenue", "role", "scope", "sector",
    "size", "sort", "stage", "to",
}  # fmt: skip
BAD_NUMBERS = ["²", "٣", "9" * 30, "9" * 11, "-1", "", "0"]
BAD_IDS = ["0", "-1", "²", "٣", "9" * 25, str(LARGEST_ID), str(LARGEST_ID + 1), str(2**63)]
ROLES = [None, Role.FOUNDER, Role.INVESTOR, Role.HUB_STAFF, Role.ADMIN]


def test_parse_int_takes_ascii_digits_within_bounds_only() -> None:
    assert parse_int("42") == 42
    assert parse_int("007", minimum=1) == 7
    for text in ("²", "٣", "-1", " 4", "4 ", "", "1e3", "0x10", None, 12, "9" * 30):
        assert parse_int(text) is None, text
    assert parse_int("5", minimum=10, default=10) == 10
    assert parse_int(str(LARGEST_ID)) == LARGEST_ID
    assert parse_int(str(LARGEST_ID + 1)) is None
    assert [parse_page(t) for t in ("3", "0", "²", "9" * 30, None)] == [3, 1, 1, 1, 1]


def test_every_int_in_a_route_is_bounded_and_ascii(app: Flask) -> None:
    ints = [
        c for rule in app.url_map.iter_rules() for c in rule._converters.values() if "int" in type(c).__name__.lower()
    ]
    assert ints
    assert all(isinstance(c, BoundedIntConverter) and c.max == LARGEST_ID for c in ints)


def test_the_list_of_query_parameters_is_complete() -> None:
    read = set()
    patterns = (r'args\.get(?:list)?\("([a-z_]+)"', r'args\["([a-z_]+)"\]', r'\bmany\("([a-z_]+)"')
    for path in SOURCE.rglob("*.py"):
        code = path.read_text(encoding="utf-8")
        for pattern in patterns:
            read.update(re.findall(pattern, code))
    read.update({"action", "actor"})  # the audit log's filter form, bound to request.args
    assert read <= QUERY_PARAMETERS, sorted(read - QUERY_PARAMETERS)


def _seed() -> str:
    """One of each thing a page can be about, so ids 1, 2… lead somewhere for someone."""
    hub = HubFactory()
    UserFactory(role=Role.HUB_STAFF, email="walker-staff@example.kz", hub_id=hub.id)
    UserFactory(role=Role.ADMIN, email="walker-admin@example.kz")
    startup = startup_in(StartupStatus.APPROVED)
    startup.owner.email = "walker-founder@example.kz"
    startup_in(StartupStatus.SUBMITTED, owner=startup.owner)
    match(ready_investor(email="walker-investor@example.kz"), startup)
    db.session.commit()
    return startup.slug


def _urls(rule: Rule, slug: str) -> list[str]:
    """The rule with its int parameters set to each bad id (others to something real), plus bad query strings."""
    ints = [name for name, c in rule._converters.items() if isinstance(c, BoundedIntConverter)]
    texts = {"slug": slug, "name": "rollup", "fmt": "csv", "price_key": "monthly"}

    def build(int_value: str) -> str:
        path = rule.rule
        for name in rule._converters:
            value = int_value if name in ints else texts.get(name, "x")
            path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", value, path)
        return path

    urls = [build(bad) for bad in BAD_IDS] if ints else []
    base = build("1")
    urls += [f"{base}?{urlencode(dict.fromkeys(QUERY_PARAMETERS, bad))}" for bad in BAD_NUMBERS]
    return urls


def _get_rules(app: Flask) -> list[Rule]:
    return [r for r in app.url_map.iter_rules() if "GET" in (r.methods or ()) and r.endpoint != "static"]


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r.value if r else "anonymous")
def test_no_url_gives_a_server_error_to_anyone(app: Flask, client: Any, auth: Auth, role: Role | None) -> None:
    slug = _seed()
    if role is not None:
        email = {
            Role.FOUNDER: "walker-founder@example.kz",
            Role.INVESTOR: "walker-investor@example.kz",
            Role.HUB_STAFF: "walker-staff@example.kz",
            Role.ADMIN: "walker-admin@example.kz",
        }[role]
        assert auth.login(email, PASSWORD).status_code == 302
    failures = []
    for rule in _get_rules(app):
        for url in _urls(rule, slug):
            for method in ("GET", "HEAD") if role is None else ("GET",):
                response = client.open(url, method=method)
                if response.status_code >= 500:
                    failures.append(f"{method} {url} -> {response.status_code}")
                response.close()
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    "url",
    [
        "/startups/?page=²",
        "/startups/?founded_from=²",
        "/startups/?page=" + "9" * 30,
        "/review/?hub=²",
        "/review/?hub=" + "9" * 30,
        "/admin/users?page=" + "9" * 30,
        "/admin/audit?page=" + "9" * 30,
        "/admin/billing?page=" + "9" * 30,
    ],
)
def test_the_reported_urls_are_answered(auth: Auth, client: Any, url: str) -> None:
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    assert client.get(url).status_code in (200, 404)


@pytest.mark.parametrize(
    "path",
    [
        "/files/9999999999999999999999999",
        "/files/²",
        "/admin/users/99999999999999999999",
        "/admin/hubs/2147483648",
        "/matches/9999999999999999999999999",
    ],
)
def test_ids_beyond_the_integer_range_are_not_found(auth: Auth, client: Any, path: str) -> None:
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    assert client.get(path).status_code == 404


def test_a_file_whose_blob_is_gone_is_not_found_and_logged(
    auth: Auth, client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    startup = startup_in(StartupStatus.DRAFT)
    logo = db.session.get(StoredFile, startup.logo_file_id)
    assert logo is not None
    db.session.commit()
    auth.login(startup.owner.email, PASSWORD)
    served = client.get(f"/files/{logo.id}")
    assert served.status_code == 200
    served.close()
    file_store.path(logo.storage_key).unlink()
    with caplog.at_level(logging.ERROR, logger="dealflow.startups.routes"):
        assert client.get(f"/files/{logo.id}").status_code == 404
    assert f"stored file {logo.id} has no blob on disk" in caplog.text


@pytest.mark.parametrize("typed", ["sNaN", "NaN", "Infinity", "-Infinity"])
def test_an_amount_that_is_not_a_number_is_refused_on_the_page(auth: Auth, post_form: Any, typed: str) -> None:
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    response = post_form("/admin/rates", {"units_per_usd": typed})
    assert response.status_code == 200
    assert "Not a valid decimal value." in response.get_data(as_text=True)
    reader = ready_investor()
    auth.logout()
    auth.login(reader.email, PASSWORD)
    page = post_form("/investor/profile", {"ticket_min_usd": typed, "kind": "angel", "country": "KZ"})
    assert page.status_code == 200
    assert "Not a valid decimal value." in page.get_data(as_text=True)
