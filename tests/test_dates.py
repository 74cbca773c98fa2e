"""Dates read the way people of each language write them, on every page, through one helper."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from flask import Flask
from flask_babel import force_locale

from dealflow.i18n import format_day
from dealflow.models import StartupStatus
from tests.conftest import Auth
from tests.factories import PASSWORD
from tests.startup_helpers import founder, startup_in


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("kk", "1 желтоқсан 2026 ж."), ("ru", "1 декабря 2026 г."), ("en", "1 December 2026")],
)
def test_a_day_in_each_language(app: Flask, locale: str, expected: str) -> None:
    with app.test_request_context(), force_locale(locale):
        assert format_day(date(2026, 12, 1)) == expected


def test_a_time_is_the_day_it_falls_on_in_kazakhstan(app: Flask) -> None:
    with app.test_request_context(), force_locale("kk"):
        assert format_day(datetime(2026, 3, 10, 20, 0, tzinfo=UTC)) == "11 наурыз 2026 ж."  # 01:00 in Almaty
        assert format_day(None) == ""
        assert format_day(date(2026, 12, 1), "LLLL y") == "Желтоқсан 2026"  # a month on its own, as a heading


def test_the_founders_dashboard_shows_kazakh_dates_day_first(app: Flask, auth: Auth, client: Any) -> None:
    owner = founder()
    owner.locale = "kk"
    with time_machine.travel(datetime(2026, 12, 1, 9, 0, tzinfo=UTC), tick=False):
        startup_in(StartupStatus.REJECTED, owner)
    auth.login(owner.email, PASSWORD)
    page = client.get("/founder/").get_data(as_text=True)
    assert "1 желтоқсан 2026 ж." in page
    assert "2026 ж." in page
    assert "ж. 01 жел." not in page
