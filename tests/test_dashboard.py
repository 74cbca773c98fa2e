"""The public evidence dashboard: its figures match the open data, small counts stay hidden, cost stays flat."""

from __future__ import annotations

import csv
import itertools
import json
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event

from dealflow.evidence import ledger, privacy
from dealflow.evidence.queries import add_months
from dealflow.evidence.tiles import colour_step
from dealflow.extensions import db
from dealflow.models import EventKind, InvestorKind
from tests.match_helpers import close, listed, match, ready_investor

pytestmark = pytest.mark.date_sensitive  # windows, allowances and waits are counted from today


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


def agrees(shown: str, count: int) -> bool:
    """Whether a published cell is true of the count: the number itself, "<3" for 1 or 2, "x" for any nonzero."""
    if shown == privacy.SUPPRESSED:
        return 0 < count < 3
    if shown == privacy.HIDDEN:
        return count > 0
    return shown == f"{count:,}"


def ago(days: float) -> datetime:
    return datetime.now(UTC) - timedelta(days=days)


def seed_activity() -> None:
    """Matches and closes in several regions, recent and old, by domestic and foreign investors.

    Appended oldest first: the ledger dates each event by the clock at the append and never goes back.
    """
    kzo = listed(region_code="KZ-43", name="Kyzylorda Agro")
    astana = listed(region_code="KZ-71", sector_code="fintech", name="Astana Pay")
    ulytau = listed(region_code="KZ-62", sector_code="industrial", name="Ulytau Mine")
    old = match(ready_investor(), listed(region_code="KZ-43", name="Old Agro"), at=ago(460))
    close(old, at=ago(455))
    investors = [ready_investor(country="KZ" if n % 2 else "DE", kind=InvestorKind.ANGEL) for n in range(4)]
    intros: dict[int, Any] = {}
    steps = [(200 - 40 * n, "match", n) for n in range(4)] + [(150 - 40 * n, "close", n) for n in range(3)]
    for days, step, n in sorted(steps, reverse=True):
        if step == "match":
            intros[n] = match(investors[n], kzo, at=ago(days))
        else:
            close(intros[n], f"{(n + 1) * 50000}", at=ago(days))
    for n in (2, 1, 0):
        match(ready_investor(country="US"), astana, at=ago(10 + n))
    match(ready_investor(), ulytau, at=ago(5))
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


@time_machine.travel(datetime(2026, 11, 29, 12, tzinfo=UTC), tick=False)
def test_dashboard_figures_equal_figures_recomputed_from_the_export(client: Any, runner: Any, tmp_path: Path) -> None:
    """On a fixed day: which figures a given seed leaves visible depends on where the month boundaries fall."""
    seed_activity()
    result = runner.invoke(args=["ledger", "export", "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    with (tmp_path / "events.csv").open(encoding="utf-8") as handle:
        exported = list(csv.DictReader(handle))
    today = datetime.now(UTC).date()
    first_month = add_months(today.replace(day=1), -11).isoformat()[:7]
    in_period = [e for e in exported if e["day"][:7] >= first_month]
    by_region: Counter[tuple[str, str]] = Counter((e["region_code"], e["kind"]) for e in in_period)
    by_origin: Counter[tuple[str, str]] = Counter(
        ("foreign" if e["is_foreign"] == "true" else "domestic", e["kind"]) for e in in_period
    )
    by_month: Counter[tuple[str, str]] = Counter((e["day"][:7], e["kind"]) for e in in_period)

    page = cells_of(client)
    regions = page.tables["regions-table"]
    funnel = page.tables["funnel-table"]
    shown = 0
    for code in ("KZ-43", "KZ-71", "KZ-62", "KZ-47", "KZ-10"):
        assert agrees(regions[code]["matched"], by_region[(code, "intro_accepted")]), code
        assert agrees(regions[code]["closed"], by_region[(code, "investment_closed")]), code
        assert agrees(funnel[code]["requested"], by_region[(code, "intro_requested")]), code
        shown += regions[code]["matched"].isdigit()
    assert shown >= 2, regions  # the page still shows figures: only what would give a small one away is hidden
    assert regions["total"]["matched"] == str(sum(n for (_r, k), n in by_region.items() if k == "intro_accepted"))
    for origin in ("domestic", "foreign"):
        row = page.tables["origin-table"][origin]
        assert agrees(row["matched"], by_origin[(origin, "intro_accepted")])
        assert agrees(row["closed"], by_origin[(origin, "investment_closed")])
    for month, row in page.tables["trend-table"].items():
        assert agrees(row["requested"], by_month[(month, "intro_requested")]), month
        assert agrees(row["closed"], by_month[(month, "investment_closed")]), month

    matches = [e for e in in_period if e["kind"] == "intro_accepted"]
    outside = sum(e["is_main_hub"] == "false" for e in matches)
    assert (outside, len(matches)) == (6, 9)  # 4 in Kyzylorda, 1 in Ulytau, 1 in Aktau; 3 in Astana
    assert page.texts["headline-12m"].startswith(f"Last 12 months{round(100 * 6 / 9)}%")
    assert "6 of 9 matches." in page.texts["headline-12m"]
    head = json.loads((tmp_path / "head.json").read_text())
    assert page.texts["ledger-count"] == str(head["event_count"]) == str(len(exported))
    assert page.texts["ledger-head"] == head["head_hash"]
    assert "investment_closed" not in {e["kind"] for e in exported if e["region_code"] == "KZ-47"}


def test_small_counts_are_suppressed_in_the_page_and_the_export(client: Any, runner: Any, tmp_path: Path) -> None:
    close(match(ready_investor(), listed(region_code="KZ-62", sector_code="energy")), "123456")
    page = client.get("/evidence/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    parsed = cells_of(client)
    assert parsed.tables["regions-table"]["KZ-62"] == {"matched": "<3", "closed": "<3", "closed_usd": "x"}
    assert '<span class="tile-value">&lt;3</span>' in page
    assert "123,456" not in page  # the single investment's amount
    assert "The counts and the share are not shown while one of their parts is below 3" in page
    assert parsed.texts["headline-12m"].startswith("Last 12 months—")

    runner.invoke(args=["ledger", "export", "--out", str(tmp_path)])
    with (tmp_path / "rollup.csv").open(encoding="utf-8") as handle:
        rollup = list(csv.DictReader(handle))
    assert {r["events"] for r in rollup} == {"<3"}
    assert {r["amount_usd"] for r in rollup if r["kind"] == "investment_closed"} == {"x"}
    assert {r["amount_usd"] for r in rollup if r["kind"] != "investment_closed"} == {""}
    slices = json.loads((tmp_path / "slices.json").read_text())
    assert {s["events"] for s in slices} == {"<3"}
    assert "123456" not in (tmp_path / "slices.json").read_text() + (tmp_path / "rollup.csv").read_text()
    funnel = json.loads((tmp_path / "funnel.json").read_text())
    assert all(f["startups"] in ("<3", "x") or f["startups"] >= 3 for f in funnel)
    with (tmp_path / "events.csv").open(encoding="utf-8") as handle:
        closed = [e for e in csv.DictReader(handle) if e["kind"] == "investment_closed"]
    assert [e["amount_usd"] for e in closed] == ["123456.00"]  # single events are public, without names


# -- subtraction: no hidden figure comes out of a total minus the figures shown beside it ------------


def number(text: str) -> int | None:
    """A published figure as a number (a dash is none: 0), or None where it is hidden."""
    if text in ("—", ""):
        return 0
    digits = text.lstrip("$").replace(",", "")
    return int(digits) if digits.isdigit() else None


def leftovers(totals: set[int], partitions: list[dict[str, str]]) -> set[int]:
    """Every total anyone can find minus the figures shown in every split of it."""
    return {total - sum(n for v in cells.values() if (n := number(v))) for total in totals for cells in partitions}


def findable_totals(shown_totals: list[str], partitions: list[dict[str, str]]) -> set[int]:
    """The totals printed, and those of every split with nothing hidden."""
    found = {n for t in shown_totals if (n := number(t)) is not None}
    for cells in partitions:
        values = [number(v) for v in cells.values()]
        if all(n is not None for n in values):
            found.add(sum(n for n in values if n is not None))
    return found


def three_in_almaty_one_in_ulytau() -> None:
    """3 closes in Almaty, 1 in Ulytau, this month, by domestic investors, one sector: nothing else to hide among."""
    now = datetime.now(UTC)  # the clock stands still in a date-sensitive test: the month looked up is this one
    for n, amount in enumerate(("100000", "200000", "300000")):
        startup = listed(region_code="KZ-75", sector_code="energy", name=f"Almaty Grid {n}")
        close(match(ready_investor(), startup, at=now), amount, at=now)
    close(
        match(ready_investor(), listed(region_code="KZ-62", sector_code="energy", name="Ulytau Ore"), at=now),
        "77777",
        at=now,
    )


def test_no_hidden_figure_can_be_worked_out_by_subtraction_on_the_page(client: Any) -> None:
    three_in_almaty_one_in_ulytau()
    page = cells_of(client)
    regions = {k: v for k, v in page.tables["regions-table"].items() if k != "total"}
    totals_row = page.tables["regions-table"]["total"]
    funnel_rows = page.tables["funnel-table"]
    steps = page.tables["funnel-totals"]
    assert regions["KZ-62"]["closed"] == "<3"
    assert regions["KZ-75"]["closed"] == "x"  # 3, hidden because total minus it would give Ulytau's 1
    assert totals_row["closed"] == "4"  # the total stays: with two hidden parts it gives nothing away

    for kind in ("requested", "matched", "closed"):
        partitions = [{k: row[kind] for k, row in funnel_rows.items()}]
        partitions += [{k: row[kind] for k, row in regions.items()} for _ in [kind] if kind != "requested"]
        for table in ("origin-table", "sector-table", "trend-table"):
            if kind in next(iter(page.tables[table].values())):
                partitions.append({k: row[kind] for k, row in page.tables[table].items()})
        shown_totals = [steps[kind]["all"]] + ([totals_row[kind]] if kind in totals_row else [])
        assert 1 not in leftovers(findable_totals(shown_totals, partitions), partitions), kind  # Ulytau's 1

    money = [{k: row["closed_usd"] for k, row in regions.items()}]
    money.append({k: row["closed_usd"] for k, row in page.tables["origin-table"].items()})
    assert totals_row["closed_usd"] == "x"  # a total sum is hidden when any sum in it is
    assert regions["KZ-62"]["closed_usd"] == regions["KZ-75"]["closed_usd"] == "x"
    found = findable_totals([totals_row["closed_usd"]], money)
    assert found == {677777}  # the domestic investors' sum is the national one, and that is fine:
    assert 77777 not in leftovers(found, money)  # minus what is shown it gives Almaty and Ulytau together

    month = page.tables["trend-table"][datetime.now(UTC).strftime("%Y-%m")]
    assert (month["matched"], month["matched_outside"]) == ("4", "<3")
    assert page.texts["headline-12m"].startswith("Last 12 months—")
    assert "of 4 matches" not in page.texts["headline-12m"]  # would give away the 3 in Almaty and the 1 outside


def test_no_hidden_figure_can_be_worked_out_by_subtraction_in_the_aggregate_files(runner: Any, tmp_path: Path) -> None:
    three_in_almaty_one_in_ulytau()
    assert runner.invoke(args=["ledger", "export", "--out", str(tmp_path)]).exit_code == 0
    slices = json.loads((tmp_path / "slices.json").read_text())
    rollup = json.loads((tmp_path / "rollup.json").read_text())
    ulytau = {"intro_requested": (1, 0), "intro_accepted": (1, 0), "investment_closed": (1, 7777700)}

    def cents(text: str | None) -> str:
        return "—" if text is None else text if text == "x" else str(round(Decimal(text) * 100))

    for kind, (count, amount) in ulytau.items():
        mine = [s for s in slices if s["kind"] == kind]
        cube = [r for r in rollup if r["kind"] == kind]
        for column, hidden_value, as_text in (("events", count, str), ("amount_usd", amount, cents)):
            if hidden_value == 0:
                continue
            partitions = [
                {s["value"]: as_text(s[column]) for s in mine if s["dimension"] == dimension}
                for dimension in ("region", "hub", "origin", "sector")
            ]
            partitions.append({str(n): as_text(r[column]) for n, r in enumerate(cube)})
            found = findable_totals([], partitions)
            assert hidden_value not in leftovers(found, partitions), (kind, column)
            for s in mine:  # each slice is the sum of its rollup cells
                key = {"region": "region_code", "origin": "investor_origin", "sector": "sector_code"}.get(
                    s["dimension"]
                )
                if key and number(as_text(s[column])) is not None:
                    cells = {str(n): as_text(r[column]) for n, r in enumerate(cube) if r[key] == s["value"]}
                    assert hidden_value not in leftovers({number(as_text(s[column])) or 0}, [cells]), (kind, column, s)
        region = {s["value"]: s["events"] for s in mine if s["dimension"] == "region"}
        assert region["KZ-62"] == "<3"
    closes = [s for s in slices if s["kind"] == "investment_closed"]
    ulytau_sums = {s["amount_usd"] for s in closes if s["value"] in ("KZ-62", "other")}
    assert ulytau_sums == {"x"}  # sums are hidden with their counts
    assert {s["events"] for s in closes} > {"<3", "x"}  # and figures are still shown (here Almaty's 3)
    assert {s["amount_usd"] for s in slices if s["kind"] != "investment_closed"} == {None}


def test_the_headline_prints_counts_only_when_both_parts_are_3_or_more(client: Any) -> None:
    for n in range(5):
        match(ready_investor(), listed(region_code="KZ-43", name=f"Outside {n}"), at=ago(3))
    match(ready_investor(), listed(region_code="KZ-71", name="Astana One"), at=ago(3))
    headline = cells_of(client).texts["headline-30d"]
    assert headline.startswith("Last 30 days—")
    assert "of 6 matches" not in headline  # "5 of 6" would give away the 1 in the main hubs
    for n in range(2):
        match(ready_investor(), listed(region_code="KZ-71", name=f"Astana {n}"), at=ago(3))
    headline = cells_of(client).texts["headline-30d"]
    assert headline.startswith(f"Last 30 days{round(100 * 5 / 8)}%")
    assert "5 of 8 matches." in headline


def test_the_month_table_hides_the_matches_outside_when_the_rest_is_small(client: Any) -> None:
    for n in range(3):
        match(ready_investor(), listed(region_code="KZ-43", name=f"Outside {n}"), at=ago(3))
    match(ready_investor(), listed(region_code="KZ-71", name="Astana One"), at=ago(3))
    month = cells_of(client).tables["trend-table"][ago(3).strftime("%Y-%m")]
    assert month["matched"] == "4"
    assert month["matched_outside"] == "x"  # 3, but 4 minus 3 would give the 1 in the main hubs


def test_suppression_rules() -> None:
    assert [privacy.shown_count(n) for n in (0, 1, 2, 3, 40)] == [0, "<3", "<3", 3, 40]
    assert privacy.shown_share(6, 9) == 67
    assert privacy.shown_share("<3", 9) is None
    assert privacy.shown_share(0, 0) is None
    assert [colour_step(n, 40) for n in (0, 1, 2, 3, 20, 40)] == [0, 1, 1, 2, 3, 5]
    assert colour_step("x", 40) == 1

    def protect(total: int, parts: dict[str, int], money: bool = False) -> dict[Any, Any]:
        disclosure = privacy.Disclosure(money=money)
        disclosure.add("total", total)
        for key, value in parts.items():
            disclosure.add(key, value)
        disclosure.line("total", parts)
        return disclosure.protect().values

    # one small part: the next smallest goes too, zeros stay, the total stays
    assert protect(9, {"a": 4, "b": 3, "c": 2, "z": 0}) == {"total": 9, "a": 4, "b": "x", "c": "<3", "z": 0}
    # two small parts that add up to 2 would each be 1: a third is hidden
    assert protect(9, {"a": 4, "b": 3, "c": 1, "d": 1}) == {"total": 9, "a": 4, "b": "x", "c": "<3", "d": "<3"}
    # nothing left to hide beside it: the small total is widened to "x"
    assert protect(2, {"a": 1, "b": 1, "z": 0}) == {"total": "x", "a": "<3", "b": "<3", "z": 0}
    assert protect(7, {"a": 5, "b": 2}) == {"total": 7, "a": "x", "b": "<3"}


def test_no_small_count_is_determined_in_random_tables() -> None:
    """Every way to fill in the hidden cells of a table with row and column sums, tried one by one."""
    rng = random.Random(2026)
    checked = 0
    for _ in range(150):
        rows, columns = rng.choice([(2, 2), (2, 3), (3, 2)])
        cells = {(r, c): rng.choice([0, 0, 1, 1, 2, 3, 4, 6]) for r in range(rows) for c in range(columns)}
        sums = {("row", r): sum(cells[(r, c)] for c in range(columns)) for r in range(rows)}
        sums |= {("column", c): sum(cells[(r, c)] for r in range(rows)) for c in range(columns)}
        disclosure = privacy.Disclosure()
        for key, value in [*cells.items(), *sums.items(), ("total", sum(cells.values()))]:
            disclosure.add(key, value)
        for r in range(rows):
            disclosure.line(("row", r), [(r, c) for c in range(columns)])
        for c in range(columns):
            disclosure.line(("column", c), [(r, c) for r in range(rows)])
        disclosure.line("total", [("row", r) for r in range(rows)])
        disclosure.line("total", [("column", c) for c in range(columns)])
        shown = disclosure.protect().values
        hidden = [key for key in cells if isinstance(shown[key], str)]
        if len(hidden) > 5:
            continue
        seen: dict[Any, set[int]] = {key: set() for key in shown}
        ranges = [range(1, 3) if shown[key] == "<3" else range(1, 9) for key in hidden]
        for filled in itertools.product(*ranges):
            trial = {**cells, **dict(zip(hidden, filled, strict=True))}
            values: dict[Any, int] = dict(trial)
            values |= {("row", r): sum(trial[(r, c)] for c in range(columns)) for r in range(rows)}
            values |= {("column", c): sum(trial[(r, c)] for r in range(rows)) for c in range(columns)}
            values["total"] = sum(trial.values())
            if all(agrees(str(shown[key]), values[key]) for key in shown):
                for key, value in values.items():
                    seen[key].add(value)
        for key, value in [*cells.items(), *sums.items(), ("total", sum(cells.values()))]:
            if 0 < value < 3:
                assert len(seen[key]) > 1, (cells, shown, key)  # anyone could work it out
        checked += 1
    assert checked > 100


def test_sums_of_money_follow_their_counts() -> None:
    money = privacy.Disclosure(money=True)
    money.add("total", 900)
    for key, cents, small in (("a", 500, False), ("b", 300, False), ("c", 100, True)):
        money.add(key, cents, sensitive=small)
    money.line("total", ["a", "b", "c"])
    money.hide("c")  # its count is hidden
    assert money.protect().values == {"total": "x", "a": 500, "b": 300, "c": "x"}  # the total would give c away

    money = privacy.Disclosure(money=True)
    money.add("total", 900, published=False)  # not printed, but the other split adds up to it
    money.add("domestic", 900)
    money.add("foreign", 0)
    for key, cents, small in (("a", 500, False), ("b", 300, False), ("c", 100, True)):
        money.add(key, cents, sensitive=small)
    money.line("total", ["a", "b", "c"])
    money.line("total", ["domestic", "foreign"])
    money.hide("c")
    assert money.protect().values["b"] == "x"  # 900 - 500 - 300 would give c away


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


def test_aggregate_files_are_written_once_per_ledger_head(
    app: Flask, client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "OPEN_DATA_FOLDER", str(tmp_path / "open-data"))  # no other test's heads

    def rollup() -> str:
        with client.get("/evidence/data/rollup.csv") as response:  # a file: close it
            return str(response.get_data(as_text=True))

    intro = match()
    first = rollup()
    folders = list(Path(app.config["OPEN_DATA_FOLDER"]).iterdir())
    assert len(folders) == 1
    assert (folders[0] / "rollup.csv").read_text(encoding="utf-8") == first  # served from the file
    assert rollup() == first
    close(intro)  # a new event: a new head, new files, the old ones gone
    second = rollup()
    assert "investment_closed" in second
    assert "investment_closed" not in first
    now = sorted(f.name for f in Path(app.config["OPEN_DATA_FOLDER"]).iterdir())
    assert len(now) == 2  # the new head's files, and the previous head's for downloads still under way
    assert folders[0].name in now


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
        ledger.append(EventKind.MEETING if n % 2 else EventKind.INTRO_REQUESTED, about)
    many = statements()
    assert few == many == 9  # the figures, and the log section: the latest checkpoint and the witnesses


@pytest.mark.parametrize("language", ["en", "ru", "kk"])
def test_month_names_and_periods_follow_the_page_language(client: Any, language: str) -> None:
    match()
    page = client.get("/evidence/", headers={"Accept-Language": language}).get_data(as_text=True)
    label = {"en": "Last 12 months", "ru": "Последние 12 месяцев", "kk": "Соңғы 12 ай"}[language]
    assert label in page
    assert date.today().strftime("%Y") in page
