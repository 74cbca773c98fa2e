"""Two reviewers deciding the same item at the same moment, each on a real connection of its own."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from dealflow.extensions import db
from dealflow.models import ReviewEvent, Role, Startup, StartupStatus
from tests.conftest import Auth, TestDatabase, make_app
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import startup_in
from tests.test_review import staff_of

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
        first, second = staff_of(), staff_of()  # both from hubs that serve the startup's region
        db.session.commit()
        startup_id, emails = startup.id, (first.email, second.email)

    both_loaded = threading.Barrier(2, timeout=30)
    outcomes: dict[str, str] = {}

    def reviewer(email: str, decision: str, comment: str) -> None:
        browser = race_app.test_client()  # each request: its own app context, session and connection
        Auth(browser).login(email, PASSWORD)
        page = browser.get(f"/review/{startup_id}").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        seen = re.search(r'name="seen_version" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        both_loaded.wait()
        response = browser.post(
            f"/review/{startup_id}/decide",
            data={"csrf_token": token, "decision": decision, "comment": comment, "seen_version": seen},
        )
        assert response.status_code == 302
        shown = browser.get(response.headers["Location"]).get_data(as_text=True)
        if "is recorded and the founder is told" in shown:
            outcomes[decision] = "recorded"
        elif "Someone else acted on this item a moment ago" in shown:
            outcomes[decision] = "refused"
        else:
            outcomes[decision] = "unexplained"

    threads = [
        threading.Thread(target=reviewer, args=(emails[0], "approved", "")),
        threading.Thread(target=reviewer, args=(emails[1], "rejected", "Not a fit for the programme.")),
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


def test_sqlite_writers_queue_on_the_write_lock_and_always_release_it(race_app: Flask) -> None:
    """Writers wait for each other on a file lock, which every request gives back, failed ones included."""
    import fcntl

    with race_app.app_context():
        if db.engine.dialect.name != "sqlite":
            pytest.skip("the write lock serves SQLite; PostgreSQL locks rows itself")
        path = f"{db.engine.url.database}.writelock"
        investor = UserFactory(role=Role.INVESTOR)
        startup = startup_in(StartupStatus.APPROVED)
        db.session.commit()
        startup_id, email = startup.id, investor.email

    def lock_is_free() -> bool:
        with open(path, "a+") as probe:
            try:
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(probe, fcntl.LOCK_UN)
            return True

    browser = race_app.test_client()
    Auth(browser).login(email, PASSWORD)
    page = browser.get("/startups/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    assert browser.post(f"/startups/{startup_id}/bookmark", data={"csrf_token": token}).status_code == 302
    assert lock_is_free()
    assert browser.post("/startups/999999/bookmark", data={"csrf_token": token}).status_code == 404
    assert lock_is_free()

    held = open(path, "a+")  # noqa: SIM115 -- held across the request below on purpose
    fcntl.flock(held, fcntl.LOCK_EX)
    done = threading.Event()
    statuses: list[int] = []

    def toggle() -> None:  # the main thread does not touch the client meanwhile
        statuses.append(browser.post(f"/startups/{startup_id}/bookmark", data={"csrf_token": token}).status_code)
        done.set()

    worker = threading.Thread(target=toggle)
    worker.start()
    assert not done.wait(0.5)  # the second writer waits for the lock…
    fcntl.flock(held, fcntl.LOCK_UN)
    held.close()
    assert done.wait(10)  # …and goes on the moment it is free
    worker.join()
    assert statuses == [302]
    assert lock_is_free()
