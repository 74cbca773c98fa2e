"""Pruning and a founder attaching an old upload at the same moment: the founder's file is never lost."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select, text, update

from dealflow.extensions import db, file_store
from dealflow.models import Startup, StartupRevision, StartupStatus, StoredFile, utcnow
from dealflow.startups import pruning
from tests.conftest import TestDatabase, make_app
from tests.startup_helpers import complete_profile, startup_in

pytestmark = pytest.mark.own_database


@pytest.fixture
def own_app(test_databases: TestDatabase, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(test_databases.create(f"prune_{uuid.uuid4().hex[:8]}"), UPLOAD_FOLDER=str(tmp_path / "uploads"))
    yield app
    with app.app_context():
        db.engine.dispose()


def _old_unattached_upload(app: Flask) -> tuple[int, int, str]:
    """A draft startup and a logo its founder uploaded two days ago and has not attached yet."""
    with app.app_context():
        startup = startup_in(StartupStatus.DRAFT)
        profile = complete_profile(startup.owner)
        stored = db.session.get(StoredFile, profile.logo_file_id)
        assert stored is not None
        stored.created_at = utcnow() - timedelta(days=2)
        ids = startup.id, stored.id, stored.storage_key
        db.session.commit()
        return ids


def test_an_upload_being_attached_while_pruning_runs_is_kept(own_app: Flask) -> None:
    startup_id, file_id, key = _old_unattached_upload(own_app)
    with own_app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite has one writer at a time: an attach and a prune cannot overlap")
        founder = db.engine.connect()  # the founder's request, its transaction still open
        founder.execute(update(Startup).where(Startup.id == startup_id).values(logo_file_id=file_id))
        db.session.execute(text("SET lock_timeout = '3s'"))
        plan = pruning.plan_pruning(utcnow() - timedelta(days=1))
        db.session.commit()
        pruning.unlink(plan)
        founder.commit()
        founder.close()
        assert key not in plan.keys
        assert db.session.get(StoredFile, file_id) is not None
        assert db.session.scalar(select(Startup.logo_file_id).where(Startup.id == startup_id)) == file_id
        assert file_store.path(key).exists()


def test_an_upload_a_pending_revision_names_is_kept(own_app: Flask) -> None:
    startup_id, file_id, key = _old_unattached_upload(own_app)
    with own_app.app_context():
        db.session.add(StartupRevision(startup_id=startup_id, data={"logo_file_id": file_id}))
        db.session.commit()
        plan = pruning.plan_pruning(utcnow() - timedelta(days=1))
        db.session.commit()
        assert key not in plan.keys
        assert db.session.get(StoredFile, file_id) is not None
