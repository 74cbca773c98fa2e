"""The exact audit of disclosure control: what a stranger with linear programming can pin down in one release.

The stranger reads only what the site serves (the aggregate files as JSON; the page's tables, one
period at a time), writes down every equality those figures obey (row and column sums, hub = KZ-71 +
KZ-75, the origin, sector and month splits, each slice as the sum of its rollup cells, the headline's
"N of M"), and asks SciPy's `milp` for the smallest and largest whole value of each hidden figure.
Nothing here uses `dealflow.evidence.exact`: the equalities are derived again from the published text.

The rule (README, "Disclosure control"): no hidden count that is truly 1 or 2 may be pinned. With what
the markers say ("<3" is 1 or 2, "x" at least 1), it must still be able to take another value; with the
markers not read (every hidden figure only at least 0), it must be able to be 0 or 3 or more.
"""

from __future__ import annotations

import random
import re
from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
import time_machine
from flask import Flask
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csr_array
from sqlalchemy import select

from dealflow.demo import seed_demo
from dealflow.evidence import ledger, rollups
from dealflow.evidence.encoding import LEAF_V2
from dealflow.evidence.queries import dashboard
from dealflow.extensions import db
from dealflow.models import EventKind, LedgerRollup, LedgerSlice, utcnow
from dealflow.reference.data import MAIN_HUB_CODES, REGIONS, SECTORS
from tests.match_helpers import listed
from tests.test_dashboard import cells_of

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
SMALL, HIDDEN = "<3", "x"
KINDS = ("intro_requested", "intro_accepted", "meeting", "term_sheet", "investment_closed")
STEPS = {"startup_submitted": "submitted", "startup_approved": "approved"}


@dataclass
class Release:
    """What a stranger writes down: one variable per figure, its published text, and the equalities between them."""

    shown: dict[Hashable, str | None] = field(default_factory=dict)  # None: not printed, only at least 0
    equalities: list[tuple[Hashable, list[Hashable]]] = field(default_factory=list)

    def figure(self, key: Hashable, text: str | None) -> Hashable:
        if key in self.shown and self.shown[key] is not None and text is not None:
            assert self.shown[key] == text, key  # one figure printed twice must read the same
        elif key not in self.shown or text is not None:
            self.shown[key] = text
        return key

    def equal(self, total: Hashable, parts: list[Hashable]) -> None:
        for key in (total, *parts):
            self.shown.setdefault(key, None)
        self.equalities.append((total, parts))

    def extents(self, read_markers: bool) -> tuple[np.ndarray, np.ndarray, list[Hashable]]:
        keys = list(self.shown)
        cap = 10 * sum(int(t) for t in self.shown.values() if t and t.isdigit()) + 1000
        lows, highs = np.zeros(len(keys)), np.full(len(keys), float(cap))
        for n, key in enumerate(keys):
            text = self.shown[key]
            if text is not None and text.isdigit():
                lows[n] = highs[n] = int(text)
            elif read_markers and text == SMALL:
                lows[n], highs[n] = 1, 2
            elif read_markers and text == HIDDEN:
                lows[n] = 1  # zeros are never hidden
        return lows, highs, keys

    def solve(self, target: Hashable, lows: np.ndarray, highs: np.ndarray, keys: list[Hashable]) -> tuple[int, int]:
        """The smallest and largest whole value of the target under every equality."""
        number = {key: n for n, key in enumerate(keys)}
        rows, columns, signs = [], [], []
        for row, (total, parts) in enumerate(self.equalities):
            for key, sign in ((total, 1.0), *((p, -1.0) for p in parts)):
                rows.append(row)
                columns.append(number[key])
                signs.append(sign)
        matrix = csr_array((signs, (rows, columns)), shape=(len(self.equalities), len(keys)))
        found = []
        for sign in (1.0, -1.0):
            objective = np.zeros(len(keys))
            objective[number[target]] = sign
            result = milp(
                objective,
                constraints=LinearConstraint(matrix, 0, 0),
                bounds=Bounds(lows, highs),
                integrality=np.ones(len(keys)),
            )
            assert result.status == 0, (target, result.message)  # the true figures always fit
            found.append(round(result.x[number[target]]))
        return found[0], found[1]

    def groups(self) -> list[Release]:
        """The release cut into groups of figures no equality connects (solved apart, with the same answers)."""
        parent = {key: key for key in self.shown}

        def root(key: Hashable) -> Hashable:
            while parent[key] != key:
                parent[key] = parent[parent[key]]
                key = parent[key]
            return key

        for total, parts in self.equalities:
            for part in parts:
                parent[root(part)] = root(total)
        groups: dict[Hashable, Release] = defaultdict(Release)
        for key, text in self.shown.items():
            groups[root(key)].shown[key] = text
        for total, parts in self.equalities:
            groups[root(total)].equalities.append((total, parts))
        return list(groups.values())

    def audit(self, truth: dict[Hashable, int]) -> int:
        """Check every hidden figure that is truly 1 or 2; return how many were checked."""
        checked = 0
        for group in self.groups():
            small = [k for k, t in group.shown.items() if k in truth and 0 < truth[k] < 3 and not (t or "").isdigit()]
            if small:
                checked += group.audit_group(small, truth)
        return checked

    def audit_group(self, small: list[Hashable], truth: dict[Hashable, int]) -> int:
        read = self.extents(read_markers=True)
        unread = self.extents(read_markers=False)
        for key in small:
            low, high = self.solve(key, *read)
            assert low <= truth[key] <= high, key
            assert low < high, f"{key} is pinned to {low} by the published figures"
            low, high = self.solve(key, *unread)
            assert low == 0 or high >= 3, f"{key} lies in [{low}, {high}] from the sums alone"
        return len(small)


# -- the files, as a stranger reads them ----------------------------------------------------------


def downloaded(client: Any, name: str) -> Any:
    response = client.get(f"/evidence/data/{name}.json")
    try:
        assert response.status_code == 200
        return response.get_json()
    finally:
        response.close()


def new_head(region_code: str = "KZ-43") -> None:
    """Real ledger events (a startup submitted and approved): a new head, so the files are computed afresh."""
    startup = listed(region_code=region_code)
    ledger.append(EventKind.STARTUP_SUBMITTED, startup=startup)
    ledger.append(EventKind.STARTUP_APPROVED, startup=startup)


def files_release(client: Any) -> Release:
    """Every figure of rollup.json, slices.json and funnel.json, and every equality a stranger can write."""
    rollup, slices, funnel = (downloaded(client, name) for name in ("rollup", "slices", "funnel"))
    release = Release()
    cells_in: dict[tuple[str, str, str, str], list[Hashable]] = defaultdict(list)
    for r in rollup:
        key = release.figure(
            ("rollup", r["month"], r["region_code"], r["kind"], r["investor_origin"], r["sector_code"]),
            str(r["events"]),
        )
        values = {"region": r["region_code"], "hub": "main" if r["is_main_hub"] else "other"}
        values |= {"origin": r["investor_origin"], "sector": r["sector_code"]}
        for dimension, value in values.items():
            cells_in[(r["month"], r["kind"], dimension, value)].append(key)
    along: dict[tuple[str, str], dict[str, list[Hashable]]] = defaultdict(lambda: defaultdict(list))
    for s in slices:
        key = release.figure(("slice", s["month"], s["kind"], s["dimension"], s["value"]), str(s["events"]))
        release.equal(key, cells_in[(s["month"], s["kind"], s["dimension"], s["value"])])
        along[(s["month"], s["kind"])][s["dimension"]].append(key)
    for (month, kind), dimensions in along.items():
        for keys in dimensions.values():
            release.equal(("all", month, kind), keys)  # every dimension adds up to the month's total
        hub = ("slice", month, kind, "hub", "main")
        if hub in release.shown:  # a slice not in the file is 0, and so are the regions it adds up
            main = [("slice", month, kind, "region", code) for code in MAIN_HUB_CODES]
            release.equal(hub, [k for k in main if k in release.shown])
    steps = {v: k for k, v in STEPS.items()}
    for f in funnel:
        key = release.figure(("funnel", f["month"], f["region_code"], f["step"]), str(f["startups"]))
        release.equal(key, [("slice", f["month"], steps[f["step"]], "region", f["region_code"])])
    return release


def files_truth() -> dict[Hashable, int]:
    truth: dict[Hashable, int] = {}
    for r in db.session.scalars(select(LedgerRollup)):
        month = r.month.isoformat()[:7]
        truth[("rollup", month, r.region_code, r.kind, r.investor_origin, r.sector_code)] = r.event_count
    for s in db.session.scalars(select(LedgerSlice)):
        month = s.month.isoformat()[:7]
        truth[("slice", month, s.kind, s.dimension, s.value)] = s.event_count
        if s.kind in STEPS and s.dimension == "region":
            truth[("funnel", month, s.value, STEPS[s.kind])] = s.event_count
    return truth


# -- the page, one period at a time ---------------------------------------------------------------

REGION_KINDS = ("submitted", "approved", "requested", "matched", "closed")


HEADLINE = re.compile(r"(<3|x|[\d,]+) of (<3|x|[\d,]+) matches\.")


def headline_counts(text: str) -> tuple[str, str] | None:
    """ "… 3 of 8 matches." → ("3", "8"); None where the page says the counts are not shown."""
    found = HEADLINE.search(text)
    return (found[1].replace(",", ""), found[2].replace(",", "")) if found else None


def _text(value: str) -> str:
    return value.replace(",", "")


def page_release(client: Any, period: str) -> Release:
    """Every count the page prints for one period, and every equality between them."""
    page = cells_of(client, f"/evidence/?period={period}")
    release = Release()
    regions = list(page.tables["funnel-table"])
    _region_tables(release, page.tables)
    _split_tables(release, page.tables)
    months = list(page.tables["trend-table"])
    main = [("region", code, "matched") for code in regions if code in MAIN_HUB_CODES]
    other = [("region", code, "matched") for code in regions if code not in MAIN_HUB_CODES]
    release.equal(("hub", "main"), main)  # hub = KZ-71 + KZ-75
    release.equal(("hub", "other"), other)
    release.equal(("hub", "main"), [("month", month, "main") for month in months])
    release.equal(("hub", "other"), [("month", month, "matched_outside") for month in months])
    release.equal(("total", "matched"), [("hub", "main"), ("hub", "other")])
    for name in ("30d", "12m"):
        found = headline_counts(page.texts.get(f"headline-{name}", ""))
        outside, total = found if found else (None, None)
        release.figure((name, "outside"), outside)
        release.figure((name, "total"), total)
        release.equal((name, "total"), [(name, "outside"), (name, "main")])
    if period == "12m":  # the headline's 12 months are the period's months
        release.equal(("12m", "outside"), [("hub", "other")])
        release.equal(("12m", "total"), [("total", "matched")])
    return release


def _region_tables(release: Release, tables: dict[str, dict[str, dict[str, str]]]) -> None:
    """The map's table and the funnel's: one figure per region and kind, the totals as their sums."""
    for code, row in tables["regions-table"].items():
        scope = ("total",) if code == "total" else ("region", code)
        for kind in ("matched", "closed"):
            release.figure((*scope, kind), _text(row[kind]))
    regions = tables["funnel-table"]
    for code, row in regions.items():
        for kind in REGION_KINDS:
            release.figure(("region", code, kind), _text(row[kind]))
    for kind in REGION_KINDS:
        release.figure(("total", kind), _text(tables["funnel-totals"][kind]["all"]))
        release.equal(("total", kind), [("region", code, kind) for code in regions])


def _split_tables(release: Release, tables: dict[str, dict[str, dict[str, str]]]) -> None:
    """The origin, sector and month tables: each adds up to the period's totals; a month's matches split by hub."""
    for kind in ("matched", "closed"):
        for table, scope in (("origin-table", "origin"), ("sector-table", "sector")):
            rows = tables[table]
            for value, row in rows.items():
                release.figure((scope, value, kind), _text(row[kind]))
            release.equal(("total", kind), [(scope, value, kind) for value in rows])
    months = tables["trend-table"]
    for month, row in months.items():
        for kind in ("requested", "matched", "closed", "matched_outside"):
            release.figure(("month", month, kind), _text(row[kind]))
        release.equal(("month", month, "matched"), [("month", month, "matched_outside"), ("month", month, "main")])
    for kind in ("requested", "matched", "closed"):
        release.equal(("total", kind), [("month", month, kind) for month in months])


def page_truth(period: str) -> dict[Hashable, int]:
    board = dashboard(period, utcnow().date())
    truth: dict[Hashable, int] = {}
    for kind in REGION_KINDS:
        truth[("total", kind)] = getattr(board.totals, kind)
        for r in board.regions:
            truth[("region", r.key, kind)] = getattr(r, kind)
    for scope, rows in (("origin", board.origins), ("sector", board.sectors)):
        for row in rows:
            for kind in ("matched", "closed"):
                truth[(scope, row.key, kind)] = getattr(row, kind)
    for m in board.months:
        month = m.key[:7]
        for kind in ("requested", "matched", "closed"):
            truth[("month", month, kind)] = getattr(m, kind)
        truth[("month", month, "matched_outside")] = m.matched_outside
        truth[("month", month, "main")] = m.matched - m.matched_outside
    for name, share in (("30d", board.last_30_days), ("12m", board.last_12_months)):
        truth[(name, "outside")], truth[(name, "total")] = share.outside, share.total
        truth[(name, "main")] = share.main
    truth[("hub", "other")] = board.in_period.outside
    truth[("hub", "main")] = board.in_period.main
    return truth


def audit_everything(client: Any) -> int:
    """The files, then the page for every period it offers: the number of hidden small figures checked."""
    checked = files_release(client).audit(files_truth())
    for period in dashboard(None, utcnow().date()).periods:
        checked += page_release(client, period).audit(page_truth(period))
    return checked


# -- the data ----------------------------------------------------------------------------------


def scatter_events(rng: random.Random, count: int) -> None:
    """Events straight into the rollups (the chain is not what is audited): mostly two busy regions, some rare ones."""
    rare = rng.sample([r.code for r in REGIONS if r.code not in MAIN_HUB_CODES], 4)
    for _ in range(count):
        region = rng.choice(["KZ-71", "KZ-75", "KZ-43", *rare]) if rng.random() < 0.8 else rng.choice(rare)
        kind = rng.choice([*KINDS, *STEPS])
        event = SimpleNamespace(
            occurred_at=NOW - timedelta(days=rng.uniform(0, 420)),
            kind=kind,
            region_code=region,
            is_main_hub=region in MAIN_HUB_CODES,
            sector_code=rng.choice(SECTORS[:4]).code,
            is_foreign=kind not in STEPS and rng.random() < 0.3,
            amount_usd=Decimal(rng.randrange(10, 500) * 1000) if kind == "investment_closed" else None,
            leaf_version=LEAF_V2,
            amount_public=True,  # every amount published: the most money figures to protect
        )
        rollups.count_event(event)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_no_small_count_is_pinned_in_random_data(client: Any, seed: int) -> None:
    with time_machine.travel(NOW, tick=False):
        new_head()
        scatter_events(random.Random(seed), 40 + 15 * seed)
        assert audit_everything(client) > 0


def test_no_small_count_is_pinned_in_the_demo_data(app: Flask, client: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        seed_demo()
        assert audit_everything(client) > 0


def test_the_stranger_finds_what_subtraction_alone_would_pin() -> None:
    """The audit is not blind: a table with a small figure that the sums give away is caught."""
    release = Release()
    for key, text in (("total", "9"), ("a", "4"), ("b", "3"), ("c", SMALL)):
        release.figure(key, text)
    release.equal("total", ["a", "b", "c"])
    with pytest.raises(AssertionError, match="pinned"):
        release.audit({"c": 2})
    release = Release()
    for key, text in (("hub", "5"), ("kz71", "3"), ("kz75", HIDDEN), ("total", "9"), ("other", "4")):
        release.figure(key, text)
    release.equal("hub", ["kz71", "kz75"])  # the relation the files' own check used to miss
    release.equal("total", ["hub", "other"])
    with pytest.raises(AssertionError, match="pinned"):
        release.audit({"kz75": 2})


def test_the_page_says_from_when_the_funnel_is_in_the_ledger(client: Any) -> None:
    with time_machine.travel(NOW, tick=False):
        new_head()
        page = client.get("/evidence/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "recorded in the ledger since 15 June 2026" in page
    assert date(2026, 6, 15) == dashboard(None, NOW.date()).funnel_since
