"""The worker's periodic jobs: their schedule, and what each one leaves behind."""

from __future__ import annotations

import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from sqlalchemy import select

from dealflow.evidence import checkpoints, ledger, open_data_files
from dealflow.extensions import db, file_store
from dealflow.investors import services as investor_services
from dealflow.investors.queries import DiscoveryQuery
from dealflow.jobs import make_huey, queue_of, tasks
from dealflow.models import OutboxMessage, OutboxStatus, StartupStatus, StoredFile, utcnow
from dealflow.startups import pruning
from tests.billing_helpers import give_pro, turn_billing_on
from tests.match_helpers import match
from tests.startup_helpers import complete_profile, investor, startup_in
from tests.test_outbox_faults import REDIS_URL


def periodic(app: Flask) -> dict[str, Any]:
    huey = queue_of(app).huey
    return {task.__name__: task() for task in huey._registry._periodic_tasks}


def runs_at(task: Any, moment: datetime) -> bool:
    return bool(task.validate_datetime(moment))


def test_the_schedule_sweeps_every_minute_alerts_hourly_prunes_daily(app: Flask) -> None:
    jobs = periodic(app)
    assert set(jobs) == {
        "sweep_outbox",
        "send_alerts",
        "prune_uploads",
        "refresh_open_data",
        "purge_sent_mail",
        "issue_checkpoint",
    }
    day = datetime(2027, 3, 14)
    minutes = [day + timedelta(minutes=m) for m in range(24 * 60)]
    assert sum(runs_at(jobs["sweep_outbox"], m) for m in minutes) == 24 * 60
    assert sum(runs_at(jobs["send_alerts"], m) for m in minutes) == 24
    assert [m.strftime("%H:%M") for m in minutes if runs_at(jobs["prune_uploads"], m)] == ["21:20"]  # 02:20 Almaty
    assert sum(runs_at(jobs["refresh_open_data"], m) for m in minutes) == 24 * 4
    assert [m.strftime("%H:%M") for m in minutes if runs_at(jobs["purge_sent_mail"], m)] == ["21:40"]
    assert sum(runs_at(jobs["issue_checkpoint"], m) for m in minutes) == 24 * 60


def test_the_checkpoint_job_signs_a_grown_tree_once(app: Flask) -> None:
    match()  # two ledger events: the request and the acceptance
    size = tasks._checkpoint_size()
    assert size == checkpoints.latest_checkpoint().tree_size  # type: ignore[union-attr]
    assert size >= 2
    assert tasks._checkpoint_size() == 0  # nothing new since: no second checkpoint


def test_the_queue_is_chosen_by_its_url(tmp_path: Path) -> None:
    assert make_huey("immediate", "t").immediate
    assert type(make_huey("redis://127.0.0.1:6379/0", "t")).__name__ == "RedisHuey"
    assert type(make_huey(f"sqlite:///{tmp_path / 'q' / 'huey.db'}", "t")).__name__ == "SqliteHuey"
    with pytest.raises(ValueError, match="HUEY_URL must start with"):
        make_huey("memory://", "t")


def test_pruning_removes_unused_rows_and_orphan_files_older_than_a_day(app: Flask) -> None:
    owner = startup_in(StartupStatus.DRAFT).owner
    abandoned = complete_profile(owner)  # a logo and a deck no startup points at
    old = utcnow() - timedelta(days=2)
    for file_id in (abandoned.logo_file_id, abandoned.deck_file_id):
        stored = db.session.get(StoredFile, file_id)
        assert stored is not None
        stored.created_at = old
    db.session.flush()
    unused = list(
        db.session.scalars(
            select(StoredFile.storage_key).where(StoredFile.id.in_([abandoned.logo_file_id, abandoned.deck_file_id]))
        )
    )
    orphan_key, fresh_key = file_store.new_key("pdf"), file_store.new_key("pdf")
    file_store.save(orphan_key, b"%PDF- left by a request that rolled back")
    file_store.save(fresh_key, b"%PDF- being uploaded right now")
    stamp = time.time() - 2 * 86400
    os.utime(file_store.path(orphan_key), (stamp, stamp))
    used = list(db.session.scalars(select(StoredFile.storage_key).where(StoredFile.owner_id == owner.id)))

    plan = pruning.plan_pruning(utcnow() - timedelta(days=1))
    db.session.flush()
    pruning.unlink(plan)

    assert sorted(plan.keys) == sorted([*unused, orphan_key])
    assert plan.rows == 2
    assert not any(file_store.path(k).exists() for k in plan.keys)
    assert file_store.path(fresh_key).exists()  # too young: its form may still be open
    kept = [k for k in used if k not in unused]
    assert kept
    assert all(file_store.path(k).exists() for k in kept)
    file_store.delete(fresh_key)


def test_the_daily_prune_task_commits_then_unlinks(app: Flask) -> None:
    orphan = file_store.new_key("webp")
    file_store.save(orphan, b"RIFF....WEBP")
    stamp = time.time() - 3 * 86400
    os.utime(file_store.path(orphan), (stamp, stamp))
    assert tasks.prune_uploads(app) >= 1
    assert not file_store.path(orphan).exists()


def test_the_hourly_alerts_job_emails_through_the_outbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    turn_billing_on(app, monkeypatch)
    reader = investor()
    give_pro(reader)
    investor_services.save_search(reader, "Kyzylorda", DiscoveryQuery(regions=("KZ-43",)))
    startup_in(StartupStatus.APPROVED, name="Hourly Match", region_code="KZ-43")
    assert tasks.in_unit_of_work(app, tasks.send_alerts) == (1, 1)
    [row] = db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == reader.email)).all()
    assert "Kyzylorda" in row.subject
    assert "Hourly Match" in row.body
    assert row.status == OutboxStatus.SENT  # the job's end woke delivery (here: at once, in immediate mode)


def test_the_open_data_job_writes_the_current_heads_files(app: Flask) -> None:
    match()
    root = Path(app.config["OPEN_DATA_FOLDER"])
    written = tasks.in_unit_of_work(app, open_data_files.refresh_aggregate_files)
    expected = [f"{name}.{fmt}" for name in ("rollup", "slices", "funnel") for fmt in ("csv", "json")]
    assert sorted(p.name for p in written) == sorted(expected)
    assert all(p.is_file() and p.parent.parent == root for p in written)
    assert "intro_accepted" in (written[0].parent / "rollup.csv").read_text(encoding="utf-8")


def test_the_worker_command_refuses_an_immediate_queue(app: Flask, runner: Any) -> None:
    result = runner.invoke(args=["worker"])
    assert result.exit_code != 0
    assert "HUEY_URL is 'immediate'" in result.output


def test_writing_a_head_removes_only_older_heads_and_keeps_the_previous_one(
    app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(app.config, "OPEN_DATA_FOLDER", str(tmp_path / "open-data"))
    match()
    root = Path(app.config["OPEN_DATA_FOLDER"])
    count = ledger.current_head().event_count
    assert count >= 2
    oldest, previous, newer = (root / f"{count - 2}-aaaa", root / f"{count - 1}-bbbb", root / f"{count + 5}-cccc")
    for folder in (oldest, previous, newer):
        folder.mkdir(parents=True)
        (folder / "rollup.csv").write_text("old", encoding="utf-8")
    written = tasks.in_unit_of_work(app, open_data_files.refresh_aggregate_files)
    assert not oldest.exists()
    assert previous.exists()  # a download may still be streaming from it
    assert newer.exists()  # another worker wrote a newer head first: not ours to remove
    assert written[0].parent.exists()


def test_a_periodic_job_runs_on_one_worker_at_a_time_across_the_redis_queue() -> None:
    name = f"dealflow-test-lock-{uuid.uuid4().hex[:10]}"
    first, second = make_huey(REDIS_URL, name), make_huey(REDIS_URL, name)  # two worker hosts, one queue
    seen: list[str] = []

    def job() -> str:
        seen.append(tasks.run_alone(second, "send_alerts", lambda: "ran twice", "skipped"))
        return "ran"

    try:
        assert tasks.run_alone(first, "send_alerts", job, "skipped") == "ran"
        assert seen == ["skipped"]  # the other worker found the job running
        assert tasks.run_alone(second, "send_alerts", lambda: "ran again", "skipped") == "ran again"  # released
        assert tasks.run_alone(second, "prune_uploads", lambda: "other job", "skipped") == "other job"
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(match=f"*{name}*"):
            client.delete(key)
        client.close()


def test_the_periodic_alerts_job_is_skipped_while_another_worker_runs_it(app: Flask) -> None:
    huey = queue_of(app).huey
    release = tasks._acquire(huey, "send_alerts")
    assert release is not None
    try:
        assert huey.execute(periodic(app)["send_alerts"]) == (0, 0)
    finally:
        release()
    assert tasks._acquire(huey, "send_alerts") is not None


def test_the_bodies_of_mail_sent_over_30_days_ago_are_purged(app: Flask) -> None:
    old, recent, waiting = (
        OutboxMessage(message_id=f"<{n}@t>", sender="a@b.kz", recipient="r@aral.kz", subject="s", body="personal")
        for n in ("old", "recent", "waiting")
    )
    old.status = recent.status = OutboxStatus.SENT
    old.sent_at, recent.sent_at = utcnow() - timedelta(days=31), utcnow() - timedelta(days=29)
    db.session.add_all([old, recent, waiting])
    db.session.flush()
    huey = queue_of(app).huey
    assert huey.execute(periodic(app)["purge_sent_mail"]) == 1
    for row in (old, recent, waiting):
        db.session.refresh(row)
    assert (old.body, recent.body, waiting.body) == ("", "personal", "personal")
    assert old.subject == "s"  # the record stays
