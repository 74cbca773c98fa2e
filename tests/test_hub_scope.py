"""Hub staff decide only the submissions from their hub's regions; everyone on staff may read them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import ReviewClaim, ReviewEvent, Role, StartupStatus
from dealflow.review import services as review
from dealflow.startups import services as startups
from dealflow.startups.profile import Profile
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import startup_in
from tests.test_review import decide_form, staff_of


def decisions(startup_id: int) -> int:
    query = select(func.count(ReviewEvent.id)).where(
        ReviewEvent.startup_id == startup_id, ReviewEvent.to_status != "submitted"
    )
    return db.session.scalar(query) or 0


def test_staff_of_another_hub_read_but_see_no_buttons_and_are_refused(auth: Auth, client: Any, post_form: Any) -> None:
    startup = startup_in(StartupStatus.SUBMITTED)  # Kyzylorda, KZ-43
    outsider = staff_of("KZ-27")
    auth.login(outsider.email, PASSWORD)
    page = client.get(f"/review/{startup.id}").get_data(as_text=True)
    assert startup.name in page
    assert "outside your hub's regions" in page
    assert "Record the decision" not in page
    assert "Claim this review" not in page
    post_form(f"/review/{startup.id}/claim", {}, form_page=f"/review/{startup.id}")
    assert db.session.get(ReviewClaim, startup.id) is None
    seen = review.waiting_version(startup)
    response = post_form(
        f"/review/{startup.id}/decide",
        {"decision": "approved", "comment": "", "seen_version": seen},
        form_page=f"/review/{startup.id}",
    )
    assert "outside your hub&#39;s regions" in response.get_data(as_text=True)
    assert decisions(startup.id) == 0
    db.session.refresh(startup)
    assert startup.status == StartupStatus.SUBMITTED


@pytest.mark.parametrize("hub_region", ["KZ-27", None])
def test_the_service_refuses_staff_outside_the_region_or_without_a_hub(hub_region: str | None) -> None:
    startup = startup_in(StartupStatus.SUBMITTED)
    reviewer = staff_of(hub_region) if hub_region else UserFactory(role=Role.HUB_STAFF, hub=None)
    seen = review.waiting_version(startup)
    with pytest.raises(review.OutsideHubScope):
        review.claim(startup, reviewer)
    with pytest.raises(review.OutsideHubScope):
        review.decide(startup, reviewer, decision="approved", comment=None, seen_version=seen)
    with pytest.raises(review.OutsideHubScope):
        review.score(startup, reviewer, team=3, market=3, traction=3, note=None)
    assert decisions(startup.id) == 0


def test_staff_of_the_regions_hub_and_admins_decide(auth: Auth, client: Any) -> None:
    first, second = startup_in(StartupStatus.SUBMITTED), startup_in(StartupStatus.SUBMITTED, name="Second")
    local = staff_of("KZ-43")
    review.decide(first, local, decision="approved", comment=None, seen_version=review.waiting_version(first))
    admin = UserFactory(role=Role.ADMIN, hub=None)
    auth.login(admin.email, PASSWORD)
    assert "Record the decision" in client.get(f"/review/{second.id}").get_data(as_text=True)
    assert decide_form(client, second.id, "approved").status_code == 302
    assert decisions(first.id) == decisions(second.id) == 1


def test_submitted_changes_that_move_the_listing_are_decided_by_the_hub_of_the_new_region() -> None:
    startup = startup_in(StartupStatus.APPROVED)
    assert startup.region_code == "KZ-43"
    owner = startup.owner
    startups.save_profile(startup, Profile.of(startup).replace(region_code="KZ-27"), actor=owner)
    old_hub, new_hub = staff_of("KZ-43"), staff_of("KZ-27")
    assert review.may_decide(old_hub, startup)  # only a draft so far: the listing's own region counts
    startups.submit_for_review(startup, actor=owner)
    assert not review.may_decide(old_hub, startup)  # the old hub reads, but does not decide the move
    assert review.may_decide(new_hub, startup)
    with pytest.raises(review.OutsideHubScope):
        review.claim(startup, old_hub)
    assert review.claim(startup, new_hub).reviewer_id == new_hub.id
