"""The status machine, revisions and money rules, tested through the services without HTTP."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import (
    Currency,
    ReviewEvent,
    RevisionStatus,
    Role,
    StartupRevision,
    StartupStatus,
    User,
)
from dealflow.startups import services
from dealflow.startups.bin import is_valid_bin
from dealflow.startups.profile import Profile
from tests.factories import UserFactory
from tests.startup_helpers import VALID_BIN, complete_profile, founder, startup_in

S = StartupStatus
ALLOWED_FOR_OWNER = {(S.DRAFT, S.SUBMITTED), (S.CHANGES_REQUESTED, S.SUBMITTED), (S.APPROVED, S.ARCHIVED)}
ALLOWED_FOR_STAFF = {
    (S.SUBMITTED, S.APPROVED),
    (S.SUBMITTED, S.REJECTED),
    (S.SUBMITTED, S.CHANGES_REQUESTED),
    (S.APPROVED, S.ARCHIVED),
}
ACTORS = ["owner", "other_founder", "investor", "hub_staff", "admin"]


def actor_for(kind: str, owner: User) -> User:
    if kind == "owner":
        return owner
    role = {"other_founder": Role.FOUNDER, "investor": Role.INVESTOR, "hub_staff": Role.HUB_STAFF, "admin": Role.ADMIN}
    return UserFactory(role=role[kind])  # type: ignore[no-any-return]


def events_of(startup_id: int) -> int:
    return db.session.scalar(select(func.count(ReviewEvent.id)).where(ReviewEvent.startup_id == startup_id)) or 0


@pytest.mark.parametrize(("start", "target"), list(itertools.product(list(S), list(S))))
@pytest.mark.parametrize("kind", ACTORS)
def test_every_transition_is_allowed_or_refused_by_role(start: S, target: S, kind: str) -> None:
    owner = founder()
    startup = startup_in(start, owner)
    actor = actor_for(kind, owner)
    before = events_of(startup.id)
    allowed = (kind == "owner" and (start, target) in ALLOWED_FOR_OWNER) or (
        kind in ("hub_staff", "admin") and (start, target) in ALLOWED_FOR_STAFF
    )
    if allowed:
        event = services.change_status(startup, target, actor=actor, comment="Because")
        assert startup.status == target
        assert (event.from_status, event.to_status, event.actor_id) == (start.value, target.value, actor.id)
        assert events_of(startup.id) == before + 1
    else:
        with pytest.raises(services.TransitionRefused):
            services.change_status(startup, target, actor=actor, comment="Because")
        assert startup.status == start
        assert events_of(startup.id) == before


@pytest.mark.parametrize("decision", [S.REJECTED, S.CHANGES_REQUESTED])
def test_rejecting_or_requesting_changes_needs_a_comment(decision: S) -> None:
    startup = startup_in(S.SUBMITTED)
    reviewer = UserFactory(role=Role.HUB_STAFF)
    with pytest.raises(services.StartupError) as refused:
        services.change_status(startup, decision, actor=reviewer, comment="   ")
    assert refused.value.field == "comment"
    assert startup.status == S.SUBMITTED


def test_a_draft_with_missing_fields_cannot_be_submitted() -> None:
    owner = founder()
    startup = services.create_startup(owner, Profile(name="Half done", tagline="Something"))
    with pytest.raises(services.IncompleteProfile) as refused:
        services.submit_for_review(startup, actor=owner)
    missing = [str(label) for label in refused.value.missing]
    assert "Description" in missing
    assert "Pitch deck" in missing
    assert "Tagline" not in missing
    assert startup.status == S.DRAFT
    assert events_of(startup.id) == 0


def test_founder_edits_only_drafts_and_change_requests() -> None:
    owner = founder()
    for status in S:
        startup = startup_in(status, owner)
        edited = Profile.of(startup).replace(tagline="New words")
        if status in (S.DRAFT, S.CHANGES_REQUESTED):
            assert services.save_profile(startup, edited, actor=owner) is None
            assert startup.tagline == "New words"
        elif status == S.APPROVED:
            revision = services.save_profile(startup, edited, actor=owner)
            assert revision is not None
            assert startup.tagline != "New words"
        else:
            with pytest.raises(services.StartupError):
                services.save_profile(startup, edited, actor=owner)
            assert startup.tagline != "New words"


def test_only_the_owner_may_edit() -> None:
    startup = startup_in(S.DRAFT)
    with pytest.raises(services.StartupError):
        services.save_profile(startup, Profile.of(startup).replace(name="Stolen"), actor=founder())
    assert startup.name != "Stolen"


def test_a_revision_leaves_the_approved_version_until_it_is_approved() -> None:
    owner = founder()
    startup = startup_in(S.APPROVED, owner)
    reviewer = UserFactory(role=Role.HUB_STAFF)
    original = startup.tagline
    revised = Profile.of(startup).replace(tagline="Sensors and a mobile app", ask_amount=Decimal("500000"))
    revision = services.save_profile(startup, revised, actor=owner)
    assert revision is not None
    services.submit_for_review(startup, actor=owner)
    assert revision.status == RevisionStatus.SUBMITTED
    assert (startup.status, startup.tagline, startup.ask_usd) == (S.APPROVED, original, Decimal("300000.00"))
    with pytest.raises(services.StartupError):  # under review: no more edits
        services.save_profile(startup, revised.replace(tagline="Again"), actor=owner)
    services.decide(startup, "approved", actor=reviewer)
    assert revision.status == RevisionStatus.APPROVED
    assert (startup.status, startup.tagline, startup.ask_usd) == (
        S.APPROVED,
        "Sensors and a mobile app",
        Decimal("500000.00"),
    )
    assert services.open_revision(startup) is None
    events = db.session.scalars(select(ReviewEvent).where(ReviewEvent.revision_id == revision.id)).all()
    assert [(e.from_status, e.to_status) for e in events] == [("draft", "submitted"), ("submitted", "approved")]


def test_a_rejected_revision_changes_nothing_listed() -> None:
    owner = founder()
    startup = startup_in(S.APPROVED, owner)
    services.save_profile(startup, Profile.of(startup).replace(tagline="Hype"), actor=owner)
    services.submit_for_review(startup, actor=owner)
    services.decide(startup, "rejected", actor=UserFactory(role=Role.HUB_STAFF), comment="Not accurate")
    assert startup.tagline == "Water sensors for irrigation canals"
    assert db.session.scalar(select(StartupRevision.status)) == RevisionStatus.REJECTED


@pytest.mark.parametrize(("start", "target", "founder_may", "staff_may"), [
    (RevisionStatus.DRAFT, RevisionStatus.SUBMITTED, True, False),
    (RevisionStatus.CHANGES_REQUESTED, RevisionStatus.SUBMITTED, True, False),
    (RevisionStatus.SUBMITTED, RevisionStatus.APPROVED, False, True),
    (RevisionStatus.SUBMITTED, RevisionStatus.REJECTED, False, True),
    (RevisionStatus.SUBMITTED, RevisionStatus.CHANGES_REQUESTED, False, True),
    (RevisionStatus.DRAFT, RevisionStatus.APPROVED, False, False),
    (RevisionStatus.APPROVED, RevisionStatus.SUBMITTED, False, False),
    (RevisionStatus.REJECTED, RevisionStatus.SUBMITTED, False, False),
])  # fmt: skip
def test_revision_transitions(
    start: RevisionStatus, target: RevisionStatus, founder_may: bool, staff_may: bool
) -> None:
    owner = founder()
    startup = startup_in(S.APPROVED, owner)
    revision = StartupRevision(startup_id=startup.id, status=start, data=Profile.of(startup).to_json())
    db.session.add(revision)
    db.session.flush()
    for actor, may in ((owner, founder_may), (UserFactory(role=Role.HUB_STAFF), staff_may)):
        revision.status = start
        if may:
            services.change_revision_status(revision, target, actor=actor, comment="ok")
            assert revision.status == target
        else:
            with pytest.raises(services.TransitionRefused):
                services.change_revision_status(revision, target, actor=actor, comment="ok")
            assert revision.status == start


def test_amounts_in_tenge_are_normalised_and_follow_the_rate() -> None:
    owner = founder()
    startup = services.create_startup(
        owner,
        complete_profile(
            owner, currency=Currency.KZT, ask_amount=Decimal("52000000"), monthly_revenue=Decimal("520000")
        ),
    )
    assert (startup.ask_amount, startup.ask_usd, startup.monthly_revenue_usd) == (
        Decimal("52000000"),
        Decimal("100000.00"),
        Decimal("1000.00"),
    )
    admin = UserFactory(role=Role.ADMIN)
    updated = services.set_exchange_rate(Currency.KZT, Decimal("500"), actor=admin)
    assert updated >= 1
    db.session.refresh(startup)
    assert startup.ask_usd == Decimal("104000.00")
    assert startup.ask_amount == Decimal("52000000.00")  # what the founder entered never changes


def test_bin_check_digit() -> None:
    assert is_valid_bin(VALID_BIN)
    assert not is_valid_bin(VALID_BIN[:-1] + "3")
    assert not is_valid_bin("12345")
    assert not is_valid_bin("18034002914a")


def test_slugs_are_readable_for_kazakh_and_russian_names() -> None:
    assert services.slugify("Қазақ Тілі AI") == "qazaq-tili-ai"
    assert services.slugify("Умный Дом") == "umnyi-dom"
    owner = founder()
    first = services.create_startup(owner, Profile(name="Жол"))
    second = services.create_startup(owner, Profile(name="Жол"))
    assert first.slug == "zhol"
    assert second.slug.startswith("zhol-")
    assert second.slug != first.slug


def test_a_profile_cannot_point_at_someone_elses_file() -> None:
    victim = founder()
    their_file = complete_profile(victim).deck_file_id
    thief = founder()
    with pytest.raises(services.StartupError):
        services.create_startup(thief, Profile(name="Thief", deck_file_id=their_file))


def test_a_logo_cannot_stand_in_for_a_deck() -> None:
    owner = founder()
    logo_id = complete_profile(owner).logo_file_id
    with pytest.raises(services.StartupError):
        services.create_startup(owner, Profile(name="Sneaky", deck_file_id=logo_id))


def test_archiving_withdraws_proposed_changes() -> None:
    owner = founder()
    startup = startup_in(S.APPROVED, owner)
    services.save_profile(startup, Profile.of(startup).replace(tagline="Changed"), actor=owner)
    services.submit_for_review(startup, actor=owner)
    revision = services.open_revision(startup)
    assert revision is not None
    services.change_status(startup, S.ARCHIVED, actor=UserFactory(role=Role.HUB_STAFF))
    assert revision.status == RevisionStatus.WITHDRAWN
    assert services.open_revision(startup) is None
    with pytest.raises(services.TransitionRefused):  # nothing can be approved onto an archived profile
        services.change_revision_status(revision, RevisionStatus.APPROVED, actor=UserFactory(role=Role.HUB_STAFF))
    assert startup.tagline == "Water sensors for irrigation canals"


def test_discarding_answered_changes_withdraws_them_with_a_record() -> None:
    owner = founder()
    startup = startup_in(S.APPROVED, owner)
    services.save_profile(startup, Profile.of(startup).replace(tagline="Changed"), actor=owner)
    services.submit_for_review(startup, actor=owner)
    services.decide(startup, "changes_requested", actor=UserFactory(role=Role.HUB_STAFF), comment="Say more")
    revision = services.open_revision(startup)
    assert revision is not None
    services.discard_revision(startup, actor=owner)
    assert revision.status == RevisionStatus.WITHDRAWN
    last = db.session.scalars(select(ReviewEvent).order_by(ReviewEvent.id.desc())).first()
    assert last is not None
    assert (last.from_status, last.to_status, last.actor_id) == ("changes_requested", "withdrawn", owner.id)


def test_an_unsent_draft_of_changes_is_simply_dropped() -> None:
    owner = founder()
    startup = startup_in(S.APPROVED, owner)
    services.save_profile(startup, Profile.of(startup).replace(tagline="Changed"), actor=owner)
    services.discard_revision(startup, actor=owner)
    assert db.session.scalar(select(func.count(StartupRevision.id))) == 0


@pytest.mark.parametrize("decision", ["archived", "submitted", "draft", "nonsense"])
def test_decide_accepts_only_the_three_decisions(decision: str) -> None:
    startup = startup_in(S.SUBMITTED)
    with pytest.raises(services.TransitionRefused):
        services.decide(startup, decision, actor=UserFactory(role=Role.HUB_STAFF), comment="x")
    assert startup.status == S.SUBMITTED


def test_the_database_allows_one_open_revision_per_startup() -> None:
    from sqlalchemy.exc import IntegrityError

    startup = startup_in(S.APPROVED)
    data = Profile.of(startup).to_json()
    db.session.add(StartupRevision(startup_id=startup.id, status=RevisionStatus.DRAFT, data=data))
    db.session.flush()

    def add_a_second_open_revision() -> None:
        with db.session.begin_nested():
            db.session.add(StartupRevision(startup_id=startup.id, status=RevisionStatus.SUBMITTED, data=data))

    with pytest.raises(IntegrityError):
        add_a_second_open_revision()


def test_a_decision_on_a_stale_copy_is_refused() -> None:
    from sqlalchemy import update
    from sqlalchemy.orm.exc import StaleDataError

    from dealflow.models import Startup

    startup = startup_in(S.SUBMITTED)
    # Another request decided meanwhile: the row's version moved on under our loaded copy.
    db.session.execute(
        update(Startup.__table__).where(Startup.__table__.c.id == startup.id).values(version=startup.version + 1)
    )
    with pytest.raises(StaleDataError):
        services.decide(startup, "approved", actor=UserFactory(role=Role.HUB_STAFF))
