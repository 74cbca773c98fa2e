"""Founders list and edit their startups; investors and staff read the startup page."""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from dealflow.auth.decorators import founder_required
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db, file_store, limiter
from dealflow.forms import ConfirmForm
from dealflow.models import Bookmark, FileKind, Role, Startup, StartupStatus, StoredFile, User
from dealflow.parsing import parse_int
from dealflow.startups import access, completeness, services, uploads
from dealflow.startups.forms import MarkdownPreviewForm, StartupForm
from dealflow.startups.markdown import render_markdown
from dealflow.startups.profile import Profile
from dealflow.startups.queries import (
    dashboard_items,
    latest_intro,
    own_file,
    owned_startup_or_404,
    profile_view,
    review_history,
    startup_by_slug_or_404,
    waiting_for_founder,
)

bp = Blueprint("startups", __name__)
log = logging.getLogger(__name__)


@bp.route("/founder/")
@founder_required
def dashboard() -> str:
    """Each of the founder's startups with its status, what it means and the next step; intros waiting."""
    founder = signed_in_user()
    return render_template(
        "startups/dashboard.html",
        items=dashboard_items(founder.id),
        confirm=ConfirmForm(),
        waiting_intros=waiting_for_founder(founder.id),
    )


def _take_uploads(form: StartupForm, founder: User) -> tuple[int | None, int | None, bool]:
    """Store the files that pass their checks; return their ids and whether any was refused."""
    ids: dict[str, int | None] = {}
    refused = False
    for field, hidden, store, limit in (
        (form.logo, form.logo_file_id, uploads.store_logo, current_app.config["MAX_LOGO_BYTES"]),
        (form.deck, form.deck_file_id, uploads.store_deck, current_app.config["MAX_DECK_BYTES"]),
    ):
        kept = own_file(hidden.data, founder.id, FileKind(field.name))
        ids[field.name] = kept.id if kept else None
        upload = field.data
        if isinstance(upload, FileStorage) and upload.filename:
            try:
                ids[field.name] = store(founder, upload.stream, upload.filename, limit).id
            except uploads.UploadRefused as exc:
                field.errors = [*field.errors, str(exc.message)]
                refused = True
        hidden.data = str(ids[field.name] or "")
    return ids["logo"], ids["deck"], refused


def _render_form(form: StartupForm, startup: Startup | None, missing: list[object] | None = None) -> str:
    founder = signed_in_user()
    entered = form.profile(logo_file_id=None, deck_file_id=None).replace(
        logo_file_id=parse_int(form.logo_file_id.data, minimum=1),
        deck_file_id=parse_int(form.deck_file_id.data, minimum=1),
    )
    return render_template(
        "startups/form.html",
        form=form,
        startup=startup,
        revision=services.open_revision(startup) if startup and startup.status == StartupStatus.APPROVED else None,
        logo=own_file(form.logo_file_id.data, founder.id, FileKind.LOGO),
        deck=own_file(form.deck_file_id.data, founder.id, FileKind.DECK),
        missing=missing if missing is not None else completeness.missing_for_submission(entered),
        progress=completeness.progress(entered),
    )


def _changed_meanwhile(startup: Startup | None) -> Response:
    db.session.rollback()
    flash(
        _("This profile was changed in another window or by a reviewer a moment ago. Here it is as it stands now."),
        "warning",
    )
    return redirect(
        url_for("startups.edit_startup", startup_id=startup.id) if startup else url_for("startups.dashboard")
    )


def _save(form: StartupForm, startup: Startup | None) -> str | Response:
    """Validate, store uploads, save as draft (or revision), and submit when asked: one commit."""
    founder = signed_in_user()
    valid = form.validate_on_submit()
    logo_id, deck_id, refused = _take_uploads(form, founder)
    if not valid or refused:
        db.session.commit()  # keep the files that passed, so they need not be uploaded again
        flash(_("Some fields need your attention. Nothing else was lost: correct them and save again."), "warning")
        return _render_form(form, startup)
    profile = form.profile(logo_file_id=logo_id, deck_file_id=deck_id)
    try:
        if startup is None:
            startup = services.create_startup(founder, profile)
            revision = None
        else:
            revision = services.save_profile(startup, profile, actor=founder)
    except services.StartupError as exc:
        db.session.commit()  # services refuse before changing anything; uploads that passed are kept
        flash(str(exc.message), "danger")
        return _render_form(form, startup)
    except StaleDataError:
        return _changed_meanwhile(startup)
    if request.form.get("action") == "submit":
        try:
            services.submit_for_review(startup, actor=founder)
        except StaleDataError:
            return _changed_meanwhile(startup)
        except services.IncompleteProfile as exc:
            db.session.commit()  # the draft is saved; only the submission waits
            flash(_("Your draft is saved. Complete the fields listed before submitting."), "warning")
            return _render_form(form, startup, missing=list(exc.missing))
        db.session.commit()
        flash(_("Submitted for review. Hub staff will tell you their decision."), "success")
        return redirect(url_for("startups.dashboard"))
    db.session.commit()
    if revision is not None:
        flash(
            _("Your changes are saved. Investors see the approved profile until your changes are approved."),
            "success",
        )
    else:
        flash(_("Your draft is saved."), "success")
    return redirect(url_for("startups.edit_startup", startup_id=startup.id))


def _per_founder() -> str:
    return f"founder:{current_user.id}"


SAVE_LIMIT = limiter.limit(lambda: current_app.config["PROFILE_SAVE_LIMIT"], key_func=_per_founder, methods=["POST"])


@bp.route("/founder/startups/new", methods=["GET", "POST"])
@founder_required
@SAVE_LIMIT
def new_startup() -> str | Response:
    """Start a profile; a name is enough to save a draft."""
    form = StartupForm()
    if request.method == "GET":
        form.fill_from(Profile(name=""))
        return _render_form(form, None)
    return _save(form, None)


@bp.route("/founder/startups/<int:startup_id>/edit", methods=["GET", "POST"])
@founder_required
@SAVE_LIMIT
def edit_startup(startup_id: int) -> str | Response:
    """Edit a draft, answer a change request, or propose changes to a listed profile."""
    startup = owned_startup_or_404(startup_id, signed_in_user().id)
    form = StartupForm()
    if request.method == "GET":
        form.fill_from(services.working_profile(startup))
        return _render_form(form, startup)
    return _save(form, startup)


@bp.route("/founder/startups/preview-markdown", methods=["POST"])
@founder_required
@limiter.limit(lambda: current_app.config["MARKDOWN_PREVIEW_LIMIT"], key_func=_per_founder)
def preview_markdown() -> str:
    """The description as investors will read it, through the same sanitiser as the startup page."""
    form = MarkdownPreviewForm()
    if not form.validate_on_submit():
        return render_template("startups/_markdown_preview.html", html=None, errors=form.text.errors)
    return render_template("startups/_markdown_preview.html", html=render_markdown(form.text.data or ""), errors=())


@bp.route("/founder/startups/<int:startup_id>/submit", methods=["POST"])
@founder_required
def submit_startup(startup_id: int) -> Response:
    """Send a complete profile, or the changes to a listed one, to hub staff."""
    founder = signed_in_user()
    startup = owned_startup_or_404(startup_id, founder.id)
    if ConfirmForm().validate_on_submit():
        try:
            services.submit_for_review(startup, actor=founder)
        except services.IncompleteProfile as exc:
            flash(
                _("Complete these fields before submitting: %(fields)s.", fields=", ".join(map(str, exc.missing))),
                "warning",
            )
            return redirect(url_for("startups.edit_startup", startup_id=startup.id))
        except services.StartupError as exc:
            flash(str(exc.message), "danger")
            return redirect(url_for("startups.dashboard"))
        db.session.commit()
        flash(_("Submitted for review. Hub staff will tell you their decision."), "success")
    return redirect(url_for("startups.dashboard"))


@bp.route("/founder/startups/<int:startup_id>/archive", methods=["POST"])
@founder_required
def archive_startup(startup_id: int) -> Response:
    """Take a listed startup off the platform; its history stays."""
    founder = signed_in_user()
    startup = owned_startup_or_404(startup_id, founder.id)
    if ConfirmForm().validate_on_submit():
        try:
            services.change_status(startup, StartupStatus.ARCHIVED, actor=founder)
        except services.StartupError as exc:
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("%(name)s is archived. Investors no longer see it.", name=startup.name), "success")
    return redirect(url_for("startups.dashboard"))


@bp.route("/founder/startups/<int:startup_id>/discard", methods=["POST"])
@founder_required
def discard_changes(startup_id: int) -> Response:
    """Drop unsent changes to a listed profile."""
    founder = signed_in_user()
    startup = owned_startup_or_404(startup_id, founder.id)
    if ConfirmForm().validate_on_submit():
        try:
            services.discard_revision(startup, actor=founder)
        except services.StartupError as exc:
            flash(str(exc.message), "danger")
        else:
            db.session.commit()
            flash(_("Your unsent changes are discarded."), "success")
    return redirect(url_for("startups.dashboard"))


@bp.route("/founder/startups/<int:startup_id>/preview")
@founder_required
def preview_startup(startup_id: int) -> str:
    """The page as investors will see it, built from what the founder is editing."""
    founder = signed_in_user()
    startup = owned_startup_or_404(startup_id, founder.id)
    return render_template(
        "startups/page.html",
        startup=startup,
        view=profile_view(services.working_profile(startup)),
        preview=True,
        show_contacts=False,
        show_deck=True,
        history=review_history(startup.id),
    )


def _visitor() -> User | None:
    """The signed-in user, or None for a visitor of the public pages."""
    return signed_in_user() if current_user.is_authenticated else None


@bp.route("/startups/<slug>")
def startup_page(slug: str) -> str:
    """The startup as its visitors see it: a public teaser, contacts only after a match, the deck as the founder chose.

    Investors also find their intro request here: ask for one, see it waiting, or open the match.
    """
    user = _visitor()
    startup = startup_by_slug_or_404(slug)
    if not access.can_view_startup(user, startup):
        raise NotFound()
    investor = user if user is not None and user.role == Role.INVESTOR else None
    return render_template(
        "startups/page.html",
        startup=startup,
        view=profile_view(Profile.of(startup)),
        preview=False,
        show_contacts=user is not None and access.can_see_contacts(user, startup),
        show_deck=user is not None and access.can_open_deck(user, startup),
        history=review_history(startup.id) if user is not None and user.is_staff else None,
        bookmarked=investor is not None
        and db.session.scalar(
            select(Bookmark.id).where(Bookmark.investor_id == investor.id, Bookmark.startup_id == startup.id)
        )
        is not None,
        intro=latest_intro(investor.id, startup.id) if investor is not None else None,
        public_url=url_for("startups.startup_page", slug=startup.slug, _external=True),
    )


@bp.route("/files/<int:file_id>")
def download(file_id: int) -> Response:
    """Serve an upload to those allowed to see it; a visitor who may not is asked to log in, others get 404."""
    user = _visitor()
    stored = db.session.get(StoredFile, file_id)
    if stored is None or not access.can_download(user, stored):
        if user is None:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined,no-any-return]
        raise NotFound()
    path = file_store.path(stored.storage_key)
    if not path.is_file():
        log.error("stored file %s has no blob on disk at %s", stored.id, stored.storage_key)
        raise NotFound()
    is_deck = stored.kind == FileKind.DECK
    return send_file(
        path,
        mimetype=stored.content_type,
        as_attachment=is_deck,
        download_name=stored.original_name,
        max_age=0,
    )
