"""One localstripe for the billing tests; tests that stop it or take its webhooks start their own."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from tests.billing_helpers import LocalStripe, start_localstripe_with_plans, turn_billing_on


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStripe]:
    server = start_localstripe_with_plans(tmp_path_factory.mktemp("localstripe"))
    yield server
    server.stop()


@pytest.fixture
def stripe_on(app: Flask, monkeypatch: pytest.MonkeyPatch, localstripe: LocalStripe) -> LocalStripe:
    """Billing on, pointed at the session's localstripe, for one test."""
    turn_billing_on(app, monkeypatch, localstripe)
    return localstripe
