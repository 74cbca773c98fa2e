"""Hub staff's pages: the queue, reviewing one item, verifying investors and the overview."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Response

from dealflow.auth.decorators import staff_required
from dealflow.auth.sessions import signed_in_user
from dealflow.extensions import db
from dealflow.forms import ConfirmForm
from dealflow.models import ReviewClaim, Role, Sector, Startup, StartupStatus, User
from dealflow.parsing import parse_int
from dealflow.review import queries, services
from dealflow.review.forms import DecisionForm, RubricForm
from dealflow.startups import services as startups
from dealflow.startups.profile import Profile
from dealflow.startups.queries import profile_view, review_history

bp = Blueprint("review", __name__)


def _filters() -> queries.QueueFilters:
    return queries.QueueFilters(
        regions=tuple(r for r in request.args.getlist("region") if r)[:20],
        hub_id=parse_int(request.args.get("hub"), minimum=1),
        sector=request.args.get("sector") or None,
        mine=request.args.get("scope", "mine") != "all",
    )


@bp.route("/")
@staff_required
def queue() -> str:
    """What waits for a decision, oldest first; the reviewer's own hub's regions by default."""
    reviewer = signed_in_user()
    filters = _filters()
    sla = current_app.config["REVIEW_SLA_WORKING_DAYS"]
    return render_template(
        "review/queue.html",
        items=queries.review_queue(filters, reviewer, sla),
        filters=filters,
        hubs=queries.hubs_with_regions(),
        sectors=db.session.scalars(db.select(Sector).order_by(Sector.position)).all(),
        sla=sla,
        reviewer=reviewer,
    )


def _waiting_or_404(startup_id: int) -> Startup:
    startup = db.session.get(Startup, startup_id)
    if startup is None:
        raise NotFound()
    return startup


def _render_item(
    startup: Startup, decision_form: DecisionForm | None = None, rubric_form: RubricForm | None = None
) -> str:
    revision = startups.open_revision(startup) if startup.status == StartupStatus.APPROVED else None
    under_review = Profile.from_json(revision.data) if revision else Profile.of(startup)
    listed = Profile.of(startup) if revision else None
    form = decision_form or DecisionForm()
    form.seen_version.data = services.waiting_version(startup)
    waiting = services.is_waiting(startup)
    return render_template(
        "review/item.html",
        startup=startup,
        revision=revision,
        view=profile_view(under_review),
        changed_fields=[
            name for name in under_review.to_json() if listed and under_review.to_json()[name] != listed.to_json()[name]
        ],
        waiting=waiting,
        history=review_history(startup.id),
        rubrics=queries.rubric_scores(startup.id),
        claim=db.session.get(ReviewClaim, startup.id),
        decision_form=form,
        rubric_form=rubric_form or RubricForm(),
        confirm=ConfirmForm(),
        may_decide=services.may_decide(signed_in_user(), startup),
    )


@bp.route("/<int:startup_id>")
@staff_required
def item(startup_id: int) -> str:
    """The full profile under review (deck included), its history, the rubric and the decision."""
    return _render_item(_waiting_or_404(startup_id))


@bp.route("/<int:startup_id>/claim", methods=["POST"])
@staff_required
def claim(startup_id: int) -> Response:
    """Take the item, so colleagues see someone is reviewing it."""
    startup = _waiting_or_404(startup_id)
    if ConfirmForm().validate_on_submit():
        try:
            services.claim(startup, signed_in_user())
        except startups.StartupError as exc:
            db.session.rollback()
            flash(str(exc.message), "warning")
        else:
            db.session.commit()
            flash(_("You are reviewing %(name)s.", name=startup.name), "success")
    return redirect(url_for("review.item", startup_id=startup_id))


@bp.route("/<int:startup_id>/release", methods=["POST"])
@staff_required
def release(startup_id: int) -> Response:
    """Give the item back to the queue."""
    startup = _waiting_or_404(startup_id)
    if ConfirmForm().validate_on_submit():
        services.release(startup, signed_in_user())
        db.session.commit()
    return redirect(url_for("review.queue"))


@bp.route("/<int:startup_id>/rubric", methods=["POST"])
@staff_required
def rubric(startup_id: int) -> str | Response:
    """Keep the internal scores for this round."""
    startup = _waiting_or_404(startup_id)
    if not services.is_waiting(startup):
        raise NotFound()
    form = RubricForm()
    if not form.validate_on_submit():
        return _render_item(startup, rubric_form=form)
    try:
        services.score(
            startup,
            signed_in_user(),
            team=form.team.data or 0,
            market=form.market.data or 0,
            traction=form.traction.data or 0,
            note=form.note.data,
        )
    except startups.StartupError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
        return redirect(url_for("review.item", startup_id=startup_id))
    db.session.commit()
    flash(_("The scores are saved. The founder does not see them."), "success")
    return redirect(url_for("review.item", startup_id=startup_id))


@bp.route("/<int:startup_id>/decide", methods=["POST"])
@staff_required
def decide(startup_id: int) -> str | Response:
    """Approve, request changes or reject; exactly one decision wins when two reviewers act at once."""
    startup = _waiting_or_404(startup_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_item(startup, decision_form=form)
    try:
        services.decide(
            startup,
            signed_in_user(),
            decision=form.decision.data or "",
            comment=form.comment.data,
            seen_version=form.seen_version.data or "",
            ip=request.remote_addr,
        )
        db.session.commit()
    except (services.DecidedMeanwhile, StaleDataError):
        db.session.rollback()
        flash(_("Someone else acted on this item a moment ago. Here is how it stands now."), "warning")
        return redirect(url_for("review.item", startup_id=startup_id))
    except startups.StartupError as exc:
        db.session.rollback()
        if exc.field == "comment":
            form.comment.errors = [str(exc.message)]
        else:
            flash(str(exc.message), "danger")
        return _render_item(_waiting_or_404(startup_id), decision_form=form)
    flash(_("Your decision on %(name)s is recorded and the founder is told.", name=startup.name), "success")
    return redirect(url_for("review.queue"))


@bp.route("/investors")
@staff_required
def investors() -> str:
    """Investors to verify: staff vouch that an investor is who they say."""
    return render_template("review/investors.html", investors=queries.investors_to_verify(), confirm=ConfirmForm())


@bp.route("/investors/<int:user_id>/verify", methods=["POST"])
@staff_required
def verify_investor(user_id: int) -> Response:
    """Mark an investor verified (who, when), or take the mark back."""
    investor = db.session.get(User, user_id)
    if investor is None or investor.role != Role.INVESTOR:
        raise NotFound()
    if ConfirmForm().validate_on_submit():
        verified = request.form.get("verified") == "1"
        services.set_investor_verified(investor, signed_in_user(), verified=verified, ip=request.remote_addr)
        db.session.commit()
        flash(
            _("%(name)s is verified.", name=investor.name)
            if verified
            else _("%(name)s is no longer verified.", name=investor.name),
            "success",
        )
    return redirect(url_for("review.investors"))


@bp.route("/overview")
@staff_required
def overview() -> str:
    """Per hub: how much waits and how fast decisions come, over the last 90 days."""
    sla = current_app.config["REVIEW_SLA_WORKING_DAYS"]
    return render_template("review/overview.html", figures=queries.hub_overview(signed_in_user(), sla))
