"""The public evidence dashboard: its figures match the open data, small counts stay hidden, cost stays flat."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event

from dealflow.evidence import privacy
from dealflow.evidence.queries import add_months
from dealflow.evidence.tiles import colour_step
from dealflow.extensions import db
from dealflow.matches import ledger
from dealflow.models import EventKind, InvestorKind
from tests.match_helpers import close, listed, match, ready_investor


class Cells(HTMLParser):
    """Collects a page's table cells (table id → row key → data-kind → text) and the text of elements with an id."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, dict[str, str]]] = {}
        self.texts: dict[str, str] = {}
        self._table: str | None = None
        self._row: str | None = None
        self._cell: str | None = None
        self._open: list[list[Any]] = []  # [id, tag, nesting depth of that tag] of each open element with an id

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = found["id"] or ""
            self.tables[self._table] = {}
        elif tag == "tr" and self._table:
            self._row = next((v for k, v in found.items() if k.startswith("data-") and v), None)
        elif tag == "td" and self._row and found.get("data-kind"):
            self._cell = found["data-kind"]
        for element in self._open:
            if element[1] == tag:
                element[2] += 1
        if found.get("id") and tag not in ("input", "img", "br", "meta", "link"):
            self._open.append([found["id"], tag, 1])

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "td":
            self._cell = None
        for element in self._open:
            if element[1] == tag:
                element[2] -= 1
        self._open = [element for element in self._open if element[2] > 0]

    def handle_data(self, data: str) -> None:
        if self._table and self._row and self._cell and data.strip():
            self.tables[self._table].setdefault(self._row, {})[self._cell] = data.strip()
        for element in self._open:
            if data.strip():
                self.texts[element[0]] = self.texts.get(element[0], "") + data.strip()


def cells_of(client: Any, path: str = "/evidence/") -> Cells:
    response = client.get(path, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    parsed = Cells()
    parsed.feed(response.get_data(as_text=True))
    return parsed


def expected(count: int) -> str:
    shown = privacy.shown_count(count)
    return shown if isinstance(shown, str) else f"{shown:,}"


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def seed_activity() -> None:
    """Matches and closes in several regions, recent and old, by domestic and foreign investors."""
    kzo = listed(region_code="KZ-43", name="Kyzylorda Agro")
    astana = listed(region_code="KZ-71", sector_code="fintech", name="Astana Pay")
    ulytau = listed(region_code="KZ-62", sector_code="industrial", name="Ulytau Mine")
    for n in range(4):
        investor = ready_investor(country="KZ" if n % 2 else "DE", kind=InvestorKind.ANGEL)
        intro = match(investor, kzo, at=ago(200 - 40 * n))
        if n < 3:
            close(intro, f"{(n + 1) * 50000}", at=ago(150 - 40 * n))
    for n in range(3):
        match(ready_investor(country="US"), astana, at=ago(10 + n))
    match(ready_investor(), ulytau, at=ago(5))
    close(match(ready_investor(), listed(region_code="KZ-43", name="Old Agro"), at=ago(460)), at=ago(455))
    close(match(ready_investor(), listed(region_code="KZ-47", name="Aktau Port")), confirm=False)  # not counted


def test_the_dashboard_is_public_in_three_languages(client: Any) -> None:
    seed_activity()
    for language, heading in (
        ("en", "Evidence: venture deals beyond Astana and Almaty"),
        ("ru", '<html lang="ru">'),
        ("kk", '<html lang="kk">'),
    ):
        response = client.get("/evidence/", headers={"Accept-Language": language})
        assert response.status_code == 200
        assert heading in response.get_data(as_text=True)
    home = client.get("/").get_data(as_text=True)
    assert 'href="/evidence/"' in home


def test_dashboard_figures_equal_figures_recomputed_from_the_export(client: Any, runner: Any, tmp_path: Path) -> None:
    seed_activity()
    result = runner.invoke(args=["ledger", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with (tmp_path / "events.csv").open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    today = datetime.now(UTC).date()
    first_month = add_months(today.replace(day=1), -11).isoformat()[:7]
    in_period = [e for e in exported if e["occurred_at"][:7] >= first_month]
    by_region: Counter[tuple[str, str]] = Counter((e["region_code"], e["kind"]) for e in in_period)
    by_origin: Counter[tuple[str, str]] = Counter(
        ("foreign" if e["is_foreign"] == "true" else "domestic", e["kind"]) for e in in_period
    )
    by_month: Counter[tuple[str, str]] = Counter((e["occurred_at"][:7], e["kind"]) for e in in_period)

    page = cells_of(client)
    regions = page.tables["regions-table"]
    funnel = page.tables["funnel-table"]
    for code in ("KZ-43", "KZ-71", "KZ-62", "KZ-47", "KZ-10"):
        assert regions[code]["matched"] == expected(by_region[(code, "intro_accepted")]), code
        assert regions[code]["closed"] == expected(by_region[(code, "investment_closed")]), code
        assert funnel[code]["requested"] == expected(by_region[(code, "intro_requested")]), code
    assert regions["total"]["matched"] == expected(sum(n for (_r, k), n in by_region.items() if k == "intro_accepted"))
    for origin in ("domestic", "foreign"):
        row = page.tables["origin-table"][origin]
        assert row["matched"] == expected(by_origin[(origin, "intro_accepted")])
        assert row["closed"] == expected(by_origin[(origin, "investment_closed")])
    for month, row in page.tables["trend-table"].items():
        assert row["requested"] == expected(by_month[(month, "intro_requested")]), month
        assert row["closed"] == expected(by_month[(month, "investment_closed")]), month

    matches = [e for e in in_period if e["kind"] == "intro_accepted"]
    outside = sum(e["is_main_hub"] == "false" for e in matches)
    share = privacy.shown_share(outside, len(matches))
    assert share == round(100 * 6 / 9)  # 4 in Kyzylorda, 1 in Ulytau, 1 in Aktau; 3 in Astana
    assert page.texts["headline-12m"].startswith(f"Last 12 months{share}%")
    head = json.loads((tmp_path / "head.json").read_text())
    assert page.texts["ledger-count"] == str(head["event_count"]) == str(len(exported))
    assert page.texts["ledger-head"] == head["head_hash"]
    assert "investment_closed" not in {e["kind"] for e in exported if e["region_code"] == "KZ-47"}


def test_small_counts_are_suppressed_in_the_page_and_the_export(client: Any, runner: Any, tmp_path: Path) -> None:
    close(match(ready_investor(), listed(region_code="KZ-62", sector_code="energy")), "123456")
    page = client.get("/evidence/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    parsed = cells_of(client)
    assert parsed.tables["regions-table"]["KZ-62"] == {"matched": "<3", "closed": "<3"}
    assert '<span class="tile-value">&lt;3</span>' in page
    assert "123,456" not in page  # the single investment's amount
    assert "The share is not shown while one of its parts is below 3." in page
    assert parsed.texts["headline-12m"].startswith("Last 12 months—")

    runner.invoke(args=["ledger", "export", "--out", str(tmp_path)])
    with (tmp_path / "rollup.csv").open(encoding="utf-8") as handle:
        rollup = list(csv.DictReader(handle))
    assert {r["events"] for r in rollup} == {"<3"}
    assert {r["amount_usd"] for r in rollup} == {""}
    slices = json.loads((tmp_path / "slices.json").read_text())
    assert {s["events"] for s in slices} == {"<3"}
    funnel = json.loads((tmp_path / "funnel.json").read_text())
    assert all(f["startups"] == "<3" or f["startups"] >= 3 for f in funnel)
    with (tmp_path / "events.csv").open(encoding="utf-8") as handle:
        closed = [e for e in csv.DictReader(handle) if e["kind"] == "investment_closed"]
    assert [e["amount_usd"] for e in closed] == ["123456.00"]  # single events are public, without names


def test_suppression_rules() -> None:
    assert [privacy.shown_count(n) for n in (0, 1, 2, 3, 40)] == [0, "<3", "<3", 3, 40]
    assert privacy.shown_amount(2, 500) is None
    assert privacy.shown_amount(3, 123456) == "1234.56"
    assert privacy.shown_share(3, 4) is None  # the other part is 1
    assert privacy.shown_share(0, 5) == 0
    assert privacy.shown_share(6, 9) == 67
    assert [colour_step(n, 40) for n in (0, 1, 2, 3, 20, 40)] == [0, 1, 1, 2, 3, 5]


def test_the_period_filter_moves_whole_months(client: Any) -> None:
    old = ago(460)
    match(ready_investor(), listed(region_code="KZ-55"), at=old)
    for n in range(3):
        match(ready_investor(), listed(region_code="KZ-55", name=f"Pavlodar {n}"), at=ago(20))
    recent = cells_of(client).tables["regions-table"]["KZ-55"]
    everything = cells_of(client, "/evidence/?period=all").tables["regions-table"]["KZ-55"]
    that_year = cells_of(client, f"/evidence/?period={old.year}").tables["regions-table"]["KZ-55"]
    assert (recent["matched"], everything["matched"]) == ("3", "4")
    assert that_year["matched"] == ("<3" if old.year != ago(20).year else "4")
    page = client.get("/evidence/?period=bogus").get_data(as_text=True)
    assert '<option value="12m" selected>' in page


def test_downloads_stream_the_open_data(client: Any) -> None:
    match()
    events = client.get("/evidence/data/events.csv", buffered=True)  # streamed: read it whole in the test
    assert events.status_code == 200
    assert events.mimetype == "text/csv"
    assert 'attachment; filename="events.csv"' in events.headers["Content-Disposition"]
    rows = list(csv.DictReader(events.get_data(as_text=True).splitlines()))
    assert [r["kind"] for r in rows] == ["intro_requested", "intro_accepted"]
    as_json = json.loads(client.get("/evidence/data/events.json", buffered=True).get_data(as_text=True))
    assert [r["hash"] for r in as_json] == [r["hash"] for r in rows]
    head = json.loads(client.get("/evidence/data/head.json", buffered=True).get_data(as_text=True))
    assert head["head_hash"] == rows[-1]["hash"]
    with client.get("/evidence/data/verify.py") as verifier:
        assert b"def main" in verifier.data
    assert client.get("/evidence/data/people.csv").status_code == 404
    assert client.get("/evidence/data/events.xml").status_code == 404


def test_the_dashboard_reads_a_fixed_number_of_statements_whatever_the_events(app: Flask, client: Any) -> None:
    def statements() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/evidence/?period=all").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        assert not any("match_event" in s.replace("match_event_link", "") for s in seen), "raw events were read"
        return len([s for s in seen if "SAVEPOINT" not in s])  # savepoints are the test's own

    intro = match()
    few = statements()
    regions = ["KZ-10", "KZ-11", "KZ-15", "KZ-19", "KZ-23", "KZ-27", "KZ-31", "KZ-33"]
    for n in range(120):
        startup = listed(region_code=regions[n % len(regions)], name=f"Busy {n}")
        about = SimpleNamespace(id=intro.id, investor_id=intro.investor_id, investor=intro.investor, startup=startup)
        ledger.append(EventKind.MEETING if n % 2 else EventKind.INTRO_REQUESTED, about, at=ago(n * 4))
    many = statements()
    assert few == many == 7


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_month_names_and_periods_follow_the_page_language(client: Any, language: str) -> None:
    match()
    page = client.get("/evidence/", headers={"Accept-Language": language}).get_data(as_text=True)
    label = {"en": "Last 12 months", "ru": "Последние 12 месяцев", "kk": "Соңғы 12 ай"}[language]
    assert label in page
    assert date.today().strftime("%Y") in page
