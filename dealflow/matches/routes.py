"""Intro requests, the founders' inbox, the investors' list of intros and the match page."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, jsonify, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from dealflow.auth.decorators import founder_required, role_required
from dealflow.auth.sessions import signed_in_user
from dealflow.billing import plans as billing
from dealflow.evidence import receipts
from dealflow.extensions import db, limiter
from dealflow.forms import ConfirmForm
from dealflow.matches import queries, services
from dealflow.matches.forms import CloseAnswerForm, IntroAnswerForm, IntroRequestForm, ProgressForm
from dealflow.models import (
    Currency,
    Instrument,
    IntroRequest,
    IntroStatus,
    MatchProgress,
    ProgressKind,
    ProgressStatus,
    Role,
    Startup,
    StartupStatus,
    utcnow,
)
from dealflow.startups import access
from dealflow.startups.queries import latest_intro
from dealflow.startups.services import StartupError

bp = Blueprint("matches", __name__)
investor_required = role_required(Role.INVESTOR)


def _per_user() -> str:
    return f"intro:{current_user.id}"


INTRO_LIMIT = limiter.limit(lambda: current_app.config["INTRO_REQUEST_LIMIT"], key_func=_per_user, methods=["POST"])
PROGRESS_LIMIT = limiter.limit(lambda: current_app.config["MATCH_PROGRESS_LIMIT"], key_func=_per_user)


def _listed_or_404(startup_id: int) -> Startup:
    startup = db.session.get(Startup, startup_id)
    if startup is None or startup.status != StartupStatus.APPROVED:
        raise NotFound()
    return startup


@bp.route("/startups/<int:startup_id>/intro", methods=["GET", "POST"])
@investor_required
@INTRO_LIMIT
def request_intro(startup_id: int) -> str | Response:
    """Ask the founder for an intro with a short message; on refusal the message comes back to be fixed."""
    investor = signed_in_user()
    startup = _listed_or_404(startup_id)
    form = IntroRequestForm()
    limit: billing.PlanLimitReached | None = None
    if form.validate_on_submit():
        try:
            services.request_intro(investor, startup, form.message.data or "")
        except StartupError as exc:
            db.session.rollback()
            if exc.field == "message":
                form.message.errors = [str(exc.message)]
            else:
                flash(str(exc.message), "warning")
        except billing.PlanLimitReached as reached:  # the message stays in the form for after the upgrade
            db.session.rollback()
            limit = reached
        else:
            db.session.commit()
            flash(_("Your intro request is sent to the founder of %(name)s.", name=startup.name), "success")
            return redirect(url_for("startups.startup_page", slug=startup.slug))
    used = queries.intro_requests_this_month(investor.id, utcnow())
    return render_template(
        "matches/request.html",
        startup=startup,
        form=form,
        intro=latest_intro(investor.id, startup.id),
        limit=limit,
        left=billing.intro_requests_left(investor, used),
    )


@bp.route("/investor/intros")
@investor_required
def investor_intros() -> str:
    """The investor's intro requests and what became of each; matches lead to the match page."""
    intros = queries.investor_intros(signed_in_user().id)
    return render_template("matches/investor_intros.html", intros=intros, confirm=ConfirmForm())


@bp.route("/intros/<int:intro_id>/withdraw", methods=["POST"])
@investor_required
def withdraw_intro(intro_id: int) -> Response:
    """Take back a request the founder has not answered yet."""
    investor = signed_in_user()
    intro = db.session.get(IntroRequest, intro_id)
    if intro is None or intro.investor_id != investor.id:
        raise NotFound()
    if ConfirmForm().validate_on_submit():
        try:
            services.withdraw_intro(investor, intro)
            db.session.commit()
        except (StartupError, StaleDataError):
            db.session.rollback()
            flash(_("The founder answered this request a moment ago. Here is how it stands now."), "warning")
        else:
            flash(_("Your intro request to %(name)s is withdrawn.", name=intro.startup.name), "success")
    return redirect(url_for("matches.investor_intros"))


def _render_inbox(answering: dict[int, IntroAnswerForm] | None = None) -> str:
    founder = signed_in_user()
    intros = queries.founder_inbox(founder.id)
    forms = {
        i.id: (answering or {}).get(i.id) or IntroAnswerForm(formdata=None, prefix=f"i{i.id}")
        for i in intros
        if i.status == IntroStatus.PENDING
    }
    return render_template("matches/founder_inbox.html", intros=intros, forms=forms)


@bp.route("/founder/intros")
@founder_required
def founder_inbox() -> str:
    """Intro requests to the founder's startups, waiting ones first, each with accept and decline."""
    return _render_inbox()


@bp.route("/intros/<int:intro_id>/answer", methods=["POST"])
@founder_required
def answer_intro(intro_id: int) -> str | Response:
    """Accept (a match: contacts are shared both ways) or decline, with an optional reply."""
    founder = signed_in_user()
    intro = db.session.get(IntroRequest, intro_id)
    if intro is None or intro.startup.owner_id != founder.id:
        raise NotFound()
    form = IntroAnswerForm(prefix=f"i{intro_id}")
    if not form.validate_on_submit():
        return _render_inbox({intro_id: form})
    accepted = form.decision.data == "accepted"
    try:
        if accepted:
            services.accept_intro(founder, intro, form.reply.data)
        else:
            services.decline_intro(founder, intro, form.reply.data)
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        now = db.session.get(IntroRequest, intro_id)  # say what actually happened in between
        if now is not None and now.status == IntroStatus.WITHDRAWN:
            flash(_("The investor withdrew this request a moment ago."), "warning")
        else:
            flash(_("This request was answered a moment ago, perhaps from another tab."), "warning")
        return redirect(url_for("matches.founder_inbox"))
    except StartupError as exc:
        db.session.rollback()
        if exc.field == "reply":
            form.reply.errors = [str(exc.message)]
            return _render_inbox({intro_id: form})
        flash(str(exc.message), "warning")
        return redirect(url_for("matches.founder_inbox"))
    name = intro.investor.name
    if accepted:
        flash(_("You are matched with %(name)s: you now see each other's contacts.", name=name), "success")
        return redirect(url_for("matches.match_page", intro_id=intro_id))
    flash(_("You declined the request of %(name)s.", name=name), "success")
    return redirect(url_for("matches.founder_inbox"))


def _match_or_404(intro_id: int) -> IntroRequest:
    intro = db.session.get(IntroRequest, intro_id)
    if intro is None or intro.status != IntroStatus.ACCEPTED or not queries.is_party(signed_in_user(), intro):
        raise NotFound()
    return intro


def _render_match(intro: IntroRequest, form: ProgressForm | None = None) -> str:
    user = signed_in_user()
    progress = queries.progress_of(intro.id)
    answer_forms = {
        p.id: CloseAnswerForm(formdata=None, prefix=f"p{p.id}")
        for p in progress
        if p.status == ProgressStatus.AWAITING_CONFIRMATION and p.logged_by_id != user.id
    }
    return render_template(
        "matches/match.html",
        intro=intro,
        startup=intro.startup,
        investor=intro.investor,
        profile=intro.investor.investor_profile,
        founder=intro.startup.owner,
        progress=progress,
        form=form or ProgressForm(formdata=None),
        answer_forms=answer_forms,
        is_investor=user.id == intro.investor_id,
        can_open_deck=access.can_open_deck(user, intro.startup),
        ledger_events=receipts.events_of_intro(intro.id),
    )


@bp.route("/matches/<int:intro_id>")
@login_required
def match_page(intro_id: int) -> str:
    """For the two sides only: each other's contacts, the deck, and the progress they record."""
    return _render_match(_match_or_404(intro_id))


@bp.route("/matches/<int:intro_id>/progress", methods=["POST"])
@login_required
@PROGRESS_LIMIT
def log_progress(intro_id: int) -> str | Response:
    """Record a meeting, a term sheet or a closed investment (which the other side then confirms)."""
    intro = _match_or_404(intro_id)
    form = ProgressForm()
    if not form.validate_on_submit():
        return _render_match(intro, form)
    kind = ProgressKind(form.kind.data)
    try:
        services.log_progress(
            signed_in_user(),
            intro,
            kind,
            occurred_on=form.occurred_on.data,
            note=form.note.data,
            amount=form.amount.data,
            currency=Currency(form.currency.data) if form.currency.data else None,
            instrument=Instrument(form.instrument.data) if form.instrument.data else None,
            publish_amount=bool(form.publish_amount.data),
        )
    except StartupError as exc:
        db.session.rollback()
        field = getattr(form, exc.field or "", None)
        if field is not None:
            field.errors = [str(exc.message)]
        else:
            flash(str(exc.message), "warning")
        return _render_match(_match_or_404(intro_id), form)
    db.session.commit()
    if kind == ProgressKind.INVESTMENT_CLOSED:
        flash(_("Recorded. It counts once the other side confirms it; they have been told."), "success")
    else:
        flash(_("Recorded in the evidence ledger."), "success")
    return redirect(url_for("matches.match_page", intro_id=intro_id))


@bp.route("/matches/<int:intro_id>/progress/<int:progress_id>", methods=["POST"])
@login_required
def answer_close(intro_id: int, progress_id: int) -> Response:
    """The other side confirms a closed investment, so that it counts, or says it did not happen."""
    intro = _match_or_404(intro_id)
    progress = db.session.get(MatchProgress, progress_id)
    if progress is None or progress.intro_request_id != intro.id:
        raise NotFound()
    form = CloseAnswerForm(prefix=f"p{progress_id}")
    if form.validate_on_submit():
        confirmed = form.decision.data == "confirmed"
        try:
            services.decide_close(
                signed_in_user(), progress, confirmed=confirmed, publish_amount=bool(form.publish_amount.data)
            )
            db.session.commit()
        except (StartupError, StaleDataError) as exc:
            db.session.rollback()
            message = exc.message if isinstance(exc, StartupError) else _("This was answered a moment ago.")
            flash(str(message), "warning")
        else:
            flash(
                _("Confirmed: the investment now counts in the public evidence.")
                if confirmed
                else _("Noted: the investment is not counted."),
                "success",
            )
    return redirect(url_for("matches.match_page", intro_id=intro_id))


@bp.route("/matches/<int:intro_id>/receipts/<int:seq>.json")
@login_required
def ledger_receipt(intro_id: int, seq: int) -> Response:
    """One side of a match takes away proof that an event of theirs is in the signed ledger (verify.py checks it)."""
    intro = _match_or_404(intro_id)
    event = receipts.event_of_intro(intro.id, seq)
    if event is None or event.leaf_index is None:
        raise NotFound()
    document = receipts.receipt_for(event)
    db.session.commit()  # a checkpoint may have been signed for it
    response = jsonify(document)
    response.headers["Content-Disposition"] = f'attachment; filename="dealflow-receipt-{seq}.json"'
    response.headers["Cache-Control"] = "no-store"
    return response
