"""Discovery for investors (and staff), bookmarks, saved searches and the investor profile."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from dealflow import audit
from dealflow.auth.decorators import investor_access_required, role_required
from dealflow.auth.sessions import signed_in_user
from dealflow.billing import plans as billing
from dealflow.extensions import db, limiter
from dealflow.forms import ConfirmForm
from dealflow.http import safe_next_url
from dealflow.investors import exports, services
from dealflow.investors.forms import BookmarkForm, InvestorProfileForm, RenameSearchForm, SaveSearchForm
from dealflow.investors.queries import DiscoveryQuery, discover
from dealflow.investors.rendering import active_filters, facet_counts_out_of_band, filters_panel, result_cards
from dealflow.models import Bookmark, InvestorKind, PipelineStage, Role, SavedSearch, Startup
from dealflow.reference.data import REGIONS, SECTORS, STAGES, reference_name, region_name

bp = Blueprint("investors", __name__)
investor_required = role_required(Role.INVESTOR)


def filter_groups(query: DiscoveryQuery, results: Any) -> list[tuple[str, str, list[tuple[str, str, int, bool]]]]:
    """The checkbox groups of the sidebar, computed once here rather than in the template."""
    locale = str(get_locale())
    groups = []
    for name, title, rows, chosen in (
        ("region", _("Region"), [(r.code, region_name(r.code, locale)) for r in REGIONS], query.regions),
        ("sector", _("Sector"), [(s.code, reference_name(SECTORS, s.code, locale)) for s in SECTORS], query.sectors),
        ("stage", _("Stage"), [(s.code, reference_name(STAGES, s.code, locale)) for s in STAGES], query.stages),
    ):
        counts = results.facets.get(name, {})
        groups.append((name, title, [(code, label, counts.get(code, 0), code in chosen) for code, label in rows]))
    return groups


@bp.route("/startups/")
@investor_access_required
def browse() -> str:
    """Approved startups with filters, search, facets and sorting; the URL holds the whole query."""
    user = signed_in_user()
    query = DiscoveryQuery.from_args(request.args)
    profile = user.investor_profile if user.role == Role.INVESTOR else None
    results = discover(query, profile, user.id if user.role == Role.INVESTOR else None)
    context = {
        "query": query,
        "results": results,
        "result_cards": result_cards,
        "active_filters": active_filters(query),
        "page_url": lambda page: (
            url_for("investors.browse") + "?" + urlencode({**query.to_args(), "page": page}, doseq=True)
        ),
        "query_string": urlencode(query.to_args(), doseq=True),
        "can_bookmark": user.role == Role.INVESTOR,
    }
    if request.headers.get("HX-Request") == "true":
        return render_template("investors/_results.html", **context) + str(facet_counts_out_of_band(results))
    panel = filters_panel(query, results, lambda: filter_groups(query, results))
    return render_template("investors/browse.html", filters_panel=panel, **context)


@bp.route("/startups/<int:startup_id>/bookmark", methods=["POST"])
@investor_required
@limiter.limit("120 per minute", key_func=lambda: f"bookmark:{signed_in_user().id}")
def toggle_bookmark(startup_id: int) -> str | Response:
    """Bookmark a startup or take the bookmark away, from the list or the startup page; CSRFProtect checked the form."""
    try:
        bookmarked = services.toggle_bookmark(signed_in_user(), startup_id)
    except services.InvestorError:  # no such startup, or not listed
        raise NotFound() from None
    db.session.commit()
    if request.headers.get("HX-Request") == "true":
        name = db.session.scalar(select(Startup.name).where(Startup.id == startup_id))
        button = {"id": startup_id, "name": name}
        return render_template("investors/_bookmark_button.html", startup=button, bookmarked=bookmarked)
    back = safe_next_url(request.form.get("next"))  # the button sends the page it is on
    if back is None:
        back = url_for(
            "startups.startup_page", slug=db.session.scalar(select(Startup.slug).where(Startup.id == startup_id))
        )
    return redirect(back)


@bp.route("/investor/bookmarks")
@investor_required
def bookmarks() -> str:
    """The investor's bookmarks with private notes, filterable by pipeline stage."""
    user = signed_in_user()
    stage = request.args.get("stage", "")
    query = (
        db.select(Bookmark)
        .where(Bookmark.investor_id == user.id)
        .options(db.selectinload(Bookmark.startup).selectinload(Startup.region))
        .order_by(Bookmark.updated_at.desc(), Bookmark.id.desc())
    )
    if stage in {s.value for s in PipelineStage}:
        query = query.where(Bookmark.stage == stage)
    rows = db.session.scalars(query).all()
    forms = {b.id: BookmarkForm(formdata=None, obj=b, prefix=f"b{b.id}") for b in rows}
    return render_template(
        "investors/bookmarks.html", bookmarks=rows, forms=forms, stage=stage, stages=list(PipelineStage)
    )


@bp.route("/investor/bookmarks/<int:bookmark_id>", methods=["POST"])
@investor_required
def update_bookmark(bookmark_id: int) -> Response:
    """Keep a private note and a pipeline stage on one's own bookmark."""
    user = signed_in_user()
    bookmark = db.session.get(Bookmark, bookmark_id)
    if bookmark is None or bookmark.investor_id != user.id:
        raise NotFound()
    form = BookmarkForm(prefix=f"b{bookmark_id}")
    if form.validate_on_submit():
        services.update_bookmark(user, bookmark, note=form.note.data, stage=PipelineStage(form.stage.data))
        db.session.commit()
        flash(_("Your note on %(name)s is saved.", name=bookmark.startup.name), "success")
    else:
        flash(
            _(
                "The note could not be saved: %(errors)s",
                errors=" ".join(e for errs in form.errors.values() for e in errs),
            ),
            "danger",
        )
    return redirect(url_for("investors.bookmarks", stage=request.args.get("stage", "")))


@bp.route("/investor/searches", methods=["GET", "POST"])
@investor_required
def searches() -> str | Response:
    """Saved searches: save the current query, then run, rename or delete it."""
    user = signed_in_user()
    form = SaveSearchForm()
    if form.validate_on_submit():
        query = DiscoveryQuery.from_args(MultiDict(parse_qsl(form.query.data or "")))
        try:
            services.save_search(user, form.name.data or "", query)
        except services.InvestorError as exc:
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            if billing.plan_of(user).allows(billing.Feature.SAVED_SEARCH_ALERTS):
                flash(_("The search is saved. New matches will be emailed to you."), "success")
            else:
                flash(_("The search is saved. Email alerts of new matches come with the Pro plan."), "success")
        return redirect(url_for("investors.searches"))
    rows = db.session.scalars(
        db.select(SavedSearch).where(SavedSearch.investor_id == user.id).order_by(SavedSearch.created_at.desc())
    ).all()
    return render_template(
        "investors/searches.html",
        searches=rows,
        run_url=lambda s: url_for("investors.browse") + "?" + urlencode(s.params, doseq=True),
        rename_forms={s.id: RenameSearchForm(formdata=None, name=s.name, prefix=f"s{s.id}") for s in rows},
    )


def _own_search(search_id: int) -> SavedSearch:
    saved = db.session.get(SavedSearch, search_id)
    if saved is None or saved.investor_id != signed_in_user().id:
        raise NotFound()
    return saved


@bp.route("/investor/searches/<int:search_id>/rename", methods=["POST"])
@investor_required
def rename_search(search_id: int) -> Response:
    """Give a saved search another name."""
    saved = _own_search(search_id)
    form = RenameSearchForm(prefix=f"s{search_id}")
    if form.validate_on_submit():
        services.rename_search(signed_in_user(), saved, form.name.data or "")
        db.session.commit()
    return redirect(url_for("investors.searches"))


@bp.route("/investor/searches/<int:search_id>/delete", methods=["POST"])
@investor_required
def delete_search(search_id: int) -> Response:
    """Stop a saved search and its alerts."""
    saved = _own_search(search_id)
    if ConfirmForm().validate_on_submit():
        services.delete_search(signed_in_user(), saved)
        db.session.commit()
        flash(_("The saved search is deleted."), "success")
    return redirect(url_for("investors.searches"))


@bp.route("/investor/profile", methods=["GET", "POST"])
@investor_required
def profile() -> str | Response:
    """What the investor looks for: it shapes the fit score of every startup they see."""
    user = signed_in_user()
    current = services.profile_of(user)
    form = InvestorProfileForm(obj=current) if request.method == "GET" else InvestorProfileForm()
    if request.method == "GET":
        form.kind.data = current.kind.value if current.kind else ""
    if form.validate_on_submit():
        try:
            services.save_profile(
                user,
                kind=InvestorKind(form.kind.data) if form.kind.data else None,
                organisation=form.organisation.data,
                country=form.country.data or None,
                ticket_min_usd=form.ticket_min_usd.data,
                ticket_max_usd=form.ticket_max_usd.data,
                sectors=form.sectors.data or [],
                stages=form.stages.data or [],
                regions=form.regions.data or [],
                regional_mandate=bool(form.regional_mandate.data),
            )
        except services.InvestorError as exc:
            getattr(form, exc.field or "kind").errors = [str(exc.message)]
        else:
            db.session.commit()
            flash(_("Your investor profile is saved."), "success")
            return redirect(url_for("investors.profile"))
    db.session.commit()  # the empty profile made on first visit
    return render_template("investors/profile.html", form=form, profile=current)


@bp.route("/investor/bookmarks.csv")
@investor_required
def export_bookmarks() -> str | tuple[str, int] | Response:
    """Download the bookmarks with private notes as a spreadsheet file (Pro); Free sees the upgrade prompt."""
    user = signed_in_user()
    try:
        body = exports.bookmarks_csv(user, site_url=current_app.config["SITE_URL"], locale=str(get_locale()))
    except billing.PlanLimitReached as limit:
        page = render_template("billing/upgrade_required.html", limit=limit, back_url=url_for("investors.bookmarks"))
        return page, 402
    audit.record("bookmarks.exported", actor=user, ip=request.remote_addr)
    db.session.commit()
    return Response(
        "\ufeff" + body,  # the byte-order mark makes spreadsheet programs read the file as UTF-8
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="dealflow-bookmarks.csv"'},
    )
