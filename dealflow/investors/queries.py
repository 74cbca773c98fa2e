"""Discovery: approved startups filtered, searched, sorted, counted and faceted in a fixed number of queries."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from flask import current_app
from sqlalchemy import and_, case, func, literal, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from dealflow.extensions import db
from dealflow.investors import search
from dealflow.models import Bookmark, Instrument, InvestorProfile, Startup

PER_PAGE = 20
COUNT_CAP = 1000
SORTS = ("newest", "ask_asc", "ask_desc", "relevance", "fit")
MAIN_HUBS = ("KZ-71", "KZ-75")


def _decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal((value or "").replace(" ", "").replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _year(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and 1990 <= int(value) <= 2100 else None


@dataclass(frozen=True)
class DiscoveryQuery:
    """Everything an investor can ask of discovery; the URL holds all of it, so a search can be shared."""

    regions: tuple[str, ...] = ()
    outside_main_hubs: bool = False
    sectors: tuple[str, ...] = ()
    stages: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    ask_min: Decimal | None = None
    ask_max: Decimal | None = None
    founded_from: int | None = None
    founded_to: int | None = None
    has_revenue: bool = False
    exports: bool = False
    text: str = ""
    sort: str = ""  # empty: by relevance when searching, else newest first
    page: int = 1

    @property
    def order(self) -> str:
        return self.sort or ("relevance" if self.text else "newest")

    @classmethod
    def from_args(cls, args: Mapping[str, Any]) -> DiscoveryQuery:
        """Read a query from URL arguments, ignoring anything malformed rather than failing."""

        def many(name: str, limit: int = 30) -> tuple[str, ...]:
            values = args.getlist(name) if hasattr(args, "getlist") else args.get(name, [])
            if isinstance(values, str):
                values = [values]
            return tuple(sorted({str(v) for v in values if v}))[:limit]

        text = str(args.get("q", "")).strip()[:200]
        sort = str(args.get("sort", ""))
        if sort not in SORTS:
            sort = ""
        page = str(args.get("page", "1"))
        return cls(
            regions=many("region"),
            outside_main_hubs=args.get("outside") in ("1", "on", "true", True),
            sectors=many("sector"),
            stages=many("stage"),
            instruments=tuple(i for i in many("instrument") if i in {m.value for m in Instrument}),
            ask_min=_decimal(args.get("ask_min")),
            ask_max=_decimal(args.get("ask_max")),
            founded_from=_year(args.get("founded_from")),
            founded_to=_year(args.get("founded_to")),
            has_revenue=args.get("revenue") in ("1", "on", "true", True),
            exports=args.get("exports") in ("1", "on", "true", True),
            text=text,
            sort=sort,
            page=max(1, int(page)) if page.isdigit() else 1,
        )

    def to_args(self) -> dict[str, Any]:
        """The query as URL arguments (empty parts left out)."""
        args: dict[str, Any] = {
            "region": list(self.regions),
            "sector": list(self.sectors),
            "stage": list(self.stages),
            "instrument": list(self.instruments),
            "outside": "1" if self.outside_main_hubs else None,
            "ask_min": str(self.ask_min) if self.ask_min is not None else None,
            "ask_max": str(self.ask_max) if self.ask_max is not None else None,
            "founded_from": self.founded_from,
            "founded_to": self.founded_to,
            "revenue": "1" if self.has_revenue else None,
            "exports": "1" if self.exports else None,
            "q": self.text or None,
            "sort": self.sort or None,
        }
        return {k: v for k, v in args.items() if v not in (None, [], "")}

    def without_page(self) -> DiscoveryQuery:
        return replace(self, page=1)


# A literal, not a bound parameter, so that the partial indexes on approved startups apply.
APPROVED: ColumnElement[bool] = Startup.status == literal_column("'approved'")


def _conditions(q: DiscoveryQuery, dialect: str, skip: str | None = None) -> list[ColumnElement[bool]]:
    """The filters as SQL; facets skip their own dimension so every value shows what choosing it gives."""
    conditions: list[ColumnElement[bool]] = [APPROVED]
    if q.text:
        matching = search.condition(dialect, q.text)
        conditions.append(matching if matching is not None else literal(False))
    if q.regions and skip != "region":
        conditions.append(Startup.region_code.in_(q.regions))
    if q.outside_main_hubs:
        conditions.append(Startup.region_code.not_in(MAIN_HUBS))
    if q.sectors and skip != "sector":
        conditions.append(Startup.sector_code.in_(q.sectors))
    if q.stages and skip != "stage":
        conditions.append(Startup.stage_code.in_(q.stages))
    if q.instruments and skip != "instrument":
        conditions.append(Startup.instrument.in_(q.instruments))
    if q.ask_min is not None:
        conditions.append(Startup.ask_usd >= q.ask_min)
    if q.ask_max is not None:
        conditions.append(Startup.ask_usd <= q.ask_max)
    if q.founded_from is not None:
        conditions.append(Startup.founded_year >= q.founded_from)
    if q.founded_to is not None:
        conditions.append(Startup.founded_year <= q.founded_to)
    if q.has_revenue:
        conditions.append(Startup.monthly_revenue_usd > 0)
    if q.exports:
        conditions.append(Startup.has_exports.is_(True))
    return conditions


def fit_score(profile: InvestorProfile | None) -> ColumnElement[int]:
    """How well a startup fits the investor's stated interests, 0–100, as SQL so that it can sort."""
    if profile is None:
        return literal(0)
    parts: list[ColumnElement[int]] = []
    if profile.sectors:
        parts.append(case((Startup.sector_code.in_(profile.sectors), 30), else_=0))
    if profile.stages:
        parts.append(case((Startup.stage_code.in_(profile.stages), 20), else_=0))
    low, high = profile.ticket_min_usd, profile.ticket_max_usd
    if low is not None or high is not None:
        within = and_(
            Startup.ask_usd >= (low if low is not None else 0),
            Startup.ask_usd <= (high if high is not None else Decimal("1e15")),
        )
        parts.append(case((within, 25), else_=0))
    if profile.regions:
        parts.append(case((Startup.region_code.in_(profile.regions), 15), else_=0))
    if profile.regional_mandate:
        parts.append(case((Startup.region_code.not_in(MAIN_HUBS), 10), else_=0))
    total: ColumnElement[int] = literal(0)
    for part in parts:
        total = total + part
    return total


def fit_reasons(startup: Startup | StartupRow, profile: InvestorProfile | None) -> list[str]:
    """Why a startup fits, as reason codes the page words in the reader's language."""
    if profile is None:
        return []
    reasons = []
    if startup.sector_code in (profile.sectors or []):
        reasons.append("sector")
    if startup.stage_code in (profile.stages or []):
        reasons.append("stage")
    ask = startup.ask_usd
    has_ticket = profile.ticket_min_usd is not None or profile.ticket_max_usd is not None
    low, high = profile.ticket_min_usd or Decimal(0), profile.ticket_max_usd or Decimal("1e15")
    if ask is not None and has_ticket and low <= ask <= high:
        reasons.append("ticket")
    if startup.region_code in (profile.regions or []):
        reasons.append("region")
    if profile.regional_mandate and startup.region_code not in MAIN_HUBS:
        reasons.append("mandate")
    return reasons


@dataclass(frozen=True)
class StartupRow:
    """What a result card shows, read as plain columns (no ORM objects on the hot path)."""

    id: int
    name: str
    slug: str
    tagline: str | None
    region_code: str | None
    sector_code: str | None
    stage_code: str | None
    ask_usd: Decimal | None
    ask_amount: Decimal | None
    currency: str | None


CARD_COLUMNS = (
    Startup.id,
    Startup.name,
    Startup.slug,
    Startup.tagline,
    Startup.region_code,
    Startup.sector_code,
    Startup.stage_code,
    Startup.ask_usd,
    Startup.ask_amount,
    Startup.currency,
)


@dataclass(frozen=True)
class Card:
    startup: StartupRow
    fit: int
    reasons: list[str]
    bookmarked: bool


@dataclass(frozen=True)
class Results:
    cards: list[Card]
    total: int
    capped: bool
    page: int
    pages: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def discover(q: DiscoveryQuery, profile: InvestorProfile | None, investor_id: int | None) -> Results:
    """One page of results with counts and facets: six statements whatever the page size or data size."""
    dialect = db.engine.dialect.name
    filtered = select(Startup.id).where(*_conditions(q, dialect))
    ids = filtered
    nothing = bool(q.text) and not search.terms(q.text)
    relevance: ColumnElement[Any] | None = None
    if q.order == "relevance":
        joined, relevance = search.ranked(dialect, q.text)
        if joined is not None:
            found = joined.subquery("matches")
            ids = ids.join(found, found.c.id == Startup.id)
            relevance = found.c.relevance
    fit = fit_score(profile)
    orders: dict[str, list[Any]] = {
        "newest": [Startup.created_at.desc()],
        "ask_asc": [Startup.ask_usd.asc()],
        "ask_desc": [Startup.ask_usd.desc()],
        "relevance": [relevance.desc()] if relevance is not None else [Startup.created_at.desc()],
        "fit": [fit.desc(), Startup.created_at.desc()],
    }
    order = orders[q.order]
    page_query = (
        ids.with_only_columns(*CARD_COLUMNS, fit.label("fit"))
        .order_by(*order, Startup.id.desc())
        .limit(PER_PAGE)
        .offset((q.page - 1) * PER_PAGE)
    )
    rows = db.session.execute(page_query).all()
    startups = {row[0]: StartupRow(*cast(tuple[Any, ...], row[:-1])) for row in rows}
    page_ids = [row[0] for row in rows]
    fits = {row[0]: int(row[-1] or 0) for row in rows}
    marked: set[int] = set()
    if investor_id is not None and page_ids:
        marked = set(
            db.session.scalars(
                select(Bookmark.startup_id).where(
                    Bookmark.investor_id == investor_id, Bookmark.startup_id.in_(page_ids)
                )
            )
        )
    capped_total, facets = _aggregates(q, dialect, filtered, nothing)
    cards = [
        Card(startups[i], fits[i], fit_reasons(startups[i], profile), i in marked) for i in page_ids if i in startups
    ]
    total = min(capped_total, COUNT_CAP)
    return Results(
        cards=cards,
        total=total,
        capped=capped_total > COUNT_CAP,
        page=q.page,
        pages=max(1, -(-total // PER_PAGE)),
        facets=facets,
    )


_AGGREGATES: dict[tuple[Any, ...], tuple[float, int, dict[str, dict[str, int]]]] = {}
_AGGREGATES_MAX = 2048


def _aggregates(q: DiscoveryQuery, dialect: str, filtered: Any, nothing: bool) -> tuple[int, dict[str, dict[str, int]]]:
    """The capped count and the facets, the costly part of a page, kept for DISCOVERY_CACHE_SECONDS.

    Counts a few seconds old are fine beside a list that is always fresh; every worker keeps its own
    small cache, so nothing is shared between processes.
    """
    ttl = current_app.config["DISCOVERY_CACHE_SECONDS"]
    key = (id(db.engine), replace(q, page=1, sort=""))
    now = time.monotonic()
    if ttl:
        hit = _AGGREGATES.get(key)
        if hit is not None and hit[0] > now:
            return hit[1], hit[2]
    total = db.session.scalar(select(func.count()).select_from(filtered.limit(COUNT_CAP + 1).subquery())) or 0
    facets = {} if nothing else _facets(q, dialect)
    if ttl:
        if len(_AGGREGATES) >= _AGGREGATES_MAX:
            _AGGREGATES.clear()
        _AGGREGATES[key] = (now + ttl, total, facets)
    return total, facets


def _facets(q: DiscoveryQuery, dialect: str) -> dict[str, dict[str, int]]:
    """Counts beside each filter value, in one grouped statement for all four dimensions."""
    parts = []
    for name, column in (
        ("region", Startup.region_code),
        ("sector", Startup.sector_code),
        ("stage", Startup.stage_code),
        ("instrument", Startup.instrument),
    ):
        part = select(literal(name).label("facet"), column.label("value"), func.count().label("n")).where(
            *_conditions(q, dialect, skip=name)
        )
        parts.append(part.group_by(column))
    facets: dict[str, dict[str, int]] = {"region": {}, "sector": {}, "stage": {}, "instrument": {}}
    union = parts[0].union_all(*parts[1:])
    for facet, value, count in db.session.execute(union):
        if value is not None:
            facets[facet][str(value)] = int(count)
    return facets
