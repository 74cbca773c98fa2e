"""The founder's form helps: progress by section, limits stated and kept, a sanitised preview, other languages."""

from __future__ import annotations

import html
import re
from typing import Any

from flask import Flask
from sqlalchemy import select

from dealflow.extensions import db
from dealflow.models import Startup, StartupStatus
from dealflow.startups import completeness
from dealflow.startups.fields import REQUIRED_FOR_SUBMISSION, SECTIONS
from dealflow.startups.profile import Profile
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD
from tests.startup_helpers import complete_profile, founder, investor, startup_in
from tests.test_startup_pages import FORM_BASICS, logged_in_founder, post_startup

PREVIEW = "/founder/startups/preview-markdown"


def progress_line(page: str) -> str:
    found = re.search(r'<p class="mb-1 fw-semibold" id="progress-label"[^>]*>(.*?)</p>', page)
    assert found, "no progress line"
    return html.unescape(found.group(1))


def test_sections_cover_exactly_the_fields_required_for_submission() -> None:
    listed = [name for section in SECTIONS for name in section.required]
    assert len(listed) == len(set(listed))
    assert set(listed) == set(REQUIRED_FOR_SUBMISSION)


def test_progress_counts_the_sections_whose_required_fields_are_filled() -> None:
    empty = completeness.progress(Profile(name=""))
    assert (empty.done, empty.total) == (0, 7)
    founder_user = founder()
    full = completeness.progress(complete_profile(founder_user))
    assert (full.done, full.total) == (7, 7)
    no_phone = completeness.progress(complete_profile(founder_user, contact_phone=None, city=""))
    assert no_phone.done == 5
    assert not no_phone.is_complete("contacts")
    assert not no_phone.is_complete("place")
    assert no_phone.is_complete("files")


def test_the_form_shows_progress_computed_on_the_server(auth: Auth, client: Any, post_form: Any) -> None:
    logged_in_founder(auth)
    assert progress_line(client.get("/founder/startups/new").get_data(as_text=True)) == "0 of 7 sections complete"
    post_startup(post_form, "/founder/startups/new", FORM_BASICS)
    startup = db.session.scalar(select(Startup).where(Startup.name == "Steppe Sensors"))
    assert startup is not None
    page = client.get(f"/founder/startups/{startup.id}/edit").get_data(as_text=True)
    # Everything but the files: "Logo and pitch deck" is the section still open.
    assert progress_line(page) == "6 of 7 sections complete"
    assert 'data-section-status="files" data-complete="false"' in page
    assert 'data-section-status="contacts" data-complete="true"' in page
    assert 'data-required="deck_file_id"' in page


def test_counters_state_the_limits_and_the_description_box_is_sized_for_its_field(auth: Auth, client: Any) -> None:
    logged_in_founder(auth)
    page = client.get("/founder/startups/new").get_data(as_text=True)
    assert re.search(r'<textarea[^>]*id="description"[^>]*maxlength="10000"', page)
    assert re.search(r'<textarea[^>]*id="description"[^>]*rows="12"', page)
    assert re.search(r'<input[^>]*id="tagline"[^>]*maxlength="140"', page)
    assert '<div class="form-text text-end counter mb-3" id="description-count" aria-live="polite"' in page
    assert "0 / 10,000 characters" in page
    assert "0 / 140 characters" in page
    assert "js/startup-form.js" in page


def test_the_counter_is_in_the_founders_language(auth: Auth, client: Any) -> None:
    logged_in_founder(auth)
    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "language": "ru", "next": "/founder/"})
    page = client.get("/founder/startups/new").get_data(as_text=True)
    assert "0 / 10\u00a0000 символов" in page


def test_over_long_text_is_refused_with_a_clear_message_and_the_rest_is_kept(auth: Auth, post_form: Any) -> None:
    logged_in_founder(auth)
    data = {**FORM_BASICS, "tagline": "x" * 141, "description_kk": "ә" * 10_001}
    response = post_startup(post_form, "/founder/startups/new", data)
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "This is 141 characters long; the limit is 140. Shorten it and save again." in page
    assert "This is 10001 characters long; the limit is 10000." in page
    assert 'value="Steppe Sensors"' in page
    assert "We help farmers *water less*." in page
    assert db.session.scalar(select(Startup).where(Startup.name == "Steppe Sensors")) is None


def test_the_preview_renders_markdown_through_the_sanitiser(auth: Auth, client: Any) -> None:
    logged_in_founder(auth)
    token = csrf_token(client, "/founder/startups/new")
    text = '**Bold** <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">\n\n- one'
    response = client.post(PREVIEW, data={"csrf_token": token, "text": text})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>Bold</strong>" in body
    assert "<li>one</li>" in body
    assert "<script" not in body
    assert "javascript:" not in body
    assert "onerror" not in body
    assert client.post(PREVIEW, data={"csrf_token": token, "text": "y" * 10_001}).status_code == 200
    too_long = client.post(PREVIEW, data={"csrf_token": token, "text": "y" * 10_001}).get_data(as_text=True)
    assert "the limit is 10000" in too_long


def test_the_preview_needs_a_csrf_token_and_a_founder(app: Flask, auth: Auth, client: Any) -> None:
    assert client.post(PREVIEW, data={"text": "**x**"}).status_code in (302, 400)
    logged_in_founder(auth)
    refused = client.post(PREVIEW, data={"text": "**x**"})
    assert "<strong>x</strong>" not in refused.get_data(as_text=True)
    other = app.test_client()
    Auth(other).login(investor().email, PASSWORD)
    token = csrf_token(other, "/")
    assert other.post(PREVIEW, data={"csrf_token": token, "text": "**x**"}).status_code == 403


def test_the_preview_is_rate_limited(app: Flask, auth: Auth, client: Any, monkeypatch: Any) -> None:
    monkeypatch.setitem(app.config, "MARKDOWN_PREVIEW_LIMIT", "3 per minute")
    logged_in_founder(auth)
    token = csrf_token(client, "/founder/startups/new")
    codes = [client.post(PREVIEW, data={"csrf_token": token, "text": "hi"}).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


def test_other_language_versions_are_saved_and_shown_to_their_readers(auth: Auth, client: Any, post_form: Any) -> None:
    logged_in_founder(auth)
    data = {
        **FORM_BASICS,
        "tagline_ru": "Данные о влажности почвы для пшеничных хозяйств",
        "tagline_kk": "Бидай шаруашылықтарына топырақ ылғалдылығы туралы деректер",
        "description_kk": "Біз фермерлерге **суды үнемдеуге** көмектесеміз.",
    }
    post_startup(post_form, "/founder/startups/new", data)
    startup = db.session.scalar(select(Startup).where(Startup.name == "Steppe Sensors"))
    assert startup is not None
    assert startup.tagline_kk == data["tagline_kk"]
    assert startup.description_ru is None
    startup.status = StartupStatus.APPROVED  # as if reviewed
    db.session.flush()
    visitor = client.application.test_client()
    kk = visitor.get(f"/startups/{startup.slug}", headers={"Accept-Language": "kk"}).get_data(as_text=True)
    assert data["tagline_kk"] in kk
    assert "<strong>суды үнемдеуге</strong>" in kk
    ru = visitor.get(f"/startups/{startup.slug}", headers={"Accept-Language": "ru"}).get_data(as_text=True)
    assert data["tagline_ru"] in ru
    assert "We help farmers <em>water less</em>." in ru  # no Russian description: the original
    en = visitor.get(f"/startups/{startup.slug}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Soil moisture data for wheat farms" in en


def test_a_reviewer_sees_the_versions_in_other_languages(auth: Auth, client: Any) -> None:
    from dealflow.models import Role
    from tests.factories import UserFactory

    submitted = startup_in(StartupStatus.SUBMITTED, tagline_ru="Датчики воды для оросительных каналов")
    reviewer = UserFactory(role=Role.HUB_STAFF)
    auth.login(reviewer.email, PASSWORD)
    page = client.get(f"/review/{submitted.id}").get_data(as_text=True)
    assert "Датчики воды для оросительных каналов" in page


def test_the_original_language_defaults_to_the_founders_and_is_saved(auth: Auth, client: Any, post_form: Any) -> None:
    logged_in_founder(auth)
    client.post("/language", data={"csrf_token": csrf_token(client, "/"), "language": "kk", "next": "/founder/"})
    page = client.get("/founder/startups/new").get_data(as_text=True)
    assert re.search(r'<option selected value="kk">|<option value="kk" selected>', page)
    post_startup(post_form, "/founder/startups/new", {**FORM_BASICS, "content_language": "ru"})
    startup = db.session.scalar(select(Startup).where(Startup.name == "Steppe Sensors"))
    assert startup is not None
    assert startup.content_language == "ru"
    post_startup(post_form, f"/founder/startups/{startup.id}/edit", {**FORM_BASICS, "content_language": "xx"})
    db.session.refresh(startup)
    assert startup.content_language in (None, "ru")  # a forged language is never stored
