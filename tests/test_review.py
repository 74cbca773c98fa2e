"""Hub staff: the queue, decisions, claims, rubric, verification, audit, notifications and hubs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import DatabaseError

from dealflow.extensions import db
from dealflow.models import (
    AuditLog,
    Hub,
    Notification,
    ReviewEvent,
    Role,
    RubricScore,
    StartupStatus,
    User,
    utcnow,
)
from dealflow.review import services as review
from dealflow.startups import services as startups
from dealflow.startups.profile import Profile
from tests.conftest import Auth
from tests.factories import PASSWORD, HubFactory, UserFactory
from tests.startup_helpers import founder, investor, startup_in

pytestmark = pytest.mark.date_sensitive  # windows, allowances and waits are counted from today

STAFF_GETS = ["/review/", "/review/1", "/review/investors", "/review/overview", "/admin/hubs", "/admin/audit"]
STAFF_POSTS = [
    "/review/1/claim",
    "/review/1/release",
    "/review/1/rubric",
    "/review/1/decide",
    "/review/investors/1/verify",
]


def staff_of(region: str = "KZ-43", **kwargs: Any) -> User:
    hub = HubFactory(home_region_code=region)
    from dealflow.models import Region

    hub.regions = [db.session.get(Region, region)]
    db.session.flush()
    return UserFactory(role=Role.HUB_STAFF, hub=hub, **kwargs)  # type: ignore[no-any-return]


def decide_form(client: Any, startup_id: int, decision: str, comment: str = "") -> Any:
    page = client.get(f"/review/{startup_id}").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    seen = re.search(r'name="seen_version" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post(
        f"/review/{startup_id}/decide",
        data={"csrf_token": token, "decision": decision, "comment": comment, "seen_version": seen},
    )


def staff_urls(app: Any) -> list[tuple[str, str]]:
    """Every review and admin route, with 1 for each id, as (method, path)."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/review", "/admin")):
            path = rule.rule
            for argument in rule.arguments:
                path = path.replace(f"<int:{argument}>", "1").replace(f"<{argument}>", "1")
            found += [(method, path) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return found


@pytest.mark.parametrize("role", [Role.FOUNDER, Role.INVESTOR])
def test_every_review_and_admin_route_refuses_founders_and_investors(
    app: Any, auth: Auth, client: Any, post_form: Any, role: Role
) -> None:
    user = UserFactory(role=role)
    auth.login(user.email, PASSWORD)
    urls = staff_urls(app)
    assert len(urls) >= 20
    for method, path in urls:
        response = client.get(path) if method == "GET" else post_form(path, {}, form_page="/")
        assert response.status_code == 403, (method, path)


@pytest.mark.parametrize("role", [Role.FOUNDER, Role.INVESTOR])
def test_founders_and_investors_get_403_on_every_staff_page(
    auth: Auth, client: Any, post_form: Any, role: Role
) -> None:
    user = UserFactory(role=role)
    auth.login(user.email, PASSWORD)
    for path in STAFF_GETS:
        assert client.get(path).status_code == 403, path
    for path in STAFF_POSTS:
        assert post_form(path, {}, form_page="/").status_code == 403, path


@pytest.mark.parametrize(
    ("decision", "comment", "status"),
    [
        ("approved", "", StartupStatus.APPROVED),
        ("changes_requested", "Add your revenue for the last three months.", StartupStatus.CHANGES_REQUESTED),
        ("rejected", "The team has no technical founder.", StartupStatus.REJECTED),
    ],
)
def test_each_decision_is_recorded_told_and_audited(
    auth: Auth, client: Any, decision: str, comment: str, status: StartupStatus
) -> None:
    reviewer = staff_of()
    startup = startup_in(StartupStatus.SUBMITTED)
    auth.login(reviewer.email, PASSWORD)
    response = decide_form(client, startup.id, decision, comment)
    assert response.status_code == 302
    db.session.refresh(startup)
    assert startup.status == status
    last = db.session.scalars(select(ReviewEvent).order_by(ReviewEvent.id.desc())).first()
    assert last is not None
    assert (last.to_status, last.actor_id, last.comment) == (decision, reviewer.id, comment or None)
    note = db.session.scalar(select(Notification).where(Notification.user_id == startup.owner_id))
    assert note is not None
    assert note.params["decision"] == decision
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "review.decision"))
    assert entry is not None
    assert (entry.actor_id, entry.target_id, entry.details["decision"]) == (reviewer.id, str(startup.id), decision)


@pytest.mark.parametrize("decision", ["changes_requested", "rejected"])
def test_a_comment_is_required_to_request_changes_or_reject(auth: Auth, client: Any, decision: str) -> None:
    reviewer = staff_of()
    startup = startup_in(StartupStatus.SUBMITTED)
    auth.login(reviewer.email, PASSWORD)
    response = decide_form(client, startup.id, decision, "   ")
    assert response.status_code == 200
    assert "Write a comment that tells the founder why." in response.get_data(as_text=True)
    db.session.refresh(startup)
    assert startup.status == StartupStatus.SUBMITTED


def test_a_decision_on_what_someone_else_just_decided_is_refused(auth: Auth, client: Any) -> None:
    reviewer = staff_of()
    startup = startup_in(StartupStatus.SUBMITTED)
    auth.login(reviewer.email, PASSWORD)
    page = client.get(f"/review/{startup.id}").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    seen = re.search(r'name="seen_version" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    review.decide(startup, staff_of(), decision="approved", comment=None, seen_version=seen)
    response = client.post(
        f"/review/{startup.id}/decide",
        data={"csrf_token": token, "decision": "rejected", "comment": "Too late", "seen_version": seen},
    )
    assert response.status_code == 302
    follow = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone else acted on this item a moment ago" in follow
    decisions = db.session.scalars(select(ReviewEvent.to_status).where(ReviewEvent.startup_id == startup.id)).all()
    assert decisions.count("approved") == 1
    assert "rejected" not in decisions


def test_the_queue_shows_my_hubs_regions_oldest_first_and_flags_overdue(auth: Auth, client: Any) -> None:
    reviewer = staff_of("KZ-43")
    old = startup_in(StartupStatus.SUBMITTED, name="Old Kyzylorda")
    old.submitted_at = utcnow() - timedelta(days=12)
    new = startup_in(StartupStatus.SUBMITTED, name="New Kyzylorda")
    elsewhere = startup_in(StartupStatus.SUBMITTED, name="Far Aktau", region_code="KZ-47")
    startup_in(StartupStatus.DRAFT, name="Not Submitted")
    db.session.flush()
    auth.login(reviewer.email, PASSWORD)
    page = client.get("/review/").get_data(as_text=True)
    assert page.index("Old Kyzylorda") < page.index("New Kyzylorda")
    assert "Far Aktau" not in page
    assert "Not Submitted" not in page
    assert page.count("table-warning") == 1
    everything = client.get("/review/?scope=all").get_data(as_text=True)
    assert "Far Aktau" in everything
    only_aktau = client.get("/review/?scope=all&region=KZ-47").get_data(as_text=True)
    assert "Far Aktau" in only_aktau
    assert "Old Kyzylorda" not in only_aktau
    assert new.id is not None
    assert elsewhere.id is not None


def test_submitted_changes_wait_in_the_queue_and_approval_lists_them(auth: Auth, client: Any) -> None:
    reviewer = staff_of()
    owner = founder()
    startup = startup_in(StartupStatus.APPROVED, owner)
    startups.save_profile(startup, Profile.of(startup).replace(tagline="Now with a mobile app"), actor=owner)
    startups.submit_for_review(startup, actor=owner)
    auth.login(reviewer.email, PASSWORD)
    assert "Changes to a listed profile" in client.get("/review/").get_data(as_text=True)
    item = client.get(f"/review/{startup.id}").get_data(as_text=True)
    assert "Now with a mobile app" in item
    assert "Tagline" in item  # named among the changed fields
    decide_form(client, startup.id, "approved")
    db.session.refresh(startup)
    assert startup.tagline == "Now with a mobile app"


def test_the_queue_costs_the_same_statements_for_one_item_or_many(app: Any, auth: Auth, client: Any) -> None:
    reviewer = staff_of()
    auth.login(reviewer.email, PASSWORD)
    startup_in(StartupStatus.SUBMITTED)

    def statements() -> int:
        seen: list[str] = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get("/review/").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    one = statements()
    for _ in range(8):
        startup_in(StartupStatus.SUBMITTED)
    assert statements() == one


def test_claims_show_who_reviews_and_can_be_taken_over(app: Any, auth: Auth, client: Any, post_form: Any) -> None:
    first = staff_of()
    startup = startup_in(StartupStatus.SUBMITTED)
    auth.login(first.email, PASSWORD)
    post_form(f"/review/{startup.id}/claim", {}, form_page=f"/review/{startup.id}")
    other = app.test_client()
    second = UserFactory(role=Role.HUB_STAFF, hub_id=first.hub_id)
    Auth(other).login(second.email, PASSWORD)
    page = other.get(f"/review/{startup.id}").get_data(as_text=True)
    assert f"{first.name} is reviewing this since" in page
    assert "Take over the review" in page
    assert first.name in other.get("/review/").get_data(as_text=True)


def test_founders_never_see_rubric_scores(app: Any, auth: Auth, client: Any, post_form: Any) -> None:
    reviewer = staff_of()
    owner = founder()
    startup = startup_in(StartupStatus.SUBMITTED, owner)
    auth.login(reviewer.email, PASSWORD)
    response = post_form(
        f"/review/{startup.id}/rubric",
        {"team": "4", "market": "2", "traction": "3", "note": "Secret doubts about the market size"},
        form_page=f"/review/{startup.id}",
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count(RubricScore.id))) == 1
    decide_form(client, startup.id, "changes_requested", "Please clarify the market.")
    founder_client = app.test_client()
    Auth(founder_client).login(owner.email, PASSWORD)
    for path in (
        "/founder/",
        f"/founder/startups/{startup.id}/preview",
        f"/founder/startups/{startup.id}/edit",
        "/notifications",
    ):
        page = founder_client.get(path).get_data(as_text=True)
        assert "Secret doubts" not in page, path
        assert "traction 3" not in page, path
    assert founder_client.get(f"/review/{startup.id}").status_code == 403


def test_rubric_scores_must_be_between_1_and_5(auth: Auth, post_form: Any) -> None:
    reviewer = staff_of()
    startup = startup_in(StartupStatus.SUBMITTED)
    auth.login(reviewer.email, PASSWORD)
    response = post_form(
        f"/review/{startup.id}/rubric", {"team": "9", "market": "0", "traction": "3"}, form_page=f"/review/{startup.id}"
    )
    assert response.status_code == 200
    assert "Number must be between 1 and 5." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(RubricScore.id))) == 0


def test_staff_verify_an_investor_who_then_opens_decks(app: Any, auth: Auth, post_form: Any) -> None:
    reviewer = staff_of()
    person = investor(verified=False)
    listed = startup_in(StartupStatus.APPROVED)
    their_client = app.test_client()
    Auth(their_client).login(person.email, PASSWORD)
    with their_client.get(f"/files/{listed.deck_file_id}") as before:
        assert before.status_code == 404
    auth.login(reviewer.email, PASSWORD)
    post_form(f"/review/investors/{person.id}/verify", {"verified": "1"}, form_page="/review/investors")
    db.session.refresh(person)
    assert person.investor_profile is not None
    assert person.investor_profile.verified_by_id == reviewer.id
    assert person.investor_profile.verified_at is not None
    with their_client.get(f"/files/{listed.deck_file_id}") as after:
        assert after.status_code == 200
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.target_id == str(person.id))) == "investor.verified"


def test_the_audit_log_records_logins_role_changes_and_rates(auth: Auth, client: Any, post_form: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    target = UserFactory(role=Role.INVESTOR)
    auth.login(admin.email, "Wrong-password-123")
    auth.login(admin.email, PASSWORD)
    post_form(f"/admin/users/{target.id}", {"role": "founder", "hub_id": "", "active": "y"})
    post_form("/admin/rates", {"units_per_usd": "510"})
    auth.logout()
    actions = db.session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions == ["auth.login_failed", "auth.login", "user.updated", "rate.changed", "auth.logout"]
    change = db.session.scalar(select(AuditLog).where(AuditLog.action == "user.updated"))
    assert change is not None
    assert change.details["before"]["role"] == "investor"
    assert change.details["after"]["role"] == "founder"
    assert change.ip == "127.0.0.1"
    auth.login(admin.email, PASSWORD)
    page = client.get("/admin/audit", query_string={"action": "user.updated"}).get_data(as_text=True)
    assert "<code>user.updated</code>" in page
    assert "<code>rate.changed</code>" not in page


def test_the_database_refuses_to_edit_or_delete_audit_rows() -> None:
    db.session.add(AuditLog(action="test.entry", details={}))
    db.session.flush()
    for statement in ("UPDATE audit_log SET action = 'forged'", "DELETE FROM audit_log"):
        with pytest.raises(DatabaseError, match="append-only"), db.session.begin_nested():
            db.session.execute(text(statement))
    assert db.session.scalar(select(AuditLog.action).where(AuditLog.action == "test.entry")) == "test.entry"


def test_the_bell_counts_unread_notifications(app: Any, auth: Auth, client: Any, post_form: Any) -> None:
    reviewer = staff_of()
    owner = founder()
    startup_in(StartupStatus.SUBMITTED, owner)  # the reviewer's hub serves Kyzylorda: one notification
    auth.login(reviewer.email, PASSWORD)
    page = client.get("/review/").get_data(as_text=True)
    assert '<span class="badge rounded-pill text-bg-warning">1<span class="visually-hidden"> unread</span>' in page
    notes = client.get("/notifications").get_data(as_text=True)
    assert "was submitted for review." in notes
    post_form("/notifications/read", {}, form_page="/notifications")
    assert 'text-bg-warning">1' not in client.get("/review/").get_data(as_text=True)


def test_the_overview_gives_queue_size_and_median_days(auth: Auth, client: Any) -> None:
    reviewer = staff_of()
    hub = db.session.get(Hub, reviewer.hub_id)
    assert hub is not None
    now = utcnow()
    for days in (2, 4, 9):
        startup = startup_in(StartupStatus.DRAFT)
        startups.submit_for_review(startup, actor=startup.owner, at=now - timedelta(days=days + 1))
        startups.decide(startup, "approved", actor=reviewer, at=now - timedelta(days=1))
    too_old = startup_in(StartupStatus.DRAFT)  # decided 100 days ago: outside the 90-day window
    startups.submit_for_review(too_old, actor=too_old.owner, at=now - timedelta(days=140))
    startups.decide(too_old, "approved", actor=reviewer, at=now - timedelta(days=100))
    startup_in(StartupStatus.SUBMITTED)
    auth.login(reviewer.email, PASSWORD)
    page = client.get("/review/overview").get_data(as_text=True)
    row = page[page.index(hub.name) :].split("</tr>")[0]
    cells = [c.split("</td>")[0].strip() for c in row.split('<td class="text-end">')[1:]]
    assert cells == ["1", "3", "4"]  # one waiting; three decisions; median of 2, 4 and 9 days


def test_admins_create_and_edit_hubs(auth: Auth, client: Any, post_form: Any) -> None:
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    created = post_form(
        "/admin/hubs/new", {"name": "Aral Sea Hub", "home_region": "KZ-43", "regions": ["KZ-43", "KZ-61"]}
    )
    assert created.status_code == 302
    hub = db.session.scalar(select(Hub).where(Hub.name == "Aral Sea Hub"))
    assert hub is not None
    assert sorted(r.code for r in hub.regions) == ["KZ-43", "KZ-61"]
    duplicate = post_form("/admin/hubs/new", {"name": "Aral Sea Hub", "home_region": "KZ-43"})
    assert "A hub with this name already exists." in duplicate.get_data(as_text=True)
    post_form(f"/admin/hubs/{hub.id}", {"name": "Aral Sea Hub", "home_region": "KZ-43", "regions": ["KZ-43"]})
    db.session.refresh(hub)
    assert [r.code for r in hub.regions] == ["KZ-43"]
    assert "hub.created" in db.session.scalars(select(AuditLog.action)).all()


def test_a_claimed_item_is_decided_by_its_reviewer_or_after_a_take_over(app: Any, auth: Auth, post_form: Any) -> None:
    holder = staff_of()
    startup = startup_in(StartupStatus.SUBMITTED)
    review.claim(startup, holder)
    colleague = UserFactory(role=Role.HUB_STAFF, hub_id=holder.hub_id)
    auth.login(colleague.email, PASSWORD)
    refused = decide_form(auth.client, startup.id, "approved")
    assert "Take over the review before deciding." in refused.get_data(as_text=True)
    db.session.refresh(startup)
    assert startup.status == StartupStatus.SUBMITTED
    post_form(f"/review/{startup.id}/claim", {}, form_page=f"/review/{startup.id}")
    assert decide_form(auth.client, startup.id, "approved").status_code == 302
    db.session.refresh(startup)
    assert startup.status == StartupStatus.APPROVED
    assert "review.taken_over" in db.session.scalars(select(AuditLog.action)).all()


def test_items_that_wait_for_nothing_cannot_be_claimed_or_scored(auth: Auth, post_form: Any) -> None:
    reviewer = staff_of()
    draft = startup_in(StartupStatus.DRAFT)
    auth.login(reviewer.email, PASSWORD)
    post_form(f"/review/{draft.id}/claim", {}, form_page="/review/")
    assert db.session.get(review.ReviewClaim, draft.id) is None
    scored = post_form(
        f"/review/{draft.id}/rubric", {"team": "3", "market": "3", "traction": "3"}, form_page="/review/"
    )
    assert scored.status_code == 404
