"""The costly parts of the discovery page, rendered once per content and language and then reused.

PERFORMANCE.md measured that rendering twenty cards costs several times a bare request; a card and
the filter panel only change when what they show changes, and that is exactly their cache key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, NamedTuple
from urllib.parse import urlencode

from flask import render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup, escape

from dealflow.fragments import NEXT_SLOT, TOKEN_SLOT, FragmentCache, fill_slots, fragments
from dealflow.investors.queries import Card, DiscoveryQuery, Results, StartupRow
from dealflow.labels import INSTRUMENT_LABELS
from dealflow.models import Instrument
from dealflow.numbers import format_usd
from dealflow.reference.data import MAIN_HUB_CODES, REGIONS, SECTORS, STAGES, reference_name, region_name

CARD_SLOTS = ("<!--bookmark-->", "<!--fit-->")
ID_SLOT, NAME_SLOT = "\x00id\x00", "\x00name\x00"


def card_parts(startup: StartupRow, locale: str, cache: FragmentCache) -> tuple[Markup, Markup, Markup]:
    """A result card in three pieces, around the places where the bookmark button and the fit go."""

    def render() -> tuple[Markup, Markup, Markup]:
        html = render_template("investors/_card.html", s=startup)
        head, rest = html.split(CARD_SLOTS[0], 1)
        middle, tail = rest.split(CARD_SLOTS[1], 1)
        return Markup(head), Markup(middle), Markup(tail)  # noqa: S704 -- rendered by Jinja with autoescape

    return cache.get_or_render(("card", locale, startup), render)


def fit_line(fit: int, reasons: list[str], locale: str, cache: FragmentCache) -> Markup:
    """The fit badge and its reasons; a handful of variants per language."""
    return cache.get_or_render(
        ("fit", locale, fit, tuple(reasons)),
        lambda: Markup(render_template("investors/_fit.html", fit=fit, reasons=reasons)),  # noqa: S704
    )


def bookmark_button(startup: StartupRow, bookmarked: bool, locale: str, cache: FragmentCache) -> Markup:
    """The bookmark toggle of a card: two variants per language, with this card's and this page's values."""
    html = cache.get_or_render(
        ("bookmark", locale, bookmarked),
        lambda: render_template(
            "investors/_bookmark_button.html",
            startup={"name": NAME_SLOT},
            action=url_for("investors.toggle_bookmark", startup_id=0).replace("/0/", f"/{ID_SLOT}/"),
            bookmarked=bookmarked,
            token=TOKEN_SLOT,
            next_url=NEXT_SLOT,
        ),
    )
    return fill_slots(html.replace(ID_SLOT, str(startup.id)).replace(NAME_SLOT, str(escape(startup.name))))


def result_cards(cards: list[Card], can_bookmark: bool) -> Markup:
    """The list items of a page of results, joined here rather than looped over in the template."""
    locale, cache = str(get_locale()), fragments()
    items = []
    for card in cards:
        head, middle, tail = card_parts(card.startup, locale, cache)
        button = bookmark_button(card.startup, card.bookmarked, locale, cache) if can_bookmark else ""
        fit = fit_line(card.fit, card.reasons, locale, cache) if card.reasons else ""
        items.append(f'<li class="col-md-6">{head}{button}{middle}{fit}{tail}</li>')
    return Markup("\n".join(items))  # noqa: S704 -- joins fragments Jinja rendered and escaped


def filters_panel(query: DiscoveryQuery, results: Results, groups: Any) -> Markup:
    """The filter form with facet counts; the same query, counts and language give the same HTML."""
    facets = tuple(sorted((name, tuple(sorted(counts.items()))) for name, counts in results.facets.items()))

    def render() -> Markup:
        return Markup(  # noqa: S704 -- rendered by Jinja with autoescape
            render_template(
                "investors/_filters.html",
                query=query,
                results=results,
                filter_groups=groups(),
                main_hubs=MAIN_HUB_CODES,
            )
        )

    return fragments().get_or_render(("filters", str(get_locale()), query.without_page(), facets), render)


def facet_counts_out_of_band(results: Results) -> Markup:
    """The filter panel's counts for an htmx update: swapped in by id, so focus stays on the box just ticked."""
    codes = {
        "region": [r.code for r in REGIONS],
        "sector": [s.code for s in SECTORS],
        "stage": [s.code for s in STAGES],
        "instrument": [i.value for i in Instrument],
    }
    spans = (
        f'<span class="text-body-secondary small" id="count-{name}-{escape(code)}" hx-swap-oob="true">'
        f"{results.facets.get(name, {}).get(code, 0)}</span>"
        for name, values in codes.items()
        for code in values
    )
    return Markup("".join(spans))  # noqa: S704 -- codes escaped, counts are integers


class ActiveFilter(NamedTuple):
    label: str
    remove_url: str  # the same search without this one filter


def active_filters(query: DiscoveryQuery) -> list[ActiveFilter]:
    """The filters in force, each with a link to the same search without it, for the chips above the results."""
    locale = str(get_locale())

    def without(**changes: Any) -> str:
        args = replace(query, page=1, **changes).to_args()
        return url_for("investors.browse") + ("?" + urlencode(args, doseq=True) if args else "")

    chips = [ActiveFilter(f"“{query.text}”", without(text=""))] if query.text else []
    named: tuple[tuple[str, tuple[str, ...], Callable[[str], str]], ...] = (
        ("regions", query.regions, lambda code: region_name(code, locale)),
        ("sectors", query.sectors, lambda code: reference_name(SECTORS, code, locale)),
        ("stages", query.stages, lambda code: reference_name(STAGES, code, locale)),
        ("instruments", query.instruments, lambda code: str(INSTRUMENT_LABELS[Instrument(code)])),
    )
    for name, codes, label_of in named:
        for code in codes:
            chips.append(ActiveFilter(label_of(code), without(**{name: tuple(c for c in codes if c != code)})))
    ask_min, ask_max = format_usd(query.ask_min), format_usd(query.ask_max)
    for chosen, label, change in (
        (query.outside_main_hubs, _("Outside Astana and Almaty"), {"outside_main_hubs": False}),
        (query.ask_min is not None, _("Ask from %(amount)s", amount=ask_min), {"ask_min": None}),
        (query.ask_max is not None, _("Ask up to %(amount)s", amount=ask_max), {"ask_max": None}),
        (
            query.founded_from is not None,
            _("Founded in %(year)s or later", year=query.founded_from),
            {"founded_from": None},
        ),
        (
            query.founded_to is not None,
            _("Founded in %(year)s or earlier", year=query.founded_to),
            {"founded_to": None},
        ),
        (query.has_revenue, _("Has revenue"), {"has_revenue": False}),
        (query.exports, _("Already exports"), {"exports": False}),
    ):
        if chosen:
            chips.append(ActiveFilter(label, without(**change)))
    return chips
