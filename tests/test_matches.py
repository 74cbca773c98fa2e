"""Intro requests, answers, matches, progress and closes: the rules, the pages and the emails."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import func, select

from dealflow.billing import plans as billing
from dealflow.extensions import db
from dealflow.matches import queries, services
from dealflow.models import (
    Currency,
    DeckVisibility,
    Instrument,
    IntroRequest,
    IntroStatus,
    MatchEvent,
    MatchProgress,
    Notification,
    ProgressKind,
    ProgressStatus,
    Role,
    StartupStatus,
)
from dealflow.startups import access
from dealflow.startups.queries import latest_intro
from tests.billing_helpers import give_pro, turn_billing_on
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory
from tests.match_helpers import close, listed, match, ready_investor
from tests.startup_helpers import founder, startup_in
from tests.test_email import Inbox, body, free_port, subject

pytestmark = pytest.mark.date_sensitive  # windows, allowances and waits are counted from today


def kinds() -> list[str]:
    """The ledger's match events in order (startups submitted and approved are ledger events too: left out)."""
    query = select(MatchEvent.kind).where(MatchEvent.kind.not_like("startup_%")).order_by(MatchEvent.seq)
    return list(db.session.scalars(query))


def browser(app: Flask, email: str) -> Any:
    """A separate logged-in client: each person in a test has their own session."""
    client = app.test_client()
    Auth(client).login(email, PASSWORD)
    return client


def post(client: Any, path: str, data: dict[str, str], form_page: str) -> Any:
    return client.post(path, data={"csrf_token": csrf_token(client, form_page), **data})


def test_a_match_reveals_contacts_to_exactly_the_two_parties(app: Flask) -> None:
    owner = founder()
    startup = startup_in(StartupStatus.APPROVED, owner)  # contacts: team@aralwater.kz, +7 701 234 5678
    asker = ready_investor(email="asker@steppe.example")
    other = ready_investor(email="other@steppe.example")
    page_path = f"/startups/{startup.slug}"

    investor_client = browser(app, asker.email)
    before = investor_client.get(page_path).get_data(as_text=True)
    assert "team@aralwater.kz" not in before
    assert "Request an intro" in before
    response = post(
        investor_client, f"/startups/{startup.id}/intro", {"message": "We back agritech in Kyzylorda."}, page_path
    )
    assert response.status_code == 302
    waiting = investor_client.get(page_path).get_data(as_text=True)
    assert "The founder has not answered yet." in waiting
    assert "team@aralwater.kz" not in waiting

    founder_client = browser(app, owner.email)
    inbox = founder_client.get("/founder/intros").get_data(as_text=True)
    assert "We back agritech in Kyzylorda." in inbox
    assert asker.name in inbox
    assert "asker@steppe.example" not in inbox  # not before the founder accepts
    intro = db.session.scalar(select(IntroRequest).where(IntroRequest.investor_id == asker.id))
    assert intro is not None
    accepted = post(
        founder_client, f"/intros/{intro.id}/answer", {f"i{intro.id}-decision": "accepted"}, "/founder/intros"
    )
    assert accepted.headers["Location"] == f"/matches/{intro.id}"
    match_page = founder_client.get(f"/matches/{intro.id}").get_data(as_text=True)
    assert "asker@steppe.example" in match_page
    assert "team@aralwater.kz" in match_page

    for page in (investor_client.get(page_path), investor_client.get(f"/matches/{intro.id}")):
        text = page.get_data(as_text=True)
        assert "team@aralwater.kz" in text
        assert "+7 701 234 5678" in text

    outsider = browser(app, other.email)
    assert "team@aralwater.kz" not in outsider.get(page_path).get_data(as_text=True)
    assert outsider.get(f"/matches/{intro.id}").status_code == 404
    for stranger in (founder(), UserFactory(role=Role.HUB_STAFF), UserFactory(role=Role.ADMIN)):
        assert browser(app, stranger.email).get(f"/matches/{intro.id}").status_code == 404
    assert app.test_client().get(f"/matches/{intro.id}").status_code == 302  # anonymous: log in first
    assert access.has_match(asker, startup)
    assert not access.has_match(other, startup)
    assert not access.has_match(owner, startup)
    assert kinds() == ["intro_requested", "intro_accepted"]


def test_a_matched_only_deck_opens_for_the_matched_investor(app: Flask) -> None:
    startup = startup_in(StartupStatus.APPROVED, deck_visibility=DeckVisibility.MATCHED_INVESTORS)
    asker, other = ready_investor(), ready_investor()
    assert browser(app, asker.email).get(f"/files/{startup.deck_file_id}").status_code == 404
    match(asker, startup)
    with browser(app, asker.email).get(f"/files/{startup.deck_file_id}") as response:
        assert response.status_code == 200
    assert browser(app, other.email).get(f"/files/{startup.deck_file_id}").status_code == 404


def test_a_matched_investor_opens_a_verified_only_deck_even_before_being_verified(app: Flask) -> None:
    startup = startup_in(StartupStatus.APPROVED, deck_visibility=DeckVisibility.VERIFIED_INVESTORS)
    asker = ready_investor()
    asker.investor_profile.verified_at = None  # type: ignore[union-attr]
    db.session.flush()
    assert not asker.is_verified_investor
    client = browser(app, asker.email)
    assert client.get(f"/files/{startup.deck_file_id}").status_code == 404
    intro = match(asker, startup)
    page = client.get(f"/matches/{intro.id}").get_data(as_text=True)
    assert f"/files/{startup.deck_file_id}" in page  # the link is there only because it opens
    with client.get(f"/files/{startup.deck_file_id}") as response:
        assert response.status_code == 200


def test_the_message_is_required_and_kept_when_too_long(app: Flask) -> None:
    startup = listed()
    client = browser(app, ready_investor().email)
    form_page = f"/startups/{startup.id}/intro"
    empty = post(client, form_page, {"message": "  "}, form_page)
    assert empty.status_code == 200
    assert "Write a short message to the founder" in empty.get_data(as_text=True)
    long_message = "Steppe " * 200
    too_long = post(client, form_page, {"message": long_message}, form_page).get_data(as_text=True)
    assert "Field cannot be longer than 1000 characters." in too_long
    assert long_message.strip() in too_long
    assert db.session.scalar(select(func.count(IntroRequest.id))) == 0


def test_one_pending_request_per_pair_then_withdraw_and_ask_again(app: Flask) -> None:
    startup = listed()
    investor = ready_investor()
    client = browser(app, investor.email)
    form_page = f"/startups/{startup.id}/intro"
    assert post(client, form_page, {"message": "First"}, form_page).status_code == 302
    again = post(client, form_page, {"message": "Second"}, form_page).get_data(as_text=True)
    assert "The founder has not answered yet." in again
    intro = latest_intro(investor.id, startup.id)
    assert intro is not None
    post(client, f"/intros/{intro.id}/withdraw", {}, "/investor/intros")
    db.session.refresh(intro)
    assert intro.status == IntroStatus.WITHDRAWN
    soon = post(client, form_page, {"message": "Too soon"}, form_page).get_data(as_text=True)
    assert "You withdrew your last request to this startup." in soon
    intro.decided_at = intro.decided_at - timedelta(days=8)  # type: ignore[operator]
    db.session.flush()
    assert post(client, form_page, {"message": "Third"}, form_page).status_code == 302
    assert db.session.scalars(select(IntroRequest.status).order_by(IntroRequest.id)).all() == [
        IntroStatus.WITHDRAWN,
        IntroStatus.PENDING,
    ]
    assert kinds() == ["intro_requested", "intro_requested"]  # the withdrawn request still happened


def test_intro_rules_refuse_with_a_reason() -> None:
    startup = listed()
    incomplete = UserFactory(role=Role.INVESTOR)
    with pytest.raises(services.MatchError, match="Fill in your investor profile"):
        services.request_intro(incomplete, startup, "Hello")
    with pytest.raises(services.MatchError, match="Only investors"):
        services.request_intro(founder(), startup, "Hello")
    draft = listed(status=StartupStatus.DRAFT)
    with pytest.raises(services.MatchError, match="Only listed startups"):
        services.request_intro(ready_investor(), draft, "Hello")

    investor = ready_investor()
    declined = services.request_intro(investor, startup, "Hello")
    services.decline_intro(startup.owner, declined, "Not now")
    with pytest.raises(services.MatchError, match="declined your last request"):
        services.request_intro(investor, startup, "Again")
    later = datetime.now(UTC) + timedelta(days=31)
    assert services.request_intro(investor, startup, "A month later", at=later).status == IntroStatus.PENDING

    with pytest.raises(services.MatchError, match="not for your startup"):
        services.accept_intro(founder(), declined, None)
    with pytest.raises(services.MatchError, match="answered or withdrawn"):
        services.accept_intro(startup.owner, declined, None)


def test_pending_requests_and_the_free_monthly_allowance_are_counted_per_investor(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    investor = ready_investor()
    startups = [listed(name=f"Limit {n}") for n in range(5)]
    monkeypatch.setattr(services, "MAX_PENDING_PER_INVESTOR", 2)
    services.request_intro(investor, startups[0], "One")
    services.request_intro(investor, startups[1], "Two")
    with pytest.raises(services.MatchError, match="2 intro requests waiting for an answer"):
        services.request_intro(investor, startups[2], "Three")

    monkeypatch.setattr(services, "MAX_PENDING_PER_INVESTOR", 10)
    third = services.request_intro(investor, startups[2], "Three")
    services.withdraw_intro(investor, third)  # a withdrawn request still counts against the month
    now = datetime.now(UTC)
    assert queries.intro_requests_this_month(investor.id, now) == 3
    with pytest.raises(billing.PlanLimitReached) as refused:
        services.request_intro(investor, startups[3], "Four")
    assert (refused.value.limit, refused.value.used) == (3, 3)
    assert db.session.scalar(select(func.count(IntroRequest.id))) == 3  # nothing was added
    next_month = billing.intro_month_start(now) + timedelta(days=32)
    assert queries.intro_requests_this_month(investor.id, next_month) == 0

    turn_billing_on(app, monkeypatch)
    give_pro(investor)
    for startup in startups[3:]:  # Pro: no monthly allowance
        assert services.request_intro(investor, startup, "More").status == IntroStatus.PENDING


def test_the_request_page_counts_down_and_offers_the_upgrade_keeping_the_message(app: Flask) -> None:
    investor = ready_investor()
    client = browser(app, investor.email)
    first = listed(name="Counted Down")
    page = client.get(f"/startups/{first.id}/intro").get_data(as_text=True)
    assert "You can send 3 more intro requests this month on the Free plan." in page
    for n in range(3):
        startup = listed(name=f"Allowance {n}")
        assert (
            post(
                client, f"/startups/{startup.id}/intro", {"message": "Hello"}, f"/startups/{startup.id}/intro"
            ).status_code
            == 302
        )
    refused = post(client, f"/startups/{first.id}/intro", {"message": "My fourth, kept"}, f"/startups/{first.id}/intro")
    shown = refused.get_data(as_text=True)
    assert refused.status_code == 200
    assert 'data-upgrade-prompt="intro_requests"' in shown
    assert "You have used all 3 intro requests of the Free plan this month." in shown
    assert "My fourth, kept" in shown  # nothing typed is lost
    assert db.session.scalar(select(func.count(IntroRequest.id)).where(IntroRequest.startup_id == first.id)) == 0


def test_intro_requests_are_rate_limited_per_investor(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(app.config, "INTRO_REQUEST_LIMIT", "2 per hour")
    investor = ready_investor()
    client = browser(app, investor.email)
    statuses = []
    for n in range(3):
        startup = listed(name=f"Busy {n}")
        form_page = f"/startups/{startup.id}/intro"
        statuses.append(post(client, form_page, {"message": "Hello"}, form_page).status_code)
    assert statuses == [302, 302, 429]


def test_a_withdrawal_that_won_the_race_refuses_the_acceptance(app: Flask) -> None:
    startup = listed()
    investor = ready_investor()
    intro = services.request_intro(investor, startup, "Hello")
    founder_client = browser(app, startup.owner.email)
    token = csrf_token(founder_client, "/founder/intros")
    services.withdraw_intro(investor, intro)
    shown = founder_client.post(
        f"/intros/{intro.id}/answer", data={"csrf_token": token, f"i{intro.id}-decision": "accepted"}
    )
    assert shown.status_code == 302
    assert "answered or withdrawn meanwhile" in founder_client.get("/founder/intros").get_data(as_text=True)
    assert kinds() == ["intro_requested"]


def test_meetings_count_at_once_and_a_close_only_once_the_other_side_confirms(app: Flask) -> None:
    intro = match()
    investor_client = browser(app, intro.investor.email)
    match_path = f"/matches/{intro.id}"
    recorded = post(investor_client, f"{match_path}/progress", {"kind": "meeting", "note": "Call"}, match_path)
    assert recorded.status_code == 302
    assert kinds()[-1] == "meeting"

    missing = post(investor_client, f"{match_path}/progress", {"kind": "investment_closed"}, match_path)
    assert "Enter the amount invested." in missing.get_data(as_text=True)
    logged = post(
        investor_client,
        f"{match_path}/progress",
        {"kind": "investment_closed", "amount": "52000000", "currency": "KZT", "instrument": "safe"},
        match_path,
    )
    assert logged.status_code == 302
    progress = db.session.scalar(select(MatchProgress).where(MatchProgress.kind == ProgressKind.INVESTMENT_CLOSED))
    assert progress is not None
    assert progress.status == ProgressStatus.AWAITING_CONFIRMATION
    assert progress.amount_usd == Decimal("100000.00")  # 52 million tenge at 520 to the dollar
    assert "investment_closed" not in kinds()  # an unconfirmed close is not counted

    answer_path, confirm = f"{match_path}/progress/{progress.id}", {f"p{progress.id}-decision": "confirmed"}
    assert post(investor_client, answer_path, confirm, match_path).status_code == 302
    assert "The other side of the match confirms" in investor_client.get(match_path).get_data(as_text=True)
    assert "investment_closed" not in kinds()

    founder_client = browser(app, intro.startup.owner.email)
    page = founder_client.get(match_path).get_data(as_text=True)
    assert "Confirm the investment" in page
    post(founder_client, answer_path, confirm, match_path)
    db.session.refresh(progress)
    assert progress.status == ProgressStatus.CONFIRMED
    closed = db.session.scalar(select(MatchEvent).where(MatchEvent.kind == "investment_closed"))
    assert closed is not None
    assert closed.amount_usd == Decimal("100000.00")


def test_a_disputed_close_is_not_counted() -> None:
    intro = match()
    progress = close(intro, confirm=False)
    services.decide_close(intro.startup.owner, progress, confirmed=False)
    assert progress.status == ProgressStatus.DISPUTED
    assert "investment_closed" not in kinds()
    with pytest.raises(services.MatchError, match="Nothing waits for confirmation"):
        services.decide_close(intro.startup.owner, progress, confirmed=True)


def test_progress_is_for_the_two_sides_of_a_match_only() -> None:
    intro = match()
    with pytest.raises(services.MatchError, match="Only the two sides"):
        services.log_progress(ready_investor(), intro, ProgressKind.MEETING, occurred_on=None, note=None)
    pending = services.request_intro(ready_investor(), listed(name="Pending"), "Hello")
    with pytest.raises(services.MatchError, match="Only the two sides"):
        services.log_progress(pending.investor, pending, ProgressKind.MEETING, occurred_on=None, note=None)
    tomorrow = datetime.now(ZoneInfo("Asia/Almaty")).date() + timedelta(days=1)
    with pytest.raises(services.MatchError, match="in the future"):
        services.log_progress(intro.investor, intro, ProgressKind.MEETING, occurred_on=tomorrow, note=None)
    first = close(intro, confirm=False)
    with pytest.raises(services.MatchError, match="already waits for confirmation"):
        services.log_progress(
            intro.investor,
            intro,
            ProgressKind.INVESTMENT_CLOSED,
            occurred_on=None,
            note=None,
            amount=Decimal(1000),
            currency=Currency.USD,
            instrument=Instrument.EQUITY,
        )
    assert first.status == ProgressStatus.AWAITING_CONFIRMATION


def test_investors_list_their_intros_and_founders_see_waiting_ones_first(app: Flask) -> None:
    owner = founder()
    investor = ready_investor()
    answered = listed(name="Answered", owner=owner)
    waiting = listed(name="Waiting", owner=owner)
    declined = services.request_intro(investor, answered, "Message one")
    services.decline_intro(owner, declined, "We are not raising now.")
    services.request_intro(investor, waiting, "Message two")
    mine = browser(app, investor.email).get("/investor/intros").get_data(as_text=True)
    assert "We are not raising now." in mine
    assert "Declined" in mine
    assert "Waiting for the founder" in mine
    founder_client = browser(app, owner.email)
    inbox = founder_client.get("/founder/intros").get_data(as_text=True)
    assert inbox.index("Message two") < inbox.index("Message one")
    assert "Intro requests waiting for your answer: 1." in founder_client.get("/founder/").get_data(as_text=True)


# -- email and notifications -----------------------------------------------------------------


@pytest.fixture
def smtp(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    collected = Inbox()
    port = free_port()
    controller = Controller(collected, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_BACKEND", "smtp")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield collected
    finally:
        controller.stop()


def test_each_step_is_emailed_and_notified_in_the_readers_language(app: Flask, smtp: Inbox) -> None:
    owner = UserFactory(role=Role.FOUNDER, email="owner@aral.kz", locale="ru")
    startup = startup_in(StartupStatus.APPROVED, owner)
    investor = ready_investor(email="fund@steppe.example", locale="en", name="Timur Fund")
    page_path = f"/startups/{startup.slug}"
    investor_client = browser(app, investor.email)
    post(investor_client, f"/startups/{startup.id}/intro", {"message": "Let us talk about irrigation."}, page_path)
    [request_mail] = smtp.to("owner@aral.kz")
    assert subject(request_mail) == "Запрос на знакомство с Aral Water от Timur Fund"
    assert "Let us talk about irrigation." in body(request_mail)

    intro = latest_intro(investor.id, startup.id)
    assert intro is not None
    founder_client = browser(app, owner.email)
    post(founder_client, f"/intros/{intro.id}/answer", {f"i{intro.id}-decision": "accepted"}, "/founder/intros")
    [to_investor] = smtp.to("fund@steppe.example")
    assert subject(to_investor) == "Match: Aral Water accepted your intro request"
    assert "team@aralwater.kz" in body(to_investor)
    assert f"http://127.0.0.1:5000/matches/{intro.id}" in body(to_investor)
    match_mails = [m for m in smtp.to("owner@aral.kz") if "fund@steppe.example" in body(m)]
    assert len(match_mails) == 1

    match_path = f"/matches/{intro.id}"
    post(
        investor_client,
        f"{match_path}/progress",
        {"kind": "investment_closed", "amount": "150000", "currency": "USD", "instrument": "equity"},
        match_path,
    )
    to_confirm = [m for m in smtp.to("owner@aral.kz") if "$150\u00a0000" in body(m)]  # Russian digit groups
    assert len(to_confirm) == 1
    assert subject(to_confirm[0]) == "Подтвердите инвестицию в Aral Water"
    kinds_told = db.session.scalars(select(Notification.kind).order_by(Notification.id)).all()
    assert [k for k in kinds_told if k != "submission"] == [
        "intro_request",
        "match_investor",
        "match_founder",
        "close_to_confirm",
    ]


def test_a_declined_investor_is_told_with_the_reply(app: Flask, smtp: Inbox) -> None:
    startup = listed(name="Kokshe Milk")
    investor = ready_investor(email="angel@example.kz", locale="en")
    intro = services.request_intro(investor, startup, "Hello")
    founder_client = browser(app, startup.owner.email)
    post(
        founder_client,
        f"/intros/{intro.id}/answer",
        {f"i{intro.id}-decision": "declined", f"i{intro.id}-reply": "We closed our round last week."},
        "/founder/intros",
    )
    [message] = smtp.to("angel@example.kz")
    assert subject(message) == "Your intro request to Kokshe Milk was declined"
    assert "We closed our round last week." in body(message)
    assert re.search(r"/investor/intros", body(message))


def test_dates_are_kazakhstan_dates_even_late_in_the_utc_evening() -> None:
    intro = match(at=datetime(2026, 3, 10, 10, 0, tzinfo=UTC))
    late = datetime(2026, 3, 10, 20, 0, tzinfo=UTC)  # already 01:00 on 11 March in Almaty
    met = services.log_progress(
        intro.investor, intro, ProgressKind.MEETING, occurred_on=date(2026, 3, 11), note=None, at=late
    )
    assert met.occurred_on == date(2026, 3, 11)
    with pytest.raises(services.MatchError, match="in the future"):
        services.log_progress(
            intro.investor, intro, ProgressKind.MEETING, occurred_on=date(2026, 3, 12), note=None, at=late
        )


def test_withdrawing_and_asking_again_waits_a_week_and_progress_is_not_recorded_twice_a_day() -> None:
    investor, startup = ready_investor(), listed()
    first = services.request_intro(investor, startup, "Hello")
    services.withdraw_intro(investor, first)
    with pytest.raises(services.MatchError, match="You withdrew your last request"):
        services.request_intro(investor, startup, "Hello again")
    later = datetime.now(UTC) + timedelta(days=8)
    assert services.request_intro(investor, startup, "A week later", at=later).status == IntroStatus.PENDING

    intro = match()
    services.log_progress(intro.investor, intro, ProgressKind.MEETING, occurred_on=None, note=None)
    with pytest.raises(services.MatchError, match="already recorded for that day"):
        services.log_progress(intro.startup.owner, intro, ProgressKind.MEETING, occurred_on=None, note=None)
    assert kinds().count("meeting") == 1
