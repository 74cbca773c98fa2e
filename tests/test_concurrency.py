"""Two reviewers deciding the same item at the same moment, each on a real connection of its own."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from dealflow.extensions import db
from dealflow.models import ReviewEvent, Role, Startup, StartupStatus, User
from dealflow.review import services as review
from tests.conftest import TestDatabase, make_app
from tests.factories import UserFactory
from tests.startup_helpers import startup_in

pytestmark = pytest.mark.own_database


@pytest.fixture
def race_app(test_databases: TestDatabase, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = make_app(test_databases.create("race"), UPLOAD_FOLDER=str(tmp_path_factory.mktemp("race-uploads")))
    yield app
    with app.app_context():
        db.engine.dispose()


def test_exactly_one_of_two_simultaneous_decisions_is_recorded(race_app: Flask) -> None:
    with race_app.app_context():
        startup = startup_in(StartupStatus.SUBMITTED)
        first, second = UserFactory(role=Role.HUB_STAFF), UserFactory(role=Role.HUB_STAFF)
        db.session.commit()
        startup_id, reviewer_ids = startup.id, (first.id, second.id)

    both_loaded = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def reviewer(staff_id: int, decision: str, comment: str | None) -> None:
        with race_app.app_context():  # its own session, on its own connection
            item = db.session.get(Startup, startup_id)
            staff = db.session.get(User, staff_id)
            assert item is not None
            assert staff is not None
            seen = review.waiting_version(item)
            both_loaded.wait()
            try:
                review.decide(item, staff, decision=decision, comment=comment, seen_version=seen)
                db.session.commit()
                outcomes[decision] = "recorded"
            except (StaleDataError, review.DecidedMeanwhile, OperationalError):
                db.session.rollback()
                outcomes[decision] = "refused"

    threads = [
        threading.Thread(target=reviewer, args=(reviewer_ids[0], "approved", None)),
        threading.Thread(target=reviewer, args=(reviewer_ids[1], "rejected", "Not a fit for the programme.")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes.values()) == ["recorded", "refused"]
    with race_app.app_context():
        decided: Any = db.session.scalars(
            select(ReviewEvent.to_status).where(
                ReviewEvent.startup_id == startup_id, ReviewEvent.to_status.in_(["approved", "rejected"])
            )
        ).all()
        final = db.session.get(Startup, startup_id)
        assert final is not None
        winner = next(decision for decision, outcome in outcomes.items() if outcome == "recorded")
        assert decided == [winner]
        assert final.status == StartupStatus(winner)
