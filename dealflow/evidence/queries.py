"""The public dashboard's figures, read from the rollups and the head row only, never from raw events.

Seven small statements whatever the number of events: the head, the first month, the period's
slices grouped by kind and value (the funnel's startups submitted and approved among them: they are
ledger events too), its monthly trend, the last 30 days, the last 12 months and the first day the
ledger holds a startup step. Each reads rows bounded by months × (kinds × values), not by events.

What the page may show of them is decided in one pass by `privacy.Disclosure` (`_publish`), which
is told every figure the page prints and every sum that ties them together.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select

from dealflow.evidence import privacy
from dealflow.evidence.ledger import Head, current_head
from dealflow.evidence.privacy import Shown
from dealflow.evidence.rollups import DOMESTIC, FOREIGN
from dealflow.extensions import db
from dealflow.models import EventKind, LedgerDay, LedgerSlice
from dealflow.parsing import parse_int
from dealflow.reference.data import MAIN_HUB_CODES, REGIONS, SECTORS

REQUESTED = EventKind.INTRO_REQUESTED.value
MATCHED = EventKind.INTRO_ACCEPTED.value
CLOSED = EventKind.INVESTMENT_CLOSED.value
SUBMITTED = EventKind.STARTUP_SUBMITTED.value
APPROVED = EventKind.STARTUP_APPROVED.value
ROLLING_PERIODS = {"12m": 12, "3m": 3}
DEFAULT_PERIOD = "12m"


def add_months(month: date, count: int) -> date:
    """The first day of the month `count` months after (or before, if negative) the given month."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_between(first: date, last: date) -> list[date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = add_months(month, 1)
    return months


@dataclass(frozen=True)
class Period:
    """Whole calendar months (UTC), from the first to the last, both included."""

    key: str
    first: date
    last: date


def choose_period(key: str | None, today: date, first_month: date | None) -> Period:
    """The period asked for, or the last 12 months when the key is unknown."""
    this_month = today.replace(day=1)
    if key == "all":
        return Period("all", min(first_month or this_month, this_month), this_month)
    year = parse_int(key, minimum=1000, maximum=9999)
    if year is not None and first_month and first_month.year <= year <= today.year:
        return Period(str(year), date(year, 1, 1), min(date(year, 12, 1), this_month))
    months = ROLLING_PERIODS.get(key or "", ROLLING_PERIODS[DEFAULT_PERIOD])
    chosen = key if key in ROLLING_PERIODS else DEFAULT_PERIOD
    return Period(chosen, add_months(this_month, 1 - months), this_month)


def period_keys(today: date, first_month: date | None) -> list[str]:
    """The periods the filter offers: rolling ones, all time, then each year with events, newest first."""
    years = range(today.year, (first_month or today).year - 1, -1)
    return [*ROLLING_PERIODS, "all", *(str(year) for year in years)]


@dataclass
class Share:
    """Matches outside the main hubs out of all matches, and what of them the page may show."""

    outside: int
    total: int
    shown_outside: Shown = 0
    shown_main: Shown = 0
    shown_total: Shown = 0

    @property
    def main(self) -> int:
        return self.total - self.outside

    @property
    def visible(self) -> bool:
        """Whether the counts may be printed: both parts and the total are shown, none hidden."""
        return not any(privacy.is_hidden(v) for v in (self.shown_outside, self.shown_main, self.shown_total))

    @property
    def percent(self) -> int | None:
        """The share in whole percent, or None where it would give a hidden part away."""
        return privacy.shown_share(self.shown_outside, self.shown_total) if self.visible else None


@dataclass
class Figures:
    """Counts along one value of a dimension (a region, an origin, a sector, a month) in the period."""

    key: str
    requested: int = 0
    matched: int = 0
    closed: int = 0
    closed_cents: int = 0
    closed_disclosed: int = 0  # closes whose amount both sides published (closed_cents sums only those)
    submitted: int = 0
    approved: int = 0
    # what the page shows of each count above ("closed_cents" the sum of money): the number, "<3" or "x"
    shown: dict[str, Shown] = field(default_factory=dict)

    @property
    def shown_disclosed(self) -> Shown:
        """How many closes published their amount, as shown: hidden with the closes, "<3" when 1 or 2."""
        closes = self.shown.get("closed", self.closed)
        if isinstance(closes, str):
            return privacy.HIDDEN
        return privacy.SUPPRESSED if privacy.is_suppressed(self.closed_disclosed) else self.closed_disclosed

    def add(self, kind: str, count: int, cents: int, disclosed: int = 0) -> None:
        if kind == REQUESTED:
            self.requested += count
        elif kind == MATCHED:
            self.matched += count
        elif kind == CLOSED:
            self.closed += count
            self.closed_cents += cents
            self.closed_disclosed += disclosed
        elif kind == SUBMITTED:
            self.submitted += count
        elif kind == APPROVED:
            self.approved += count


@dataclass
class MonthFigures(Figures):
    matched_outside: int = 0


@dataclass(frozen=True)
class Dashboard:
    period: Period
    periods: list[str]
    head: Head
    last_30_days: Share
    last_12_months: Share
    in_period: Share
    regions: list[Figures]
    origins: list[Figures]
    sectors: list[Figures]
    months: list[MonthFigures]
    totals: Figures = field(default_factory=lambda: Figures("total"))
    funnel_since: date | None = None  # the first day the ledger holds a startup submitted or approved


def _funnel_since() -> date | None:
    """Startups submitted and approved before the ledger recorded them are not in it: the page says from when."""
    return db.session.scalar(select(func.min(LedgerDay.day)).where(LedgerDay.kind.in_((SUBMITTED, APPROVED))))


def _first_month() -> date | None:
    return db.session.scalar(select(func.min(LedgerSlice.month)))


def _matches_since_day(first_day: date) -> Share:
    rows = db.session.execute(
        select(LedgerDay.is_main_hub, func.sum(LedgerDay.event_count))
        .where(LedgerDay.kind == MATCHED, LedgerDay.day >= first_day)
        .group_by(LedgerDay.is_main_hub)
    ).all()
    counts = {bool(main): int(n or 0) for main, n in rows}
    return Share(counts.get(False, 0), sum(counts.values()))


def _matches_since_month(first_month: date) -> Share:
    rows = db.session.execute(
        select(LedgerSlice.value, func.sum(LedgerSlice.event_count))
        .where(
            LedgerSlice.kind == MATCHED,
            LedgerSlice.dimension == "hub",
            LedgerSlice.month >= first_month,
        )
        .group_by(LedgerSlice.value)
    ).all()
    counts = {value: int(n or 0) for value, n in rows}
    return Share(counts.get("other", 0), sum(counts.values()))


def dashboard(period_key: str | None, today: date) -> Dashboard:
    """Every figure of the evidence page for the chosen period."""
    head = current_head()
    first_month = _first_month()
    period = choose_period(period_key, today, first_month)
    in_period = (LedgerSlice.month >= period.first, LedgerSlice.month <= period.last)

    regions = {r.code: Figures(r.code) for r in REGIONS}
    origins = {o: Figures(o) for o in (DOMESTIC, FOREIGN)}
    sectors = {s.code: Figures(s.code) for s in SECTORS}
    hubs = {"main": Figures("main"), "other": Figures("other")}
    by_dimension = {"region": regions, "origin": origins, "sector": sectors, "hub": hubs}
    grouped = db.session.execute(
        select(
            LedgerSlice.kind,
            LedgerSlice.dimension,
            LedgerSlice.value,
            func.sum(LedgerSlice.event_count),
            func.sum(LedgerSlice.amount_usd_cents),
            func.sum(LedgerSlice.disclosed_count),
        )
        .where(*in_period)
        .group_by(LedgerSlice.kind, LedgerSlice.dimension, LedgerSlice.value)
    )
    for kind, dimension, value, count, cents, disclosed in grouped:
        if kind in (SUBMITTED, APPROVED) and dimension != "region":
            continue  # the funnel's startups are shown by region only (and have no investor origin)
        target = by_dimension.get(dimension, {})
        if value not in target:
            target[value] = Figures(value)
        target[value].add(kind, int(count or 0), int(cents or 0), int(disclosed or 0))

    months = {m: MonthFigures(m.isoformat()) for m in months_between(period.first, period.last)}
    trend = db.session.execute(
        select(LedgerSlice.month, LedgerSlice.kind, LedgerSlice.value, func.sum(LedgerSlice.event_count))
        .where(*in_period, LedgerSlice.dimension == "hub")
        .group_by(LedgerSlice.month, LedgerSlice.kind, LedgerSlice.value)
    )
    for month, kind, value, count in trend:
        figures = months.setdefault(month, MonthFigures(month.isoformat()))
        figures.add(kind, int(count or 0), 0)
        if kind == MATCHED and value == "other":
            figures.matched_outside += int(count or 0)

    totals = Figures("total")
    for region in regions.values():
        for name in ("requested", "matched", "closed", "closed_cents", "closed_disclosed", "submitted", "approved"):
            setattr(totals, name, getattr(totals, name) + getattr(region, name))
    this_month = today.replace(day=1)
    board = Dashboard(
        period=period,
        periods=period_keys(today, first_month),
        head=head,
        last_30_days=_matches_since_day(today - timedelta(days=29)),
        last_12_months=_matches_since_month(add_months(this_month, -11)),
        in_period=Share(hubs["other"].matched, hubs["other"].matched + hubs["main"].matched),
        regions=[regions[r.code] for r in REGIONS] + [f for code, f in regions.items() if code not in REGION_CODES],
        origins=list(origins.values()),
        sectors=sorted(sectors.values(), key=lambda f: (-f.matched, -f.closed, SECTOR_ORDER.get(f.key, len(SECTORS)))),
        months=[months[m] for m in sorted(months)],
        totals=totals,
        funnel_since=_funnel_since(),
    )
    window = [add_months(this_month, -n) for n in range(12)]
    _publish(board, hubs, [m for m in window if first_month is not None and m >= first_month], first_month)
    return board


# -- what the page may show ------------------------------------------------------------------

BY_REGION = ("requested", "matched", "closed", "submitted", "approved")  # the funnel table shows all five
BY_ORIGIN = BY_SECTOR = ("matched", "closed")
BY_MONTH = ("requested", "matched", "closed")
TOTAL = "total"


Table = tuple[str, Sequence[Figures], tuple[str, ...]]
HubKeys = dict[str, tuple[str, str, str]]  # "main" and "other": the keys of the hubs' matched counts


def _tables(board: Dashboard, months: tuple[str, ...] = BY_MONTH) -> list[Table]:
    """The page's tables: their scope, their rows and the figures each row prints."""
    return [
        ("region", board.regions, BY_REGION),
        ("origin", board.origins, BY_ORIGIN),
        ("sector", board.sectors, BY_SECTOR),
        ("month", board.months, months),
    ]


def _publish(board: Dashboard, hubs: dict[str, Figures], twelve_months: list[date], first_month: date | None) -> None:
    """Decide what every figure of the page shows, counts first, then sums of money, in one shared pass.

    Told to `privacy.Disclosure`: each printed figure, and each sum anyone can take between them —
    the period's total split by region, origin, sector, month and main hub or not; the main hubs
    and the rest as sums of regions and of months; each month's matches as those outside the hubs
    plus those in them (not printed, but the difference of two printed figures); and the headline's
    last 12 months, when they are the period's own months (a headline over other months is another
    period, like the last 30 days: the README says what that leaves open).
    """
    counts = privacy.Disclosure()
    hub = {key: ("hub", key, "matched") for key in ("main", "other")}
    _tell_tables(counts, board, hubs, hub)
    _tell_shares(counts, board, hub, twelve_months, first_month)
    shown = counts.protect()
    dollars = _money_told(board, shown).protect()
    _show(board, shown, dollars, hub)


def _tell_tables(counts: privacy.Disclosure, board: Dashboard, hubs: dict[str, Figures], hub: HubKeys) -> None:
    """The tables' counts, the period's totals as their sums, and the hubs as sums of regions and of months."""
    for name in BY_REGION:
        counts.add((TOTAL, "", name), getattr(board.totals, name))
    for scope, rows, names in _tables(board):
        for name in names:
            for row in rows:
                counts.add((scope, row.key, name), getattr(row, name))
            counts.line((TOTAL, "", name), [(scope, row.key, name) for row in rows])
    for key, figures in hubs.items():
        counts.add(hub[key], figures.matched)
    counts.line((TOTAL, "", "matched"), hub.values())
    counts.line(hub["main"], [("region", r.key, "matched") for r in board.regions if r.key in MAIN_HUB_CODES])
    counts.line(hub["other"], [("region", r.key, "matched") for r in board.regions if r.key not in MAIN_HUB_CODES])
    for month in board.months:
        counts.add(("month", month.key, "outside"), month.matched_outside)
        counts.add(("month", month.key, "main"), month.matched - month.matched_outside, published=False)
        counts.line(("month", month.key, "matched"), [("month", month.key, "outside"), ("month", month.key, "main")])
    for key, part in (("other", "outside"), ("main", "main")):
        counts.line(hub[key], [("month", m.key, part) for m in board.months])


def _tell_shares(
    counts: privacy.Disclosure,
    board: Dashboard,
    hub: HubKeys,
    twelve_months: list[date],
    first_month: date | None,
) -> None:
    """The headline's last 30 days and 12 months; the 12 months are the period's when they span its months."""
    with_events = {m.key for m in board.months if first_month is not None and m.key >= first_month.isoformat()}
    for name, share in (("30d", board.last_30_days), ("12m", board.last_12_months)):
        counts.add((name, "", "outside"), share.outside)
        counts.add((name, "", "main"), share.main)
        counts.add((name, "", "total"), share.total)
        counts.line((name, "", "total"), [(name, "", "outside"), (name, "", "main")])
    if {m.isoformat() for m in twelve_months} == with_events:  # the same figures as the period's, on top
        for part, same in (("outside", hub["other"]), ("main", hub["main"]), ("total", (TOTAL, "", "matched"))):
            counts.line(("12m", "", part), [same])


def _money_told(board: Dashboard, shown: privacy.Published) -> privacy.Disclosure:
    """The sums of money closed, each hidden where its count is, and the period's total as their sum."""
    money = privacy.Disclosure(money=True)
    money_rows = [(TOTAL, board.totals)] + [
        (s, r) for s, rows in (("region", board.regions), ("origin", board.origins)) for r in rows
    ]
    for scope, row in money_rows:
        value = row.key if scope != TOTAL else ""
        money.add((scope, value, "closed_cents"), row.closed_cents, sensitive=privacy.is_suppressed(row.closed))
        if privacy.is_hidden(shown[(scope, value, "closed")]):
            money.hide((scope, value, "closed_cents"))
    for scope, rows in (("region", board.regions), ("origin", board.origins)):
        money.line((TOTAL, "", "closed_cents"), [(scope, r.key, "closed_cents") for r in rows])
    return money


def _show(board: Dashboard, shown: privacy.Published, dollars: privacy.Published, hub: HubKeys) -> None:
    """Write what each figure shows onto the rows the page prints."""
    for scope, rows, names in _tables(board, months=(*BY_MONTH, "outside")):
        for row in rows:
            row.shown = {name: shown[(scope, row.key, name)] for name in names}
            if scope in ("region", "origin"):
                row.shown["closed_cents"] = dollars[(scope, row.key, "closed_cents")]
    board.totals.shown = {name: shown[(TOTAL, "", name)] for name in BY_REGION}
    board.totals.shown["closed_cents"] = dollars[(TOTAL, "", "closed_cents")]
    for name, share in (("30d", board.last_30_days), ("12m", board.last_12_months)):
        share.shown_outside, share.shown_main, share.shown_total = (
            shown[(name, "", p)] for p in ("outside", "main", "total")
        )
    period = board.in_period
    period.shown_outside, period.shown_main = shown[hub["other"]], shown[hub["main"]]
    period.shown_total = shown[(TOTAL, "", "matched")]


REGION_CODES = frozenset(r.code for r in REGIONS)
SECTOR_ORDER = {s.code: n for n, s in enumerate(SECTORS)}
