"""The public evidence dashboard and the open-data downloads: no login, three languages."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, Response, render_template, request, send_file, stream_with_context
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.exceptions import NotFound

from dealflow.evidence import checkpoints, ledger, open_data_files, opendata, tiles
from dealflow.evidence.privacy import HIDDEN, SUPPRESSED, Shown
from dealflow.evidence.queries import Dashboard, MonthFigures, dashboard
from dealflow.extensions import limiter
from dealflow.i18n import format_day
from dealflow.models import utcnow
from dealflow.numbers import GROUP_SEPARATORS
from dealflow.reference.data import SECTORS, reference_name, region_name

bp = Blueprint("evidence", __name__)
DOWNLOAD_LIMIT = limiter.limit("30 per hour")


@dataclass(frozen=True)
class Numbers:
    """Counts and sums as the page shows them, digits grouped by hand as numbers.format_money does (~300 a page)."""

    separator: str

    def grouped(self, number: int) -> str:
        return f"{number:,}".replace(",", self.separator)

    def count(self, value: Shown) -> str:
        """A count as published: the number, "<3" or "x"."""
        return value if isinstance(value, str) else self.grouped(value)

    def dollars(self, value: Shown) -> str:
        """A sum of money as published, in whole dollars: a dash where there is none, "x" where it is hidden."""
        if isinstance(value, str):
            return value
        return "—" if value == 0 else f"${self.grouped(round(value / 100))}"


def chart_value(value: Shown) -> int | None:
    """A count for a chart: hidden ones are left out (the table beside it says "<3" or "x")."""
    return None if isinstance(value, str) else value


def month_label(figures: MonthFigures) -> str:
    return format_day(date.fromisoformat(figures.key), "LLL yyyy")


def period_label(key: str) -> str:
    labels: dict[str, str] = {"12m": _("Last 12 months"), "3m": _("Last 3 months"), "all": _("All time")}
    return labels.get(key, key)


def _charts(board: Dashboard, locale: str) -> dict[str, str]:
    """The data of each chart, as JSON for a data- attribute (the CSP allows no inline script)."""
    months = [month_label(m) for m in board.months]
    charts = {
        "trend": {
            "type": "line",
            "labels": months,
            "series": [
                {"label": _("Intro requests"), "data": [chart_value(m.shown["requested"]) for m in board.months]},
                {"label": _("Matches"), "data": [chart_value(m.shown["matched"]) for m in board.months]},
                {"label": _("Closed investments"), "data": [chart_value(m.shown["closed"]) for m in board.months]},
            ],
        },
        "origin": {
            "type": "bar",
            "labels": [_("Domestic investors"), _("Foreign investors")],
            "series": [
                {"label": _("Matches"), "data": [chart_value(o.shown["matched"]) for o in board.origins]},
                {"label": _("Closed investments"), "data": [chart_value(o.shown["closed"]) for o in board.origins]},
            ],
        },
        "sector": {
            "type": "bar",
            "horizontal": True,
            "labels": [reference_name(SECTORS, s.key, locale) for s in board.sectors],
            "series": [
                {"label": _("Matches"), "data": [chart_value(s.shown["matched"]) for s in board.sectors]},
                {"label": _("Closed investments"), "data": [chart_value(s.shown["closed"]) for s in board.sectors]},
            ],
        },
        "funnel": {
            "type": "bar",
            "labels": [
                _("Startups submitted"),
                _("Startups approved"),
                _("Intro requests"),
                _("Matches"),
                _("Closed investments"),
            ],
            "series": [
                {
                    "label": _("All regions"),
                    "data": [
                        chart_value(board.totals.shown["submitted"]),
                        chart_value(board.totals.shown["approved"]),
                        chart_value(board.totals.shown["requested"]),
                        chart_value(board.totals.shown["matched"]),
                        chart_value(board.totals.shown["closed"]),
                    ],
                }
            ],
        },
    }
    return {name: json.dumps(chart, ensure_ascii=False) for name, chart in charts.items()}


@bp.route("/")
def index() -> str:
    """Venture activity outside Astana and Almaty in numbers anyone can check against the open data."""
    locale = str(get_locale())
    numbers = Numbers(GROUP_SEPARATORS.get(locale, ","))
    board = dashboard(request.args.get("period"), utcnow().date())
    return render_template(
        "evidence/index.html",
        board=board,
        charts=_charts(board, locale),
        tiles=tiles.tile_map(board.regions, lambda code: region_name(code, locale), locale),
        small=SUPPRESSED,
        hidden=HIDDEN,
        shown=numbers.count,
        shown_dollars=numbers.dollars,
        month_label=month_label,
        period_label=period_label,
        sector_name=lambda code: reference_name(SECTORS, code, locale),
        region_label=lambda code: region_name(code, locale),
        datasets=[d.name for d in opendata.DATASETS],
        log=checkpoints.log_summary(),
    )


def _stream(chunks: Iterator[str], filename: str, mimetype: str) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.route("/data/<name>.<fmt>")
@DOWNLOAD_LIMIT
def download(name: str, fmt: str) -> Response:
    """The open data, written as it is read: events with hashes, and the aggregates under disclosure control."""
    if name == "head" and fmt == "json":
        document = opendata.head_document(ledger.current_head())
        return _stream(iter([json.dumps(document, indent=2) + "\n"]), "head.json", "application/json")
    if name in ("verify", "witness") and fmt == "py":
        program = opendata.VERIFIER if name == "verify" else opendata.WITNESS
        return send_file(program, mimetype="text/x-python", as_attachment=True, download_name=f"{name}.py")
    dataset = opendata.DATASET_NAMES.get(name)
    if dataset is None or fmt not in ("csv", "json"):
        raise NotFound()
    head = ledger.current_head()
    mimetype = "text/csv" if fmt == "csv" else "application/json"
    if name == "events":  # streamed as read: a million rows need no memory and no disk
        return _stream(open_data_files.chunks(head, dataset, fmt), f"{name}.{fmt}", mimetype)
    path = open_data_files.aggregate_file(head, dataset, fmt)
    return send_file(path, mimetype=mimetype, as_attachment=True, download_name=f"{name}.{fmt}", max_age=0)
