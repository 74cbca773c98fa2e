"""Founders' pages, uploads, the startup page and who may see what, through HTTP."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import Currency, DeckVisibility, Role, Startup, StartupStatus, StoredFile, User
from dealflow.startups import services
from dealflow.startups.profile import Profile
from tests.conftest import Auth
from tests.factories import PASSWORD, UserFactory
from tests.startup_helpers import VALID_BIN, founder, investor, pdf_bytes, png_bytes, startup_in

FORM_BASICS = {
    "name": "Steppe Sensors",
    "tagline": "Soil moisture data for wheat farms",
    "description": "We help farmers *water less*.",
    "website": "steppesensors.kz",
    "founded_year": "2023",
    "region_code": "KZ-39",
    "city": "Kostanay",
    "sector_code": "agritech",
    "stage_code": "mvp",
    "team_size": "4",
    "team-0-name": "Aigerim",
    "team-0-role": "CEO",
    "currency": "KZT",
    "ask_amount": "26000000",
    "instrument": "safe",
    "monthly_revenue": "0",
    "customers_count": "3",
    "contact_email": "Team@SteppeSensors.kz",
    "contact_phone": "+7 714 555 0101",
    "deck_visibility": "verified_investors",
}


def logged_in_founder(auth: Auth) -> User:
    user = founder()
    auth.login(user.email, PASSWORD)
    return user


def post_startup(post_form: Any, path: str, data: dict[str, Any], **files: tuple[bytes, str]) -> Any:
    payload: dict[str, Any] = dict(data)
    for field, (content, name) in files.items():
        payload[field] = (io.BytesIO(content), name)
    return post_form(path, payload, content_type="multipart/form-data")


def count(model: type[Any]) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_founder_creates_a_draft_with_files_and_submits_it(auth: Auth, client: Any, post_form: Any) -> None:
    owner = logged_in_founder(auth)
    response = post_startup(
        post_form,
        "/founder/startups/new",
        FORM_BASICS,
        logo=(png_bytes(), "logo.png"),
        deck=(pdf_bytes(), "deck.pdf"),
    )
    assert response.status_code == 302
    startup = db.session.scalar(select(Startup).where(Startup.owner_id == owner.id))
    assert startup is not None
    assert startup.status == StartupStatus.DRAFT
    assert (startup.website, startup.contact_email) == ("https://steppesensors.kz", "team@steppesensors.kz")
    assert startup.ask_usd == 50000  # 26,000,000 tenge at 520 per dollar
    assert startup.logo is not None
    assert startup.logo.content_type == "image/webp"
    assert startup.deck is not None
    assert startup.deck.page_count == 3
    submitted = post_form(f"/founder/startups/{startup.id}/submit", {}, form_page="/founder/")
    assert submitted.status_code == 302
    db.session.refresh(startup)
    assert startup.status == StartupStatus.SUBMITTED
    assert "Submitted" in client.get("/founder/").get_data(as_text=True)


def test_submitting_an_incomplete_draft_lists_what_is_missing(auth: Auth, post_form: Any) -> None:
    logged_in_founder(auth)
    data = {"name": "Only a name", "tagline": "and a tagline", "action": "submit"}
    response = post_form("/founder/startups/new", data, content_type="multipart/form-data")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    missing = re.search(r'<ul class="small mb-0" id="missing-fields">(.*?)</ul>', page, re.S)
    assert missing is not None
    items = re.findall(r"<li>(.*?)</li>", missing.group(1))
    assert "Description" in items
    assert "Pitch deck" in items
    assert "Contact phone" in items
    assert "Tagline" not in items
    startup = db.session.scalar(select(Startup).where(Startup.name == "Only a name"))
    assert startup is not None
    assert startup.status == StartupStatus.DRAFT  # saved as a draft, not submitted


@pytest.mark.parametrize(
    ("field", "content", "filename", "message"),
    [
        ("deck", b"This is just text pretending to be a deck", "deck.pdf", "The pitch deck must be a PDF file."),
        ("deck", b"%PDF-1.4\nnot really a pdf at all", "deck.pdf", "could not be opened as a PDF"),
        ("deck", pdf_bytes() + b"%" * 300_000, "huge.pdf", "The pitch deck is larger than 195 KB."),
        ("logo", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "logo.png", "must be a PNG, JPEG or WebP"),
        ("logo", png_bytes() + b"\x00" * 300_000, "big.png", "The logo is larger than 195 KB."),
        ("logo", b"GIF89a" + b"\x00" * 100, "logo.gif", "must be a PNG, JPEG or WebP"),
    ],
)
def test_bad_files_are_refused_and_the_rest_of_the_input_is_kept(
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
    auth: Auth,
    post_form: Any,
    field: str,
    content: bytes,
    filename: str,
    message: str,
) -> None:
    # Small limits keep the uploads in memory here; the real limits are checked in test_upload_limits.
    monkeypatch.setitem(app.config, "MAX_DECK_BYTES", 200_000)
    monkeypatch.setitem(app.config, "MAX_LOGO_BYTES", 200_000)
    owner = logged_in_founder(auth)
    other = "logo" if field == "deck" else "deck"
    good = (png_bytes(), "good.png") if other == "logo" else (pdf_bytes(), "good.pdf")
    response = post_startup(
        post_form, "/founder/startups/new", FORM_BASICS, **{field: (content, filename), other: good}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in page
    assert 'value="Steppe Sensors"' in page
    assert "Soil moisture data for wheat farms" in page
    assert count(Startup) == 0
    kept = db.session.scalars(select(StoredFile).where(StoredFile.owner_id == owner.id)).all()
    assert [f.kind.value for f in kept] == [other]  # the good file waits in the form, nothing else was stored
    assert f'name="{other}_file_id" type="hidden" value="{kept[0].id}"' in page


def test_a_kept_upload_is_attached_when_the_form_is_corrected(auth: Auth, post_form: Any) -> None:
    owner = logged_in_founder(auth)
    first = post_startup(
        post_form, "/founder/startups/new", {**FORM_BASICS, "bin": "123456789012"}, logo=(png_bytes(), "l.png")
    )
    assert "this one does not match" in first.get_data(as_text=True)
    assert count(Startup) == 0
    logo = db.session.scalar(select(StoredFile).where(StoredFile.owner_id == owner.id))
    assert logo is not None
    second = post_startup(
        post_form, "/founder/startups/new", {**FORM_BASICS, "bin": VALID_BIN, "logo_file_id": str(logo.id)}
    )
    assert second.status_code == 302
    startup = db.session.scalar(select(Startup))
    assert startup is not None
    assert (startup.logo_file_id, startup.bin) == (logo.id, VALID_BIN)


def test_another_founders_file_id_is_ignored(auth: Auth, post_form: Any) -> None:
    victim = founder()
    their_deck = services.create_startup(victim, Profile(name="Theirs")).id
    stolen = db.session.scalar(select(StoredFile.id).where(StoredFile.owner_id == victim.id))
    logged_in_founder(auth)
    post_startup(post_form, "/founder/startups/new", {**FORM_BASICS, "deck_file_id": str(stolen or 0)})
    mine = db.session.scalar(select(Startup).where(Startup.id != their_deck))
    assert mine is not None
    assert mine.deck_file_id is None


def test_a_wrong_bin_is_refused(auth: Auth, post_form: Any) -> None:
    logged_in_founder(auth)
    response = post_startup(post_form, "/founder/startups/new", {**FORM_BASICS, "bin": VALID_BIN[:-1] + "0"})
    assert "this one does not match" in response.get_data(as_text=True)
    assert count(Startup) == 0


def test_a_founder_cannot_see_or_change_another_founders_startup(auth: Auth, client: Any, post_form: Any) -> None:
    theirs = startup_in(StartupStatus.DRAFT)
    approved = startup_in(StartupStatus.APPROVED, theirs.owner)
    logged_in_founder(auth)
    for path in (
        f"/founder/startups/{theirs.id}/edit",
        f"/founder/startups/{theirs.id}/preview",
        f"/startups/{theirs.slug}",
    ):
        assert client.get(path).status_code == 404, path
    for path in ("submit", "archive", "discard"):
        assert post_form(f"/founder/startups/{approved.id}/{path}", {}, form_page="/founder/").status_code == 404
    changed = post_startup(post_form, f"/founder/startups/{theirs.id}/edit", {**FORM_BASICS, "name": "Hijacked"})
    assert changed.status_code == 404
    assert client.get(f"/files/{theirs.deck_file_id}").status_code == 404
    db.session.refresh(theirs)
    db.session.refresh(approved)
    assert (theirs.name, theirs.status, approved.status) == ("Aral Water", StartupStatus.DRAFT, StartupStatus.APPROVED)


def test_editing_an_approved_profile_keeps_the_approved_version_visible(
    app: Any, auth: Auth, client: Any, post_form: Any
) -> None:
    owner = logged_in_founder(auth)
    startup = startup_in(StartupStatus.APPROVED, owner)
    viewer = app.test_client()
    reader = investor()
    Auth(viewer).login(reader.email, PASSWORD)
    assert "Water sensors for irrigation canals" in viewer.get(f"/startups/{startup.slug}").get_data(as_text=True)
    edit = client.get(f"/founder/startups/{startup.id}/edit").get_data(as_text=True)
    assert "investors keep seeing the approved profile" in edit
    data = {
        **FORM_BASICS,
        "name": "Aral Water",
        "tagline": "Water sensors with a new mobile app",
        "region_code": "KZ-43",
        "logo_file_id": str(startup.logo_file_id),
        "deck_file_id": str(startup.deck_file_id),
        "action": "submit",
    }
    assert post_startup(post_form, f"/founder/startups/{startup.id}/edit", data).status_code == 302
    page = viewer.get(f"/startups/{startup.slug}").get_data(as_text=True)
    assert "Water sensors for irrigation canals" in page
    assert "new mobile app" not in page
    assert "new mobile app" in client.get(f"/founder/startups/{startup.id}/preview").get_data(as_text=True)
    services.decide(startup, "approved", actor=UserFactory(role=Role.HUB_STAFF))
    page = viewer.get(f"/startups/{startup.slug}").get_data(as_text=True)
    assert "Water sensors with a new mobile app" in page


def test_investors_see_approved_startups_only_and_no_contacts(auth: Auth, client: Any) -> None:
    reader = investor()
    auth.login(reader.email, PASSWORD)
    approved = startup_in(StartupStatus.APPROVED)
    page = client.get(f"/startups/{approved.slug}").get_data(as_text=True)
    assert "Aral Water" in page
    assert "team@aralwater.kz" not in page
    assert "+7 701 234 5678" not in page
    assert "Contact details are shared once the founder accepts your intro request." in page
    for status in (StartupStatus.DRAFT, StartupStatus.SUBMITTED, StartupStatus.REJECTED, StartupStatus.ARCHIVED):
        hidden = startup_in(status)
        assert client.get(f"/startups/{hidden.slug}").status_code == 404, status
        assert client.get(f"/files/{hidden.logo_file_id}").status_code == 404


def test_hub_staff_see_contacts_and_history(auth: Auth, client: Any) -> None:
    reviewer = UserFactory(role=Role.HUB_STAFF)
    auth.login(reviewer.email, PASSWORD)
    submitted = startup_in(StartupStatus.SUBMITTED)
    page = client.get(f"/startups/{submitted.slug}").get_data(as_text=True)
    assert "team@aralwater.kz" in page
    assert "Review history" in page


def test_the_deck_follows_the_founders_choice(app: Any, client: Any, auth: Auth) -> None:
    open_deck = startup_in(StartupStatus.APPROVED)
    matched_only = startup_in(StartupStatus.APPROVED, deck_visibility=DeckVisibility.MATCHED_INVESTORS)
    verified, unverified = investor(verified=True), investor(verified=False)

    def status(user: User, file_id: int | None) -> int:
        browser = app.test_client()
        Auth(browser).login(user.email, PASSWORD)
        with browser.get(f"/files/{file_id}") as response:
            return int(response.status_code)

    assert status(verified, open_deck.deck_file_id) == 200
    assert status(unverified, open_deck.deck_file_id) == 404
    assert status(verified, matched_only.deck_file_id) == 404
    assert status(unverified, open_deck.logo_file_id) == 200  # logos go with the listing
    assert status(open_deck.owner, open_deck.deck_file_id) == 200
    assert status(UserFactory(role=Role.HUB_STAFF), matched_only.deck_file_id) == 200
    assert client.get(f"/files/{open_deck.deck_file_id}").status_code == 302  # anonymous: log in first


def test_downloaded_deck_is_the_uploaded_pdf(auth: Auth, client: Any) -> None:
    owner = logged_in_founder(auth)
    startup = startup_in(StartupStatus.DRAFT, owner)
    with client.get(f"/files/{startup.deck_file_id}") as response:
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF-")
        assert "attachment" in response.headers["Content-Disposition"]


def test_description_markdown_is_rendered_without_scripts(auth: Auth, client: Any) -> None:
    owner = logged_in_founder(auth)
    startup = startup_in(
        StartupStatus.DRAFT,
        owner,
        description='**Bold** move <script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">',
    )
    page = client.get(f"/founder/startups/{startup.id}/preview").get_data(as_text=True)
    assert "<strong>Bold</strong>" in page
    assert "<script>alert(1)" not in page
    assert "javascript:" not in page
    assert "onerror" not in page


def test_dashboard_shows_each_status_its_meaning_and_the_reviewers_comment(auth: Auth, client: Any) -> None:
    owner = logged_in_founder(auth)
    startup_in(StartupStatus.CHANGES_REQUESTED, owner, name="Needs Work")
    startup_in(StartupStatus.APPROVED, owner, name="Listed One")
    page = client.get("/founder/").get_data(as_text=True)
    assert "Changes requested" in page
    assert "The reviewer asked for changes. Edit the profile and submit it again." in page
    assert "Reviewed" in page  # the comment
    assert "Propose changes" in page


def test_founder_archives_a_listed_startup(auth: Auth, post_form: Any) -> None:
    owner = logged_in_founder(auth)
    startup = startup_in(StartupStatus.APPROVED, owner)
    post_form(f"/founder/startups/{startup.id}/archive", {}, form_page="/founder/")
    db.session.refresh(startup)
    assert startup.status == StartupStatus.ARCHIVED


def test_admin_changes_the_tenge_rate(auth: Auth, client: Any, post_form: Any) -> None:
    owner = founder()
    kzt = startup_in(StartupStatus.APPROVED, owner, currency=Currency.KZT, ask_amount=Decimal("1000001"))
    before = kzt.updated_at
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    assert client.get("/admin/rates").status_code == 200
    bad = post_form("/admin/rates", {"units_per_usd": "0"})
    assert bad.status_code == 200
    assert "Number must be between 1 and 100000." in bad.get_data(as_text=True)
    assert post_form("/admin/rates", {"units_per_usd": "523.456789"}).status_code == 302
    db.session.expire_all()
    changed = db.session.get(Startup, kzt.id)
    assert changed is not None
    assert changed.ask_usd == Decimal("1910.38")  # 1,000,001 / 523.456789, rounded half up, on every database
    assert changed.ask_usd == services.to_usd(Decimal("1000001"), Currency.KZT)
    assert changed.updated_at == before  # a rate change is not the founder's change


def test_only_admins_reach_the_rates_page(auth: Auth, client: Any) -> None:
    logged_in_founder(auth)
    assert client.get("/admin/rates").status_code == 403


def test_a_forged_choice_is_refused_without_an_error_page(auth: Auth, post_form: Any) -> None:
    logged_in_founder(auth)
    forged = {**FORM_BASICS, "currency": "EUR", "instrument": "bogus", "deck_visibility": "public", "region_code": "XX"}
    response = post_startup(post_form, "/founder/startups/new", forged)
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert count(Startup) == 0


def test_a_logo_id_cannot_be_posted_as_the_deck(auth: Auth, post_form: Any) -> None:
    owner = logged_in_founder(auth)
    post_startup(post_form, "/founder/startups/new", FORM_BASICS, logo=(png_bytes(), "logo.png"))
    logo = db.session.scalar(select(StoredFile).where(StoredFile.owner_id == owner.id))
    assert logo is not None
    startup = db.session.scalar(select(Startup))
    assert startup is not None
    data = {**FORM_BASICS, "logo_file_id": str(logo.id), "deck_file_id": str(logo.id)}
    post_startup(post_form, f"/founder/startups/{startup.id}/edit", data)
    db.session.refresh(startup)
    assert startup.deck_file_id is None


def test_a_hostile_filename_is_cleaned(auth: Auth, client: Any, post_form: Any) -> None:
    owner = logged_in_founder(auth)
    post_startup(post_form, "/founder/startups/new", FORM_BASICS, deck=(pdf_bytes(), "../../evil:na*me.html"))
    deck = db.session.scalar(select(StoredFile).where(StoredFile.owner_id == owner.id))
    assert deck is not None
    assert deck.original_name == "evilname.pdf"
    with client.get(f"/files/{deck.id}") as response:
        assert response.status_code == 200
        assert response.headers["Content-Disposition"] == "attachment; filename=evilname.pdf"


def test_a_new_deck_in_proposed_changes_stays_hidden_until_approved(app: Any, auth: Auth, post_form: Any) -> None:
    owner = logged_in_founder(auth)
    startup = startup_in(StartupStatus.APPROVED, owner)
    old_deck = startup.deck_file_id
    data = {
        **FORM_BASICS,
        "region_code": "KZ-43",
        "logo_file_id": str(startup.logo_file_id),
        "action": "submit",
    }
    post_startup(post_form, f"/founder/startups/{startup.id}/edit", data, deck=(pdf_bytes("New deck"), "new.pdf"))
    new_deck = db.session.scalar(select(StoredFile.id).where(StoredFile.original_name == "new.pdf"))
    assert new_deck is not None
    reader = app.test_client()
    Auth(reader).login(investor().email, PASSWORD)
    with reader.get(f"/files/{new_deck}") as hidden:
        assert hidden.status_code == 404
    with reader.get(f"/files/{old_deck}") as listed:
        assert listed.status_code == 200
    services.decide(startup, "approved", actor=UserFactory(role=Role.HUB_STAFF))
    with reader.get(f"/files/{new_deck}") as now_listed:
        assert now_listed.status_code == 200


@pytest.mark.date_sensitive
def test_prune_deletes_only_old_unattached_uploads(runner: Any) -> None:
    from datetime import timedelta

    from dealflow.extensions import file_store
    from dealflow.models import utcnow

    attached = startup_in(StartupStatus.DRAFT)
    owner = attached.owner
    post_startup_files = list(db.session.scalars(select(StoredFile).where(StoredFile.owner_id == owner.id)))
    assert len(post_startup_files) == 2
    from tests.startup_helpers import complete_profile

    orphan_profile = complete_profile(owner)  # stores a logo and a deck that nothing points at
    orphans = [
        db.session.get(StoredFile, orphan_profile.logo_file_id),
        db.session.get(StoredFile, orphan_profile.deck_file_id),
    ]
    for f in [*post_startup_files, *orphans]:
        assert f is not None
        f.created_at = utcnow() - timedelta(days=2)
    db.session.flush()
    paths = [file_store.path(f.storage_key) for f in orphans if f]
    orphan_ids = [f.id for f in orphans if f]
    result = runner.invoke(args=["files", "prune", "--hours", "24"])
    # Other tests' files on disk have no row either and may be older than a day on a moved clock: count ours.
    assert re.search(r"Deleted \d+ unattached uploads\.", result.output)
    assert not any(p.exists() for p in paths)
    db.session.expire_all()
    assert all(db.session.get(StoredFile, file_id) is None for file_id in orphan_ids)
    assert db.session.scalar(select(func.count(StoredFile.id)).where(StoredFile.owner_id == owner.id)) == 2
