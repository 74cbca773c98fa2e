"""Signing up, logging in, rate limits, settings and password rules."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from dealflow.extensions import db
from dealflow.models import Role, User
from tests.conftest import Auth, csrf_token
from tests.factories import PASSWORD, UserFactory

GOOD_PASSWORD = "Steppe-wind-over-Taraz-9"


def count_users(email: str | None = None) -> int:
    query = select(func.count(User.id))
    if email:
        query = query.where(User.email == email)
    return db.session.scalar(query) or 0


def register(post_form: Any, **overrides: str) -> Any:
    data = {
        "name": "Aliya Serikova",
        "email": "aliya@example.kz",
        "password": GOOD_PASSWORD,
        "confirm": GOOD_PASSWORD,
        "role": "founder",
        "accept_terms": "y",
    }
    data.update(overrides)
    return post_form("/register", data)


def test_founder_registers_and_is_asked_to_check_their_inbox(client: Any, post_form: Any) -> None:
    response = register(post_form, email="  Aliya@Example.KZ ")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-your-inbox"
    user = db.session.scalar(select(User).where(User.email == "aliya@example.kz"))
    assert user is not None
    assert user.role == Role.FOUNDER
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    assert user.email_verified_at is None
    assert user.terms_accepted_at is not None
    assert user.terms_version == client.application.config["TERMS_VERSION"]
    assert "Open the link in it" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/founder/").status_code == 302  # sign-up never logs in: the emailed link does


def test_investor_registers(post_form: Any) -> None:
    response = register(post_form, email="fund@example.com", role="investor")
    assert response.headers["Location"] == "/register/check-your-inbox"
    assert db.session.scalar(select(User.role).where(User.email == "fund@example.com")) == Role.INVESTOR


def test_sign_up_needs_the_terms_accepted(post_form: Any) -> None:
    response = register(post_form, accept_terms="")
    assert response.status_code == 200
    assert "Accept the terms and the privacy notice" in response.get_data(as_text=True)
    assert count_users("aliya@example.kz") == 0


def test_registration_cannot_choose_a_staff_role(post_form: Any) -> None:
    response = register(post_form, role="admin")
    assert response.status_code == 200
    assert count_users("aliya@example.kz") == 0


def test_signing_up_with_a_taken_address_answers_like_any_sign_up(post_form: Any, client: Any) -> None:
    existing = UserFactory(email="aliya@example.kz", name="First Aliya")
    response = register(post_form, email="ALIYA@example.kz", name="Another Aliya")
    assert response.status_code == 302
    assert response.headers["Location"] == "/register/check-your-inbox"
    assert count_users("aliya@example.kz") == 1
    db.session.refresh(existing)
    assert existing.name == "First Aliya"
    assert client.get("/account").status_code == 302  # nobody is logged in


def test_short_password_is_refused_with_a_message(post_form: Any) -> None:
    response = register(post_form, password="Sh0rt!", confirm="Sh0rt!")
    assert "Use at least 10 characters." in response.get_data(as_text=True)
    assert count_users("aliya@example.kz") == 0


def test_common_password_is_refused_with_a_message(post_form: Any) -> None:
    response = register(post_form, password="1234567890", confirm="1234567890")
    assert "among the most common" in response.get_data(as_text=True)
    assert count_users("aliya@example.kz") == 0


def test_guessable_password_is_refused(post_form: Any) -> None:
    response = register(post_form, password="aaaaaaaaaaaa", confirm="aaaaaaaaaaaa")
    assert response.status_code == 200
    assert count_users("aliya@example.kz") == 0


def test_mismatched_confirmation_is_refused(post_form: Any) -> None:
    response = register(post_form, confirm=GOOD_PASSWORD + "x")
    assert "The two passwords do not match." in response.get_data(as_text=True)
    assert count_users("aliya@example.kz") == 0


def test_invalid_email_is_refused(post_form: Any) -> None:
    response = register(post_form, email="not-an-email")
    assert "Enter a valid email address." in response.get_data(as_text=True)
    assert count_users() == 0


def test_login_sends_each_role_to_its_start_page(auth: Auth) -> None:
    for role, start in [
        (Role.FOUNDER, "/founder/"),
        (Role.INVESTOR, "/startups/"),
        (Role.HUB_STAFF, "/review/"),
        (Role.ADMIN, "/review/"),
    ]:
        user = UserFactory(role=role)
        response = auth.login(user.email, PASSWORD)
        assert response.headers["Location"] == start
        auth.logout()


def test_login_records_the_time(auth: Auth) -> None:
    user = UserFactory()
    assert user.last_login_at is None
    auth.login(user.email.upper(), PASSWORD)
    db.session.refresh(user)
    assert user.last_login_at is not None


def test_login_failure_does_not_reveal_whether_the_email_exists(auth: Auth) -> None:
    user = UserFactory()
    wrong_password = auth.login(user.email, "Not-the-password-1")
    unknown_email = auth.login("nobody@example.kz", "Not-the-password-1")
    assert wrong_password.status_code == unknown_email.status_code == 200
    message = "The email or password is not correct."
    assert message in wrong_password.get_data(as_text=True)
    assert message in unknown_email.get_data(as_text=True)


def test_blocked_user_cannot_log_in(auth: Auth) -> None:
    user = UserFactory(active=False)
    response = auth.login(user.email, PASSWORD)
    assert response.status_code == 200
    assert "The email or password is not correct." in response.get_data(as_text=True)


def test_five_failures_make_that_address_wait(auth: Auth, client: Any) -> None:
    user = UserFactory()
    for _ in range(5):
        assert auth.login(user.email, "Wrong-password-123").status_code == 200
    locked = auth.login(user.email, PASSWORD, **{"Accept-Language": "ru"})
    assert locked.status_code == 429
    page = locked.get_data(as_text=True)
    assert 'lang="ru"' in page
    assert "Retry-After" in locked.headers
    # The lock is per account: another account from the same address still logs in.
    other = UserFactory()
    assert auth.login(other.email, PASSWORD).status_code == 302


def test_successful_logins_do_not_count_towards_the_lock(auth: Auth) -> None:
    user = UserFactory()
    for _ in range(7):
        assert auth.login(user.email, PASSWORD).status_code == 302
        auth.logout()


def test_login_is_limited_per_address(app: Any, auth: Auth) -> None:
    for n in range(50):
        response = auth.login(f"nobody{n}@example.kz", "Wrong-password-123")
        assert response.status_code == 200
    assert auth.login("someone@example.kz", "Wrong-password-123").status_code == 429


def test_next_follows_only_relative_urls(client: Any) -> None:
    user = UserFactory(role=Role.INVESTOR)
    for target, expected in [
        ("/account", "/account"),
        ("https://evil.example/steal", "/startups/"),
        ("//evil.example/steal", "/startups/"),
        ("/\\evil.example", "/startups/"),
    ]:
        token = csrf_token(client, "/login")
        response = client.post(
            "/login",
            query_string={"next": target},
            data={"csrf_token": token, "email": user.email, "password": PASSWORD},
        )
        assert response.headers["Location"] == expected, target
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})


def test_protected_page_sends_anonymous_users_to_log_in(client: Any) -> None:
    response = client.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_logout_needs_a_post(auth: Auth, client: Any) -> None:
    user = UserFactory()
    auth.login(user.email, PASSWORD)
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200
    auth.logout()
    assert client.get("/account").status_code == 302


def test_settings_change_name_and_language(auth: Auth, client: Any, post_form: Any) -> None:
    user = UserFactory(name="Old Name")
    auth.login(user.email, PASSWORD)
    response = post_form("/account", {"name": "Dana Nurpeisova", "locale": "kk"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.name, user.locale) == ("Dana Nurpeisova", "kk")
    assert 'lang="kk"' in client.get("/account").get_data(as_text=True)


def test_password_change_needs_the_current_password(auth: Auth, post_form: Any) -> None:
    user = UserFactory()
    auth.login(user.email, PASSWORD)
    before = user.password_hash
    response = post_form(
        "/account/password",
        {"current_password": "Not-my-password-1", "new_password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
        form_page="/account",
    )
    assert "Your current password is not correct." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == before


def test_password_change_applies_the_rules_then_works(auth: Auth, client: Any, post_form: Any) -> None:
    user = UserFactory()
    auth.login(user.email, PASSWORD)
    weak = post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": "password12", "confirm": "password12"},
        form_page="/account",
    )
    assert "among the most common" in weak.get_data(as_text=True)
    good = post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
        form_page="/account",
    )
    assert good.status_code == 302
    auth.logout()
    assert auth.login(user.email, PASSWORD).status_code == 200
    assert auth.login(user.email, GOOD_PASSWORD).status_code == 302


def test_the_account_lock_ignores_case_and_spaces_in_the_email(auth: Auth) -> None:
    user = UserFactory(email="lock@example.kz")
    for variant in ["lock@example.kz", "LOCK@example.kz", " lock@example.kz", "Lock@Example.KZ ", "lock@EXAMPLE.kz"]:
        assert auth.login(variant, "Wrong-password-123").status_code == 200
    assert auth.login(user.email, PASSWORD).status_code == 429


def test_parallel_attempts_cannot_exceed_the_account_limit(app: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from dealflow.auth import throttle

    def attempt(_: int) -> bool:
        with app.app_context():
            return throttle.take_login_attempt("race@example.kz", "10.0.0.1")

    with ThreadPoolExecutor(max_workers=20) as pool:
        allowed = list(pool.map(attempt, range(40)))
    assert allowed.count(True) == 5


def test_registration_is_limited_per_address(app: Any, post_form: Any) -> None:
    limit = int(app.config["REGISTER_LIMIT_PER_IP"].split()[0])
    for _ in range(limit):
        register(post_form, email="not-an-email")  # refused, but each attempt counts
    assert register(post_form, email="late@example.kz").status_code == 429
    assert count_users() == 0


def test_changing_the_password_ends_other_sessions(app: Any, auth: Auth, client: Any, post_form: Any) -> None:
    user = UserFactory()
    other_device = app.test_client()
    Auth(other_device).login(user.email, PASSWORD)
    assert other_device.get("/account").status_code == 200
    auth.login(user.email, PASSWORD)
    response = post_form(
        "/account/password",
        {"current_password": PASSWORD, "new_password": GOOD_PASSWORD, "confirm": GOOD_PASSWORD},
        form_page="/account",
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200  # this device stays logged in
    assert other_device.get("/account").status_code == 302  # the other one is sent to log in


def test_blocking_an_account_ends_its_sessions(app: Any, auth: Auth, post_form: Any) -> None:
    target = UserFactory(role=Role.INVESTOR)
    their_device = app.test_client()
    Auth(their_device).login(target.email, PASSWORD)
    admin = UserFactory(role=Role.ADMIN)
    auth.login(admin.email, PASSWORD)
    post_form(f"/admin/users/{target.id}", {"role": "investor", "hub_id": ""})
    assert their_device.get("/startups/").status_code == 302


def test_form_fields_have_labels_and_no_dangling_descriptions(client: Any) -> None:
    page = client.get("/register").get_data(as_text=True)
    assert 'aria-describedby="None"' not in page
    for field in ("name", "email", "password", "confirm"):
        assert f'<label class="form-label" for="{field}">' in page
    assert 'aria-describedby="password-help"' in page
