"""Discovery: approved startups filtered, searched, sorted, counted and faceted in a fixed number of queries."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal, InvalidOperation
from typing import Any, cast

from sqlalchemy import and_, case, func, literal, literal_column, select
from sqlalchemy.sql.elements import ColumnElement

from dealflow.extensions import db
from dealflow.fragments import FragmentCache, app_cache
from dealflow.investors import search
from dealflow.investors.listing import current_generation
from dealflow.models import Bookmark, Instrument, InvestorProfile, Startup
from dealflow.parsing import parse_int, parse_page
from dealflow.reference.data import MAIN_HUB_CODES

PER_PAGE = 20
PAGEABLE = 1000  # results one can page through; deep OFFSETs cost more than they help
SORTS = ("newest", "ask_asc", "ask_desc", "relevance", "fit")


def _decimal(value: str | None) -> Decimal | None:
    try:
        number = Decimal((value or "").replace(" ", "").replace(",", ""))
    except InvalidOperation:
        return None
    return number if number.is_finite() and number >= 0 else None


def _year(value: str | None) -> int | None:
    return parse_int(value, minimum=1990, maximum=2100)


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
            page=parse_page(args.get("page")),
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
        conditions.append(_text_condition(q, dialect, skip))
    return conditions + _choice_conditions(q, skip) + _range_conditions(q)


def _text_condition(q: DiscoveryQuery, dialect: str, skip: str | None) -> ColumnElement[bool]:
    """The full-text search, told whether an indexed filter narrows it too."""
    indexed = any(
        values and skip != name for name, values in (("region", q.regions), ("sector", q.sectors), ("stage", q.stages))
    )
    matching = search.condition(dialect, q.text, indexed_filters=indexed)
    return matching if matching is not None else literal(False)


def _choice_conditions(q: DiscoveryQuery, skip: str | None) -> list[ColumnElement[bool]]:
    """The filters that pick values: regions, outside the main hubs, sectors, stages, instruments."""
    conditions: list[ColumnElement[bool]] = []
    if q.regions and skip != "region":
        conditions.append(Startup.region_code.in_(q.regions))
    if q.outside_main_hubs:
        conditions.append(Startup.region_code.not_in(sorted(MAIN_HUB_CODES)))
    if q.sectors and skip != "sector":
        conditions.append(Startup.sector_code.in_(q.sectors))
    if q.stages and skip != "stage":
        conditions.append(Startup.stage_code.in_(q.stages))
    if q.instruments and skip != "instrument":
        conditions.append(Startup.instrument.in_(q.instruments))
    return conditions


def _range_conditions(q: DiscoveryQuery) -> list[ColumnElement[bool]]:
    """The filters that bound numbers: the ask, the founding year, revenue and exports."""
    conditions: list[ColumnElement[bool]] = []
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


FIT_POINTS = {"sector": 30, "stage": 20, "ticket": 25, "region": 15, "mandate": 10}


def fit_score(profile: InvestorProfile | None) -> ColumnElement[int]:
    """How well a startup fits the investor's stated interests, 0–100, as SQL so that it can sort."""
    if profile is None:
        return literal(0)
    parts: list[ColumnElement[int]] = []
    if profile.sectors:
        parts.append(case((Startup.sector_code.in_(profile.sectors), FIT_POINTS["sector"]), else_=0))
    if profile.stages:
        parts.append(case((Startup.stage_code.in_(profile.stages), FIT_POINTS["stage"]), else_=0))
    low, high = profile.ticket_min_usd, profile.ticket_max_usd
    if low is not None or high is not None:
        within = and_(
            Startup.ask_usd >= (low if low is not None else 0),
            Startup.ask_usd <= (high if high is not None else Decimal("1e15")),
        )
        parts.append(case((within, FIT_POINTS["ticket"]), else_=0))
    if profile.regions:
        parts.append(case((Startup.region_code.in_(profile.regions), FIT_POINTS["region"]), else_=0))
    if profile.regional_mandate:
        parts.append(case((Startup.region_code.not_in(sorted(MAIN_HUB_CODES)), FIT_POINTS["mandate"]), else_=0))
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
    if profile.regional_mandate and startup.region_code is not None and startup.region_code not in MAIN_HUB_CODES:
        reasons.append("mandate")
    return reasons


@dataclass(frozen=True)
class StartupRow:
    """What a result card shows, read as plain columns (no ORM objects on the hot path)."""

    id: int
    name: str
    slug: str
    tagline: str | None
    content_language: str | None
    tagline_ru: str | None
    tagline_kk: str | None
    region_code: str | None
    sector_code: str | None
    stage_code: str | None
    ask_usd: Decimal | None
    ask_amount: Decimal | None
    currency: str | None
    logo_file_id: int | None = None
    monthly_revenue_usd: Decimal | None = None
    customers_count: int | None = None
    export_markets: tuple[str, ...] = ()

    @classmethod
    def from_row(cls, row: Any) -> StartupRow:
        """A row of CARD_COLUMNS, the export markets as a tuple so that the card can be a cache key."""
        values = list(cast(tuple[Any, ...], row))
        values[-1] = tuple(values[-1] or ())
        return cls(*values)


CARD_COLUMNS = (
    Startup.id,
    Startup.name,
    Startup.slug,
    Startup.tagline,
    Startup.content_language,
    Startup.tagline_ru,
    Startup.tagline_kk,
    Startup.region_code,
    Startup.sector_code,
    Startup.stage_code,
    Startup.ask_usd,
    Startup.ask_amount,
    Startup.currency,
    Startup.logo_file_id,
    Startup.monthly_revenue_usd,
    Startup.customers_count,
    Startup.export_markets,
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
    capped: bool  # more results than one can page through
    page: int
    pages: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    pageable: int = PAGEABLE


def discover(q: DiscoveryQuery, profile: InvestorProfile | None, investor_id: int | None) -> Results:
    """One page of results with counts and facets, in a fixed number of statements whatever the sizes.

    The page, the count and the facets are kept per worker, keyed by the listing generation
    (bumped with every change to a startup), so they are exact; bookmarks and fit are per investor
    and computed on every request.
    """
    q = replace(q, page=min(q.page, max(1, PAGEABLE // PER_PAGE)))  # no deep OFFSETs, even from a typed URL
    dialect = db.engine.dialect.name
    cache = _cache()
    generation = current_generation() if cache is not None else None
    base = (id(db.engine), generation)
    ranking = _profile_key(profile) if q.order == "fit" else None

    def page() -> list[StartupRow]:
        return _page_rows(q, dialect, profile)

    def aggregates() -> tuple[int, dict[str, dict[str, int]]]:
        return _aggregates(q, dialect)

    if cache is None:
        rows, (total, facets) = page(), aggregates()
    else:
        rows = cache.get_or_render(("page", *base, q, ranking), page)
        total, facets = cache.get_or_render(("aggregates", *base, replace(q, page=1, sort="")), aggregates)
    marked: set[int] = set()
    if investor_id is not None and rows:
        marked = set(
            db.session.scalars(
                select(Bookmark.startup_id).where(
                    Bookmark.investor_id == investor_id, Bookmark.startup_id.in_([row.id for row in rows])
                )
            )
        )
    cards = []
    for row in rows:
        reasons = fit_reasons(row, profile)
        cards.append(Card(row, sum(FIT_POINTS[r] for r in reasons), reasons, row.id in marked))
    return Results(
        cards=cards,
        total=total,
        capped=total > PAGEABLE,
        pageable=PAGEABLE,
        page=q.page,
        pages=max(1, -(-min(total, PAGEABLE) // PER_PAGE)),
        facets=facets,
    )


def _cache() -> FragmentCache | None:
    cache = app_cache("dealflow_discovery", "DISCOVERY_CACHE_SIZE")
    return cache if cache.size else None


def _profile_key(profile: InvestorProfile | None) -> tuple[Any, ...] | None:
    """What of a profile decides the order by fit."""
    if profile is None:
        return None
    return (
        tuple(sorted(profile.sectors or ())),
        tuple(sorted(profile.stages or ())),
        profile.ticket_min_usd,
        profile.ticket_max_usd,
        tuple(sorted(profile.regions or ())),
        profile.regional_mandate,
    )


def _page_rows(q: DiscoveryQuery, dialect: str, profile: InvestorProfile | None) -> list[StartupRow]:
    """The startups of one page, in order."""
    ids = select(Startup.id).where(*_conditions(q, dialect))
    relevance = search.relevance(dialect, q.text) if q.order == "relevance" else None
    orders: dict[str, list[Any]] = {
        "newest": [Startup.created_at.desc()],
        "ask_asc": [Startup.ask_usd.asc()],
        "ask_desc": [Startup.ask_usd.desc()],
        "relevance": [relevance.desc(), Startup.created_at.desc()]
        if relevance is not None
        else [Startup.created_at.desc()],
        "fit": [fit_score(profile).desc(), Startup.created_at.desc()] if q.order == "fit" else [],
    }
    page_query = (
        ids.with_only_columns(*CARD_COLUMNS)
        .order_by(*orders[q.order], Startup.id.desc())
        .limit(PER_PAGE)
        .offset((q.page - 1) * PER_PAGE)
    )
    return [StartupRow.from_row(row) for row in db.session.execute(page_query)]


def _aggregates(q: DiscoveryQuery, dialect: str) -> tuple[int, dict[str, dict[str, int]]]:
    """The number of matching startups and the facets, in one grouped statement.

    The region facet ignores only the region filter, so the total is its count over the chosen
    regions (or over all of them): no separate COUNT is needed.
    """
    if q.text and not search.terms(q.text):
        return 0, {}
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
    total = 0
    for facet, value, count in db.session.execute(parts[0].union_all(*parts[1:])):
        if facet == "region" and (not q.regions or value in q.regions):
            total += int(count)
        if value is not None:
            facets[facet][str(value)] = int(count)
    return total, facets
